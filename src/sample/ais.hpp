// Partition functions of models too large to enumerate: annealed importance sampling (AIS; Neal,
// "Annealed importance sampling", Statistics and Computing 11, 2001) from the uniform distribution
// over the free nodes (beta 0) to the model, along a linear ladder of beta fractions, and the
// thermodynamic integration (TI) that the same ladder gives.
//
// Chain c starts from a uniform state x_0 (an exact draw at beta 0) and for k = 1..K adds
// (b_k - b_{k-1}) beta S(x_{k-1}) to its log weight, S being the factor sum, then takes one
// block-Gibbs sweep at beta b_k. log Z = log Z_0 + log mean_c exp(log w_c), with Z_0 the number of
// free configurations; its standard error is the delta method's sd(w) / (mean(w) sqrt(chains)).
// TI integrates the chains' mean beta S over the ladder by the trapezoid rule: biased by chains
// that lag the ladder, it is a check on AIS rather than a second estimate with its own error.
#pragma once

#include <cstdint>
#include <string>

#include "sample/engine.hpp"

namespace tsu {

struct AisOptions {
  int chains = 1000;
  int64_t steps = 1000;  // K: rungs of the ladder after beta 0, one sweep each
  uint64_t seed = 0;
  int threads = 0;
  std::string backend = "auto";
  void validate() const;  // Error naming the field
};

struct AisResult {
  double log_z = 0;
  double standard_error = 0;
  double effective_chains = 0;  // (sum w)^2 / sum w^2: how many chains the estimate really rests on
  double ti_log_z = 0;
  double log_z0 = 0;            // log of the number of free configurations
  double seconds = 0;
};

// `progress` as the engine's, in steps.
AisResult annealed_log_z(const CompiledModel& cm, const Layout& layout, const AisOptions& options,
                         const ProgressFn& progress = {});

}  // namespace tsu
