#include "sample/observers.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <omp.h>
#include <memory>

#include "sample/diagnostics.hpp"
#include "sample/npy.hpp"

namespace tsu {
namespace {

void check_nodes(const StateBatch& states, size_t expected, const char* who) {
  if (size_t(states.nodes) != expected)
    throw Error(fmt::format("{}: states have {} nodes, the observer was made for {}", who, states.nodes, expected));
}

// Mean over every value of every chain's series (0 when there is none).
double mean_of_series(const std::vector<std::vector<double>>& series) {
  double sum = 0;
  size_t n = 0;
  for (const auto& s : series) {
    for (double x : s) sum += x;
    n += s.size();
  }
  return n ? sum / double(n) : 0.0;
}

}  // namespace

MarginalObserver::MarginalObserver(const Model& m) : offsets_(m.size() + 1, 0) {
  for (size_t i = 0; i < m.size(); ++i) offsets_[i + 1] = offsets_[i] + size_t(m.nodes[i].states);
  counts_.assign(offsets_.back(), 0);
}

void MarginalObserver::track_diagnostics(int64_t observations) { stats_ = BinarySeriesStats(counts_.size(), observations); }

void MarginalObserver::observe(const StateBatch& states, int64_t) {
  check_nodes(states, offsets_.size() - 1, "marginal observer");
  const bool diagnosed = stats_.enabled();
  if (diagnosed) stats_.begin_observation(states.chains);
  for (int c = 0; c < states.chains; ++c) {
    auto s = states.chain(c);
    for (size_t i = 0; i < s.size(); ++i) ++counts_[offsets_[i] + s[i]];
    if (diagnosed)
      for (size_t i = 0; i < s.size(); ++i) stats_.add(c, offsets_[i] + s[i]);
  }
  if (diagnosed) stats_.end_observation();
  ++observations_;
  samples_ += states.chains;
}

std::vector<std::vector<double>> MarginalObserver::marginals() const {
  std::vector<std::vector<double>> out(offsets_.size() - 1);
  const double n = double(std::max<int64_t>(samples_, 1));
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t k = offsets_[i]; k < offsets_[i + 1]; ++k) out[i].push_back(double(counts_[k]) / n);
  return out;
}

PairMomentObserver::PairMomentObserver(std::vector<std::pair<int32_t, int32_t>> pairs)
    : pairs_(std::move(pairs)), sums_(pairs_.size(), 0) {}

PairMomentObserver::PairMomentObserver(const Model& m, std::vector<std::pair<int32_t, int32_t>> pairs)
    : PairMomentObserver(std::move(pairs)) {
  for (const auto& node : m.nodes) categorical_.push_back(!node.is_spin());
  for (size_t p = 0; p < pairs_.size(); ++p) {
    auto [a, b] = pairs_[p];
    if (a < 0 || b < 0 || size_t(a) >= m.size() || size_t(b) >= m.size())
      throw Error(fmt::format("pair {} ({}, {}) names a node out of range (model has {} nodes)", p, a, b, m.size()));
  }
}

double PairMomentObserver::value(int32_t node, State code) const {
  return !categorical_.empty() && categorical_[node] ? double(code) : double(spin_value(code));
}

void PairMomentObserver::track_diagnostics(int64_t observations) {
  for (auto [a, b] : pairs_)
    if (!categorical_.empty() && (categorical_[a] || categorical_[b]))
      throw Error(fmt::format("pair moment diagnostics cover spin pairs only; ({}, {}) is categorical", a, b));
  stats_ = BinarySeriesStats(pairs_.size(), observations);
}

void PairMomentObserver::observe(const StateBatch& states, int64_t) {
  for (auto [a, b] : pairs_)
    if (std::max(a, b) >= states.nodes || std::min(a, b) < 0)
      throw Error(fmt::format("pair moment observer: pair ({}, {}) is out of range for {} nodes", a, b, states.nodes));
  const bool diagnosed = stats_.enabled();
  if (diagnosed) stats_.begin_observation(states.chains);
  // Chains outermost, so that the diagnostics' per-chain counts are walked in order. Products of
  // states are integers, so the sums are exact in any order.
  for (int c = 0; c < states.chains; ++c) {
    auto s = states.chain(c);
    for (size_t p = 0; p < pairs_.size(); ++p) {
      auto [a, b] = pairs_[p];
      const double product = value(a, s[a]) * value(b, s[b]);
      sums_[p] += product;
      if (diagnosed && product > 0) stats_.add(c, p);
    }
  }
  if (diagnosed) stats_.end_observation();
  samples_ += states.chains;
}

