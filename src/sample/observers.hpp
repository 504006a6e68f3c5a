// Observers: what a run records at each observation (see run() in engine.hpp). Estimates are
// averaged over chains and observations alike.
#pragma once

#include "graph/model.hpp"
#include "sample/diagnostics.hpp"
#include "sample/engine.hpp"
#include "sample/npy.hpp"

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace tsu {

// Per node, the frequency of each state.
class MarginalObserver : public Observer {
 public:
  explicit MarginalObserver(const Model& m);
  void observe(const StateBatch& states, int64_t index) override;
  bool reads_packed() const override { return all_spins_; }
  void observe_packed(const PackedStates& states, int64_t index) override;
  std::vector<std::vector<double>> marginals() const;  // [node][state]; a spin has {P(s=-1), P(s=+1)}
  int64_t observations() const { return observations_; }  // observe() calls
  // Also streams MCMC diagnostics of every (node, state) indicator over a run of `observations`;
  // call before the first observation.
  void track_diagnostics(int64_t observations);
  // Entries in node order: a spin's P(s=+1) (P(s=-1) = 1 - P(s=+1) says nothing new), then each of
  // a categorical's K states.
  const BinarySeriesStats& diagnostics() const { return stats_; }

 private:
  static constexpr size_t kUnreported = SIZE_MAX;
  std::vector<size_t> offsets_;  // [nodes + 1] into counts_
  std::vector<size_t> diagnosed_entry_;  // per entry of counts_: its entry in stats_, or kUnreported
  size_t reported_entries_ = 0;
  bool all_spins_ = true;
  std::vector<int64_t> counts_;
  int64_t observations_ = 0;
  int64_t samples_ = 0;  // chain states seen
  BinarySeriesStats stats_;
};

// E[v_i v_j] over the given node pairs. Without a model every node is read as a spin (v = -1/+1);
// with one, a categorical node's value is its state index (THRML's identity transform).
class PairMomentObserver : public Observer {
 public:
  explicit PairMomentObserver(std::vector<std::pair<int32_t, int32_t>> pairs);
  PairMomentObserver(const Model& m, std::vector<std::pair<int32_t, int32_t>> pairs);
  void observe(const StateBatch& states, int64_t index) override;
  bool reads_packed() const override;  // spin pairs only
  void observe_packed(const PackedStates& states, int64_t index) override;
  std::vector<double> moments() const;

 private:
  double value(int32_t node, State code) const;
  void check_pairs(int nodes) const;

  std::vector<std::pair<int32_t, int32_t>> pairs_;
  std::vector<uint8_t> categorical_;  // per node; empty = all spins
  std::vector<uint8_t> spin_pair_;    // per pair: both members are spins
  std::vector<double> sums_;
  int64_t samples_ = 0;
};

// E[phi_k] for every weight k of the model, in flat-weight order (graph/model.hpp): a pure-spin
// factor's E[s_1 ... s_S], a categorical factor's P(cats = t) for every table entry t, a mixed
// factor's E[[cats = t] s_1 ... s_S]. The model must outlive the observer.
class FactorMomentObserver : public Observer {
 public:
  explicit FactorMomentObserver(const Model& m);
  void observe(const StateBatch& states, int64_t index) override;
  bool reads_packed() const override { return all_spins_; }
  void observe_packed(const PackedStates& states, int64_t index) override;
  std::vector<double> moments() const;  // [weight]
  // Also streams MCMC diagnostics of every weight's statistic over a run of `observations`; call
  // before the first observation. A pure-spin factor's entry is the indicator of s_1 ... s_S = +1
  // (see factor_moment_diagnostics).
  void track_diagnostics(int64_t observations);
  const BinarySeriesStats& diagnostics() const { return stats_; }

 private:
  const Model* model_;
  bool all_spins_;
  std::vector<int64_t> sums_;  // [weight]: sums of phi over chains and observations
  int64_t samples_ = 0;
  BinarySeriesStats stats_;
};

// The diagnostics of every factor moment from FactorMomentObserver::diagnostics(), in its units.
std::vector<Diagnostic> factor_moment_diagnostics(const Model& m, const BinarySeriesStats& stats);

// E(x) = -beta * factor_sum(x) per chain and observation. The model must outlive the observer.
class EnergyObserver : public Observer {
 public:
  // `threads` computes the energies of the chains side by side (0 = every core).
  EnergyObserver(const Model& m, double beta, int threads);
  void observe(const StateBatch& states, int64_t index) override;
  // Spin models: the energies of 64 chains at a time from their bit planes, summed in the order
  // factor_sum sums, so both paths give the same numbers.
  bool reads_packed() const override { return all_spins_; }
  void observe_packed(const PackedStates& states, int64_t index) override;
  double mean() const;
  double variance() const;  // over every chain and observation, divisor N
  const std::vector<std::vector<double>>& traces() const { return traces_; }  // [chain][observation]

 private:
  void start(int chains);

  const Model* model_;
  double beta_;
  int threads_;
  bool all_spins_;
  std::vector<std::vector<double>> traces_;
};

// Keeps every observed state: shape [observations, chains, nodes].
class SampleRecorder : public Observer {
 public:
  void observe(const StateBatch& states, int64_t index) override;
  bool reads_packed() const override { return true; }
  void observe_packed(const PackedStates& states, int64_t index) override;
  // Spins as -1/+1, categoricals as 0..K-1; int8 when every K <= 128, else int16.
  NpyArray to_npy(const Model& m) const;
  void save_npy(const std::string& path, const Model& m) const;  // to_npy, written atomically
  size_t observations() const { return observations_; }
  int chains() const { return chains_; }
  int nodes() const { return nodes_; }
  const std::vector<State>& data() const { return data_; }  // state codes, [observation][chain][node]
  // The state code of (observation, chain, node).
  State at(size_t observation, int chain, int node) const {
    return data_[(observation * size_t(chains_) + size_t(chain)) * size_t(nodes_) + size_t(node)];
  }

 private:
  void start(int chains, int nodes);

  std::vector<State> data_;
  size_t observations_ = 0;
  int chains_ = 0;
  int nodes_ = 0;
};

using Statistic = std::function<double(std::span<const State>)>;
// The same statistic of every chain at once from bit planes: per_chain[c] for chain c.
using PackedStatistic = std::function<void(const PackedStates&, std::span<double> per_chain)>;

// A scalar statistic per chain per observation, and its autocorrelation.
class AutocorrelationObserver : public Observer {
 public:
  AutocorrelationObserver(std::string name, Statistic statistic, PackedStatistic packed = {});
  // A series fed by observe_values() alone (observe() is then an Error).
  explicit AutocorrelationObserver(std::string name);
  void observe(const StateBatch& states, int64_t index) override;
  bool reads_packed() const override { return bool(packed_); }
  void observe_packed(const PackedStates& states, int64_t index) override;
  // Appends one observation given directly as one value per chain.
  void observe_values(std::span<const double> per_chain);
  // rho(0..max_lag) of the autocovariance averaged over chains (deviations from the mean of all
  // chains), normalised by its lag-0 value; a constant series gives 1, 0, 0, .... Lags beyond the
  // series are left out. Throws Error with fewer than two observations.
  std::vector<double> autocorrelation(int64_t max_lag) const;
  // tau_int = 1 + 2 sum_{t=1}^{M} rho(t) with Sokal's automatic window: the smallest M >= 5 tau_int(M).
  double integrated_time() const;
  const std::string& name() const { return name_; }
  const std::vector<std::vector<double>>& series() const { return series_; }  // [chain][observation]

 private:
  double grand_mean() const;
  std::vector<double> autocovariances() const;  // lags 0..n-1

  std::string name_;
  Statistic statistic_;
  PackedStatistic packed_;
  std::vector<std::vector<double>> series_;
};

Statistic magnetization_statistic(const Model& m);  // mean value of the spin nodes; Error without any
PackedStatistic magnetization_packed_statistic(const Model& m);  // the same; empty unless every node is a spin
Statistic energy_statistic(const Model& m, double beta);

// The nodes of every pure two-spin factor (n_spin == 2, n_cat == 0), in file order.
std::vector<std::pair<int32_t, int32_t>> two_spin_pairs(const Model& m);
// Their flat-weight indices, aligned with two_spin_pairs: E[s_i s_j] is the factor moment there.
std::vector<size_t> two_spin_weights(const Model& m);
// Those moments picked out of the factor moments ([weight]).
std::vector<double> two_spin_moments(const Model& m, std::span<const double> factor_moments);

// Per factor group {"spins": S, "categories": [K...], "moments": [...]}: a factor's moment is a number
// when its table has one entry, else its table's moments in row-major order. `values` is [weight].
nlohmann::json factor_moments_json(const Model& m, std::span<const double> values);

// A factor moment's name for messages: "E[s_0 s_3 s_5]", "P(x_2 = 1, x_5 = 0)", "E[[x_2 = 1] s_0]".
std::string factor_moment_name(const Model& m, size_t weight);

// {"marginals": [...], "pair_moments": [...]}: a spin's marginal is P(s=+1) (a number), a
// categorical's the list of its K probabilities. Clamped nodes report what the caller passes.
nlohmann::json moments_json(const Model& m, const std::vector<std::vector<double>>& marginals,
                            const std::vector<double>& pair_moments);

}  // namespace tsu
