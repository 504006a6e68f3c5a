#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "error_of.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "graph/model_io.hpp"

namespace tsu {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

const std::string kExample = R"({"format": "tsu-model-v1", "beta": 1.0,
 "nodes": ["spin", "spin", {"categorical": 3}],
 "factors": [
   {"spins": [[0], [1]], "w": [0.3, -0.1]},
   {"spins": [[0, 1]], "w": [0.5]},
   {"cats": [[2]], "w": [[0.1, 0.0, -0.2]]},
   {"spins": [[0]], "cats": [[2]], "w": [[0.4, -0.4, 0.0]]}],
 "clamp": {"1": -1},
 "blocks": [[0], [2]]})";

void expect_same_model(const Model& a, const Model& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.beta, b.beta);
  EXPECT_EQ(a.nodes, b.nodes);
  ASSERT_EQ(a.groups.size(), b.groups.size());
  for (size_t g = 0; g < a.groups.size(); ++g) {
    SCOPED_TRACE("group " + std::to_string(g));
    EXPECT_EQ(a.groups[g].n_spin, b.groups[g].n_spin);
    EXPECT_EQ(a.groups[g].n_cat, b.groups[g].n_cat);
    EXPECT_EQ(a.groups[g].cat_dims, b.groups[g].cat_dims);
    EXPECT_EQ(a.groups[g].spins, b.groups[g].spins);
    EXPECT_EQ(a.groups[g].cats, b.groups[g].cats);
    EXPECT_EQ(a.groups[g].weights, b.groups[g].weights);  // exact: doubles must round-trip bit for bit
  }
  EXPECT_EQ(a.clamp, b.clamp);
  EXPECT_EQ(a.blocks, b.blocks);
}

std::string json_error(const std::string& text) {
  return error_of([&] { parse_model_json(text, "model.json"); });
}

std::string edge_list_error(const std::string& text) {
  std::istringstream in(text);
  return error_of([&] { parse_edge_list(in, "g.txt"); });
}

// A document with the given nodes, factors and optional extra top-level fields.
std::string doc(const std::string& nodes, const std::string& factors, const std::string& extra = "") {
  return R"({"format": "tsu-model-v1", "nodes": )" + nodes + R"(, "factors": )" + factors + extra + "}";
}