std::vector<double> PairMomentObserver::moments() const {
  std::vector<double> out;
  for (double s : sums_) out.push_back(s / double(std::max<int64_t>(samples_, 1)));
  return out;
}

EnergyObserver::EnergyObserver(const Model& m, double beta, int threads) : model_(&m), beta_(beta), threads_(threads) {}

void EnergyObserver::observe(const StateBatch& states, int64_t) {
  check_nodes(states, model_->size(), "energy observer");
  if (traces_.empty()) traces_.resize(size_t(states.chains));
  if (traces_.size() != size_t(states.chains))
    throw Error(fmt::format("energy observer: {} chains observed, earlier {}", states.chains, traces_.size()));
  // Chains are independent, and on large models this is the costliest observer.
#pragma omp parallel for schedule(static) num_threads(threads_ > 0 ? threads_ : omp_get_max_threads())
  for (int c = 0; c < states.chains; ++c) traces_[c].push_back(-beta_ * factor_sum(*model_, states.chain(c)));
}

double EnergyObserver::mean() const { return mean_of_series(traces_); }

double EnergyObserver::variance() const {
  const double mu = mean();
  double sum = 0;
  size_t n = 0;
  for (const auto& t : traces_) {
    for (double e : t) sum += (e - mu) * (e - mu);
    n += t.size();
  }
  return n ? sum / double(n) : 0.0;
}

void SampleRecorder::observe(const StateBatch& states, int64_t) {
  if (observations_ == 0) {
    chains_ = states.chains;
    nodes_ = states.nodes;
  } else if (states.chains != chains_ || states.nodes != nodes_) {
    throw Error(fmt::format("sample recorder: batch of {} chains x {} nodes after {} x {}", states.chains,
                            states.nodes, chains_, nodes_));
  }
  data_.insert(data_.end(), states.data.begin(), states.data.end());
  ++observations_;
}

NpyArray SampleRecorder::to_npy(const Model& m) const {
  if (observations_ > 0 && size_t(nodes_) != m.size())
    throw Error(fmt::format("the recorded states have {} nodes, the model {}", nodes_, m.size()));
  const bool wide = std::any_of(m.nodes.begin(), m.nodes.end(), [](const NodeKind& k) { return k.states > 128; });
  NpyArray a;
  a.dtype = wide ? "<i2" : "|i1";
  a.shape = {observations_, size_t(chains_), size_t(nodes_)};
  a.bytes.resize(data_.size() * (wide ? 2 : 1));
  for (size_t k = 0; k < data_.size(); ++k) {
    const size_t node = k % size_t(nodes_);
    const int16_t v = m.nodes[node].is_spin() ? int16_t(spin_value(data_[k])) : int16_t(data_[k]);
    if (wide) {
      a.bytes[2 * k] = char(uint16_t(v) & 0xff);  // little-endian, whatever the host
      a.bytes[2 * k + 1] = char(uint16_t(v) >> 8);
    } else {
      a.bytes[k] = char(int8_t(v));
    }
  }
  return a;
}

void SampleRecorder::save_npy(const std::string& path, const Model& m) const {
  write_npy(path, with_context(path, [&] { return to_npy(m); }));
}

AutocorrelationObserver::AutocorrelationObserver(std::string name, Statistic statistic)
    : name_(std::move(name)), statistic_(std::move(statistic)) {}

void AutocorrelationObserver::observe(const StateBatch& states, int64_t) {
  std::vector<double> values(size_t(states.chains));
  for (int c = 0; c < states.chains; ++c) values[c] = statistic_(states.chain(c));
  observe_values(values);
}

