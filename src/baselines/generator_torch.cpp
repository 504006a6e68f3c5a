#include "baselines/bernoulli.hpp"
#include "baselines/generator_torch.hpp"
#include "util/checksum.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <thread>

#include "util/files.hpp"
#include "ml/dtm.hpp"
#include "ml/run.hpp"

namespace tsu::baselines::detail {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kCheckpointFormat = "tsu-baseline-checkpoint-v1";

int64_t square_kernel(torch::ExpandingArray<2> kernel, const std::string& name) {
  if ((*kernel)[0] != (*kernel)[1]) throw Error(fmt::format("{}: the cost model needs a square kernel", name));
  return (*kernel)[0];
}

void use_threads(int threads) {
  at::set_num_threads(threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency())));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The binarised training images as a [n, 1, 28, 28] tensor of 0/1.
torch::Tensor training_images(const GeneratorConfig& config) {
  const ml::ImageSet set = ml::load_fashion_mnist(ml::Split::Train, "", config.train_images);
  std::vector<float> images = binarised_images(set, config.train_images);
  const auto n = int64_t(images.size() / size_t(set.pixels_per_image()));
  return torch::from_blob(images.data(), {n, 1, set.rows, set.cols}, torch::kFloat).clone();
}

// The transposed convolution as a stride-1 convolution of the zero-interleaved input with the
// flipped kernel: the same function as ConvTranspose2d::forward, but it runs on oneDNN, whereas
// Debian's libtorch computes ConvTranspose2d with the reference BLAS (measured 5x slower,
// forward + backward, 64 -> 32 channels, on this project's 2-core machine). The zero taps are the
// implementation's waste, not the layer's: the cost counted is the transposed convolution's.
torch::Tensor transposed_by_convolution(torch::nn::ConvTranspose2d& layer, const torch::Tensor& x,
                                        const std::string& name) {
  const auto& o = layer->options;
  const auto* paddings = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
  const int64_t stride = (*o.stride())[0], kernel = square_kernel(o.kernel_size(), name);
  const int64_t padding = paddings ? (**paddings)[0] : -1;
  if (!paddings || o.groups() != 1 || (*o.dilation())[0] != 1 || (*o.dilation())[1] != 1 ||
      (*o.output_padding())[0] != 0 || (*o.output_padding())[1] != 0 || (*o.stride())[1] != stride ||
      (**paddings)[1] != padding || padding > kernel - 1)
    throw Error(fmt::format("{}: only ungrouped, undilated transposed convolutions with equal strides and paddings "
                            "are supported",
                            name));
  using torch::indexing::None;
  using torch::indexing::Slice;
  torch::Tensor spread =
      torch::zeros({x.size(0), x.size(1), (x.size(2) - 1) * stride + 1, (x.size(3) - 1) * stride + 1}, x.options());
  spread.index_put_({Slice(), Slice(), Slice(None, None, stride), Slice(None, None, stride)}, x);
  return torch::conv2d(spread, layer->weight.flip({2, 3}).transpose(0, 1), layer->bias, 1, kernel - 1 - padding);
}

}  // namespace

torch::Tensor linear(torch::nn::Linear& layer, const torch::Tensor& x, const Trace& trace, const std::string& name) {
  torch::Tensor y = layer->forward(x);
  const auto& o = layer->options;
  trace.record(linear_cost(trace.name(name), o.in_features(), o.out_features(), o.bias(), x.numel() / o.in_features()));
  return y;
}

torch::Tensor conv(torch::nn::Conv2d& layer, const torch::Tensor& x, const Trace& trace, const std::string& name) {
  torch::Tensor y = layer->forward(x);
  const auto& o = layer->options;
  trace.record(conv2d_cost(trace.name(name), o.in_channels(), o.out_channels(), square_kernel(o.kernel_size(), name),
                           x.size(2), x.size(3), y.size(2), y.size(3), o.bias(), o.groups(), x.size(0)));
  return y;
}

// Below this many output channels oneDNN's convolution is the slower one (measured 4x at 32 -> 1).
constexpr int64_t kMinChannelsForConvolution = 8;

