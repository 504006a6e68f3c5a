#include "sample/observers.hpp"

#include <algorithm>
#include <bit>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <memory>
#include <omp.h>

#include "sample/bit_planes.hpp"
#include "sample/diagnostics.hpp"
#include "sample/npy.hpp"

namespace tsu {
namespace {

template <class States>  // StateBatch or PackedStates
void check_nodes(const States& states, size_t expected, const char* who) {
  if (size_t(states.nodes) != expected)
    throw Error(fmt::format("{}: states have {} nodes, the observer was made for {}", who, states.nodes, expected));
}

bool all_spins(const Model& m) {
  return std::all_of(m.nodes.begin(), m.nodes.end(), [](const NodeKind& k) { return k.is_spin(); });
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

MarginalObserver::MarginalObserver(const Model& m) : offsets_(m.size() + 1, 0), all_spins_(all_spins(m)) {
  for (size_t i = 0; i < m.size(); ++i) {
    offsets_[i + 1] = offsets_[i] + size_t(m.nodes[i].states);
    for (int k = 0; k < m.nodes[i].states; ++k)
      diagnosed_entry_.push_back(m.nodes[i].is_spin() && k == 0 ? kUnreported : reported_entries_++);
  }
  counts_.assign(offsets_.back(), 0);
}

void MarginalObserver::track_diagnostics(int64_t observations) {
  stats_ = BinarySeriesStats(reported_entries_, observations);
}

void MarginalObserver::observe(const StateBatch& states, int64_t) {
  check_nodes(states, offsets_.size() - 1, "marginal observer");
  const bool diagnosed = stats_.enabled();
  if (diagnosed) stats_.begin_observation(states.chains);
  for (int c = 0; c < states.chains; ++c) {
    auto s = states.chain(c);
    for (size_t i = 0; i < s.size(); ++i) ++counts_[offsets_[i] + s[i]];
    if (diagnosed)
      for (size_t i = 0; i < s.size(); ++i)
        if (const size_t e = diagnosed_entry_[offsets_[i] + s[i]]; e != kUnreported) stats_.add(c, e);
  }
  if (diagnosed) stats_.end_observation();
  ++observations_;
  samples_ += states.chains;
}

void MarginalObserver::observe_packed(const PackedStates& states, int64_t) {
  check_nodes(states, offsets_.size() - 1, "marginal observer");
  const bool diagnosed = stats_.enabled();
  if (diagnosed) stats_.begin_observation(states.chains, states.words);
  for (size_t i = 0; i + 1 < offsets_.size(); ++i) {
    const uint64_t* up = planes_of(states, int32_t(i));
    int64_t ones = 0;
    for (int w = 0; w < states.words; ++w) {
      ones += std::popcount(up[w]);
      if (diagnosed) stats_.add_word(diagnosed_entry_[offsets_[i] + 1], w, up[w]);
    }
    counts_[offsets_[i]] += states.chains - ones;
    counts_[offsets_[i] + 1] += ones;
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
    : pairs_(std::move(pairs)), spin_pair_(pairs_.size(), 1), sums_(pairs_.size(), 0) {}

PairMomentObserver::PairMomentObserver(const Model& m, std::vector<std::pair<int32_t, int32_t>> pairs)
    : PairMomentObserver(std::move(pairs)) {
  for (const auto& node : m.nodes) categorical_.push_back(!node.is_spin());
  for (size_t p = 0; p < pairs_.size(); ++p) {
    auto [a, b] = pairs_[p];
    if (a < 0 || b < 0 || size_t(a) >= m.size() || size_t(b) >= m.size())
      throw Error(fmt::format("pair {} ({}, {}) names a node out of range (model has {} nodes)", p, a, b, m.size()));
    spin_pair_[p] = !categorical_[size_t(a)] && !categorical_[size_t(b)];
  }
}

double PairMomentObserver::value(int32_t node, State code) const {
  return !categorical_.empty() && categorical_[node] ? double(code) : double(spin_value(code));
}

void PairMomentObserver::check_pairs(int nodes) const {
  for (auto [a, b] : pairs_)
    if (std::max(a, b) >= nodes || std::min(a, b) < 0)
      throw Error(fmt::format("pair moment observer: pair ({}, {}) is out of range for {} nodes", a, b, nodes));
}

bool PairMomentObserver::reads_packed() const {
  return std::all_of(spin_pair_.begin(), spin_pair_.end(), [](uint8_t spin) { return spin != 0; });
}

void PairMomentObserver::observe_packed(const PackedStates& states, int64_t) {
  check_pairs(states.nodes);
  const auto used = used_bits(states);
  for (size_t p = 0; p < pairs_.size(); ++p) {
    const uint64_t* a = planes_of(states, pairs_[p].first);
    const uint64_t* b = planes_of(states, pairs_[p].second);
    int64_t agree = 0;
    for (int w = 0; w < states.words; ++w) agree += std::popcount(~(a[w] ^ b[w]) & used[size_t(w)]);
    sums_[p] += double(2 * agree - states.chains);
  }
  samples_ += states.chains;
}

void PairMomentObserver::observe(const StateBatch& states, int64_t) {
  check_pairs(states.nodes);
  // Products of states are integers, so the sums are exact in any order.
  for (int c = 0; c < states.chains; ++c) {
    auto s = states.chain(c);
    for (size_t p = 0; p < pairs_.size(); ++p) {
      auto [a, b] = pairs_[p];
      sums_[p] += spin_pair_[p] ? (s[a] == s[b] ? 1.0 : -1.0) : value(a, s[a]) * value(b, s[b]);
    }
  }
  samples_ += states.chains;
}

std::vector<double> PairMomentObserver::moments() const {
  std::vector<double> out;
  for (double s : sums_) out.push_back(s / double(std::max<int64_t>(samples_, 1)));
  return out;
}

FactorMomentObserver::FactorMomentObserver(const Model& m)
    : model_(&m), all_spins_(all_spins(m)), sums_(weight_count(m), 0) {}

void FactorMomentObserver::track_diagnostics(int64_t observations) {
  stats_ = BinarySeriesStats(sums_.size(), observations);
}

void FactorMomentObserver::observe(const StateBatch& states, int64_t) {
  check_nodes(states, model_->size(), "factor moment observer");
  const bool diagnosed = stats_.enabled();
  if (diagnosed) stats_.begin_observation(states.chains);
  for (int c = 0; c < states.chains; ++c) {
    const auto s = states.chain(c);
    size_t base = 0;
    for (const auto& g : model_->groups) {
      const bool mixed = g.n_cat > 0 && g.n_spin > 0;
      for (size_t f = 0, n = g.count(); f < n; ++f) {
        const auto [entry, sign] = factor_statistic(g, f, s);
        const size_t k = base + f * g.table_size() + entry;
        sums_[k] += sign;
        if (!diagnosed) continue;
        // A pure-spin factor's entry is the indicator of +1; any other's is the statistic itself.
        if (sign > 0)
          stats_.add(c, k);
        else if (mixed)
          stats_.subtract(c, k);
      }
      base += g.weights.size();
    }
  }
  if (diagnosed) stats_.end_observation();
  samples_ += states.chains;
}

void FactorMomentObserver::observe_packed(const PackedStates& states, int64_t) {
  check_nodes(states, model_->size(), "factor moment observer");
  const bool diagnosed = stats_.enabled();
  if (diagnosed) stats_.begin_observation(states.chains, states.words);
  const auto used = used_bits(states);
  size_t k = 0;
  for (const auto& g : model_->groups)
    for (size_t f = 0, n = g.count(); f < n; ++f, ++k) {
      int64_t positive = 0;
      for (int w = 0; w < states.words; ++w) {
        const uint64_t plus = positive_products(states, g.spins.data() + f * size_t(g.n_spin), g.n_spin, w) & used[size_t(w)];
        positive += std::popcount(plus);
        if (diagnosed) stats_.add_word(k, w, plus);
      }
      sums_[k] += 2 * positive - states.chains;
    }
  if (diagnosed) stats_.end_observation();
  samples_ += states.chains;
}

std::vector<double> FactorMomentObserver::moments() const {
  std::vector<double> out;
  for (int64_t s : sums_) out.push_back(double(s) / double(std::max<int64_t>(samples_, 1)));
  return out;
}

std::vector<Diagnostic> factor_moment_diagnostics(const Model& m, const BinarySeriesStats& stats) {
  std::vector<Diagnostic> out;
  for (const auto& g : m.groups)
    for (size_t k = 0; k < g.weights.size(); ++k) {
      Diagnostic d = stats.at(out.size());
      if (g.n_cat == 0) {  // of P(s_1 ... s_S = +1); E[s_1 ... s_S] = 2 P - 1
        d.mean = 2 * d.mean - 1;
        d.mcse *= 2;
      }
      out.push_back(d);
    }
  return out;
}

EnergyObserver::EnergyObserver(const Model& m, double beta, int threads)
    : model_(&m), beta_(beta), threads_(threads), all_spins_(all_spins(m)) {}

void EnergyObserver::start(int chains) {
  if (traces_.empty()) traces_.resize(size_t(chains));
  if (traces_.size() != size_t(chains))
    throw Error(fmt::format("energy observer: {} chains observed, earlier {}", chains, traces_.size()));
}

void EnergyObserver::observe(const StateBatch& states, int64_t) {
  check_nodes(states, model_->size(), "energy observer");
  start(states.chains);
  // Chains are independent, and on large models this is the costliest observer.
#pragma omp parallel for schedule(static) num_threads(threads_ > 0 ? threads_ : omp_get_max_threads())
  for (int c = 0; c < states.chains; ++c) traces_[c].push_back(-beta_ * factor_sum(*model_, states.chain(c)));
}

void EnergyObserver::observe_packed(const PackedStates& states, int64_t) {
  check_nodes(states, model_->size(), "energy observer");
  start(states.chains);
  const auto sums = packed_factor_sums(*model_, states, threads_);
  for (size_t bit = 0; bit < sums.size(); ++bit)
    if (const int32_t c = states.chain_of_bit[bit]; c >= 0) traces_[size_t(c)].push_back(-beta_ * sums[bit]);
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

void SampleRecorder::start(int chains, int nodes) {
  if (observations_ == 0) {
    chains_ = chains;
    nodes_ = nodes;
  } else if (chains != chains_ || nodes != nodes_) {
    throw Error(fmt::format("sample recorder: batch of {} chains x {} nodes after {} x {}", chains, nodes, chains_,
                            nodes_));
  }
}

void SampleRecorder::observe(const StateBatch& states, int64_t) {
  start(states.chains, states.nodes);
  data_.insert(data_.end(), states.data.begin(), states.data.end());
  ++observations_;
}

void SampleRecorder::observe_packed(const PackedStates& states, int64_t) {
  start(states.chains, states.nodes);
  const size_t base = data_.size();
  data_.resize(base + size_t(chains_) * size_t(nodes_));
  for (size_t bit = 0; bit < states.chain_of_bit.size(); ++bit) {
    const int32_t c = states.chain_of_bit[bit];
    if (c < 0) continue;
    State* row = data_.data() + base + size_t(c) * size_t(nodes_);
    for (int i = 0; i < nodes_; ++i) row[i] = State(planes_of(states, i)[bit / 64] >> (bit % 64) & 1);
  }
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

AutocorrelationObserver::AutocorrelationObserver(std::string name, Statistic statistic, PackedStatistic packed)
    : name_(std::move(name)), statistic_(std::move(statistic)), packed_(std::move(packed)) {}

AutocorrelationObserver::AutocorrelationObserver(std::string name) : name_(std::move(name)) {}

void AutocorrelationObserver::observe_packed(const PackedStates& states, int64_t) {
  std::vector<double> values(size_t(states.chains));
  packed_(states, values);
  observe_values(values);
}

void AutocorrelationObserver::observe(const StateBatch& states, int64_t) {
  if (!statistic_) throw Error(fmt::format("autocorrelation '{}' is fed its values directly", name_));
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

PackedStatistic magnetization_packed_statistic(const Model& m) {
  if (m.size() == 0 || !all_spins(m)) return {};
  return [](const PackedStates& states, std::span<double> per_chain) {
    std::vector<int64_t> ones(states.chain_of_bit.size(), 0);
    for (int i = 0; i < states.nodes; ++i) {
      const uint64_t* up = planes_of(states, i);
      for (size_t bit = 0; bit < ones.size(); ++bit) ones[bit] += int64_t(up[bit / 64] >> (bit % 64) & 1);
    }
    for (size_t bit = 0; bit < ones.size(); ++bit)
      if (const int32_t c = states.chain_of_bit[bit]; c >= 0)
        per_chain[size_t(c)] = double(2 * ones[bit] - states.nodes) / double(states.nodes);
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

std::vector<size_t> two_spin_weights(const Model& m) {
  std::vector<size_t> out;
  size_t base = 0;
  for (const auto& g : m.groups) {
    for (size_t f = 0; g.n_spin == 2 && g.n_cat == 0 && f < g.count(); ++f) out.push_back(base + f);
    base += g.weights.size();
  }
  return out;
}

std::vector<double> two_spin_moments(const Model& m, std::span<const double> factor_moments) {
  std::vector<double> out;
  for (size_t k : two_spin_weights(m)) out.push_back(factor_moments[k]);
  return out;
}

nlohmann::json factor_moments_json(const Model& m, std::span<const double> values) {
  if (values.size() != weight_count(m))
    throw Error(fmt::format("factor moments: {} values for a model of {} weights", values.size(), weight_count(m)));
  auto out = nlohmann::json::array();
  size_t k = 0;
  for (const auto& g : m.groups) {
    auto moments = nlohmann::json::array();
    const size_t table = g.table_size();
    for (size_t f = 0, n = g.count(); f < n; ++f, k += table) {
      if (table == 1)
        moments.push_back(values[k]);
      else
        moments.push_back(std::vector<double>(values.begin() + ptrdiff_t(k), values.begin() + ptrdiff_t(k + table)));
    }
    out.push_back({{"spins", g.n_spin}, {"categories", g.cat_dims}, {"moments", std::move(moments)}});
  }
  return out;
}

std::string factor_moment_name(const Model& m, size_t weight) {
  for (const auto& g : m.groups) {
    if (weight >= g.weights.size()) {
      weight -= g.weights.size();
      continue;
    }
    const size_t f = weight / g.table_size();
    size_t entry = weight % g.table_size();
    std::vector<std::string> cats(size_t(g.n_cat));
    for (int j = g.n_cat - 1; j >= 0; --j) {  // row-major: the last slot varies fastest
      cats[size_t(j)] = fmt::format("x_{} = {}", g.cats_of(f)[size_t(j)], entry % size_t(g.cat_dims[size_t(j)]));
      entry /= size_t(g.cat_dims[size_t(j)]);
    }
    std::vector<std::string> spins;
    for (int32_t i : g.spins_of(f)) spins.push_back(fmt::format("s_{}", i));
    if (g.n_spin == 0) return fmt::format("P({})", fmt::join(cats, ", "));
    if (g.n_cat == 0) return fmt::format("E[{}]", fmt::join(spins, " "));
    return fmt::format("E[[{}] {}]", fmt::join(cats, ", "), fmt::join(spins, " "));
  }
  throw Error(fmt::format("factor moment {} is beyond the model's {} weights", weight, weight_count(m)));
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
