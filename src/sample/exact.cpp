#include "sample/exact.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <memory>

#include "sample/program.hpp"

namespace tsu {
namespace {

// Walks every configuration of the free nodes in reflected mixed-radix Gray order (Knuth, TAOCP
// 7.2.1.1, Algorithm H), so that consecutive configurations differ in one node by one step and the
// factor sum is updated from that node's factors alone.
class GrayEnumerator {
 public:
  GrayEnumerator(const Model& m, const std::vector<uint8_t>& clamped)
      : cm_(compile(std::make_shared<const Model>(m))), state_(m.size(), 0) {
    if (!clamped.empty() && clamped.size() != m.size())
      throw Error(fmt::format("exact: the clamped mask has {} entries but the model has {} nodes", clamped.size(),
                              m.size()));
    double configurations = 1;
    for (size_t i = 0; i < m.size(); ++i) {
      if (!clamped.empty() && clamped[i]) {
        state_[i] = m.is_clamped(i) ? *m.clamp[i] : 0;
      } else {
        free_.push_back(int32_t(i));
        configurations *= m.nodes[i].states;
      }
    }
    if (configurations > kMaxExactStates)
      throw Error(fmt::format("exact: {} free nodes have {:.4g} configurations, more than the limit of 16,777,216; "
                              "clamp more nodes or sample instead",
                              free_.size(), configurations));
    configurations_ = size_t(configurations);
    split_spin_terms();
  }

  const Model& model() const { return *cm_.model; }
  std::span<const int32_t> free_nodes() const { return free_; }
  size_t configurations() const { return configurations_; }
  std::span<const State> state() const { return state_; }

  // Calls visit(factor_sum) at every configuration, and change(free_index, node, old, new) just
  // before each single-node step.
  template <class Visit, class Change>
  void for_each(Visit&& visit, Change&& change) {
    const size_t n = free_.size();
    std::vector<int> direction(n, 1);
    std::vector<size_t> focus(n + 1);
    for (size_t j = 0; j <= n; ++j) focus[j] = j;
    for (int32_t v : free_) state_[v] = 0;
    double sum = factor_sum(model(), state_);
    for (;;) {
      visit(sum);
      const size_t j = focus[0];
      focus[0] = 0;
      if (j == n) break;
      const int32_t node = free_[j];
      const State before = state_[node];
      const State after = State(before + direction[j]);
      change(j, node, before, after);
      sum += step(node, after);
      if (after == 0 || after == model().nodes[node].states - 1) {
        direction[j] = -direction[j];
        focus[j] = focus[j + 1];
        focus[j + 1] = j + 1;
      }
    }
  }

 private:
  // Biases and two-spin couplings, the bulk of most models, are kept per node in flat arrays; every
  // other factor is evaluated through the compiled incidence lists.
  void split_spin_terms() {
    const size_t n = model().size();
    bias_.assign(n, 0.0);
    coupling_offsets_.assign(n + 1, 0);
    other_offsets_.assign(n + 1, 0);
    for (size_t i = 0; i < n; ++i) {
      for (const auto& inc : cm_.incidence_of(i)) {
        const auto& g = model().groups[inc.group];
        const double w = g.weights[size_t(inc.factor)];
        if (g.n_cat == 0 && g.n_spin == 1) {
          bias_[i] += w;
        } else if (g.n_cat == 0 && g.n_spin == 2) {
          coupled_.push_back(g.spins_of(size_t(inc.factor))[1 - inc.slot]);
          coupling_.push_back(w);
        } else {
          other_.push_back(inc);
        }
      }
      coupling_offsets_[i + 1] = coupled_.size();
      other_offsets_[i + 1] = other_.size();
    }
  }

  // The sum of the terms of every factor that holds `node`.
  double node_terms(int32_t node) const {
    double sum = 0;
    for (size_t k = other_offsets_[node]; k < other_offsets_[node + 1]; ++k)
      sum += factor_term(model().groups[other_[k].group], size_t(other_[k].factor), state_);
    if (!model().nodes[node].is_spin()) return sum;
    double field = bias_[node];
    for (size_t k = coupling_offsets_[node]; k < coupling_offsets_[node + 1]; ++k)
      field += coupling_[k] * spin_value(state_[coupled_[k]]);
    return sum + spin_value(state_[node]) * field;
  }

