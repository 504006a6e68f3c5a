// The optimisation layer: encodings checked against their objectives on every state of small
// instances, solvers against brute-force optima, TTS99, determinism, time limits, the PT ladder and
// the TSU energy figures.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "error_of.hpp"
#include "hw/device.hpp"
#include "hw/energy.hpp"
#include "opt/energy.hpp"
#include "opt/problems.hpp"
#include "opt/solve.hpp"

namespace {

using namespace tsu;
using namespace tsu::opt;

WeightedGraph random_graph(int n, double density, bool gaussian, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> normal;
  WeightedGraph g;
  g.name = "random";
  g.nodes = n;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (u(rng) < density) g.edges.push_back({i, j, gaussian ? normal(rng) : (u(rng) < 0.5 ? -1.0 : 1.0)});
  return g;
}

// Random k-SAT with clauses of 1..4 literals (repeated and opposite literals included) or, with
// `planted`, 3-SAT clauses each satisfied by the assignment x_v = (v odd).
Cnf random_cnf(int n, int clauses, bool planted, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Cnf f;
  f.name = "random";
  f.variables = n;
  while (int(f.clauses.size()) < clauses) {
    const int k = planted ? 3 : 1 + int(rng() % 4);
    std::vector<int32_t> c;
    for (int l = 0; l < k; ++l) c.push_back(int32_t(1 + rng() % n) * (rng() % 2 ? 1 : -1));
    const bool satisfied_by_plant = std::any_of(c.begin(), c.end(), [](int32_t lit) { return (std::abs(lit) % 2 == 1) == (lit > 0); });
    if (!planted || satisfied_by_plant) f.clauses.push_back(c);
  }
  return f;
}

Qubo random_qubo(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Qubo q;
  q.name = "random";
  q.variables = n;
  for (int e = 0; e < 3 * n; ++e) q.entries.push_back({int32_t(rng() % n), int32_t(rng() % n), normal(rng)});
  return q;
}

// Calls f on every state of the problem's nodes (mixed radix over each node's states).
template <class F>
void for_each_state(const Problem& p, F f) {
  const size_t n = p.model->size();
  std::vector<State> s(n, 0);
  while (true) {
    f(std::span<const State>(s));
    size_t i = 0;
    while (i < n && ++s[i] == p.model->nodes[i].states) s[i++] = 0;
    if (i == n) return;
  }
}

// The best objective over every state.
double brute_force_optimum(const Problem& p) {
  double best = p.worst();
  for_each_state(p, [&](std::span<const State> s) {
    const double v = p.value(s);
    if (p.better(v, best)) best = v;
  });
  return best;
}

void expect_energy_matches_objective(const Problem& p) {
  int states = 0;
  for_each_state(p, [&](std::span<const State> s) {
    ASSERT_NEAR(energy(*p.model, s), p.energy_scale * p.value(s) + p.energy_offset, 1e-9);
    ++states;
  });
  EXPECT_GT(states, 1);
}

TEST(OptEncoding, MaxCutEnergyIsWMinusTwiceTheCut) {
  expect_energy_matches_objective(maxcut_problem(random_graph(10, 0.5, true, 1)));
  const auto p = maxcut_problem(random_graph(9, 0.6, false, 2));
  EXPECT_TRUE(is_pairwise_spin(*p.model));  // so the fast backend samples it
  expect_energy_matches_objective(p);
}

TEST(OptEncoding, ColouringEnergyCountsConflicts) {
  expect_energy_matches_objective(coloring_problem(random_graph(6, 0.6, false, 3), 3));
  const auto p = coloring_problem(random_graph(5, 0.8, false, 4), 2);
  EXPECT_EQ(p.energy_scale, 1.0);
  EXPECT_EQ(p.energy_offset, 0.0);
}

TEST(OptEncoding, SatEnergyCountsUnsatisfiedClauses) {
  const Cnf f = random_cnf(9, 30, false, 5);
  const auto p = sat_problem(f);
  expect_energy_matches_objective(p);
  int orders = 0;
  for (const auto& g : p.model->groups) orders = std::max(orders, g.n_spin);
  EXPECT_EQ(orders, 4);  // a 4-literal clause gives a 4-spin factor
}

TEST(OptEncoding, QuboAndIsingEnergies) {
  expect_energy_matches_objective(qubo_problem(random_qubo(8, 6)));
  Model m;
  m.add_spin_nodes(4);
  m.add_coupling(0, 1, 0.7);
  m.add_coupling(2, 3, -1.1);
  m.add_bias(2, 0.3);
  m.beta = 2.5;  // the objective is the energy at beta = 1 whatever the file says
  const auto p = ising_problem(m);
  expect_energy_matches_objective(p);
  const std::vector<State> up(4, 1);
  EXPECT_NEAR(p.value(up), -(0.7 - 1.1 + 0.3), 1e-12);
}

TEST(OptEncoding, ObjectivesOnHandCheckedStates) {
  const WeightedGraph g{"sq", 4, {{0, 1, 1}, {1, 2, 2}, {2, 3, 3}, {3, 0, 4}}};
  const std::vector<State> alternating{0, 1, 0, 1}, half{0, 0, 1, 1};
  EXPECT_EQ(cut_value(g, alternating), 10);
  EXPECT_EQ(cut_value(g, half), 6);
  EXPECT_EQ(colour_conflicts(g, half), 2);
  const Cnf f{"f", 2, {{1, 2}, {-1}, {-2, 1}}};
  EXPECT_EQ(unsatisfied_clauses(f, std::vector<State>{0, 0}), 1);
  EXPECT_EQ(unsatisfied_clauses(f, std::vector<State>{0, 1}), 1);
  EXPECT_EQ(unsatisfied_clauses(f, std::vector<State>{1, 1}), 1);
  const Qubo q{"q", 2, {{0, 0, -1}, {0, 1, 3}, {1, 1, -1}}};
  EXPECT_EQ(qubo_value(q, std::vector<State>{1, 0}), -1);
  EXPECT_EQ(qubo_value(q, std::vector<State>{1, 1}), 1);
  EXPECT_EQ(error_of([&] { coloring_problem(g, 0); }), "colors: must be in 1..256, got 0");
}

TEST(OptEncoding, SolutionValuesRoundTrip) {
  Model m;
  m.add_spin_nodes(2);
  m.add_coupling(0, 1, 1.0);
  const auto ising = ising_problem(m);
  const std::vector<State> s{0, 1};
  EXPECT_EQ(solution_values(ising, s), (std::vector<int>{-1, 1}));
  EXPECT_EQ(state_of_solution(ising, {-1, 1}), s);
  EXPECT_EQ(error_of([&] { state_of_solution(ising, {0, 1}); }), "solution: node 0 has value 0, out of its range");
  const auto colour = coloring_problem(random_graph(3, 1.0, false, 7), 3);
  EXPECT_EQ(solution_range(colour), (std::pair<int, int>{0, 2}));
  EXPECT_EQ(error_of([&] { state_of_solution(colour, {0, 3, 1}); }), "solution: node 1 has value 3, out of its range");
}

SolverOptions quick(int chains, int64_t sweeps, std::optional<double> target = {}) {
  SolverOptions o;
  o.chains = chains;
  o.sweeps = sweeps;
  o.target = target;
  o.seed = 11;
  o.threads = 1;
  o.time_limit = 60;  // never reached by these small instances: results stay deterministic
  return o;
}

TEST(OptSolve, AnnealingFindsTheExactOptimumOfSmallInstances) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const auto cut = maxcut_problem(random_graph(14, 0.4, seed % 2 == 0, seed));
    const auto r = solve(cut, quick(64, 300));
    EXPECT_NEAR(r.best_value, brute_force_optimum(cut), 1e-9) << "max-cut seed " << seed;
    EXPECT_EQ(r.backend, "fast");
    EXPECT_NEAR(cut.value(r.best_state), r.best_value, 1e-12);
  }
  const auto colour = coloring_problem(random_graph(8, 0.5, false, 8), 3);
  EXPECT_EQ(solve(colour, quick(16, 300)).best_value, brute_force_optimum(colour));
  const auto unsat = sat_problem(random_cnf(10, 60, false, 9));  // over-constrained: optimum > 0
  const double optimum = brute_force_optimum(unsat);
  EXPECT_GT(optimum, 0);
  EXPECT_EQ(solve(unsat, quick(16, 300)).best_value, optimum);
  const auto qubo = qubo_problem(random_qubo(12, 10));
  EXPECT_NEAR(solve(qubo, quick(16, 300)).best_value, brute_force_optimum(qubo), 1e-9);
}