torch::Tensor conv_transpose(torch::nn::ConvTranspose2d& layer, const torch::Tensor& x, const Trace& trace,
                             const std::string& name) {
  if (layer->options.groups() != 1)
    throw Error(fmt::format("{}: the cost model has no grouped transposed convolution", name));
  torch::Tensor y = layer->options.out_channels() >= kMinChannelsForConvolution
                        ? transposed_by_convolution(layer, x, name)
                        : layer->forward(x);
  const auto& o = layer->options;
  trace.record(conv_transpose2d_cost(trace.name(name), o.in_channels(), o.out_channels(),
                                     square_kernel(o.kernel_size(), name), x.size(2), x.size(3), y.size(2), y.size(3),
                                     o.bias(), x.size(0)));
  return y;
}

torch::Tensor batchnorm(torch::nn::BatchNorm2d& layer, const torch::Tensor& x, const Trace& trace,
                        const std::string& name) {
  trace.record(batchnorm_cost(trace.name(name), x.size(1), x.size(2) * x.size(3), x.size(0)));
  return layer->forward(x);
}

torch::Tensor groupnorm(torch::nn::GroupNorm& layer, const torch::Tensor& x, const Trace& trace,
                        const std::string& name) {
  trace.record(groupnorm_cost(trace.name(name), x.size(1), layer->options.num_groups(), x.size(2) * x.size(3),
                              x.size(0)));
  return layer->forward(x);
}

torch::Tensor relu(const torch::Tensor& x, const Trace& trace, const std::string& name) {
  trace.record(elementwise_cost(trace.name(name), "relu", x.numel(), 1));
  return torch::relu(x);
}

torch::Tensor leaky_relu(const torch::Tensor& x, double slope, const Trace& trace, const std::string& name) {
  trace.record(elementwise_cost(trace.name(name), "leaky_relu", x.numel(), 2));
  return torch::leaky_relu(x, slope);
}

torch::Tensor silu(const torch::Tensor& x, const Trace& trace, const std::string& name) {
  trace.record(elementwise_cost(trace.name(name), "silu", x.numel(), 4));
  return torch::silu(x);
}

torch::Tensor tanh(const torch::Tensor& x, const Trace& trace, const std::string& name) {
  trace.record(elementwise_cost(trace.name(name), "tanh", x.numel(), 1));
  return torch::tanh(x);
}

torch::Tensor add(const torch::Tensor& a, const torch::Tensor& b, const Trace& trace, const std::string& name) {
  torch::Tensor y = a + b;
  if (!y.sizes().equals(a.sizes())) throw Error(fmt::format("{}: only the second operand may be broadcast", name));
  trace.record(binary_cost(trace.name(name), "add", y.numel(), b.numel()));
  return y;
}

torch::Tensor concat_channels(const torch::Tensor& a, const torch::Tensor& b, const Trace& trace,
                              const std::string& name) {
  trace.record(copy_cost(trace.name(name), "concat", a.numel() + b.numel()));
  return torch::cat({a, b}, 1);
}

torch::Tensor upsample_nearest2(const torch::Tensor& x, const Trace& trace, const std::string& name) {
  trace.record(upsample_nearest_cost(trace.name(name), x.size(1), x.size(2), x.size(3), 2, x.size(0)));
  return torch::nn::functional::interpolate(
      x, torch::nn::functional::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest));
}

torch::Tensor randn(torch::IntArrayRef shape, torch::Generator& gen, const Trace& trace, const std::string& name) {
  torch::Tensor z = torch::randn(shape, gen);
  trace.record(random_cost(trace.name(name), z.numel()));
  return z;
}

torch::Tensor threshold_at_zero(const torch::Tensor& x, const Trace& trace, const std::string& name) {
  trace.record(elementwise_cost(trace.name(name), "threshold", x.numel(), 1));
  return (x > 0).to(torch::kFloat);
}

double numel(const std::vector<torch::Tensor>& parameters) {
  double n = 0;
  for (const auto& p : parameters) n += double(p.numel());
  return n;
}

TorchGenerator::TorchGenerator(GeneratorConfig config) : config_(std::move(config)) {
  torch::manual_seed(config_.seed);
}

