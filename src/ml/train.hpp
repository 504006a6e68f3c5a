// Training of a DTM: every step learns to reverse its own interval of the forward process from
// pairs (x^k, x^{k+1}) made by noising the training set afresh every epoch, by contrastive
// gradients (positive phase: data and input clamped; negative phase: input clamped) with Adam, the
// total-correlation penalty and ACP. Steps are independent and train in parallel over threads.
//
// Every random stream derives from (config seed, purpose, epoch, step, batch or row), never from
// thread timing, so results do not depend on the thread count and a run resumed from a checkpoint
// repeats an uninterrupted one bit for bit.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "ml/dtm.hpp"
#include "ml/encoding.hpp"
#include "ml/fashion_mnist.hpp"
#include "ml/moments.hpp"

namespace tsu::ml {

// The encoded data a run needs: the training items and a few test items for the mixing diagnostic.
struct TrainingData {
  Encoding encoding;
  std::vector<uint8_t> train;  // [train_labels.size() * bits]
  std::vector<uint8_t> train_labels;
  std::vector<uint8_t> mixing;  // [mixing_labels.size() * bits]
  std::vector<uint8_t> mixing_labels;

  size_t train_count() const { return train_labels.size(); }
  size_t mixing_count() const { return mixing_labels.size(); }
};

// Pools and encodes the given splits as the config says (train_images = 0 keeps all of `train`).
TrainingData make_training_data(const DtmConfig& config, const ImageSet& train, const ImageSet& test);
// The same from the Fashion-MNIST package (Error with install advice when it is missing).
TrainingData load_training_data(const DtmConfig& config);

// Noises an encoded item in place over time dt at the image and label rates; returns its label
// afterwards (it changes only with categorical label noise).
int noise_item(const DtmConfig& config, std::span<uint8_t> bits, int label, double dt, Xoshiro128p& rng);

// The pair of step k (interval [t_k, t_{k+1}]) for one item: the target x^k noised to
// t_k (1 - offset), and the input noised on from there to t_{k+1} (1 + offset). Labels use the
// label rate (and, if so configured, jump as a whole class).
void make_training_pair(const Dtm& dtm, int k, std::span<const uint8_t> item, int label, Xoshiro128p& rng,
                        std::span<uint8_t> target, std::span<uint8_t> input);

struct StepReport {
  double autocorrelation = std::numeric_limits<double>::quiet_NaN();  // after the epoch; NaN if not measured
  double tc_lambda = 0;                                               // the penalty strength used in this epoch
  double tc_lambda_next = 0;                                          // after the ACP update
  double grad_rms = 0;                                                // of the NLL gradient, averaged over the batches
  double weight_rms = 0;                                              // of the edge weights after the epoch
  double bias_rms = 0;
  double seconds = 0;
  double flips = 0;  // spin updates: training phases plus the mixing chains
};

struct EpochReport {
  int epoch = 0;             // 1-based: the epoch just finished
  double learning_rate = 0;  // at the epoch's first batch
  std::vector<StepReport> steps;
  double seconds = 0;
  double flips = 0;
};

// Called with (flips done, flips expected) for the epoch, serialised across worker threads.
using WorkProgress = std::function<void(double, double)>;

// Batches per epoch (partial batches are dropped) and the flips one epoch performs.
int64_t batches_per_epoch(const DtmConfig& config, size_t train_count);
double epoch_flips(const Dtm& dtm, size_t train_count);

// Trains every step for one epoch and advances dtm.epochs_done().
EpochReport train_epoch(Dtm& dtm, const TrainingData& data, const WorkProgress& progress = {});

// The sampling phases of one batch of step k with the step's current parameters, for the gradient
// tests: `targets` and `inputs` hold one item per chain; targets are clamped in the positive phase.
// With `persistent`, the negative chains start from its states (inputs re-clamped) when it holds
// `chains` of them, from the biases otherwise, and it receives their final states.
struct BatchMoments {
  PhaseMoments positive, negative;
};
BatchMoments sample_batch(const Dtm& dtm, int k, std::span<const uint8_t> targets, std::span<const uint8_t> inputs,
                          int chains, uint64_t seed, bool mean_field, int threads, StateBatch* persistent = nullptr);

}  // namespace tsu::ml
