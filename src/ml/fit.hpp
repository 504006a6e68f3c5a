// Fitting any tsu model to data: maximum likelihood by the gradient of the KL divergence from the
// data to the model, for every weight of every factor group.
//
// A weight w of factor f at categorical state tuple t multiplies the statistic phi = [cats of f = t]
// * prod(spins of f), and the energy is -beta * sum w phi, so the gradient of the mean negative
// log-likelihood of visible data v is
//   dNLL/dw = -beta (E[phi | v]_data - E[phi]_model),
// the positive phase (latent nodes drawn given each row) minus the negative phase (the free model).
// Each phase is exact by enumeration for small models, or sampled by block Gibbs: CD-k starts the
// negative chains at the positive phase's states, PCD keeps persistent chains across batches
// (Tieleman 2008). The parameters follow Adam or SGD with a cosine learning-rate schedule and
// decoupled weight decay, as the DTM trainer's (ml/optim.hpp).
//
// Every random stream derives from (seed, purpose, epoch, batch), so a fit does not depend on the
// thread count and a fit resumed from its state after any epoch repeats an uninterrupted one.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "ml/optim.hpp"
#include "sample/engine.hpp"

namespace tsu::ml {

// Training rows: node codes (as StateBatch holds them: spin 0/1, categorical 0..K-1) of the model's
// first `visible` nodes; the nodes after them are latent.
struct FitData {
  int visible = 0;
  std::vector<State> rows;  // [count * visible]

  size_t count() const { return visible > 0 ? rows.size() / size_t(visible) : 0; }
  std::span<const State> row(size_t r) const { return {rows.data() + r * size_t(visible), size_t(visible)}; }
};

// The statistics and gradients are laid out as the model's flat weights (graph/model.hpp).

// The statistics' means over the chains of a batch (what add_statistics would sum, divided by the
// chain count): biases and spin couplings by XOR-popcount over bit planes of the chains.
std::vector<double> mean_statistics(const Model& model, const StateBatch& states);

// log of the sum over the nodes not `fixed` of exp(beta * factor_sum), with fixed nodes at their value
// in `state`, and (unless skipped) the statistics' mean under that distribution.
struct Enumerated {
  double log_z = 0;
  std::vector<double> mean;
};
Enumerated enumerate_statistics(const Model& model, std::span<const uint8_t> fixed, std::span<const State> state,
                                bool with_statistics = true);
// Configurations of the nodes not `fixed` (as a double: it may be astronomically large).
double configurations(const Model& model, std::span<const uint8_t> fixed);

// The most configurations one exact phase may enumerate.
constexpr double kMaxFitEnumeration = 1 << 22;

enum class FitMethod { Exact, CD, PCD };
FitMethod parse_fit_method(const std::string& name);  // "exact", "cd", "pcd"; Error otherwise
std::string fit_method_name(FitMethod method);

struct FitConfig {
  FitMethod method = FitMethod::PCD;
  int k = 1;                // negative-phase sweeps per batch (CD-k; PCD's chains advance k sweeps)
  int positive_sweeps = 1;  // sweeps drawing the latent nodes given a row (sampled methods with latents)
  int chains = 100;         // PCD's persistent chains
  int batch = 100;          // rows per gradient step (the last partial batch of an epoch is dropped)
  int epochs = 10;
  std::string optimizer = "adam";  // "adam" or "sgd"
  double learning_rate = 0.01;
  double lr_floor = 0;      // the cosine schedule ends at lr * lr_floor; 1 keeps lr constant
  AdamConfig adam;          // adam.weight_decay applies to SGD too
  uint64_t seed = 0;
  int threads = 0;
  std::string backend = "auto";

  // Error naming the field (for the CLI, its option) that is out of range, or that does not suit
  // the model and data (exact methods too large to enumerate, a batch larger than the data).
  void validate(const Model& model, const FitData& data) const;
};

struct FitEpoch {
  int epoch = 0;               // 1-based
  double learning_rate = 0;    // at the epoch's first batch
  double gradient_rms = 0;     // of the NLL gradient, averaged over the epoch's batches
  double weight_rms = 0;       // after the epoch
  double nll = std::numeric_limits<double>::quiet_NaN();  // exact mean NLL of the data per row (NaN: too large)
  // Fraction of visible nodes that one free sweep from (row, latent | row) changes, on the epoch's
  // last batch: a cheap progress measure where the NLL cannot be enumerated.
  double reconstruction = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0;
  int64_t sweeps = 0;          // Gibbs sweeps over all chains of both phases
};

// Everything a fit carries from one epoch to the next.
struct FitState {
  Model model;
  AdamState adam;
  StateBatch persistent;  // PCD's chains (empty for the other methods)
  int epochs_done = 0;
  std::vector<FitEpoch> history;
};

FitState start_fit(Model initial, const FitConfig& config);

// (batches done, batches in the epoch) after every batch; may throw to stop between batches.
using FitProgress = std::function<void(int64_t, int64_t)>;

// One epoch over the data in a permuted order; appends to state.history and returns the record.
FitEpoch fit_epoch(FitState& state, const FitConfig& config, const FitData& data, const FitProgress& progress = {});

// The gradient of the mean NLL of the given rows, by the config's method, with the batch's streams
// derived from `seed`; advances `state.persistent` for PCD. What fit_epoch steps on, for the tests.
std::vector<double> nll_gradient(FitState& state, const FitConfig& config, const FitData& data,
                                 std::span<const size_t> rows, uint64_t seed);

// log of the sum over the latent nodes of exp(beta * factor_sum) with the visible nodes at `row`,
// in closed form (Rao-Blackwellised) when no factor joins two latent nodes, as in an RBM: given
// the row, the latent nodes are then independent. Error naming the factor otherwise. The NLL of
// a row is log Z minus this.
double latent_log_sum(const CompiledModel& cm, std::span<const State> row);

// The exact mean NLL of the rows per row, or NaN when it would enumerate more than kMaxFitEnumeration
// configurations in all.
double exact_nll(const Model& model, const FitData& data);

}  // namespace tsu::ml
