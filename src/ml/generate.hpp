// Generation by ancestral sampling (Sec. 1.1 of docs/dtm.md): x^T uniform noise; for k = T-1 .. 0,
// clamp x^{k+1} on step k's inputs and run its chains for `sweeps` sweeps with beta annealed
// linearly from beta_start to beta_end (the replication's schedule), starting from the biases'
// own distribution; the final visible state is x^k. In clamped mode the label variables are held
// at each sample's class in every step (conditional generation); in free mode they are sampled.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hw/energy.hpp"
#include "ml/dtm.hpp"
#include "ml/train.hpp"

namespace tsu::ml {

struct GenerateOptions {
  int samples = 100;
  std::vector<int> labels;  // one class per sample clamps the labels; empty = free generation
  uint64_t seed = 0;
  int trajectory = 0;  // keep x^T (or the start) .. x^0 of the first `trajectory` samples
  int threads = 0;     // 0 = the config's
  int sweeps = 0;      // 0 = the config's generation.sweeps
  // The annealing's ends; unset = the config's generation.beta_start / beta_end.
  std::optional<double> beta_start, beta_end;
  // Partial generation: x^{from_step + 1} of every sample ([samples * visible bits]), from which steps
  // from_step .. 0 run; empty = x^T uniform noise and every step.
  std::vector<uint8_t> start;
  int from_step = -1;
};

// The β annealing a generation runs: the options' ends where set, else the config's; Error unless
// both are finite and > 0. Reports record what this returns, so they cannot differ from what ran.
struct AnnealingEnds {
  double start, end;
};
AnnealingEnds annealing_ends(const DtmConfig& config, const std::optional<double>& start,
                             const std::optional<double>& end);

// What sampling cost, in the units of the hardware energy model E = T * K * N * E_cell
// (docs/dtm.md): the hook through which tsu's TSU accounting (src/hw) prices a generation.
struct SamplingCounters {
  int steps = 0;                // T (the steps run)
  int64_t sweeps_per_step = 0;  // K
  int64_t sites = 0;            // grid cells per step
  int64_t copies = 0;           // tied grey-level trial cells beyond the grid (StepGraph::cells() - sites)
  int64_t visible = 0;          // N_data: read out per step
  int64_t samples = 0;          // chains, one per sample
  double flips = 0;             // spin updates done in software
  double seconds = 0;
  int64_t cells() const { return sites + copies; }  // N
};

struct Generated {
  int samples = 0;
  int bits = 0;                                  // visible variables per sample
  std::vector<uint8_t> x;                        // [samples * bits]: x^0
  std::vector<std::vector<uint8_t>> trajectory;  // x^T, x^{T-1}, .., x^0 of the first samples, [trajectory * bits] each
  SamplingCounters counters;
};

Generated generate(const Dtm& dtm, const GenerateOptions& options, const WorkProgress& progress = {});

// Step k's starting states for `chains` chains: free sites from their biases (StepGraph::initial_states
// at `beta`); the inputs x^{k+1} from `x_in` ([chains * visible bits]); label variables held at
// `labels` (one per chain) when given.
StateBatch step_states(const StepGraph& g, std::span<const double> biases, const Encoding& e,
                       const std::vector<uint8_t>& x_in, const std::vector<int>& labels, int chains, uint64_t seed,
                       double beta);

// What one sample of a generation costs on a TSU device by the hw accounting (DTM §3.4): the
// counters' L x L array with `rule`'s degree and wires, K sweeps per step, T steps, N_data read out.
// Error when the counters do not describe an L x L grid.
hw::EnergyReport tsu_sample_energy(const hw::Device& device, const std::string& rule, const SamplingCounters& counters);

// Class-balanced labels: the first samples / classes get class 0, and so on (the replication's
// 512 per class for 5,120 samples).
std::vector<int> balanced_labels(int samples, int classes);

}  // namespace tsu::ml
