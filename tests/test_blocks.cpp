#include <gtest/gtest.h>

#include "error_of.hpp"

#include "graph/blocks.hpp"
#include "graph/topology.hpp"

#include <fstream>
#include <sstream>

using namespace tsu;

namespace {

// A tiny reader of the shared Ising edge-list format, so this test does not depend on model I/O.
Model read_edge_list(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::string line;
  std::getline(in, line);
  std::vector<std::tuple<int, int, double>> items;
  int n = 0;
  for (int i, j; std::getline(in, line);) {
    double w;
    if (std::istringstream(line) >> i >> j >> w) {
      items.emplace_back(i, j, w);
      n = std::max({n, i + 1, j + 1});
    }
  }
  Model m;
  m.add_spin_nodes(n);
  for (auto [i, j, w] : items) i == j ? m.add_bias(i, w) : m.add_coupling(i, j, w);
  return m;
}

Model triangle() {
  Model m;
  m.add_spin_nodes(3);
  m.add_coupling(0, 1, 1);
  m.add_coupling(1, 2, 1);
  m.add_coupling(0, 2, 1);
  return m;
}

std::vector<size_t> block_sizes(const std::vector<std::vector<int32_t>>& blocks) {
  std::vector<size_t> sizes;
  for (const auto& b : blocks) sizes.push_back(b.size());
  return sizes;
}

// Checks a grid colouring is the checkerboard: two blocks, each one parity class.
void expect_checkerboard(int L, const std::vector<std::vector<int32_t>>& blocks) {
  ASSERT_EQ(blocks.size(), 2u);
  for (const auto& block : blocks) {
    int parity = (block[0] / L + block[0] % L) % 2;
    for (int32_t v : block) ASSERT_EQ((v / L + v % L) % 2, parity);
  }
  EXPECT_EQ(blocks[0].size() + blocks[1].size(), size_t(L) * L);
}

void expect_sorted_largest_first(const std::vector<std::vector<int32_t>>& blocks) {
  for (const auto& b : blocks) EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  auto sizes = block_sizes(blocks);
  EXPECT_TRUE(std::is_sorted(sizes.rbegin(), sizes.rend()));
}

}  // namespace

TEST(Blocks, InteractionGraphJoinsFactorMembers) {
  Model m;
  m.add_spin_nodes(5);
  int c = m.add_categorical_nodes(1, 3);  // node 5
  m.add_bias(4, 0.5);
  m.add_coupling(0, 1, 1);
  m.add_coupling(1, 0, 2);  // a repeated pair is listed once
  auto& triple = m.spin_group(3);
  triple.spins = {1, 2, 3};
  triple.weights = {0.3};
  FactorGroup mixed;
  mixed.n_spin = 1;
  mixed.n_cat = 1;
  mixed.cat_dims = {3};
  mixed.spins = {3};
  mixed.cats = {c};
  mixed.weights = {1, 2, 3};
  m.groups.push_back(mixed);
  m.validate();
  auto adj = interaction_graph(m);
  using V = std::vector<int32_t>;
  EXPECT_EQ(adj[0], (V{1}));
  EXPECT_EQ(adj[1], (V{0, 2, 3}));
  EXPECT_EQ(adj[3], (V{1, 2, 5}));
  EXPECT_EQ(adj[4], V{});
  EXPECT_EQ(adj[5], (V{3}));
}

TEST(Blocks, GridRulesColourWithTwoBlocks) {
  for (const std::string rule : {"G8", "G12", "G16", "G20", "G24", "G12-paper", "G16-paper", "Z1"}) {
    for (bool torus : {true, false}) {
      SCOPED_TRACE(rule + (torus ? " torus" : " open"));
      auto m = grid_ising(60, rule, torus, 1, 1, 1);
      auto layout = default_layout(m);
      expect_checkerboard(60, layout.blocks);
      EXPECT_NO_THROW(validate_blocks(m, layout));
    }
  }
}

TEST(Blocks, LargeGridColoursQuickly) {
  const int L = 500;
  auto m = grid_ising(L, "G12", true, 1, 0, 1);
  auto layout = default_layout(m);
  expect_checkerboard(L, layout.blocks);
  EXPECT_EQ(block_sizes(layout.blocks), (std::vector<size_t>{125000, 125000}));
  EXPECT_NO_THROW(validate_blocks(m, layout));
}

