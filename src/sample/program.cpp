#include "sample/program.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace tsu {

CompiledModel compile(std::shared_ptr<const Model> model) {
  model->validate();
  CompiledModel cm;
  const size_t n = model->size();
  std::vector<int64_t> degree(n + 1, 0);
  for (const auto& g : model->groups) {
    for (auto v : g.spins) ++degree[v + 1];
    for (auto v : g.cats) ++degree[v + 1];
  }
  for (size_t i = 0; i < n; ++i) degree[i + 1] += degree[i];
  cm.offsets = degree;
  cm.incidence.resize(size_t(degree[n]));
  std::vector<int64_t> fill(degree.begin(), degree.end() - 1);
  for (size_t gi = 0; gi < model->groups.size(); ++gi) {
    const auto& g = model->groups[gi];
    for (size_t f = 0, count = g.count(); f < count; ++f) {
      auto s = g.spins_of(f);
      auto c = g.cats_of(f);
      for (int k = 0; k < g.n_spin; ++k) cm.incidence[fill[s[k]]++] = {int32_t(gi), k, int64_t(f)};
      for (int k = 0; k < g.n_cat; ++k) cm.incidence[fill[c[k]]++] = {int32_t(gi), g.n_spin + k, int64_t(f)};
    }
  }
  cm.model = std::move(model);
  return cm;
}

bool is_pairwise_spin(const Model& model) {
  for (const auto& node : model.nodes)
    if (!node.is_spin()) return false;
  for (const auto& g : model.groups)
    if (g.n_cat != 0 || g.n_spin > 2) return false;
  return true;
}

// The factor's weight at the current categorical states, with categorical slot `skip` (if any)
// replaced by `skip_value`.
static double factor_weight(const FactorGroup& g, size_t f, std::span<const State> state, int skip, int skip_value) {
  State cs[16];
  auto c = g.cats_of(f);
  for (int k = 0; k < g.n_cat; ++k) cs[k] = k == skip ? State(skip_value) : state[c[k]];
  return g.table_of(f)[g.table_offset({cs, size_t(g.n_cat)})];
}

// Product of the factor's spins, leaving out spin slot `skip` (pass -1 to keep all).
static int spin_product(const FactorGroup& g, size_t f, std::span<const State> state, int skip) {
  int sign = 1;
  auto s = g.spins_of(f);
  for (int k = 0; k < g.n_spin; ++k)
    if (k != skip && state[s[k]] == 0) sign = -sign;
  return sign;
}

double spin_field(const CompiledModel& cm, size_t node, std::span<const State> state) {
  double field = 0;
  for (const auto& inc : cm.incidence_of(node)) {
    const auto& g = cm.model->groups[inc.group];
    field += spin_product(g, inc.factor, state, inc.slot) * factor_weight(g, inc.factor, state, -1, 0);
  }
  return field;
}

void categorical_logits(const CompiledModel& cm, size_t node, std::span<const State> state, std::span<double> logits) {
  std::fill(logits.begin(), logits.end(), 0.0);
  for (const auto& inc : cm.incidence_of(node)) {
    const auto& g = cm.model->groups[inc.group];
    const int slot = inc.slot - g.n_spin;
    const int sign = spin_product(g, inc.factor, state, -1);
    for (size_t k = 0; k < logits.size(); ++k) logits[k] += sign * factor_weight(g, inc.factor, state, slot, int(k));
  }
}

}  // namespace tsu
