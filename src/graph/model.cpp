#include "graph/model.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace tsu {

size_t FactorGroup::table_offset(std::span<const State> cat_states) const {
  size_t off = 0;
  for (int j = 0; j < n_cat; ++j) off = off * size_t(cat_dims[j]) + cat_states[j];
  return off;
}

size_t Model::free_count() const {
  size_t n = 0;
  for (size_t i = 0; i < nodes.size(); ++i) n += !is_clamped(i);
  return n;
}

int Model::add_spin_nodes(int n) {
  int first = int(nodes.size());
  nodes.insert(nodes.end(), size_t(n), NodeKind::spin());
  return first;
}

int Model::add_categorical_nodes(int n, int k) {
  int first = int(nodes.size());
  nodes.insert(nodes.end(), size_t(n), NodeKind::categorical(k));
  return first;
}

FactorGroup& Model::spin_group(int order) {
  for (auto& g : groups)
    if (g.n_cat == 0 && g.n_spin == order) return g;
  FactorGroup g;
  g.n_spin = order;
  groups.push_back(std::move(g));
  return groups.back();
}

void Model::add_bias(int i, double h) {
  auto& g = spin_group(1);
  g.spins.push_back(i);
  g.weights.push_back(h);
}

void Model::add_coupling(int i, int j, double w) {
  auto& g = spin_group(2);
  g.spins.insert(g.spins.end(), {i, j});
  g.weights.push_back(w);
}

static void check_member(const Model& m, size_t gi, size_t f, int32_t node, bool want_spin) {
  if (node < 0 || size_t(node) >= m.size())
    throw Error(fmt::format("factors[{}] entry {}: node index {} is out of range (model has {} nodes)",
                            gi, f, node, m.size()));
  if (m.nodes[node].is_spin() != want_spin)
    throw Error(fmt::format("factors[{}] entry {}: node {} is {}, but is listed under \"{}\"", gi, f,
                            node, m.nodes[node].is_spin() ? "a spin" : "categorical",
                            want_spin ? "spins" : "cats"));
}

std::string magnitude_problem(double x) {
  if (std::isnan(x) || std::isinf(x)) return "NaN or infinite";
  if (std::abs(x) > kMaxMagnitude) return fmt::format("{} is beyond tsu's limit of +-{:g}", x, kMaxMagnitude);
  return "";
}

void Model::validate() const {
  if (const auto problem = magnitude_problem(beta); !problem.empty()) throw Error("beta: " + problem);
  for (size_t i = 0; i < nodes.size(); ++i) {
    int k = nodes[i].states;
    if (k < 2 || k > kMaxCategories)
      throw Error(fmt::format("nodes[{}]: categorical nodes need 2..{} states, got {}", i, kMaxCategories, k));
  }
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const auto& g = groups[gi];
    if (g.arity() == 0) throw Error(fmt::format("factors[{}]: a factor needs at least one node", gi));
    if (g.n_cat > 16) throw Error(fmt::format("factors[{}]: at most 16 categorical members per factor", gi));
    if (int(g.cat_dims.size()) != g.n_cat)
      throw Error(fmt::format("factors[{}]: {} categorical slots but {} table dimensions", gi, g.n_cat,
                              g.cat_dims.size()));
    size_t count = g.count();
    if (g.weights.size() != count * g.table_size() || g.spins.size() != count * size_t(g.n_spin) ||
        g.cats.size() != count * size_t(g.n_cat))
      throw Error(fmt::format("factors[{}]: member lists and weights disagree in length", gi));
    for (size_t f = 0; f < count; ++f) {
      auto s = g.spins_of(f);
      auto c = g.cats_of(f);
      for (auto v : s) check_member(*this, gi, f, v, true);
      for (int j = 0; j < g.n_cat; ++j) {
        check_member(*this, gi, f, c[j], false);
        if (nodes[c[j]].states != g.cat_dims[j])
          throw Error(fmt::format("factors[{}] entry {}: node {} has {} states but the table has {} along dimension {}",
                                  gi, f, c[j], nodes[c[j]].states, g.cat_dims[j], j));
      }
      std::vector<int32_t> members(s.begin(), s.end());
      members.insert(members.end(), c.begin(), c.end());
      for (size_t a = 0; a < members.size(); ++a)
        for (size_t b = a + 1; b < members.size(); ++b)
          if (members[a] == members[b])
            throw Error(fmt::format("factors[{}] entry {}: node {} appears twice in one factor", gi, f, members[a]));
      for (double w : g.table_of(f))
        if (const auto problem = magnitude_problem(w); !problem.empty())
          throw Error(fmt::format("factors[{}] entry {}: weight {}", gi, f, problem));
    }
  }
  if (!clamp.empty() && clamp.size() != nodes.size())
    throw Error("clamp: internal size mismatch with nodes");
  for (size_t i = 0; i < clamp.size(); ++i)
    if (clamp[i] && *clamp[i] >= nodes[i].states)
      throw Error(fmt::format("clamp: node {} clamped to state {} but has only {} states", i, int(*clamp[i]),
                              nodes[i].states));
}