TEST(OptSolve, PlantedSatisfiableFormulaIsSolved) {
  const auto p = sat_problem(random_cnf(40, 150, true, 12));
  const auto r = solve(p, quick(16, 400, 0.0));
  EXPECT_EQ(r.best_value, 0);
  EXPECT_TRUE(r.runs[0].reached);
  EXPECT_EQ(r.backend, "reference");  // higher-order factors
}

TEST(OptSolve, TemperingFindsTheOptimumAndKeepsItsLadderEnds) {
  const auto p = maxcut_problem(random_graph(14, 0.4, true, 13));
  SolverOptions o = quick(64, 400);
  o.method = Method::Tempering;
  o.replicas = 8;
  o.exchange_every = 5;
  o.adapt_fraction = 0.5;
  const auto r = solve(p, o);
  EXPECT_NEAR(r.best_value, brute_force_optimum(p), 1e-9);
  ASSERT_EQ(r.ladder.size(), 8u);
  EXPECT_NEAR(r.ladder.front(), 0.1, 1e-12);
  EXPECT_NEAR(r.ladder.back(), 3.0, 1e-9);
  for (size_t k = 0; k + 1 < r.ladder.size(); ++k) EXPECT_LT(r.ladder[k], r.ladder[k + 1]);
  ASSERT_EQ(r.acceptance.size(), 7u);
  for (double a : r.acceptance) {
    EXPECT_GE(a, 0.0);
    EXPECT_LE(a, 1.0);
  }
}

