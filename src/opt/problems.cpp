#include "opt/problems.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <map>

namespace tsu::opt {

double Problem::worst() const {
  return maximise ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

namespace {

Problem make_problem(std::string kind, std::string name, std::string value_name, bool maximise,
                     std::shared_ptr<const Model> model) {
  Problem p;
  p.kind = std::move(kind);
  p.name = std::move(name);
  p.value_name = std::move(value_name);
  p.maximise = maximise;
  p.model = std::move(model);
  return p;
}

}  // namespace

double cut_value(const WeightedGraph& g, std::span<const State> side) {
  // Four accumulators and no branch (sides are random): one serial sum would wait on every add.
  auto term = [&](const WeightedEdge& e) { return e.w * double(side[e.u] ^ side[e.v]); };
  double c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  const size_t m = g.edges.size();
  size_t k = 0;
  for (; k + 4 <= m; k += 4) {
    c0 += term(g.edges[k]);
    c1 += term(g.edges[k + 1]);
    c2 += term(g.edges[k + 2]);
    c3 += term(g.edges[k + 3]);
  }
  for (; k < m; ++k) c0 += term(g.edges[k]);
  return (c0 + c1) + (c2 + c3);
}

int64_t colour_conflicts(const WeightedGraph& g, std::span<const State> colour) {
  int64_t conflicts = 0;
  for (const auto& e : g.edges) conflicts += colour[e.u] == colour[e.v];
  return conflicts;
}

int64_t unsatisfied_clauses(const Cnf& cnf, std::span<const State> truth) {
  int64_t unsat = 0;
  for (const auto& clause : cnf.clauses)
    unsat += std::none_of(clause.begin(), clause.end(),
                          [&](int32_t lit) { return (truth[std::abs(lit) - 1] != 0) == (lit > 0); });
  return unsat;
}

double qubo_value(const Qubo& q, std::span<const State> x) {
  double f = 0;
  for (const auto& e : q.entries) f += x[e.i] && x[e.j] ? e.q : 0.0;
  return f;
}

Problem maxcut_problem(WeightedGraph graph) {
  auto g = std::make_shared<const WeightedGraph>(std::move(graph));
  auto model = std::make_shared<Model>();
  model->name = g->name;
  model->add_spin_nodes(g->nodes);
  for (const auto& e : g->edges) model->add_coupling(e.u, e.v, -e.w);
  Problem p = make_problem("maxcut", g->name, "cut", true, model);
  p.value = [g](std::span<const State> s) { return cut_value(*g, s); };
  p.energy_scale = -2;  // sum w s s = W - 2 cut
  p.energy_offset = g->total_weight();
  return p;
}

Problem coloring_problem(WeightedGraph graph, int colours) {
  if (colours < 1 || colours > kMaxCategories)
    throw Error(fmt::format("colors: must be in 1..{}, got {}", kMaxCategories, colours));
  auto g = std::make_shared<const WeightedGraph>(std::move(graph));
  auto model = std::make_shared<Model>();
  model->name = g->name;
  model->add_categorical_nodes(g->nodes, colours);
  FactorGroup potts;
  potts.n_cat = 2;
  potts.cat_dims = {colours, colours};
  std::vector<double> table(size_t(colours) * colours, 0.0);
  for (int k = 0; k < colours; ++k) table[size_t(k) * colours + k] = -1.0;
  for (const auto& e : g->edges) {
    potts.cats.insert(potts.cats.end(), {e.u, e.v});
    potts.weights.insert(potts.weights.end(), table.begin(), table.end());
  }
  if (!g->edges.empty()) model->groups.push_back(std::move(potts));
  Problem p = make_problem("color", g->name, "conflicts", false, model);
  p.value = [g](std::span<const State> c) { return double(colour_conflicts(*g, c)); };
  return p;
}

namespace {

// The spin polynomial of "clause unsatisfied": prod over literals of (1 - sigma s) / 2 =
// 2^-k sum over subsets S of prod_{l in S} (-sigma_l s_l). Adds each non-empty subset's coefficient
// to `terms` (keyed by its sorted variables) and returns the constant (empty subset).
double add_clause_terms(const std::vector<int32_t>& clause, std::map<std::vector<int32_t>, double>& terms) {
  std::map<int32_t, int> sign;  // variable (0-based) -> sigma
  for (int32_t lit : clause) {
    const int s = lit > 0 ? 1 : -1;
    const auto [it, fresh] = sign.emplace(std::abs(lit) - 1, s);
    if (!fresh && it->second != s) return 0;  // x or not x: always satisfied
  }
  const std::vector<std::pair<int32_t, int>> lits(sign.begin(), sign.end());
  const size_t k = lits.size();
  const double scale = std::ldexp(1.0, -int(k));
  for (uint64_t subset = 1; subset < (uint64_t(1) << k); ++subset) {
    std::vector<int32_t> vars;
    double c = scale;
    for (size_t l = 0; l < k; ++l)
      if (subset >> l & 1) {
        vars.push_back(lits[l].first);
        c *= -lits[l].second;
      }
    terms[vars] += c;
  }
  return scale;
}

}  // namespace

Problem sat_problem(Cnf cnf) {
  auto f = std::make_shared<const Cnf>(std::move(cnf));
  auto model = std::make_shared<Model>();
  model->name = f->name;
  model->add_spin_nodes(f->variables);
  std::map<std::vector<int32_t>, double> terms;
  double constant = 0;
  for (const auto& clause : f->clauses) {
    if (clause.size() > 20) throw Error(fmt::format("{}: a clause of {} literals (at most 20 are supported)", f->name, clause.size()));
    constant += add_clause_terms(clause, terms);
  }
  // energy = -sum of factor terms = unsatisfied - constant: each term enters with weight -coefficient.
  for (const auto& [vars, c] : terms) {
    if (c == 0) continue;
    auto& g = model->spin_group(int(vars.size()));
    g.spins.insert(g.spins.end(), vars.begin(), vars.end());
    g.weights.push_back(-c);
  }
  Problem p = make_problem("sat", f->name, "unsatisfied", false, model);
  p.value = [f](std::span<const State> t) { return double(unsatisfied_clauses(*f, t)); };
  p.energy_offset = -constant;
  return p;
}

Problem qubo_problem(Qubo qubo) {
  auto q = std::make_shared<const Qubo>(std::move(qubo));
  auto model = std::make_shared<Model>();
  model->name = q->name;
  model->add_spin_nodes(q->variables);
  // Q x_i x_j with x = (1 + s) / 2: Q/4 (1 + s_i + s_j + s_i s_j); Q x_i = Q/2 (1 + s_i).
  // Factor terms are the negated coefficients (E = -sum of terms = f - constant).
  double constant = 0;
  std::map<std::pair<int32_t, int32_t>, double> couplings;
  std::vector<double> bias(size_t(q->variables), 0.0);
  for (const auto& e : q->entries) {
    if (e.i == e.j) {
      bias[e.i] -= e.q / 2;
      constant += e.q / 2;
      continue;
    }
    couplings[{std::min(e.i, e.j), std::max(e.i, e.j)}] -= e.q / 4;
    bias[e.i] -= e.q / 4;
    bias[e.j] -= e.q / 4;
    constant += e.q / 4;
  }
  for (int32_t i = 0; i < q->variables; ++i)
    if (bias[i] != 0) model->add_bias(i, bias[i]);
  for (const auto& [ij, w] : couplings)
    if (w != 0) model->add_coupling(ij.first, ij.second, w);
  Problem p = make_problem("qubo", q->name, "objective", false, model);
  p.value = [q](std::span<const State> x) { return qubo_value(*q, x); };
  p.energy_offset = -constant;
  return p;
}

Problem ising_problem(Model model) {
  model.validate();
  model.beta = 1.0;
  auto m = std::make_shared<const Model>(std::move(model));
  Problem p = make_problem("ising", m->name, "energy", false, m);
  p.value = [m](std::span<const State> s) { return energy(*m, s); };
  return p;
}

std::vector<int> solution_values(const Problem& p, std::span<const State> state) {
  std::vector<int> values(state.begin(), state.end());
  if (p.kind == "ising")
    for (size_t i = 0; i < values.size(); ++i)
      if (p.model->nodes[i].is_spin()) values[i] = spin_value(state[i]);
  return values;
}

std::pair<int, int> solution_range(const Problem& p) {
  int hi = 1;
  for (const auto& n : p.model->nodes) hi = std::max(hi, n.states - 1);
  return {p.kind == "ising" ? -1 : 0, hi};
}

std::vector<State> state_of_solution(const Problem& p, const std::vector<int>& values) {
  std::vector<State> state(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& node = p.model->nodes[i];
    const int v = values[i];
    const bool spin_value_ok = p.kind == "ising" ? (v == -1 || v == 1) : (v == 0 || v == 1);
    if (node.is_spin() ? !spin_value_ok : (v < 0 || v >= node.states))
      throw Error(fmt::format("solution: node {} has value {}, out of its range", i, v));
    state[i] = node.is_spin() && p.kind == "ising" ? spin_code(v) : State(v);
  }
  return state;
}

}  // namespace tsu::opt