void AutocorrelationObserver::observe_values(std::span<const double> per_chain) {
  if (series_.empty()) series_.resize(per_chain.size());
  if (series_.size() != per_chain.size())
    throw Error(fmt::format("autocorrelation '{}': {} chains observed, earlier {}", name_, per_chain.size(),
                            series_.size()));
  for (size_t c = 0; c < per_chain.size(); ++c) series_[c].push_back(per_chain[c]);
}

double AutocorrelationObserver::grand_mean() const { return mean_of_series(series_); }

// The chain-averaged autocovariance at every lag, with the biased (1/n) normalisation, which keeps
// the sequence positive definite. Deviations are taken from the mean over all chains: many short
// chains then carry no per-chain-mean bias, and chains stuck apart show as correlation that does
// not decay.
std::vector<double> AutocorrelationObserver::autocovariances() const {
  const size_t n = series_.empty() ? 0 : series_[0].size();
  if (n < 2)
    throw Error(fmt::format("autocorrelation '{}': needs at least 2 observations, got {}", name_, n));
  const double mean = grand_mean();
  auto c = mean_autocovariance(series_, std::vector<double>(series_.size(), mean));
  // A statistic constant up to the rounding of its mean has no correlation to speak of.
  if (c[0] <= 1e-26 * mean * mean) std::fill(c.begin(), c.end(), 0.0);
  return c;
}

std::vector<double> AutocorrelationObserver::autocorrelation(int64_t max_lag) const {
  const auto c = autocovariances();
  const size_t last = size_t(std::clamp<int64_t>(max_lag, 0, int64_t(c.size()) - 1));
  std::vector<double> rho{1.0};
  for (size_t t = 1; t <= last; ++t) rho.push_back(c[0] > 0 ? c[t] / c[0] : 0.0);
  return rho;
}

double AutocorrelationObserver::integrated_time() const {
  constexpr double kWindowFactor = 5;  // Sokal's c
  const auto c = autocovariances();
  if (c[0] <= 0) return 1.0;
  double tau = 1.0;
  for (size_t m = 1; m < c.size(); ++m) {
    tau += 2 * c[m] / c[0];
    if (double(m) >= kWindowFactor * tau) break;
  }
  return tau;
}

Statistic magnetization_statistic(const Model& m) {
  std::vector<int32_t> spins;
  for (size_t i = 0; i < m.size(); ++i)
    if (m.nodes[i].is_spin()) spins.push_back(int32_t(i));
  if (spins.empty()) throw Error("magnetization: the model has no spin nodes");
  return [spins](std::span<const State> s) {
    int64_t sum = 0;
    for (int32_t i : spins) sum += spin_value(s[i]);
    return double(sum) / double(spins.size());
  };
}

Statistic energy_statistic(const Model& m, double beta) {
  auto model = std::make_shared<const Model>(m);
  return [model, beta](std::span<const State> s) { return -beta * factor_sum(*model, s); };
}

std::vector<std::pair<int32_t, int32_t>> two_spin_pairs(const Model& m) {
  std::vector<std::pair<int32_t, int32_t>> pairs;
  for (const auto& g : m.groups) {
    if (g.n_spin != 2 || g.n_cat != 0) continue;
    for (size_t f = 0, n = g.count(); f < n; ++f) pairs.emplace_back(g.spins_of(f)[0], g.spins_of(f)[1]);
  }
  return pairs;
}

nlohmann::json moments_json(const Model& m, const std::vector<std::vector<double>>& marginals,
                            const std::vector<double>& pair_moments) {
  if (marginals.size() != m.size())
    throw Error(fmt::format("moments: {} marginals for a model of {} nodes", marginals.size(), m.size()));
  auto out = nlohmann::json::object();
  auto& list = out["marginals"] = nlohmann::json::array();
  for (size_t i = 0; i < m.size(); ++i) {
    if (marginals[i].size() != size_t(m.nodes[i].states))
      throw Error(fmt::format("moments: node {} has {} states but {} marginal entries", i, m.nodes[i].states,
                              marginals[i].size()));
    if (m.nodes[i].is_spin())
      list.push_back(marginals[i][1]);
    else
      list.push_back(marginals[i]);
  }
  out["pair_moments"] = pair_moments;
  return out;
}

}  // namespace tsu
