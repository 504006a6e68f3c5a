// The metric's Fashion-MNIST classifier: a small CNN (libtorch, CPU) trained by tsu with a fixed seed
// on the binarised training split, cached on disk behind a checksum.
//   conv3x3(1 -> c) ReLU maxpool2, conv3x3(c -> 2c) ReLU maxpool2, linear(2c*7*7 -> features) ReLU
//   (the feature layer), linear(features -> 10).
// Cache file: "tsu-classifier <format> <payload bytes> <FNV-1a 64 of the payload, hex>\n", then the
// payload: one line of JSON (config, test accuracy) and the torch::save bytes of the weights.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>

#include "baselines/metric.hpp"
#include "util/checksum.hpp"
#include "util/files.hpp"
#include "graph/model.hpp"

namespace tsu::baselines {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Bumped whenever the network or the file layout changes, so that older cache files are not reused.
constexpr int kCacheFormat = 1;
constexpr const char* kMagic = "tsu-classifier";
constexpr int kSide = 28;
constexpr int64_t kChunk = 512;  // images per forward pass at inference

// The fields that name the cache file. `threads` is left out on purpose: libtorch splits its CPU
// reductions by thread, so another thread count trains slightly different weights, but one cached
// classifier should serve every run on the machine, whatever its --threads.
json identity(const ClassifierConfig& c) {
  json j = to_json(c);
  j.erase("threads");
  return j;
}

void use_threads(int threads) {
  at::set_num_threads(threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency())));
}

struct NetImpl : torch::nn::Module {
  NetImpl(int channels, int features)
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, channels, 3).padding(1)))),
        conv2(register_module("conv2",
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 2 * channels, 3).padding(1)))),
        fc1(register_module("fc1", torch::nn::Linear(2 * channels * 7 * 7, features))),
        fc2(register_module("fc2", torch::nn::Linear(features, ml::kFashionMnistClasses))) {}

  torch::Tensor features(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(conv1(x)), 2);
    x = torch::max_pool2d(torch::relu(conv2(x)), 2);
    return torch::relu(fc1(x.flatten(1)));
  }
  torch::Tensor forward(torch::Tensor x) { return fc2(features(x)); }

  torch::nn::Conv2d conv1, conv2;
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(Net);

// [count, 1, 28, 28] from `count` images of side x side (side divides 28: pixel replication).
torch::Tensor as_input(std::span<const float> images, size_t first, size_t count, int side) {
  const int factor = kSide / side;
  const size_t pixels = size_t(side) * size_t(side);
  torch::Tensor x = torch::empty({int64_t(count), 1, kSide, kSide});
  float* out = x.data_ptr<float>();
  for (size_t i = 0; i < count; ++i) {
    const float* image = images.data() + (first + i) * pixels;
    for (int r = 0; r < kSide; ++r)
      for (int c = 0; c < kSide; ++c) *out++ = image[(r / factor) * side + c / factor];
  }
  return x;
}

void check_images(std::span<const float> images, size_t count, int side) {
  if (side < 2 || kSide % side)
    throw Error(fmt::format("classifier: image side {}: must be 28 or a divisor of 28 (14, 7, 4, 2)", side));
  if (count == 0 || images.size() != count * size_t(side) * size_t(side))
    throw Error(fmt::format("classifier: {} values are not {} images of {} x {}", images.size(), count, side, side));
}

std::string weight_bytes(const Net& net) {
  std::ostringstream out;
  torch::save(net, out);
  return std::move(out).str();
}

Error corrupt(const std::string& path, const std::string& what) {
  return Error(fmt::format("{}: {}: the cache file is corrupt; delete it to retrain", path, what));
}

