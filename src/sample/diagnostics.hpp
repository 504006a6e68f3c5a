// MCMC diagnostics of a run's estimates: Monte Carlo standard error, effective sample size and
// R-hat, after Vehtari, Gelman, Simpson, Carpenter and Buerkner (2021), "Rank-normalization,
// folding, and localization: an improved R-hat for assessing convergence of MCMC", Bayesian
// Analysis 16(2):667-718 (their equations and recommendations are cited by section below).
//
// Two estimators share one result type:
// - diagnose() takes whole traces ([chain][draw]) of a scalar such as the energy: split chains,
//   rank-normalised bulk and folded (tail) R-hat, bulk and tail ESS by Geyer's initial monotone
//   sequence over the multi-chain autocorrelation (section 3.2).
// - BinarySeriesStats streams many 0/1 series at once (every node's state indicators, every pair's
//   agreement) without keeping traces: split R-hat from half-chain counts, which for 0/1 data is the
//   rank-normalised R-hat exactly (ranks of two values are an affine map of them, and R-hat is
//   affine-invariant; folding a 0/1 series gives a 0/1 series), and ESS and MCSE by lugsail batch
//   means (Vats and Flegal 2022, Biometrika 109(3): 2 x the estimate from batches of b minus the
//   one from batches of b/3, which cancels the downward bias of plain batch means at first order)
//   with b = draws^(2/3): runs have many chains, so batches are plentiful and bias is what hurts.
//   Series of -1/0/1 (a factor with spin and categorical members) are streamed the same way, with
//   their count of -1 draws for the sum of squares; their R-hat is the split R-hat of the values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace tsu {

// NaN where a statistic is constant over the run (no information) or there are too few draws.
struct Diagnostic {
  double mean = 0;
  double mcse = 0;   // standard error of `mean`
  double ess = std::numeric_limits<double>::quiet_NaN();       // bulk effective sample size
  double ess_tail = std::numeric_limits<double>::quiet_NaN();  // min over the 5 % and 95 % quantiles (diagnose only)
  double rhat = std::numeric_limits<double>::quiet_NaN();      // max of bulk and tail R-hat
};

// Thresholds of section 4: R-hat below 1.01 and a bulk ESS of at least 400 (100 per chain at four
// chains) before an estimate is trusted.
inline constexpr double kRhatLimit = 1.01;
inline constexpr double kEssMinimum = 400;

// Fewest draws per chain that diagnostics need (two halves of two draws each).
inline constexpr int64_t kMinDiagnosedDraws = 4;

// The biased (1/n) autocovariance at lags 0..n-1 averaged over chains of equal length n, chain c
// taken as deviations from centres[c]; by FFT (Wiener-Khinchin), two chains per complex transform.
std::vector<double> mean_autocovariance(const std::vector<std::vector<double>>& chains,
                                        const std::vector<double>& centres);

// Traces of equal length >= kMinDiagnosedDraws; throws Error otherwise.
Diagnostic diagnose(const std::vector<std::vector<double>>& chains);

// Per entry and chain, 0/1 (or -1/0/1) draws added observation by observation; the number of observations is
// fixed up front so that halves and batches are known. Sums are integers, so runs over disjoint
// chains merge into exactly the statistics of the run over all of them.
class BinarySeriesStats {
 public:
  BinarySeriesStats() = default;
  BinarySeriesStats(size_t entries, int64_t observations);

  bool enabled() const { return observations_ >= kMinDiagnosedDraws; }
  // The memory that the running sums of unpacked observations take (packed ones take far less).
  static double bytes(size_t entries, int chains) { return double(kSlots * entries) * chains * sizeof(int32_t); }
  // Before each observation: sets the chain count on the first call, Error if it changes. A run's
  // observations are recorded either by add() (packed_words = 0) or by add_word() on bit planes of
  // `packed_words` words per entry, not both.
  void begin_observation(int chains, int packed_words = 0);
  // Marks entry e of chain c as 1 in the current observation.
  void add(int chain, size_t entry) {
    int32_t* count = &counts_[kSlots * (size_t(chain) * entries_ + entry)];
    for (size_t s = 0; s < kSlots; ++s) count[s] += counting_[s];
  }
  // Marks it as -1: entries whose draws are -1, 0 or +1 (a mixed factor's statistic). Their R-hat
  // is the split R-hat of the values, not rank-normalised.
  void subtract(int chain, size_t entry) {
    int32_t* count = &counts_[kSlots * (size_t(chain) * entries_ + entry)];
    for (size_t s = 0; s < kSlots; ++s) {
      count[s] -= counting_[s];
      slots_[s].negatives[entry] += counting_[s];
    }
  }
  // Marks the chains whose bits are set in `bits` (64 chains, bit planes as PackedStates holds
  // them: unused bits 0) as 1 for the entry. Each stretch's per-chain counts are kept as vertical
  // bit counters, so an observation costs a few word operations per 64 chains, and a stretch's sums
  // over chains of k and k^2 come from popcounts when it closes (no chain order is needed: sums
  // over chains do not depend on it).
  void add_word(size_t entry, int word, uint64_t bits) {
    for (size_t s = 0; s < kSlots; ++s)
      if (counting_[s]) add_to_counter(s, entry * size_t(words_) + size_t(word), bits);
  }
  // Closes the observation: folds completed half chains and batches into the sums.
  void end_observation();
  // Sums another run's chains in; Error unless entries and observations agree and both are complete.
  void merge(const BinarySeriesStats& other);
  // The diagnostic of the entry's mean (the fraction of 1s, less that of -1s).
  Diagnostic at(size_t entry) const;
  int64_t batch_length() const { return slots_[kBatch].length; }

 private:
  // Consecutive stretches of each chain: its two halves (R-hat) and batches of two lengths (ESS).
  enum Slot : size_t { kHalf, kBatch, kShortBatch, kSlots };
  struct Stretches {
    int64_t length = 0;
    std::vector<int64_t> sum, squares;  // [entry] of each completed stretch's sum of draws
    std::vector<int64_t> negatives;     // [entry]: draws of -1 in the stretches (sum of x^2 = sum + 2 negatives)
    int64_t done = 0;                   // stretches completed, all chains
  };
  bool counts(Slot slot, int64_t observation) const;  // whether the observation is in a stretch
  // Adds every chain's running count of the slot to its sums, then clears it.
  void fold(Slot slot);
  double batch_variance(Slot slot, size_t entry, double mean) const;  // draws x the variance of the mean
  void add_to_counter(size_t slot, size_t counter, uint64_t bits);
  void fold_planes(Slot slot);  // the vertical counters' part of fold()

  size_t entries_ = 0;
  int64_t observations_ = 0;
  int chains_ = 0;
  int64_t seen_ = 0;  // observations begun
  Stretches slots_[kSlots];
  int32_t counting_[kSlots] = {};  // whether the current observation counts, per slot
  std::vector<int32_t> counts_;    // [chain][entry][slot] running sums
  // Per slot, vertical counters of add_word: plane p of counter (entry, word) holds bit p of each of
  // its 64 chains' counts; [(entry * words + word) * planes + p]. words_ = 0: observations by add().
  int words_ = 0;
  int planes_[kSlots] = {};
  std::vector<uint64_t> bit_counts_[kSlots];
};

}  // namespace tsu