  // Moves `node` to state `after` and returns the change of the factor sum.
  double step(int32_t node, State after) {
    const double old_terms = node_terms(node);
    state_[node] = after;
    // Flipping a spin negates every term that holds it.
    return model().nodes[node].is_spin() ? -2 * old_terms : node_terms(node) - old_terms;
  }

  CompiledModel cm_;
  std::vector<double> bias_;                      // [node]
  std::vector<size_t> coupling_offsets_;          // [node + 1] into coupled_ / coupling_
  std::vector<int32_t> coupled_;
  std::vector<double> coupling_;
  std::vector<size_t> other_offsets_;             // [node + 1] into other_
  std::vector<Incidence> other_;
  std::vector<State> state_;
  std::vector<int32_t> free_;
  size_t configurations_ = 0;
};

// Accumulates weights exp(beta * sum - shift). The shift follows the largest exponent seen, so no
// weight overflows; the smallest ones underflow harmlessly. A node's (or pair's) statistic only
// changes when the node steps, so instead of adding every weight to every node it adds the running
// total accumulated since the node's last step: O(1) work per configuration and node step.
class MomentAccumulator {
 public:
  MomentAccumulator(const Model& m, const std::vector<std::pair<int32_t, int32_t>>& pairs, double beta)
      : beta_(beta), offsets_(m.size() + 1, 0), since_node_(m.size(), 0), pairs_(pairs),
        pair_sums_(pairs.size(), 0), since_pair_(pairs.size(), 0), pairs_of_(m.size()) {
    for (size_t i = 0; i < m.size(); ++i) offsets_[i + 1] = offsets_[i] + size_t(m.nodes[i].states);
    state_sums_.assign(offsets_.back(), 0);
    for (size_t p = 0; p < pairs.size(); ++p) {
      auto [a, b] = pairs[p];
      if (a < 0 || b < 0 || size_t(a) >= m.size() || size_t(b) >= m.size())
        throw Error(fmt::format("exact: pair {} ({}, {}) names a node out of range (model has {} nodes)", p, a, b,
                                m.size()));
      if (!m.nodes[a].is_spin() || !m.nodes[b].is_spin())
        throw Error(fmt::format("exact: pair {} ({}, {}): pair moments need two spin nodes", p, a, b));
      pairs_of_[a].push_back(p);
      if (b != a) pairs_of_[b].push_back(p);
    }
    index_factors(m);
  }

  void visit(double factor_sum) {
    const double exponent = beta_ * factor_sum;
    if (!started_ || exponent - shift_ > kRescaleAbove) rescale(exponent);
    const double w = std::exp(exponent - shift_);
    total_ += w;
    weighted_sum_ += w * factor_sum;
  }

  void flush_node(int32_t node, std::span<const State> state) {
    state_sums_[offsets_[node] + state[node]] += total_ - since_node_[node];
    since_node_[node] = total_;
    for (size_t p : pairs_of_[node]) flush_pair(p, state);
    for (size_t k : factors_of_[node]) flush_factor(k, state);
  }

  ExactResult result(std::span<const State> state) {
    for (size_t i = 0; i < since_node_.size(); ++i) flush_node(int32_t(i), state);  // pairs included
    for (size_t k = 0; k < factors_.size(); ++k) flush_factor(k, state);
    ExactResult r;
    r.log_z = std::log(total_) + shift_;
    r.mean_energy = -beta_ * weighted_sum_ / total_;
    r.marginals.resize(since_node_.size());
    for (size_t i = 0; i < r.marginals.size(); ++i)
      for (size_t k = offsets_[i]; k < offsets_[i + 1]; ++k) r.marginals[i].push_back(state_sums_[k] / total_);
    for (double s : pair_sums_) r.pair_moments.push_back(s / total_);
    for (double s : factor_sums_) r.factor_moments.push_back(s / total_);
    return r;
  }

 private:
  static constexpr double kRescaleAbove = 64;  // e^64 * 2^24 states stays far below DBL_MAX