void TorchGenerator::train(const std::string& dir, const Progress& progress) {
  prepare_dir(dir);
  const std::string checkpoint = generator_checkpoint_path(dir), log = (fs::path(dir) / "log.jsonl").string();
  const std::string config_path = (fs::path(dir) / "config.json").string();
  remove_abandoned_temporaries({checkpoint, log, config_path});  // of a killed run
  if (fs::exists(checkpoint)) restore(checkpoint, false);
  write_file_atomic(config_path, to_json(config_).dump(2) + "\n");
  ml::trim_epoch_log(log, epochs_done_);
  if (epochs_done_ >= config_.epochs) return;

  use_threads(config_.threads);
  const torch::Tensor data = training_images(config_);
  const auto names = loss_names();
  while (epochs_done_ < config_.epochs) {
    const int epoch = epochs_done_ + 1;
    const auto start = std::chrono::steady_clock::now();
    const std::vector<double> losses = run_epoch(data, epoch, progress);
    const double seconds = seconds_since(start);
    epochs_done_ = epoch;
    timing_.train_seconds += seconds;
    json line{{"epoch", epoch}, {"seconds", seconds}};
    for (size_t i = 0; i < names.size(); ++i) line[names[i]] = losses[i];
    append_line_atomic(log, line.dump());
    save(checkpoint);
  }
}

std::vector<double> TorchGenerator::run_epoch(const torch::Tensor& data, int epoch, const Progress& progress) {
  set_training(true);
  torch::Generator gen = at::detail::createCPUGenerator(
      derive(config_.seed, Purpose::TrainingEpoch, {uint64_t(epoch)}));
  const int64_t batch = config_.batch, batches = data.size(0) / batch;  // the last partial batch is dropped
  const torch::Tensor order = torch::randperm(data.size(0), gen, torch::kLong);
  std::vector<double> sums(loss_names().size(), 0.0);
  for (int64_t b = 0; b < batches; ++b) {
    const std::vector<double> losses = train_batch(data.index_select(0, order.slice(0, b * batch, (b + 1) * batch)), gen);
    for (size_t i = 0; i < sums.size(); ++i) sums[i] += losses[i];
    if (progress) progress(fmt::format("{} epoch {}/{}", config_.name, epoch, config_.epochs), double(b + 1),
                           double(batches));
  }
  for (double& s : sums) s /= double(std::max<int64_t>(batches, 1));
  return sums;
}

std::vector<float> TorchGenerator::sample(size_t count, uint64_t seed) {
  use_threads(config_.threads);
  set_training(false);
  torch::NoGradGuard no_grad;
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  const auto start = std::chrono::steady_clock::now();
  std::vector<float> out;
  out.reserve(count * 784);
  for (size_t done = 0; done < count; done += size_t(kSampleChunk)) {
    const torch::Tensor images =
        generate(int64_t(std::min(count - done, size_t(kSampleChunk))), gen, Trace{}).contiguous();
    out.insert(out.end(), images.data_ptr<float>(), images.data_ptr<float>() + images.numel());
  }
  timing_.seconds_per_sample = count > 0 ? seconds_since(start) / double(count) : 0;
  return out;
}

NetCost TorchGenerator::sample_cost() const {
  set_training(false);
  torch::NoGradGuard no_grad;
  torch::Generator gen = at::detail::createCPUGenerator(0);
  NetCost cost;
  generate(1, gen, Trace(&cost));
  return cost;
}

double TorchGenerator::params() const { return numel(modules().front().second->parameters()); }

void TorchGenerator::set_training(bool on) const {
  for (const auto& [key, module] : modules()) module->train(on);
}

void TorchGenerator::save(const std::string& path) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kCheckpointFormat)));
  archive.write("config", c10::IValue(to_json(config_).dump()));
  archive.write("epochs_done", c10::IValue(int64_t(epochs_done_)));
  archive.write("train_seconds", c10::IValue(timing_.train_seconds));
  for (const auto& [key, module] : modules()) {
    torch::serialize::OutputArchive part;
    module->save(part);
    archive.write("module." + key, part);
  }
  for (const auto& [key, optimizer] : optimizers()) {
    torch::serialize::OutputArchive part;
    optimizer->save(part);
    archive.write("optimizer." + key, part);
  }
  std::ostringstream payload;
  archive.save_to(payload);
  const std::string bytes = std::move(payload).str();
  // First line: format, payload size and checksum, checked before torch parses anything.
  write_file_atomic(path, checksummed_file(kCheckpointFormat, bytes));
}

