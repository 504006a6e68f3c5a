#include "baselines/bernoulli.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <random>

#include "ml/fashion_mnist.hpp"
#include "sample/npy.hpp"
#include "sample/rng.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

namespace tsu::baselines::detail {

namespace {

namespace fs = std::filesystem;
constexpr int kClasses = ml::kFashionMnistClasses;
constexpr int kPixels = 28 * 28;

std::string means_path(const std::string& dir) { return (fs::path(dir) / "means.npy").string(); }
std::string weights_path(const std::string& dir) { return (fs::path(dir) / "weights.npy").string(); }

void write_floats(const std::string& path, const std::vector<float>& values, std::vector<size_t> shape) {
  NpyArray a{"<f4", std::move(shape), std::vector<char>(values.size() * sizeof(float))};
  std::memcpy(a.bytes.data(), values.data(), a.bytes.size());
  write_npy(path, a);
}

std::vector<float> read_floats(const std::string& path, const std::vector<size_t>& shape, const std::string& what) {
  const NpyArray a = read_npy(path);
  if (a.dtype != "<f4" || a.shape != shape)
    throw Error(fmt::format("{}: expected float32 {} of shape ({})", path, what, fmt::join(shape, ", ")));
  std::vector<float> values(a.elements());
  std::memcpy(values.data(), a.bytes.data(), a.bytes.size());
  for (const float v : values)
    if (!(v >= 0 && v <= 1)) throw Error(fmt::format("{}: a value outside [0, 1]: {}", path, v));
  return values;
}

// The Bernoulli-means model (components = 1, fitted by counting) and the Bernoulli mixture (EM).
class BernoulliModel final : public Generator {
 public:
  explicit BernoulliModel(GeneratorConfig config)
      : config_(std::move(config)), components_(config_.family == "mixture" ? config_.components : 1) {}

  const GeneratorConfig& config() const override { return config_; }