double factor_term(const FactorGroup& g, size_t f, std::span<const State> state) {
  State cs[64];
  auto c = g.cats_of(f);
  for (int j = 0; j < g.n_cat; ++j) cs[j] = state[c[j]];
  double v = g.table_of(f)[g.table_offset({cs, size_t(g.n_cat)})];
  for (auto s : g.spins_of(f))
    if (state[s] == 0) v = -v;
  return v;
}

FactorStatistic factor_statistic(const FactorGroup& g, size_t f, std::span<const State> state) {
  size_t entry = 0;
  for (int j = 0; j < g.n_cat; ++j) entry = entry * size_t(g.cat_dims[j]) + state[g.cats[f * g.n_cat + j]];
  int negatives = 0;
  for (int j = 0; j < g.n_spin; ++j) negatives += state[g.spins[f * g.n_spin + j]] == 0;
  return {entry, (negatives & 1) ? -1 : 1};
}

size_t weight_count(const Model& model) {
  size_t n = 0;
  for (const auto& g : model.groups) n += g.weights.size();
  return n;
}

std::vector<double> flat_weights(const Model& model) {
  std::vector<double> w;
  w.reserve(weight_count(model));
  for (const auto& g : model.groups) w.insert(w.end(), g.weights.begin(), g.weights.end());
  return w;
}

void set_flat_weights(Model& model, std::span<const double> weights) {
  if (weights.size() != weight_count(model))
    throw Error(fmt::format("weights: {} values for a model of {} weights", weights.size(), weight_count(model)));
  size_t at = 0;
  for (auto& g : model.groups) {
    std::copy(weights.begin() + ptrdiff_t(at), weights.begin() + ptrdiff_t(at + g.weights.size()), g.weights.begin());
    at += g.weights.size();
  }
}

void add_group_statistics(const FactorGroup& g, std::span<const State> state, double scale, std::span<double> sums) {
  const size_t table = g.table_size();
  for (size_t f = 0, n = g.count(); f < n; ++f) {
    const auto [entry, sign] = factor_statistic(g, f, state);
    sums[f * table + entry] += sign * scale;
  }
}

void add_statistics(const Model& model, std::span<const State> state, double scale, std::span<double> sums) {
  size_t base = 0;
  for (const auto& g : model.groups) {
    add_group_statistics(g, state, scale, sums.subspan(base, g.weights.size()));
    base += g.weights.size();
  }
}

// Pure spin groups skip the table lookup: observers evaluate the energy of every chain at every
// observation, and on large Ising models this loop dominates otherwise.
static double spin_group_sum(const FactorGroup& g, std::span<const State> state) {
  double sum = 0;
  const int32_t* members = g.spins.data();
  for (size_t f = 0, n = g.count(); f < n; ++f) {
    int negatives = 0;
    for (int k = 0; k < g.n_spin; ++k) negatives += state[*members++] == 0;
    sum += (negatives & 1) ? -g.weights[f] : g.weights[f];
  }
  return sum;
}

double factor_sum(const Model& model, std::span<const State> state) {
  double sum = 0;
  for (const auto& g : model.groups) {
    if (g.n_cat == 0) {
      sum += spin_group_sum(g, state);
      continue;
    }
    for (size_t f = 0, n = g.count(); f < n; ++f) sum += factor_term(g, f, state);
  }
  return sum;
}

double energy(const Model& model, std::span<const State> state) { return -model.beta * factor_sum(model, state); }

}  // namespace tsu