TEST(ModelJson, ParsesTheIssueExample) {
  Model m = parse_model_json(kExample, "model.json");
  EXPECT_EQ(m.name, "");
  EXPECT_EQ(m.beta, 1.0);
  EXPECT_EQ(m.nodes, (std::vector<NodeKind>{NodeKind::spin(), NodeKind::spin(), NodeKind::categorical(3)}));
  ASSERT_EQ(m.groups.size(), 4u);

  const FactorGroup& bias = m.groups[0];
  EXPECT_EQ(bias.n_spin, 1);
  EXPECT_EQ(bias.n_cat, 0);
  EXPECT_EQ(bias.spins, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(bias.weights, (std::vector<double>{0.3, -0.1}));

  const FactorGroup& pair = m.groups[1];
  EXPECT_EQ(pair.n_spin, 2);
  EXPECT_EQ(pair.spins, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(pair.weights, (std::vector<double>{0.5}));

  const FactorGroup& cat = m.groups[2];
  EXPECT_EQ(cat.n_spin, 0);
  EXPECT_EQ(cat.n_cat, 1);
  EXPECT_EQ(cat.cat_dims, (std::vector<int>{3}));
  EXPECT_EQ(cat.cats, (std::vector<int32_t>{2}));
  EXPECT_EQ(cat.weights, (std::vector<double>{0.1, 0.0, -0.2}));

  const FactorGroup& mixed = m.groups[3];
  EXPECT_EQ(mixed.n_spin, 1);
  EXPECT_EQ(mixed.n_cat, 1);
  EXPECT_EQ(mixed.cat_dims, (std::vector<int>{3}));
  EXPECT_EQ(mixed.spins, (std::vector<int32_t>{0}));
  EXPECT_EQ(mixed.cats, (std::vector<int32_t>{2}));
  EXPECT_EQ(mixed.weights, (std::vector<double>{0.4, -0.4, 0.0}));

  ASSERT_EQ(m.clamp.size(), 3u);
  EXPECT_FALSE(m.clamp[0].has_value());
  EXPECT_EQ(m.clamp[1], std::optional<State>(spin_code(-1)));
  EXPECT_FALSE(m.clamp[2].has_value());
  EXPECT_EQ(m.blocks, (std::vector<std::vector<int32_t>>{{0}, {2}}));
}

TEST(ModelJson, TwoDimensionalTablesAreRowMajor) {
  Model m = parse_model_json(
      doc(R"([{"categorical": 2}, {"categorical": 3}])", R"([{"cats": [[0, 1]], "w": [[[1, 2, 3], [4, 5, 6]]]}])"),
      "model.json");
  ASSERT_EQ(m.groups.size(), 1u);
  EXPECT_EQ(m.groups[0].cat_dims, (std::vector<int>{2, 3}));
  EXPECT_EQ(m.groups[0].weights, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  State states[] = {1, 2};
  EXPECT_EQ(factor_term(m.groups[0], 0, states), 6.0);
}

TEST(ModelJson, CompactNodeSpecsRepeatNodes) {
  Model m = parse_model_json(doc(R"([{"spin": 3}, {"categorical": 4, "count": 2}, "spin", {"categorical": 5}])", "[]"),
                             "model.json");
  std::vector<NodeKind> want(3, NodeKind::spin());
  want.insert(want.end(), 2, NodeKind::categorical(4));
  want.push_back(NodeKind::spin());
  want.push_back(NodeKind::categorical(5));
  EXPECT_EQ(m.nodes, want);
}

TEST(ModelJson, OptionalFieldsAreRead) {
  Model m = parse_model_json(doc(R"(["spin"])", "[]", R"(, "name": "tiny", "beta": 0.25)"), "model.json");
  EXPECT_EQ(m.name, "tiny");
  EXPECT_EQ(m.beta, 0.25);
  EXPECT_TRUE(m.clamp.empty());
  EXPECT_TRUE(m.blocks.empty());
}

Model mixed_model() {
  Model m;
  m.name = "a \"quoted\" name \xc3\xbc";
  m.beta = 0.37;
  m.add_spin_nodes(3);
  m.add_categorical_nodes(1, 3);
  m.add_categorical_nodes(2, 4);
  m.add_spin_nodes(1);
  m.add_bias(0, 1.0 / 3.0);
  m.add_bias(6, -2.5e-17);
  m.add_coupling(0, 1, 0.1 + 0.2);
  m.spin_group(3).spins = {0, 1, 2};
  m.spin_group(3).weights = {-1e100};  // the largest magnitude a model may hold (kMaxMagnitude)
  FactorGroup pair;  // a 3x4 table over two categoricals, two factors
  pair.n_cat = 2;
  pair.cat_dims = {3, 4};
  pair.cats = {3, 4, 3, 5};
  for (int k = 0; k < 24; ++k) pair.weights.push_back(std::sin(k + 1.0));
  m.groups.push_back(pair);
  FactorGroup mixed;  // two spins and two categoricals
  mixed.n_spin = 2;
  mixed.n_cat = 2;
  mixed.cat_dims = {4, 4};
  mixed.spins = {2, 6};
  mixed.cats = {5, 4};
  for (int k = 0; k < 16; ++k) mixed.weights.push_back(k * 0.125 - 1);
  m.groups.push_back(mixed);
  m.clamp.assign(m.size(), std::nullopt);
  m.clamp[1] = spin_code(-1);
  m.clamp[2] = spin_code(+1);
  m.clamp[4] = 3;
  m.blocks = {{0, 5}, {3, 6}};
  m.validate();
  return m;
}

TEST(ModelJson, RoundTripsThroughJson) {
  for (const Model& m : {parse_model_json(kExample, "model.json"), mixed_model()}) {
    std::string text = model_to_json(m);
    SCOPED_TRACE(text);
    expect_same_model(parse_model_json(text, "roundtrip.json"), m);
  }
}

TEST(ModelJson, EmptyGroupsAreLeftOutOfJson) {
  Model m;
  m.add_spin_nodes(2);
  m.spin_group(2);  // created but never filled
  m.add_bias(0, 1.0);
  Model back = parse_model_json(model_to_json(m), "model.json");
  ASSERT_EQ(back.groups.size(), 1u);
  EXPECT_EQ(back.groups[0].n_spin, 1);
}

TEST(ModelJson, RefusesToWriteAnInvalidModel) {
  Model m;
  m.add_spin_nodes(1);
  m.add_bias(0, std::nan(""));
  EXPECT_THROW(model_to_json(m), Error);
}

struct ErrorCase {
  std::string text;
  std::string message;  // expected after "model.json: "
};

TEST(ModelJson, ErrorsNameTheFileAndField) {
  const std::string sss = R"(["spin", "spin", {"categorical": 3}])";
  const std::vector<ErrorCase> cases = {
      {doc(R"(["spin", "spin", {"categorical": 3}, {"categorical": 3}])",
           R"([{"spins": [[0]], "w": [1]}, {"spins": [[1]], "w": [1]},
               {"cats": [[2], [3]], "w": [[1, 2, 3], [1, 2]]}])"),
       "factors[2].w[1]: expected a table of shape [3], got 2 entries"},
      {doc(R"(["spin", "spin", "spin", "spin", "gauss"])", "[]"), "nodes[4]: unknown node kind \"gauss\""},
      {doc(R"([{"gauss": 2}])", "[]"), "nodes[0]: unknown node kind \"gauss\""},
      {doc(R"([{"spin": 5}])", R"([{"spins": [[0, 1], [1, 2], [2, 3], [3, 17]], "w": [1, 1, 1, 1]}])"),
       "factors[0].spins[3][1]: node index 17 out of range (5 nodes)"},
      {doc(R"([{"spin": 5}])", R"([{"spins": [[-1]], "w": [1]}])"),
       "factors[0].spins[0][0]: node index -1 out of range"},
      {doc(R"([{"spin": 5}])", R"([{"spins": [[1.5]], "w": [1]}])"),
       "factors[0].spins[0][0]: expected a node index, got 1.5"},
      {doc(sss, R"([{"spins": [[0]], "w": [1]}, {"spins": [[1]], "w": [1e999]}])"),
       "invalid JSON: number overflow parsing '1e999'"},
      {doc(sss, R"([{"spins": [[0]], "w": [1.5e100]}])"), "factors[0].w[0]: 1.5e+100 is beyond tsu's limit of +-1e+100"},
      {doc(sss, R"([{"spins": [[0]], "w": ["nan"]}])"), "factors[0].w[0]: expected a number, got string \"nan\""},
      {doc(sss, R"([{"spins": [[0]], "w": [null]}])"), "factors[0].w[0]: expected a number, got null"},
      {R"({"nodes": ["spin"], "factors": []})", "format: missing; expected \"tsu-model-v1\""},
      {R"({"format": "tsu-model-v2", "nodes": ["spin"], "factors": []})",
       "format: expected \"tsu-model-v1\", got string \"tsu-model-v2\""},
      {doc(sss, R"([{"spins": [[0, 1], [1]], "w": [1, 1]}])"),
       "factors[0].spins[1]: tuple has 1 entries but the first has 2"},
      {doc(sss, R"([{"cats": [[0]], "w": [[1, 2]]}])"), "factors[0].cats[0][0]: node 0 is a spin"},
      {doc(sss, R"([{"spins": [[0, 2]], "w": [1]}])"), "factors[0].spins[0][1]: node 2 is categorical"},
      {doc(R"([{"spin": 3}])", R"([{"spins": [[0, 1, 2], [2, 1, 1]], "w": [1, 1]}])"),
       "factors[0].spins[1][2]: node 1 appears twice in one factor"},
      {doc(R"([{"categorical": 2, "count": 2}])", R"([{"cats": [[1, 1]], "w": [[[1, 2], [3, 4]]]}])"),
       "factors[0].cats[0][1]: node 1 appears twice in one factor"},
      {doc(sss, R"([{"spins": [[0], [1]], "cats": [[2]], "w": [[1, 2, 3]]}])"),
       "factors[0].cats: 1 tuples but \"spins\" has 2"},
      {doc(sss, R"([{"spins": [[0], [1]], "w": [1]}])"), "factors[0].w: 1 entries but the group has 2 factors"},
      {doc(sss, R"([{"cats": [[2]], "w": [0.5]}])"), "factors[0].w[0]: expected a table of shape [3], got 0.5"},
      {doc(R"([{"categorical": 3}, {"categorical": 2}])", R"([{"cats": [[0, 1]], "w": [[[1, 2], [1, 2]]]}])"),
       "factors[0].w[0]: expected a table of shape [3, 2], got 2 entries"},
      {doc(R"([{"categorical": 3}, {"categorical": 2}])", R"([{"cats": [[0, 1]], "w": [[[1, 2], [1, 2], [1]]]}])"),
       "factors[0].w[0][2]: expected a table of shape [2], got 1 entries"},
      {doc(R"([{"categorical": 3}, {"categorical": 4}])", R"([{"cats": [[0], [1]], "w": [[1, 2, 3], [1, 2, 3]]}])"),
       "factors[0].cats[1][0]: node 1 has 4 states but slot 0 of this group has 3"},
      {doc(sss, R"([{"spins": [], "w": []}])"), "factors[0].spins: empty"},
      {doc(sss, R"([{"spins": [[]], "w": [1]}])"), "factors[0].spins[0]: empty tuple"},
      {doc(sss, R"([{"w": [1]}])"), "factors[0]: a factor group needs \"spins\" and/or \"cats\""},
      {doc(sss, R"([{"spins": [[0]]}])"), "factors[0].w: missing"},
      {doc(sss, R"([{"spins": [[0]], "weights": [1]}])"), "factors[0].weights: unknown field"},
      {doc(sss, "[]", R"(, "clamp": {"1": 0})"), "clamp[\"1\"]: node 1 is a spin: clamp it to -1 or +1, not 0"},
      {doc(sss, "[]", R"(, "clamp": {"2": 3})"), "clamp[\"2\"]: node 2 has 3 states: clamp it to 0..2, not 3"},
      {doc(sss, "[]", R"(, "clamp": {"2": "a"})"), "clamp[\"2\"]: expected an integer state, got string \"a\""},
      {doc(sss, "[]", R"(, "clamp": {"9": 1})"), "clamp[\"9\"]: node index 9 out of range (3 nodes)"},
      {doc(sss, "[]", R"(, "clamp": {"x": 1})"), "clamp.x: expected a node index as the key"},
      {doc(sss, "[]", R"(, "clamp": {"1": 1, "01": 1})"), "clamp[\"1\"]: node 1 is clamped twice"},
      {doc(sss, "[]", R"(, "blocks": [[0], [7]])"), "blocks[1][0]: node index 7 out of range (3 nodes)"},
      {doc(sss, "[]", R"(, "blocks": [0, 1])"), "blocks[0]: expected a list of node indices, got 0"},
      {doc(sss, "[]", R"(, "beta": "hot")"), "beta: expected a number, got string \"hot\""},
      {doc(sss, "[]", R"(, "name": 3)"), "name: expected a string, got 3"},
      {doc(sss, "[]", R"(, "extra": 3)"), "extra: unknown field"},
      {doc(R"([{"categorical": 1}])", "[]"), "nodes[0].categorical: categorical nodes need 2..256 states, got 1"},
      {doc(R"(["categorical"])", "[]"), "nodes[0]: a categorical node needs its state count"},
      {doc(R"([{"spin": 0}])", "[]"), "nodes[0].spin: node count must be at least 1, got 0"},
      {doc(R"([{"spin": 2, "count": 2}])", "[]"), "nodes[0].count: not used with \"spin\""},
      {doc(R"([{"spin": 1000000000}])", "[]"), "nodes[0].spin: 1000000000 more nodes would exceed the limit"},
      {doc(R"([{"spin": 2, "categorical": 2}])", "[]"), "nodes[0]: expected exactly one of"},
      {R"({"format": "tsu-model-v1", "nodes": ["spin"]})", "factors: missing"},
      {doc(sss, R"([{"spins": [[0]], "w": [1], "w": [2]}])"), "duplicate key \"w\""},
      {"[1, 2]", "expected a JSON object at the top level, got a list of 2 entries"},
      {"{\"format\": \"tsu-model-v1\",\n \"nodes\": [}", "invalid JSON: parse error at line 2, column 12"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    std::string message = json_error(c.text);
    EXPECT_THAT(message, HasSubstr("model.json: " + c.message));
    EXPECT_EQ(message.find('\n'), std::string::npos) << "messages are one line";
  }
}

TEST(ModelJson, ExamplesLoad) {
  const std::string dir = std::string(TSU_SOURCE_DIR) + "/examples/";
  expect_same_model(load_model(dir + "small.json"), parse_model_json(kExample, "model.json"));

  Model potts = load_model(dir + "potts3.json");
  EXPECT_EQ(potts.nodes, std::vector<NodeKind>(4, NodeKind::categorical(3)));
  ASSERT_EQ(potts.groups.size(), 2u);
  EXPECT_EQ(potts.groups[0].count(), 4u);  // the bias table
  EXPECT_EQ(potts.groups[1].count(), 3u);  // the chain's 3x3 couplings
  EXPECT_EQ(potts.groups[1].cat_dims, (std::vector<int>{3, 3}));

  Model chain = load_model(dir + "ising_chain.json");
  EXPECT_EQ(chain.nodes, std::vector<NodeKind>(5, NodeKind::spin()));
  ASSERT_EQ(chain.groups.size(), 2u);
  EXPECT_EQ(chain.groups[0].weights, std::vector<double>(5, 0.0));
  EXPECT_EQ(chain.groups[1].spins, (std::vector<int32_t>{0, 1, 1, 2, 2, 3, 3, 4}));
  EXPECT_EQ(chain.groups[1].weights, std::vector<double>(4, 0.5));
}

TEST(EdgeList, ParsesBiasesCouplingsCommentsAndBlankLines) {
  std::istringstream in("# header comment\n\n  my graph \n0 0 0.5\n0 1 -1.25\n# note\n2 1 +0.5\n\n3 3 -1e-1\r\n");
  Model m = parse_edge_list(in, "g.txt");
  EXPECT_EQ(m.name, "my graph");
  EXPECT_EQ(m.nodes, std::vector<NodeKind>(4, NodeKind::spin()));
  ASSERT_EQ(m.groups.size(), 2u);
  EXPECT_EQ(m.groups[0].n_spin, 1);
  EXPECT_EQ(m.groups[0].spins, (std::vector<int32_t>{0, 3}));
  EXPECT_EQ(m.groups[0].weights, (std::vector<double>{0.5, -0.1}));
  EXPECT_EQ(m.groups[1].n_spin, 2);
  EXPECT_EQ(m.groups[1].spins, (std::vector<int32_t>{0, 1, 2, 1}));
  EXPECT_EQ(m.groups[1].weights, (std::vector<double>{-1.25, 0.5}));
}

TEST(EdgeList, ErrorsNameTheFileAndLine) {
  const std::vector<ErrorCase> cases = {
      {"name\n0 1\n", "g.txt:2: expected \"i j w\", got 2 fields"},
      {"name\n0 1 1 9\n", "g.txt:2: expected \"i j w\", got 4 fields"},
      {"name\n0 x 1\n", "g.txt:2: expected an integer node index, got \"x\""},
      {"name\n0 1.0 1\n", "g.txt:2: expected an integer node index, got \"1.0\""},
      {"name\n0 1 abc\n", "g.txt:2: expected a number as weight, got \"abc\""},
      {"name\n0 1 1.5x\n", "g.txt:2: expected a number as weight, got \"1.5x\""},
      {"name\n\n0 -1 1\n", "g.txt:3: negative node index -1"},
      {"name\n0 200000000 1\n", "g.txt:2: node index 200000000 is too large"},
      {"name\n0 99999999999999999999 1\n", "g.txt:2: node index 99999999999999999999 is out of range"},
      {"name\n0 1 nan\n", "g.txt:2: weight \"nan\": NaN or infinite"},
      {"name\n0 1 inf\n", "g.txt:2: weight \"inf\": NaN or infinite"},
      {"name\n0 1 -Infinity\n", "g.txt:2: weight \"-Infinity\": NaN or infinite"},
      {"name\n0 1 2e100\n", "g.txt:2: weight \"2e100\": 2e+100 is beyond tsu's limit of +-1e+100"},
      {"name\n0 1 1e999\n", "g.txt:2: weight 1e999 is out of the range of a double"},
      {"name\n0 1 1\n# c\n1 0 2\n", "g.txt:4: duplicate edge (1, 0) (first on line 2)"},
      {"name\n3 3 1\n3 3 1\n", "g.txt:3: duplicate bias of node 3 (first on line 2)"},
      {"", "g.txt: empty"},
      {"# only a comment\n", "g.txt: empty"},
      {"name\n", "g.txt: no \"i j w\" lines after the name"},
      {"0 1 0.5\n1 2 0.5\n", "g.txt:1: expected a name line"},
      {"800 19176\n1 2 1\n", "g.txt:1: looks like a G-set (rudy) header"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_THAT(edge_list_error(c.text), HasSubstr(c.message));
  }
}

TEST(EdgeList, LoadsPegasus) {
  const std::string path = std::string(TSU_SHARED_DATA) + "/graphs/pegasus14_gauss.txt";
  Model m = load_model(path);
  EXPECT_EQ(m.name, "pegasus14_gauss");
  EXPECT_EQ(m.size(), 4264u);
  ASSERT_EQ(m.groups.size(), 2u);
  EXPECT_EQ(m.groups[0].n_spin, 1);
  EXPECT_EQ(m.groups[0].count(), 4264u);
  EXPECT_EQ(m.groups[0].spins[0], 0);
  EXPECT_EQ(m.groups[0].weights[0], 0.826565);
  EXPECT_EQ(m.groups[1].n_spin, 2);
  EXPECT_EQ(m.groups[1].count(), 30404u);
  EXPECT_NO_THROW(m.validate());
  expect_same_model(parse_model_json(model_to_json(m), "pegasus.json"), m);
}

class ModelFiles : public ::testing::Test {
 protected:
  fs::path dir = fs::path(::testing::TempDir()) / ("tsu_model_io_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
};

TEST_F(ModelFiles, SaveThenLoadIsTheSameModelAndLeavesNoTemporaryFile) {
  const std::string path = (dir / "model.json").string();
  write("model.json", "old contents");
  save_model(mixed_model(), path);
  expect_same_model(load_model(path), mixed_model());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST_F(ModelFiles, LoadPicksTheFormatFromTheFirstCharacter) {
  EXPECT_EQ(load_model(write("a.json", "\n  \t" + kExample)).groups.size(), 4u);
  EXPECT_EQ(load_model(write("b.txt", "chain\n0 1 0.5\n1 2 0.5\n")).size(), 3u);
}

TEST_F(ModelFiles, ErrorsNameThePath) {
  const std::string missing = (dir / "missing.json").string();
  EXPECT_THAT(error_of([&] { load_model(missing); }), HasSubstr(missing + ": cannot open"));
  EXPECT_THAT(error_of([&] { load_model(dir.string()); }), HasSubstr(dir.string() + ": is a directory"));
  const std::string bad = write("bad.json", R"({"format": "tsu-model-v1", "nodes": ["gauss"], "factors": []})");
  EXPECT_THAT(error_of([&] { load_model(bad); }), HasSubstr(bad + ": nodes[0]: unknown node kind"));
  const std::string unwritable = (dir / "no_such_dir" / "m.json").string();
  EXPECT_THAT(error_of([&] { save_model(mixed_model(), unwritable); }), HasSubstr(unwritable + ": cannot write"));
}

}  // namespace
}  // namespace tsu