// The payload of a cache file after its first line "tsu-classifier FORMAT SIZE CHECKSUM" is checked.
std::string checked_cache_payload(const std::string& path, const std::string& bytes) {
  const std::string tag = fmt::format("{} {}", kMagic, kCacheFormat);
  if (bytes.starts_with(std::string(kMagic) + " ") && !bytes.starts_with(tag + " "))
    throw Error(fmt::format("{}: another cache format (this tsu reads {}); delete it to retrain", path, kCacheFormat));
  try {
    return std::string(checked_payload(bytes, tag, path));
  } catch (const Error& e) {
    throw Error(fmt::format("{}; delete it to retrain", e.what()));
  }
}

}  // namespace

struct Classifier::Impl {
  ClassifierConfig config;
  std::string path;
  double test_accuracy = 0;
  Net net;

  Impl(ClassifierConfig c, std::string p)
      : config(std::move(c)), path(std::move(p)), net(config.channels, config.features) {}

  // Runs `head` (features or logits) over the images in chunks, without gradients.
  template <class Head>
  torch::Tensor run(std::span<const float> images, size_t count, int side, Head head) {
    check_images(images, count, side);
    torch::NoGradGuard no_grad;
    net->eval();
    std::vector<torch::Tensor> parts;
    for (size_t first = 0; first < count; first += kChunk)
      parts.push_back(head(as_input(images, first, std::min<size_t>(kChunk, count - first), side)));
    return torch::cat(parts).contiguous();
  }

  std::vector<float> features(std::span<const float> images, size_t count, int side) {
    const torch::Tensor f = run(images, count, side, [&](const torch::Tensor& x) { return net->features(x); });
    return {f.data_ptr<float>(), f.data_ptr<float>() + f.numel()};
  }

  std::vector<int> predict(std::span<const float> images, size_t count, int side) {
    const torch::Tensor p = run(images, count, side, [&](const torch::Tensor& x) { return net->forward(x).argmax(1); });
    const auto labels = p.to(torch::kInt32);
    return {labels.data_ptr<int>(), labels.data_ptr<int>() + labels.numel()};
  }

  double accuracy_on(const ml::ImageSet& set) {
    const std::vector<int> predicted = predict(binarised_images(set), set.size(), kSide);
    size_t right = 0;
    for (size_t i = 0; i < set.size(); ++i) right += predicted[i] == int(set.labels[i]);
    return double(right) / double(set.size());
  }

  void train(const Progress& progress) {
    const ml::ImageSet set = ml::load_fashion_mnist(ml::Split::Train, "", config.train_images);
    if (config.train_images > set.size())
      throw Error(fmt::format("classifier {}: train_images: {} requested, the training split has {}", config.name,
                              config.train_images, set.size()));
    const std::vector<float> images = binarised_images(set);
    const torch::Tensor x = as_input(images, 0, set.size(), kSide);
    const torch::Tensor y = torch::tensor(std::vector<int64_t>(set.labels.begin(), set.labels.end()));
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(config.learning_rate));
    net->train();
    std::mt19937_64 rng(config.seed);
    std::vector<int64_t> order(set.size());
    std::iota(order.begin(), order.end(), 0);
    const size_t batches = (set.size() + size_t(config.batch) - 1) / size_t(config.batch);
    for (int epoch = 0; epoch < config.epochs; ++epoch) {
      // Fisher-Yates with a multiply-shift bound: the same order on every standard library.
      for (size_t i = order.size(); i > 1; --i)
        std::swap(order[i - 1], order[size_t((static_cast<unsigned __int128>(rng()) * i) >> 64)]);
      for (size_t b = 0; b < batches; ++b) {
        const size_t first = b * size_t(config.batch), n = std::min(size_t(config.batch), order.size() - first);
        const auto begin = order.begin() + long(first);
        const torch::Tensor index = torch::tensor(std::vector<int64_t>(begin, begin + long(n)));
        const torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x.index_select(0, index)),
                                                                        y.index_select(0, index));
        adam.zero_grad();
        loss.backward();
        adam.step();
        if (progress)
          progress("classifier " + config.name, double(size_t(epoch) * batches + b + 1),
                   double(size_t(config.epochs) * batches));
      }
    }
    test_accuracy = accuracy_on(ml::load_fashion_mnist(ml::Split::Test));
  }

  void save() const {
    const std::string payload = json{{"config", identity(config)}, {"test_accuracy", test_accuracy}}.dump() + "\n" +
                                weight_bytes(net);
    write_file_atomic(path, checksummed_file(fmt::format("{} {}", kMagic, kCacheFormat), payload));
  }

  // Reads a cache file: Error naming it when it is corrupt.
  static std::unique_ptr<Impl> read(const std::string& path) {
    const std::string payload = checked_cache_payload(path, read_file(path));
    const size_t eol = payload.find('\n');
    json header;
    try {
      header = json::parse(payload.substr(0, eol));
    } catch (const json::exception& e) {
      throw corrupt(path, fmt::format("header: {}", e.what()));
    }
    if (!header.contains("config") || !header.contains("test_accuracy") || eol == std::string::npos)
      throw corrupt(path, "header: missing config or test_accuracy");
    auto impl = std::make_unique<Impl>(parse_classifier_config(header["config"], path + ": config"), path);
    impl->test_accuracy = header["test_accuracy"].get<double>();
    std::istringstream weights(payload.substr(eol + 1));
    try {
      torch::load(impl->net, weights);
    } catch (const c10::Error& e) {
      throw corrupt(path, fmt::format("weights: {}", e.what_without_backtrace()));
    }
    return impl;
  }
};

