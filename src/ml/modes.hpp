// Mixing between modes at the noisiest step (issue: DTMs that cover the data). Free generation decides
// an image's class early: step T-1 models images under heavy flip noise, a many-mode distribution,
// and a chain that rarely leaves the mode it falls into hands the same class down to x^0 whatever
// the later steps do. The long-lag autocorrelation that drives ACP (mixing.hpp) cannot see this: it
// measures the decay within a mode. This diagnostic runs step T-1's chains long at beta = 1, takes
// snapshots of x^{T-1}, denoises every snapshot twice (independent noise in steps T-2 .. 0) and
// classifies the images. Then
//   agreement(0)   = P(the two denoisings of one snapshot get the same class): the floor set by the
//                    later steps' own randomness;
//   agreement(lag) = P(snapshot j and snapshot j + lag, denoised independently, get the same class);
//   independent    = sum_c p_c(j) p_c(j + lag): the agreement of independent draws;
//   mixed(lag)     = (agreement(0) - agreement(lag)) / (agreement(0) - independent(lag)), 0 for chains
//                    that never change mode, about 1 once they forget it.
// With label variables, the same statistics of the label bits of x^{T-1} itself (majority class of
// the spots, no denoising) come alongside.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "ml/dtm.hpp"
#include "ml/train.hpp"

namespace tsu::ml {

// The class of each of `count` images (intensities in [0, 1], `side` x `side` each).
using Classify = std::function<std::vector<int>(std::span<const float> images, size_t count, int side)>;

struct ModeMixingOptions {
  int chains = 256;
  int snapshots = 16;
  int every = 100;   // sweeps at beta = 1 before the first snapshot and between snapshots
  int sweeps = 0;    // per later step in the denoisings; 0 = the config's generation.sweeps
  uint64_t seed = 0;
  int threads = 0;   // 0 = the config's
};

struct ModeStatistics {
  std::vector<double> first_shares, last_shares;  // class shares at the first and the last snapshot
  std::vector<double> agreement;    // [lag 0 .. snapshots - 1]
  std::vector<double> independent;  // [lag]; independent[0] from the first snapshot's shares
  std::vector<double> mixed;        // [lag]; mixed[0] = 0
};

struct ModeMixing {
  int chains = 0, snapshots = 0, every = 0, denoise_sweeps = 0;
  int classes = 0;
  std::vector<int> classes_a, classes_b;  // [chain * snapshots + j]: the two denoisings' classes
  std::vector<int> labels;                // [chain * snapshots + j]: x^{T-1}'s label bits (-1 none on); empty
                                          // without label variables
  double flips = 0;                       // spin updates, long runs and denoisings together
  ModeStatistics images() const;          // from classes_a / classes_b
  ModeStatistics label_bits() const;      // from labels (Error when empty)
};

ModeMixing mode_mixing(const Dtm& dtm, const ModeMixingOptions& options, const Classify& classify,
                       const WorkProgress& progress = {});

// The statistics of per-chain class sequences a and b ([chains * snapshots], classes 0..classes-1 or -1
// for none, which counts as a class of its own), a and b two independent readings of the same
// snapshots (or the same sequence twice, when readings are exact: agreement(0) = 1).
ModeStatistics mode_statistics(std::span<const int> a, std::span<const int> b, int chains, int snapshots,
                               int classes);

}  // namespace tsu::ml