TEST(OptSolve, SameSeedSameResultWhateverTheThreads) {
  const auto p = maxcut_problem(random_graph(40, 0.2, true, 14));
  SolverOptions o = quick(70, 50);  // two tiles, the second partly filled
  o.runs = 3;
  const auto one = solve(p, o);
  o.threads = 2;
  const auto two = solve(p, o);
  EXPECT_EQ(one.best_state, two.best_state);
  ASSERT_EQ(one.runs.size(), two.runs.size());
  for (size_t r = 0; r < one.runs.size(); ++r) EXPECT_EQ(one.runs[r].best, two.runs[r].best);
}

TEST(OptSolve, RunsStopAtTheTargetOrTheTimeLimit) {
  const auto p = maxcut_problem(random_graph(12, 0.5, false, 15));
  const double optimum = brute_force_optimum(p);
  SolverOptions o = quick(64, 200, optimum);
  o.runs = 4;
  auto r = solve(p, o);
  EXPECT_EQ(r.hits, 4);
  EXPECT_EQ(r.batches, 4);  // each run stops at its first batch, which reaches the optimum
  EXPECT_DOUBLE_EQ(r.tts99(), r.batch_seconds);
  for (const auto& run : r.runs) EXPECT_EQ(run.sweeps, 200);
  o.target = optimum + 1;  // unreachable: every run ends at the time limit, before its first chunk
  o.time_limit = 1e-9;
  r = solve(p, o);
  EXPECT_EQ(r.hits, 0);
  EXPECT_EQ(r.batches, 0);
  for (const auto& run : r.runs) EXPECT_FALSE(run.reached);
  EXPECT_TRUE(std::isnan(r.tts99()));
  // The cut-short batches' states still give a solution to write, for both solvers.
  for (const Method m : {Method::Annealing, Method::Tempering}) {
    o.method = m;
    o.replicas = 4;
    r = solve(p, o);
    ASSERT_EQ(r.best_state.size(), 12u);
    EXPECT_EQ(p.value(r.best_state), r.best_value);
    EXPECT_EQ(r.batches, 0);
  }
}

TEST(OptSolve, OnFinishSeesTheBackendOnceAfterTheLastRun) {
  const auto p = maxcut_problem(random_graph(8, 0.5, false, 17));
  SolverOptions o = quick(4, 20);
  o.runs = 3;
  std::vector<std::string> seen;
  o.on_finish = [&](const Backend& b) { seen.push_back(b.name()); };
  const auto r = solve(p, o);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], r.backend);
}

TEST(OptSolve, Tts99Formula) {
  EXPECT_EQ(tts99(2.0, 1.0), 2.0);
  EXPECT_EQ(tts99(2.0, 0.0), std::numeric_limits<double>::infinity());
  EXPECT_NEAR(tts99(1.0, 0.5), std::log(0.01) / std::log(0.5), 1e-12);  // 6.64 tries
  EXPECT_NEAR(tts99(1.0, 0.99), 1.0, 1e-12);
}

TEST(OptSolve, OptionErrorsNameTheOption) {
  const auto p = maxcut_problem(random_graph(6, 0.5, false, 16));
  SolverOptions o = quick(8, 10);
  o.beta_start = 0;
  EXPECT_EQ(error_of([&] { solve(p, o); }), "beta: --beta-start and --beta-end must be finite and > 0, got 0 and 3");
  o = quick(8, 10);
  o.method = Method::Tempering;
  o.replicas = 16;
  EXPECT_EQ(error_of([&] { solve(p, o); }),
            "chains: parallel tempering needs at least one ladder of 16 replicas, got 8 chains");
  EXPECT_EQ(error_of([] { parse_method("ga"); }), "solver: unknown solver \"ga\" (expected sa or pt)");
}

TEST(OptEnergy, EnergyToSolutionIsUpdatesTimesTheCellEnergy) {
  const auto p = maxcut_problem(random_graph(16, 0.5, false, 17));
  const auto r = solve(p, quick(64, 100, brute_force_optimum(p)));
  ASSERT_TRUE(r.runs[0].reached);
  const auto device = hw::device_preset("paper");
  const TsuCost c = tsu_cost(p, device, r, 100);
  EXPECT_NEAR(c.degree, 2.0 * double(random_graph(16, 0.5, false, 17).edges.size()) / 16, 1e-12);
  const double e_update = hw::cell_energy(device, c.degree, c.wire_length, r.colours, device.activity).total();
  EXPECT_NEAR(c.cell.total(), e_update, 1e-30);
  EXPECT_NEAR(c.batch_energy, 16.0 * 100 * 64 * e_update, 1e-25);
  EXPECT_NEAR(c.energy_to_target, c.batch_energy, 1e-25);  // reached in the first batch
  EXPECT_NEAR(c.batch_seconds, 100.0 * r.colours * device.clock_period, 1e-15);
}

}  // namespace
