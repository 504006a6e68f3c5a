// PRIVATE to the generator .cpp files of src/baselines (generator*.cpp, vae.cpp, gan.cpp,
// diffusion.cpp): it includes libtorch (about 25 s per translation unit), so no public header and
// nothing outside src/baselines may include it. It holds what the three families share: the
// traced layers (each applies a libtorch module and records its exact cost from the shapes it
// sees, so that the cost cannot drift from the model) and the training run in a folder.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "baselines/generator.hpp"

namespace tsu::baselines::detail {

// Where a forward pass records the layers it applies; default-constructed: not traced.
class Trace {
 public:
  Trace() = default;
  explicit Trace(NetCost* cost, std::string prefix = "") : cost_(cost), prefix_(std::move(prefix)) {}
  Trace operator/(const std::string& scope) const { return Trace(cost_, name(scope)); }
  bool on() const { return cost_ != nullptr; }
  std::string name(const std::string& layer) const { return prefix_.empty() ? layer : prefix_ + "." + layer; }
  void record(LayerCost layer) const {
    if (cost_) cost_->layers.push_back(std::move(layer));
  }
  void add(const NetCost& cost, double times) const {
    if (cost_) cost_->add(cost, times);
  }

 private:
  NetCost* cost_ = nullptr;
  std::string prefix_;
};

// Traced layers: `name` is the layer's name below the trace's prefix.
torch::Tensor linear(torch::nn::Linear& layer, const torch::Tensor& x, const Trace& trace, const std::string& name);
torch::Tensor conv(torch::nn::Conv2d& layer, const torch::Tensor& x, const Trace& trace, const std::string& name);
torch::Tensor conv_transpose(torch::nn::ConvTranspose2d& layer, const torch::Tensor& x, const Trace& trace,
                             const std::string& name);
torch::Tensor batchnorm(torch::nn::BatchNorm2d& layer, const torch::Tensor& x, const Trace& trace,
                        const std::string& name);
torch::Tensor groupnorm(torch::nn::GroupNorm& layer, const torch::Tensor& x, const Trace& trace,
                        const std::string& name);
torch::Tensor relu(const torch::Tensor& x, const Trace& trace, const std::string& name);
torch::Tensor leaky_relu(const torch::Tensor& x, double slope, const Trace& trace, const std::string& name);
torch::Tensor silu(const torch::Tensor& x, const Trace& trace, const std::string& name);
torch::Tensor tanh(const torch::Tensor& x, const Trace& trace, const std::string& name);
// a + b, b broadcast to a's shape.
torch::Tensor add(const torch::Tensor& a, const torch::Tensor& b, const Trace& trace, const std::string& name);
torch::Tensor concat_channels(const torch::Tensor& a, const torch::Tensor& b, const Trace& trace,
                              const std::string& name);
torch::Tensor upsample_nearest2(const torch::Tensor& x, const Trace& trace, const std::string& name);
// Standard normal numbers of `shape` from `gen`.
torch::Tensor randn(torch::IntArrayRef shape, torch::Generator& gen, const Trace& trace, const std::string& name);
// 1 where x > 0, else 0 (binary images from logits or from [-1, 1] intensities).
torch::Tensor threshold_at_zero(const torch::Tensor& x, const Trace& trace, const std::string& name);

double numel(const std::vector<torch::Tensor>& parameters);

// Images per batch in generation: bounds the activation memory of the widest model.
constexpr int64_t kSampleChunk = 256;

// The state and run folder shared by the three families. Training epoch e (1-based) draws all its
// randomness (shuffle, noise) from a generator seeded by (config seed, e), so a resumed run equals
// an uninterrupted one; the checkpoint (after every epoch) holds the modules, the optimisers, the
// epochs done and the training time.
class TorchGenerator : public Generator {
 public:
  // Seeds libtorch's global generator from the config, so that the family's modules (built after
  // this base) start from the same parameters on every run.
  explicit TorchGenerator(GeneratorConfig config);
  const GeneratorConfig& config() const override { return config_; }
  void train(const std::string& dir, const Progress& progress) override;
  std::vector<float> sample(size_t count, uint64_t seed) override;
  NetCost sample_cost() const override;
  double params() const override;
  int epochs_done() const override { return epochs_done_; }
  GeneratorTiming timing() const override { return timing_; }

  // Loads the checkpoint at `path`, which must come from this config (epochs and threads may
  // differ); `require_finished`: it must hold all config().epochs. Errors name the path.
  void restore(const std::string& path, bool require_finished);

 protected:
  using Named = std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>>;
  // The family's modules (the first is the sampling network) and optimisers, by checkpoint key.
  virtual Named modules() const = 0;
  virtual std::vector<std::pair<std::string, torch::optim::Optimizer*>> optimizers() = 0;
  // Names of the numbers train_batch returns; the first is logged as "loss".
  virtual std::vector<std::string> loss_names() const = 0;
  // One optimisation step on `images` [B, 1, 28, 28] of 0/1.
  virtual std::vector<double> train_batch(const torch::Tensor& images, torch::Generator& gen) = 0;
  // `count` binary images [count, 1, 28, 28], in eval mode and without gradients.
  virtual torch::Tensor generate(int64_t count, torch::Generator& gen, const Trace& trace) const = 0;

 private:
  void save(const std::string& path);
  void set_training(bool on) const;
  std::vector<double> run_epoch(const torch::Tensor& data, int epoch, const Progress& progress);

  GeneratorConfig config_;
  int epochs_done_ = 0;
  GeneratorTiming timing_;
};

std::unique_ptr<TorchGenerator> make_vae(const GeneratorConfig& config);
std::unique_ptr<TorchGenerator> make_gan(const GeneratorConfig& config);
std::unique_ptr<TorchGenerator> make_diffusion(const GeneratorConfig& config);

}  // namespace tsu::baselines::detail