Classifier::Classifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Classifier::~Classifier() = default;
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;

std::string Classifier::cache_path(const std::string& cache_dir, const ClassifierConfig& config) {
  const uint64_t hash = fnv1a64(fmt::format("{} {} {}", kMagic, kCacheFormat, identity(config).dump()));
  return (fs::path(cache_dir) / fmt::format("{}-{:016x}.pt", config.name, hash)).string();
}

Classifier Classifier::load(const std::string& path) {
  auto impl = Impl::read(path);
  use_threads(impl->config.threads);
  return Classifier(std::move(impl));
}

Classifier Classifier::load_or_train(const std::string& cache_dir, const ClassifierConfig& config,
                                     const Progress& progress) {
  prepare_dir(cache_dir);
  const std::string path = cache_path(cache_dir, config);
  remove_abandoned_temporaries({path});  // of a killed run
  use_threads(config.threads);
  if (fs::exists(path)) {
    auto impl = Impl::read(path);
    if (identity(impl->config) != identity(config))
      throw Error(fmt::format("{}: written for another configuration ({}); delete it to retrain", path,
                              identity(impl->config).dump()));
    impl->config.threads = config.threads;
    return Classifier(std::move(impl));
  }
  torch::manual_seed(config.seed);  // the initial weights
  auto impl = std::make_unique<Impl>(config, path);
  impl->train(progress);
  impl->save();
  return Classifier(std::move(impl));
}

const ClassifierConfig& Classifier::config() const { return impl_->config; }
const std::string& Classifier::path() const { return impl_->path; }
double Classifier::test_accuracy() const { return impl_->test_accuracy; }
int Classifier::feature_dims() const { return impl_->config.features; }

std::vector<float> Classifier::features(std::span<const float> images, size_t count, int side) const {
  return impl_->features(images, count, side);
}

std::vector<int> Classifier::predict(std::span<const float> images, size_t count, int side) const {
  return impl_->predict(images, count, side);
}

ml::Metric Classifier::metric() const {
  std::shared_ptr<Impl> impl = impl_;  // the metric shares the classifier: it cannot dangle
  return [impl](int rows, int cols) -> std::optional<ml::FeatureMap> {
    if (rows != cols || rows < 2 || kSide % rows) return std::nullopt;
    return ml::FeatureMap{"fd_classifier", impl->config.features,
                          [impl, side = rows](std::span<const float> image, std::span<float> out) {
                            const std::vector<float> f = impl->features(image, 1, side);
                            std::copy(f.begin(), f.end(), out.begin());
                          }};
  };
}

}  // namespace tsu::baselines