void TorchGenerator::restore(const std::string& path, bool require_finished) {
  if (!fs::exists(path)) throw Error(fmt::format("{}: missing: the folder holds no trained model", path));
  const std::string file = read_file(path);
  const std::string_view bytes = checked_payload(file, kCheckpointFormat, path);
  torch::serialize::InputArchive archive;
  try {
    std::istringstream in{std::string(bytes)};
    archive.load_from(in);
  } catch (const std::exception&) {
    throw Error(fmt::format("{}: corrupt: not a readable checkpoint", path));
  }
  const auto value = [&](const std::string& key) {
    c10::IValue v;
    if (!archive.try_read(key, v)) throw Error(fmt::format("{}: incomplete: no \"{}\"", path, key));
    return v;
  };
  const auto format = value("format");
  if (!format.isString() || format.toStringRef() != kCheckpointFormat)
    throw Error(fmt::format("{}: not a {} file", path, kCheckpointFormat));
  const auto stored_text = value("config");
  json stored = json::parse(stored_text.isString() ? stored_text.toStringRef() : "", nullptr, false);
  if (!stored.is_object()) throw Error(fmt::format("{}: corrupt: its config is not a JSON object", path));
  const json current = to_json(config_);
  // Fields that do not change the trained weights: more epochs, threads, and the sampler's step count.
  for (const char* free_field : {"epochs", "threads", "sampling_steps"})
    if (current.contains(free_field)) stored[free_field] = current[free_field];
  const json diff = json::diff(stored, current);
  if (!diff.empty())
    throw Error(fmt::format("{}: was written by a run with another configuration (first difference at {}); use "
                            "another output folder",
                            path, diff[0].value("path", std::string("?"))));
  const auto epochs = value("epochs_done"), seconds = value("train_seconds");
  if (!epochs.isInt() || !seconds.isDouble())
    throw Error(fmt::format("{}: corrupt: epochs_done or train_seconds has the wrong type", path));
  const auto load_part = [&](const std::string& key, const auto& load) {
    torch::serialize::InputArchive part;
    if (!archive.try_read(key, part)) throw Error(fmt::format("{}: incomplete: no \"{}\"", path, key));
    try {
      load(part);
    } catch (const c10::Error&) {
      throw Error(fmt::format("{}: incomplete: \"{}\" does not hold this model's state", path, key));
    }
  };
  for (const auto& [key, module] : modules())
    load_part("module." + key, [&](torch::serialize::InputArchive& part) { module->load(part); });
  for (const auto& [key, optimizer] : optimizers())
    load_part("optimizer." + key, [&](torch::serialize::InputArchive& part) { optimizer->load(part); });
  if (require_finished && epochs.toInt() < config_.epochs)
    throw Error(fmt::format("{}: holds {} of the {} epochs of its config: the training is unfinished (train on the "
                            "folder again to resume it)",
                            path, epochs.toInt(), config_.epochs));
  epochs_done_ = int(epochs.toInt());
  timing_.train_seconds = seconds.toDouble();
}

}  // namespace tsu::baselines::detail

namespace tsu::baselines {

namespace {

std::unique_ptr<detail::TorchGenerator> make_torch_generator(const GeneratorConfig& config) {
  if (config.family == "vae") return detail::make_vae(config);
  if (config.family == "gan") return detail::make_gan(config);
  if (config.family == "diffusion") return detail::make_diffusion(config);
  throw Error(fmt::format("{}: family: must be vae, gan or diffusion, got \"{}\"", config.name, config.family));
}

}  // namespace

std::unique_ptr<Generator> make_generator(const GeneratorConfig& config) {
  if (config.family == "bernoulli" || config.family == "mixture") return detail::make_bernoulli(config);
  return make_torch_generator(config);
}

std::unique_ptr<Generator> load_generator(const std::string& dir) {
  const std::string config_path = (std::filesystem::path(dir) / "config.json").string();
  if (!std::filesystem::exists(config_path))
    throw Error(fmt::format("{}: missing: {} holds no generator training run", config_path, dir));
  const GeneratorConfig config = load_generator_config(config_path);
  if (config.family == "bernoulli" || config.family == "mixture") return detail::load_bernoulli(config, dir);
  auto generator = make_torch_generator(config);
  generator->restore(generator_checkpoint_path(dir), true);
  return generator;
}

}  // namespace tsu::baselines
