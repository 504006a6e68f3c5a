#include "baselines/bernoulli.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>

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

class BernoulliMeans final : public Generator {
 public:
  explicit BernoulliMeans(GeneratorConfig config) : config_(std::move(config)) {}

  const GeneratorConfig& config() const override { return config_; }

  void train(const std::string& dir, const Progress&) override {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw Error(fmt::format("{}: cannot create the output folder: {}", dir, ec.message()));
    const std::string config_path = (fs::path(dir) / "config.json").string();
    if (fs::exists(means_path(dir))) {
      GeneratorConfig stored = load_generator_config(config_path);
      stored.threads = config_.threads;  // does not change the model
      if (to_json(stored) != to_json(config_))
        throw Error(fmt::format("{}: was written by a run with another configuration; use another output folder",
                                config_path));
      read_means(dir);
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    fit();
    timing_.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    write_file_atomic(config_path, to_json(config_).dump(2) + "\n");
    NpyArray a{"<f4", {size_t(kClasses), 28, 28}, std::vector<char>(means_.size() * sizeof(float))};
    std::memcpy(a.bytes.data(), means_.data(), a.bytes.size());
    write_npy(means_path(dir), a);  // last: the folder holds a model once this exists
  }

  std::vector<float> sample(size_t count, uint64_t seed) override {
    const auto start = std::chrono::steady_clock::now();
    std::vector<float> images(count * kPixels);
    const uint64_t stream = derive(seed, Purpose::BernoulliSample);
    for (size_t i = 0; i < count; ++i) {
      Xoshiro128p rng = chain_stream(stream, i);
      const float* mean = means_.data() + (i % kClasses) * kPixels;
      float* image = images.data() + i * kPixels;
      for (int p = 0; p < kPixels; ++p) image[p] = rng.uniform() < mean[p] ? 1.0f : 0.0f;
    }
    if (count > 0)
      timing_.seconds_per_sample =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / double(count);
    return images;
  }

  // Per sample: 784 uniforms drawn, each compared with its pixel's mean; the table of 10 x 784
  // means is the model's weights, read once per batch.
  NetCost sample_cost() const override {
    NetCost cost;
    cost.layers.push_back(random_cost("bernoulli.uniform", kPixels));
    cost.layers.push_back({"bernoulli.compare", "compare", double(kPixels), params(), params() * 4, 2.0 * kPixels * 4});
    return cost;
  }

  double params() const override { return double(kClasses) * kPixels; }
  int epochs_done() const override { return means_.empty() ? 0 : 1; }
  GeneratorTiming timing() const override { return timing_; }

  void read_means(const std::string& dir) {
    const std::string path = means_path(dir);
    const NpyArray a = read_npy(path);
    if (a.dtype != "<f4" || a.shape != std::vector<size_t>{size_t(kClasses), 28, 28})
      throw Error(fmt::format("{}: expected float32 means of shape (10, 28, 28)", path));
    means_.resize(a.elements());
    std::memcpy(means_.data(), a.bytes.data(), a.bytes.size());
    for (const float m : means_)
      if (!(m >= 0 && m <= 1)) throw Error(fmt::format("{}: a mean outside [0, 1]: {}", path, m));
  }

 private:
  // The per-class mean of the binarised training images (the baselines' binarisation).
  void fit() {
    const ml::ImageSet set = ml::load_fashion_mnist(ml::Split::Train, "", config_.train_images);
    const std::vector<float> binary = binarised_images(set, config_.train_images);
    std::vector<double> sums(size_t(kClasses) * kPixels, 0.0);
    std::vector<size_t> counts(kClasses, 0);
    for (size_t i = 0; i < binary.size() / kPixels; ++i) {
      const int c = set.labels[i];
      ++counts[size_t(c)];
      for (int p = 0; p < kPixels; ++p) sums[size_t(c) * kPixels + size_t(p)] += binary[i * kPixels + size_t(p)];
    }
    means_.resize(sums.size());
    for (int c = 0; c < kClasses; ++c) {
      if (counts[size_t(c)] == 0)
        throw Error(fmt::format("{}: train_images: class {} has no image among the first {}", config_.name, c,
                                binary.size() / kPixels));
      for (int p = 0; p < kPixels; ++p)
        means_[size_t(c) * kPixels + size_t(p)] = float(sums[size_t(c) * kPixels + size_t(p)] / double(counts[size_t(c)]));
    }
  }

  GeneratorConfig config_;
  std::vector<float> means_;  // [class][pixel]
  GeneratorTiming timing_;
};

}  // namespace

std::unique_ptr<Generator> make_bernoulli(const GeneratorConfig& config) {
  return std::make_unique<BernoulliMeans>(config);
}

std::unique_ptr<Generator> load_bernoulli(const GeneratorConfig& config, const std::string& dir) {
  auto model = std::make_unique<BernoulliMeans>(config);
  model->read_means(dir);
  return model;
}

}  // namespace tsu::baselines::detail
