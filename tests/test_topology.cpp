#include <gtest/gtest.h>

#include "error_of.hpp"

#include "graph/topology.hpp"

#include <cmath>
#include <set>

using namespace tsu;

namespace {

const std::vector<std::string> kRules = {"G8", "G12", "G16", "G20", "G24", "G12-paper", "G16-paper", "Z1"};

int rule_degree(const std::string& name) { return 4 * int(grid_rule(name).offsets.size()); }

// Smallest even side that a torus accepts for the rule.
int min_torus_side(const GridRule& rule) {
  int m = 0;
  for (auto [a, b] : rule.offsets) m = std::max({m, std::abs(a), std::abs(b)});
  return 2 * m + 2;
}

std::vector<int> degrees(int n, const std::vector<Edge>& edges) {
  std::vector<int> deg(size_t(n), 0);
  for (auto e : edges) ++deg[e.a], ++deg[e.b];
  return deg;
}

// Checks the edges form a simple graph on n nodes with a < b.
void expect_simple(int n, const std::vector<Edge>& edges) {
  std::set<std::pair<int, int>> seen;
  for (auto e : edges) {
    ASSERT_LT(e.a, e.b);
    ASSERT_GE(e.a, 0);
    ASSERT_LT(e.b, n);
    ASSERT_TRUE(seen.insert({e.a, e.b}).second) << "duplicate edge " << e.a << "-" << e.b;
  }
}

// Edges of an open L x L grid, counted per direction: (L - |dr|) * (L - |dc|) node pairs each.
size_t open_edge_count(int L, const GridRule& rule) {
  size_t n = 0;
  for (auto [a, b] : rule.offsets)
    for (auto [dr, dc] : {std::pair{a, b}, {-b, a}}) n += size_t(L - std::abs(dr)) * size_t(L - std::abs(dc));
  return n;
}

}  // namespace

TEST(Topology, GridRulesHaveOddParityOffsets) {
  for (const auto& name : kRules) {
    auto rule = grid_rule(name);
    EXPECT_EQ(rule.name, name);
    for (auto [a, b] : rule.offsets) EXPECT_EQ(std::abs(a + b) % 2, 1) << name;
  }
  EXPECT_EQ(rule_degree("G8"), 8);
  EXPECT_EQ(rule_degree("G24"), 24);
  EXPECT_EQ(grid_rule("G12").offsets.back(), std::pair(10, 9));
  EXPECT_EQ(grid_rule("G12-paper").offsets.back(), std::pair(9, 10));
  EXPECT_EQ(rule_degree("Z1"), 16);  // the Z1 chip's 16 neighbours per p-bit
}

TEST(Topology, UnknownRuleIsAnError) {
  auto msg = error_of([] { grid_rule("G13"); });
  EXPECT_NE(msg.find("\"G13\" is unknown"), std::string::npos) << msg;
  EXPECT_NE(msg.find("G16-paper"), std::string::npos) << msg;
}

TEST(Topology, PaperGridHas29400Edges) {
  auto edges = grid_edges(70, grid_rule("G12"), true);
  EXPECT_EQ(edges.size(), 29400u);
  expect_simple(4900, edges);
  for (int d : degrees(4900, edges)) ASSERT_EQ(d, 12);
}

TEST(Topology, TorusIsRegularSimpleAndBipartiteForEveryRule) {
  for (const auto& name : kRules) {
    auto rule = grid_rule(name);
    for (int L : {min_torus_side(rule), 70}) {
      SCOPED_TRACE(name + " L=" + std::to_string(L));
      auto edges = grid_edges(L, rule, true);
      int deg = rule_degree(name);
      EXPECT_EQ(edges.size(), size_t(L) * L * deg / 2);
      expect_simple(L * L, edges);
      for (int d : degrees(L * L, edges)) ASSERT_EQ(d, deg);
      for (auto e : edges) ASSERT_NE((e.a / L + e.a % L) % 2, (e.b / L + e.b % L) % 2);
    }
  }
}

