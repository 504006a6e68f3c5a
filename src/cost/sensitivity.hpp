// How far the comparison's headline moves when one pricing input moves (a tornado chart). The
// headline is the matched-quality energy ratio (primary bound) against the best working DTM point:
// the smallest ratio any family reaches there, or, when no family's curve reaches the DTM's quality,
// the smallest one-sided bound. Each factor reprices every model at a low and a high setting, one
// factor at a time, with the qualities held (a what-if of the pricing, not of the models):
//   TSU device       the paper's cell (~2 fJ per update) and Z1's measured 7.09 fJ (H&C §1.5)
//   sweeps per step  half and twice the DTM's (energy only: the quality at other sweeps is measured
//                    separately, by the DTM's own points)
//   GPU utilisation  half the default utilisations, and 1 (the roofline at peak)
//   batch            1 and 4,096 samples generated together
//   GPU precision    fp32 and bf16 peaks
//   GPU model        A100 and B200
//   GPU bound        the skeptic's: the ideal bound (every FLOP at peak, fused kernels) at FP8 where
//                    the GPU has it, else bf16
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cost/compare.hpp"
#include "util/plot.hpp"

namespace tsu::cost {

struct Headline {
  std::string reference, family;  // the DTM point and the family
  std::string kind;               // "ratio", "at_least" or "at_most"
  double value;                   // family energy / DTM energy (or its bound)
};

// Empty when no working DTM point has a ratio or a bound against any family.
std::optional<Headline> headline(const CompareRun& run);

struct SensitivityCase {
  std::string setting;          // e.g. "z1", "x0.5", "batch 1"
  std::optional<double> value;  // the headline at this setting (same kind); empty when it is undefined there
};

struct Sensitivity {
  std::string factor;  // e.g. "TSU device"
  std::string base;    // the run's own setting
  SensitivityCase low, high;
};

// One entry per factor that applies to the run (no GPU factor without a GPU model, no TSU factor
// without the DTM's counters); empty without a headline or a device.
std::vector<Sensitivity> sensitivity(const CompareRun& run);

// The tornado chart: one horizontal segment per factor from its low to its high headline, a log axis,
// and the headline itself as a vertical line.
Plot sensitivity_plot(const CompareRun& run, const std::vector<Sensitivity>& factors);

}  // namespace tsu::cost