  void train(const std::string& dir, const Progress& progress) override {
    prepare_dir(dir);
    const std::string config_path = (fs::path(dir) / "config.json").string();
    remove_abandoned_temporaries({means_path(dir), config_path});  // of a killed run
    if (fs::exists(means_path(dir))) {
      GeneratorConfig stored = load_generator_config(config_path);
      stored.threads = config_.threads;  // does not change the model
      if (to_json(stored) != to_json(config_))
        throw Error(fmt::format("{}: was written by a run with another configuration; use another output folder",
                                config_path));
      read(dir);
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    fit(progress);
    timing_.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    write_file_atomic(config_path, to_json(config_).dump(2) + "\n");
    if (mixture()) write_floats(weights_path(dir), weights_, {size_t(kClasses), size_t(components_)});
    // last: the folder holds a model once this exists
    write_floats(means_path(dir), means_, {size_t(kClasses * components_), 28, 28});
  }

  std::vector<float> sample(size_t count, uint64_t seed) override {
    const auto start = std::chrono::steady_clock::now();
    std::vector<float> images(count * kPixels);
    const uint64_t stream = derive(seed, Purpose::BernoulliSample);
    for (size_t i = 0; i < count; ++i) {
      Xoshiro128p rng = chain_stream(stream, i);
      const size_t c = i % kClasses;
      const size_t component = mixture() ? pick_component(c, rng.uniform()) : 0;
      const float* mean = means_.data() + (c * size_t(components_) + component) * kPixels;
      float* image = images.data() + i * kPixels;
      for (int p = 0; p < kPixels; ++p) image[p] = rng.uniform() < mean[p] ? 1.0f : 0.0f;
    }
    if (count > 0)
      timing_.seconds_per_sample =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / double(count);
    return images;
  }

  // Per sample: 784 uniforms drawn, each compared with its pixel's mean (a mixture draws one more
  // uniform and compares it with its class's cumulative weights); the tables of means and weights
  // are the model's weights, read once per batch.
  NetCost sample_cost() const override {
    NetCost cost;
    cost.layers.push_back(random_cost("bernoulli.uniform", kPixels + (mixture() ? 1 : 0)));
    if (mixture())
      cost.layers.push_back({"mixture.component", "compare", double(components_), double(kClasses * components_),
                             double(kClasses * components_) * 4, 4.0 + 4.0});
    const double means = double(kClasses * components_) * kPixels;
    cost.layers.push_back({"bernoulli.compare", "compare", double(kPixels), means, means * 4, 2.0 * kPixels * 4});
    return cost;
  }

  double params() const override { return double(kClasses * components_) * (kPixels + (mixture() ? 1 : 0)); }
  int epochs_done() const override { return means_.empty() ? 0 : mixture() ? config_.epochs : 1; }
  GeneratorTiming timing() const override { return timing_; }

  void read(const std::string& dir) {
    means_ = read_floats(means_path(dir), {size_t(kClasses * components_), 28, 28}, "means");
    if (mixture()) weights_ = read_floats(weights_path(dir), {size_t(kClasses), size_t(components_)}, "weights");
  }

 private:
  bool mixture() const { return config_.family == "mixture"; }

  size_t pick_component(size_t c, float u) const {
    double cumulative = 0;
    for (int m = 0; m + 1 < components_; ++m)
      if (u < (cumulative += weights_[c * size_t(components_) + size_t(m)])) return size_t(m);
    return size_t(components_ - 1);
  }

  void fit(const Progress& progress) {
    const ml::ImageSet set = ml::load_fashion_mnist(ml::Split::Train, "", config_.train_images);
    const std::vector<float> binary = binarised_images(set, config_.train_images);
    const size_t n = binary.size() / kPixels;
    means_.assign(size_t(kClasses * components_) * kPixels, 0.0f);
    weights_.assign(size_t(kClasses * components_), 0.0f);
    for (int c = 0; c < kClasses; ++c) {
      std::vector<float> members;
      for (size_t i = 0; i < n; ++i)
        if (set.labels[i] == c) members.insert(members.end(), binary.begin() + long(i * kPixels), binary.begin() + long((i + 1) * kPixels));
      const size_t count = members.size() / kPixels;
      if (count < size_t(components_))
        throw Error(fmt::format("{}: train_images: class {} has {} images among the first {}, fewer than the {} "
                                "components",
                                config_.name, c, count, n, components_));
      if (progress) progress(fmt::format("{}: class {}", config_.name, c), c, kClasses);
      const BernoulliMixture fitted =
          mixture() ? fit_bernoulli_mixture(members, count, kPixels, components_, config_.epochs,
                                            derive(config_.seed, Purpose::MixtureInit, {uint64_t(c)}))
                    : class_mean(members, count);
      std::copy(fitted.means.begin(), fitted.means.end(), means_.begin() + long(size_t(c * components_) * kPixels));
      std::copy(fitted.weights.begin(), fitted.weights.end(), weights_.begin() + long(c * components_));
    }
  }

  // The Bernoulli-means model's one component: the mean of the class's binarised images.
  static BernoulliMixture class_mean(const std::vector<float>& images, size_t count) {
    BernoulliMixture m{1, kPixels, {1.0}, std::vector<double>(kPixels, 0.0), {}};
    for (size_t i = 0; i < count; ++i)
      for (int p = 0; p < kPixels; ++p) m.means[size_t(p)] += images[i * kPixels + size_t(p)];
    for (double& v : m.means) v /= double(count);
    return m;
  }

  GeneratorConfig config_;
  int components_;
  std::vector<float> means_;    // [class][component][pixel]
  std::vector<float> weights_;  // [class][component]; empty for the means model
  GeneratorTiming timing_;
};

// Log-likelihood of every image under every component plus its log weight, [count x components].
Eigen::MatrixXd joint_log_likelihood(const Eigen::MatrixXd& x, const Eigen::MatrixXd& means,
                                     const Eigen::VectorXd& weights) {
  const Eigen::MatrixXd log_on = means.array().log(), log_off = (1.0 - means.array()).log();
  Eigen::MatrixXd joint = x * (log_on - log_off).transpose();
  joint.rowwise() += (log_off.rowwise().sum() + weights.array().log().matrix()).transpose();
  return joint;
}

double log_prior(const Eigen::MatrixXd& means) {
  return kPseudoCount * (means.array().log() + (1.0 - means.array()).log()).sum();
}

}  // namespace

BernoulliMixture fit_bernoulli_mixture(const std::vector<float>& images, size_t count, int pixels, int components,
                                       int iterations, uint64_t seed) {
  if (components < 1 || pixels < 1 || count < size_t(components) || images.size() != count * size_t(pixels) ||
      iterations < 0)
    throw Error(fmt::format("Bernoulli mixture: {} components of {} pixels need at least as many images, got {} "
                            "values for {}",
                            components, pixels, images.size(), count));
  const Eigen::MatrixXd x =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(images.data(),
                                                                                              Eigen::Index(count), pixels)
          .cast<double>();
  // Initial components: distinct images (a seeded Fisher-Yates prefix), moved a quarter of the way to 1/2.
  std::vector<size_t> order(count);
  for (size_t i = 0; i < count; ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < size_t(components); ++i)
    std::swap(order[i], order[i + size_t((static_cast<unsigned __int128>(rng()) * (count - i)) >> 64)]);
  Eigen::MatrixXd means(components, pixels);
  for (int m = 0; m < components; ++m) means.row(m) = 0.75 * x.row(Eigen::Index(order[size_t(m)])).array() + 0.125;
  Eigen::VectorXd weights = Eigen::VectorXd::Constant(components, 1.0 / components);
  BernoulliMixture out{components, pixels, {}, {}, {}};
  for (int t = 0;; ++t) {
    const Eigen::MatrixXd joint = joint_log_likelihood(x, means, weights);
    const Eigen::VectorXd top = joint.rowwise().maxCoeff();
    const Eigen::MatrixXd shifted = (joint.colwise() - top).array().exp();
    const Eigen::VectorXd total = shifted.rowwise().sum();
    out.objective.push_back(((total.array().log() + top.array()).sum() + log_prior(means)) / double(count));
    if (t == iterations) break;
    const Eigen::MatrixXd responsibility = shifted.array().colwise() / total.array();  // E step
    const Eigen::VectorXd mass = responsibility.colwise().sum().transpose();           // M step
    weights = mass / double(count);
    means = ((responsibility.transpose() * x).array() + kPseudoCount).colwise() / (mass.array() + 2 * kPseudoCount);
  }
  out.weights.assign(weights.data(), weights.data() + components);
  out.means.resize(size_t(components) * size_t(pixels));
  for (int m = 0; m < components; ++m)
    for (int p = 0; p < pixels; ++p) out.means[size_t(m) * size_t(pixels) + size_t(p)] = means(m, p);
  return out;
}

std::unique_ptr<Generator> make_bernoulli(const GeneratorConfig& config) {
  return std::make_unique<BernoulliModel>(config);
}

std::unique_ptr<Generator> load_bernoulli(const GeneratorConfig& config, const std::string& dir) {
  auto model = std::make_unique<BernoulliModel>(config);
  model->read(dir);
  return model;
}

}  // namespace tsu::baselines::detail