TEST(Topology, OpenGridDropsEdgesLeavingTheGrid) {
  for (const auto& name : kRules) {
    SCOPED_TRACE(name);
    auto rule = grid_rule(name);
    const int L = 70;  // wide enough for a node to keep all its neighbours
    auto edges = grid_edges(L, rule, false);
    EXPECT_EQ(edges.size(), open_edge_count(L, rule));
    expect_simple(L * L, edges);
    auto deg = degrees(L * L, edges);
    EXPECT_EQ(*std::max_element(deg.begin(), deg.end()), rule_degree(name));
    EXPECT_LT(deg[0], rule_degree(name));
  }
  // G8 corner (0,0) keeps (0,1), (1,0) and (4,1): 1, 10 and 41 on a 10 x 10 grid.
  auto edges = grid_edges(10, grid_rule("G8"), false);
  std::set<int> corner;
  for (auto e : edges)
    if (e.a == 0) corner.insert(e.b);
  EXPECT_EQ(corner, (std::set<int>{1, 10, 41}));
  EXPECT_EQ(edges.size(), 288u);
}

TEST(Topology, TorusSideIsChecked) {
  auto g24 = grid_rule("G24");
  auto msg = error_of([&] { grid_edges(56, g24, true); });
  EXPECT_NE(msg.find("needs L > 56"), std::string::npos) << msg;
  EXPECT_NO_THROW(grid_edges(58, g24, true));
  msg = error_of([] { grid_edges(71, grid_rule("G12"), true); });
  EXPECT_NE(msg.find("even side"), std::string::npos) << msg;
  EXPECT_NO_THROW(grid_edges(71, grid_rule("G12"), false));
  msg = error_of([] { grid_edges(0, grid_rule("G8"), false); });
  EXPECT_NE(msg.find("L = 0"), std::string::npos) << msg;
}

TEST(Topology, RandomRegularIsSimpleAndRegular) {
  for (auto [n, d] : {std::pair{1000, 3}, {50, 20}, {11, 10}, {7, 0}}) {
    SCOPED_TRACE(std::to_string(n) + ":" + std::to_string(d));
    auto edges = random_regular_edges(n, d, 42);
    EXPECT_EQ(edges.size(), size_t(n) * d / 2);
    expect_simple(n, edges);
    for (int deg : degrees(n, edges)) ASSERT_EQ(deg, d);
  }
}

TEST(Topology, RandomRegularRejectsImpossibleRequests) {
  EXPECT_NE(error_of([] { random_regular_edges(5, 3, 1); }).find("must be even"), std::string::npos);
  EXPECT_NE(error_of([] { random_regular_edges(4, 4, 1); }).find("degree must be in 0..3"), std::string::npos);
  EXPECT_NE(error_of([] { random_regular_edges(0, 0, 1); }).find("must be positive"), std::string::npos);
}

TEST(Topology, GeneratorsAreDeterministicInTheSeed) {
  auto same = [](const std::vector<Edge>& x, const std::vector<Edge>& y) {
    return std::equal(x.begin(), x.end(), y.begin(), y.end(),
                      [](Edge p, Edge q) { return p.a == q.a && p.b == q.b; });
  };
  EXPECT_TRUE(same(random_regular_edges(200, 3, 7), random_regular_edges(200, 3, 7)));
  EXPECT_FALSE(same(random_regular_edges(200, 3, 7), random_regular_edges(200, 3, 8)));

  auto m1 = grid_ising(30, "G8", true, 1.0, 0.5, 9);
  auto m2 = grid_ising(30, "G8", true, 1.0, 0.5, 9);
  auto m3 = grid_ising(30, "G8", true, 1.0, 0.5, 10);
  ASSERT_EQ(m1.groups.size(), 2u);
  for (size_t g = 0; g < 2; ++g) {
    EXPECT_EQ(m1.groups[g].weights, m2.groups[g].weights);
    EXPECT_EQ(m1.groups[g].spins, m2.groups[g].spins);
    EXPECT_NE(m1.groups[g].weights, m3.groups[g].weights);
  }
}

TEST(Topology, IsingWeightsHaveTheRequestedSpread) {
  const double j_sigma = 0.7, h_sigma = 2.0;
  auto m = grid_ising(70, "G12", true, j_sigma, h_sigma, 3);
  m.validate();
  ASSERT_EQ(m.size(), 4900u);
  auto check = [](const std::vector<double>& w, double sigma) {
    double n = double(w.size()), sum = 0, sq = 0;
    for (double x : w) sum += x, sq += x * x;
    double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
    EXPECT_NEAR(mean, 0.0, 5 * sigma / std::sqrt(n));
    EXPECT_NEAR(sd, sigma, 5 * sigma / std::sqrt(2 * n));  // standard error of a normal sample's sd
  };
  const auto& pairs = m.spin_group(2);
  const auto& bias = m.spin_group(1);
  ASSERT_EQ(pairs.count(), 29400u);
  ASSERT_EQ(bias.count(), 4900u);
  check(pairs.weights, j_sigma);
  check(bias.weights, h_sigma);
}