  void flush_pair(size_t p, std::span<const State> state) {
    const int product = spin_value(state[pairs_[p].first]) * spin_value(state[pairs_[p].second]);
    pair_sums_[p] += product * (total_ - since_pair_[p]);
    since_pair_[p] = total_;
  }

  // A factor's statistic changes only when one of its members steps, like a pair's.
  void index_factors(const Model& m) {
    factors_of_.resize(m.size());
    size_t base = 0;
    for (const auto& g : m.groups) {
      for (size_t f = 0, n = g.count(); f < n; ++f) {
        for (int32_t node : g.spins_of(f)) factors_of_[size_t(node)].push_back(factors_.size());
        for (int32_t node : g.cats_of(f)) factors_of_[size_t(node)].push_back(factors_.size());
        factors_.push_back({&g, f, base + f * g.table_size()});
      }
      base += g.weights.size();
    }
    factor_sums_.assign(base, 0);
    since_factor_.assign(factors_.size(), 0);
  }

  void flush_factor(size_t k, std::span<const State> state) {
    const FactorRef& ref = factors_[k];
    const auto [entry, sign] = factor_statistic(*ref.group, ref.factor, state);
    factor_sums_[ref.first_weight + entry] += sign * (total_ - since_factor_[k]);
    since_factor_[k] = total_;
  }

  void rescale(double new_shift) {
    const double factor = started_ ? std::exp(shift_ - new_shift) : 1.0;
    for (auto* v : {&state_sums_, &since_node_, &pair_sums_, &since_pair_, &factor_sums_, &since_factor_})
      for (double& x : *v) x *= factor;
    total_ *= factor;
    weighted_sum_ *= factor;
    shift_ = new_shift;
    started_ = true;
  }

  double beta_;
  bool started_ = false;
  double shift_ = 0;
  double total_ = 0;         // running sum of weights
  double weighted_sum_ = 0;  // running sum of weight * factor_sum
  std::vector<size_t> offsets_;
  std::vector<double> state_sums_, since_node_;
  std::vector<std::pair<int32_t, int32_t>> pairs_;
  std::vector<double> pair_sums_, since_pair_;
  std::vector<std::vector<size_t>> pairs_of_;
  struct FactorRef {
    const FactorGroup* group;
    size_t factor;
    size_t first_weight;  // of its table in the flat weights
  };
  std::vector<FactorRef> factors_;
  std::vector<double> factor_sums_, since_factor_;  // [weight], [factor]
  std::vector<std::vector<size_t>> factors_of_;      // [node]: its factors' indices in factors_
};

void check_beta(double beta) {
  if (!std::isfinite(beta)) throw Error("exact: beta must be finite");
}

}  // namespace

ExactResult exact_moments(const Model& m, const std::vector<uint8_t>& clamped,
                          const std::vector<std::pair<int32_t, int32_t>>& pairs, double beta) {
  check_beta(beta);
  GrayEnumerator walk(m, clamped);
  MomentAccumulator acc(m, pairs, beta);
  walk.for_each([&](double sum) { acc.visit(sum); },
                [&](size_t, int32_t node, State, State) { acc.flush_node(node, walk.state()); });
  return acc.result(walk.state());
}

std::vector<double> exact_distribution(const Model& m, const std::vector<uint8_t>& clamped, double beta) {
  check_beta(beta);
  GrayEnumerator walk(m, clamped);
  std::vector<size_t> stride(walk.free_nodes().size(), 1);
  for (size_t j = 1; j < stride.size(); ++j) stride[j] = stride[j - 1] * size_t(m.nodes[walk.free_nodes()[j - 1]].states);
  std::vector<double> p(walk.configurations());
  size_t index = 0;
  walk.for_each([&](double sum) { p[index] = beta * sum; },
                [&](size_t j, int32_t, State before, State after) {
                  index = after > before ? index + stride[j] : index - stride[j];
                });
  const double top = *std::max_element(p.begin(), p.end());
  double total = 0;
  for (double& x : p) total += (x = std::exp(x - top));
  for (double& x : p) x /= total;
  return p;
}

}  // namespace tsu
