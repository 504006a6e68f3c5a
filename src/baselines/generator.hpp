// The neural baselines of the DTM comparison (docs/compare.md): a VAE, a DCGAN-style GAN and a
// DDPM-style diffusion model with a small U-Net, trained with libtorch (CPU) on binarised
// Fashion-MNIST 28 x 28 from a fixed seed, and the trivial Bernoulli-means model (bernoulli.hpp).
// Configs: configs/baselines/{vae,gan,diffusion,bernoulli}-{tiny,demo,full}.json. A training run
// lives in a folder: config.json, checkpoint.pt (atomic, after every epoch; a killed run resumes from
// it), log.jsonl (one line per epoch); the Bernoulli model's folder holds config.json and means.npy.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "baselines/flops.hpp"
#include "baselines/metric.hpp"

namespace tsu::baselines {

struct GeneratorConfig {
  std::string family;  // "vae", "gan", "diffusion", "bernoulli", "mixture"
  std::string name;    // e.g. "vae-demo"
  uint64_t seed = 1;
  int epochs = 5;
  int batch = 128;
  double learning_rate = 1e-3;
  size_t train_images = 0;  // 0 = all 60,000
  int width = 32;           // base channel / hidden width
  int latent = 16;          // vae, gan
  int steps = 100;          // diffusion: training timesteps (the noise schedule's length)
  int sampling_steps = 0;   // diffusion: steps at generation (strided schedule); 0 = steps
  double ema_decay = 0.999; // diffusion: exponential moving average of the weights used to sample
  int components = 1;       // mixture: Bernoulli images per class (its EM iterations are `epochs`)
  int threads = 0;          // 0 = every core
};

// Parses a config file; errors name the file and the field (unknown fields too).
GeneratorConfig load_generator_config(const std::string& path);
std::string generator_config_path(const std::string& family, const std::string& scale);  // shipped config
nlohmann::json to_json(const GeneratorConfig& config);

struct GeneratorTiming {
  double train_seconds = 0;       // all epochs done so far
  double seconds_per_sample = 0;  // measured CPU wall time of generation, this machine
};

class Generator {
 public:
  virtual ~Generator() = default;
  virtual const GeneratorConfig& config() const = 0;
  // Trains (or resumes) in `dir`; returns when config().epochs are done. Progress as in metric.hpp.
  virtual void train(const std::string& dir, const Progress& progress = {}) = 0;
  // `count` images [count * 784], intensities in [0, 1] (binary: the model's Bernoulli samples).
  virtual std::vector<float> sample(size_t count, uint64_t seed) = 0;
  // Exact cost of generating ONE sample: all layers of the sampling path (the VAE's decoder, the
  // GAN's generator, the U-Net x sampling steps), batch 1.
  virtual NetCost sample_cost() const = 0;
  virtual double params() const = 0;  // of the sampling network
  virtual int epochs_done() const = 0;
  // train_seconds from the training (kept in the checkpoint); seconds_per_sample of the last
  // sample() call (0 before the first).
  virtual GeneratorTiming timing() const = 0;
};

// A new (untrained) model of config.family.
std::unique_ptr<Generator> make_generator(const GeneratorConfig& config);
// DIR/checkpoint.pt, the checkpoint of the training run in `dir`.
std::string generator_checkpoint_path(const std::string& dir);
// Loads the trained model in `dir` (config.json + checkpoint.pt); Error naming the file when either
// is missing, corrupt, or not fully trained for its config.
std::unique_ptr<Generator> load_generator(const std::string& dir);

}  // namespace tsu::baselines