TEST(Blocks, RandomRegularColouringIsValid) {
  auto m = ising_model(1000, random_regular_edges(1000, 3, 5), 1, 0, 5, "rr");
  auto layout = default_layout(m);
  EXPECT_NO_THROW(validate_blocks(m, layout));
  EXPECT_GE(layout.blocks.size(), 2u);
  EXPECT_LE(layout.blocks.size(), 4u);  // greedy never needs more than max degree + 1
  expect_sorted_largest_first(layout.blocks);
}

TEST(Blocks, PegasusColouringIsValid) {
  auto m = read_edge_list(std::string(TSU_SHARED_DATA) + "/graphs/pegasus14_gauss.txt");
  ASSERT_EQ(m.size(), 4264u);
  ASSERT_EQ(m.spin_group(2).count(), 30404u);
  auto layout = default_layout(m);
  EXPECT_NO_THROW(validate_blocks(m, layout));
  EXPECT_LE(layout.blocks.size(), 16u);  // max degree 15
  expect_sorted_largest_first(layout.blocks);
  EXPECT_EQ(layout.free_count(), 4264u);
}

TEST(Blocks, ClampedNodesAreLeftOutAndConstrainNothing) {
  auto m = triangle();
  EXPECT_EQ(color_blocks(m, {}).size(), 3u);
  auto layout = make_layout(m, {0, 0, 1});
  EXPECT_EQ(layout.blocks, (std::vector<std::vector<int32_t>>{{0}, {1}}));
  EXPECT_EQ(layout.free_count(), 2u);

  m.clamp = {std::nullopt, State(1), std::nullopt};
  layout = default_layout(m);
  EXPECT_EQ(layout.clamped, (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_EQ(layout.blocks, (std::vector<std::vector<int32_t>>{{0}, {2}}));
}

TEST(Blocks, UserBlocksAreKeptAndChecked) {
  auto m = grid_ising(4, "G8", false, 1, 0, 1);  // includes edge 0-1
  std::vector<int32_t> even, odd;
  for (int v = 0; v < 16; ++v) ((v / 4 + v % 4) % 2 ? odd : even).push_back(v);
  m.blocks = {odd, even};
  EXPECT_EQ(default_layout(m).blocks, m.blocks);

  std::swap(m.blocks[0][0], m.blocks[1][0]);  // node 0 joins its neighbour 1
  auto msg = error_of([&] { default_layout(m); });
  EXPECT_NE(msg.find("cannot be updated together"), std::string::npos) << msg;
}

TEST(Blocks, ValidateNamesTheSharedFactor) {
  Model m;
  m.add_spin_nodes(8);
  m.add_coupling(0, 1, 1);
  m.add_coupling(2, 3, 1);
  m.add_coupling(3, 7, 1);
  Layout layout{{{0, 2, 4, 6}, {1, 3, 5, 7}}, std::vector<uint8_t>(8, 0)};
  EXPECT_EQ(error_of([&] { validate_blocks(m, layout); }),
            "blocks[1]: nodes 3 and 7 share a factor (factors[0] entry 2), so they cannot be updated together");
}

TEST(Blocks, ValidateCatchesEveryPartitionError) {
  Model m;
  m.add_spin_nodes(13);
  std::vector<int32_t> all;
  for (int v = 0; v < 13; ++v) all.push_back(v);
  auto without = [&](int32_t drop) {
    auto b = all;
    b.erase(std::find(b.begin(), b.end(), drop));
    return b;
  };
  std::vector<uint8_t> free(13, 0);
  auto clamped4 = free;
  clamped4[4] = 1;

  auto check = [&](Layout layout, const std::string& expected) {
    EXPECT_EQ(error_of([&] { validate_blocks(m, layout); }), expected);
  };
  check({{without(12)}, free}, "blocks: free node 12 is in no block");
  check({{all}, clamped4}, "blocks[0]: node 4 is clamped");
  check({{all, {13}}, free}, "blocks[1]: node 13 is out of range (model has 13 nodes)");
  check({{all, {}}, free}, "blocks[1]: block is empty");
  check({{without(5), {5, 5}}, free}, "blocks[1]: node 5 appears twice");
  check({{all, {5}}, free}, "blocks[1]: node 5 is already in blocks[0]");
  check({{all}, std::vector<uint8_t>(12, 0)}, "layout: clamped mask has 12 entries but the model has 13 nodes");
  EXPECT_NO_THROW(validate_blocks(m, Layout{{all}, free}));
}

TEST(Blocks, MaskOfWrongSizeIsAnError) {
  auto m = triangle();
  auto msg = error_of([&] { make_layout(m, {0, 1}); });
  EXPECT_NE(msg.find("clamped mask has 2 entries"), std::string::npos) << msg;
}