TEST(Topology, CouplingsDoNotDependOnBiasSpread) {
  auto with_bias = grid_ising(20, "G8", false, 1.0, 1.0, 5);
  auto without = grid_ising(20, "G8", false, 1.0, 0.0, 5);
  EXPECT_EQ(with_bias.spin_group(2).weights, without.spin_group(2).weights);
  ASSERT_EQ(without.groups.size(), 1u);  // no bias group at all when h_sigma = 0
}

TEST(Topology, IsingModelRejectsBadEdgesAndSpreads) {
  auto msg = error_of([] { ising_model(3, {{0, 1}, {2, 2}}, 1, 0, 1, "t"); });
  EXPECT_NE(msg.find("edges[1] = (2, 2)"), std::string::npos) << msg;
  msg = error_of([] { ising_model(3, {{0, 3}}, 1, 0, 1, "t"); });
  EXPECT_NE(msg.find("edges[0] = (0, 3)"), std::string::npos) << msg;
  EXPECT_NE(error_of([] { ising_model(3, {}, -1, 0, 1, "t"); }).find("j_sigma"), std::string::npos);
  EXPECT_NE(error_of([] { ising_model(3, {}, 1, NAN, 1, "t"); }).find("h_sigma"), std::string::npos);
}

TEST(Topology, SpecsBuildModels) {
  auto torus = model_from_spec("grid:70:G12", 1, 0, 1);
  ASSERT_TRUE(torus);
  EXPECT_EQ(torus->size(), 4900u);
  EXPECT_EQ(torus->spin_group(2).count(), 29400u);
  auto open = model_from_spec("grid:10:G8:open", 1, 0, 1);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->spin_group(2).count(), 288u);
  auto rr = model_from_spec("rr:100:3", 1, 0.5, 1);
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->size(), 100u);
  EXPECT_EQ(rr->spin_group(2).count(), 150u);
  EXPECT_EQ(rr->spin_group(1).count(), 100u);
  EXPECT_FALSE(model_from_spec("../shared/data/graphs/pegasus14_gauss.txt", 1, 0, 1));
}

TEST(Topology, MalformedSpecsNameTheProblem) {
  auto msg = error_of([] { model_from_spec("grid:x:G12", 1, 0, 1); });
  EXPECT_NE(msg.find("side L \"x\" is not an integer"), std::string::npos) << msg;
  msg = error_of([] { model_from_spec("grid:70:G12:wrap", 1, 0, 1); });
  EXPECT_NE(msg.find("\"wrap\""), std::string::npos) << msg;
  msg = error_of([] { model_from_spec("rr:10", 1, 0, 1); });
  EXPECT_NE(msg.find("expected rr:N:DEGREE"), std::string::npos) << msg;
  msg = error_of([] { model_from_spec("grid:70:G7", 1, 0, 1); });
  EXPECT_NE(msg.find("\"G7\" is unknown"), std::string::npos) << msg;
}

TEST(Topology, RbmSpecJoinsEveryVisibleToEveryHiddenNodeAndBiasesAll) {
  const auto m = model_from_spec("rbm:3:2", 0.5, 0.0, 1);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 5u);
  ASSERT_EQ(m->groups.size(), 2u);
  const auto& couplings = m->groups[0];
  ASSERT_EQ(couplings.n_spin, 2);
  ASSERT_EQ(couplings.count(), 6u);
  for (size_t f = 0; f < couplings.count(); ++f) {
    EXPECT_LT(couplings.spins[2 * f], 3);       // visible
    EXPECT_GE(couplings.spins[2 * f + 1], 3);   // hidden
    EXPECT_NE(couplings.weights[f], 0.0);
  }
  EXPECT_EQ(m->groups[1].n_spin, 1);
  EXPECT_EQ(m->groups[1].weights, std::vector<double>(5, 0.0));  // present at zero, to be fitted
  EXPECT_EQ(error_of([] { model_from_spec("rbm:3", 1, 0, 0); }), "topology spec \"rbm:3\": expected rbm:VISIBLE:HIDDEN");
  EXPECT_NE(error_of([] { model_from_spec("rbm:0:2", 1, 0, 0); }).find("at least one visible"), std::string::npos);
}
