// Problem files of the optimisation layer: rudy (G-set), DIMACS .col and CNF, QUBO text, solution
// files and the best-known table, with every malformed input reported with its file and line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error_of.hpp"
#include "graph/graph_io.hpp"
#include "opt/formats.hpp"

namespace {

using tsu::parse_dimacs_col;
using tsu::parse_rudy;
using tsu::opt::parse_cnf;
using tsu::opt::parse_qubo;

const std::string kGset = std::string(TSU_SHARED_DATA) + "/gset";

TEST(Rudy, ReadsHeaderAndOneBasedEdges) {
  const auto g = parse_rudy("3 2\n1 2 1\n2 3 -1\n", "dir/tri.txt");
  EXPECT_EQ(g.name, "tri");
  EXPECT_EQ(g.nodes, 3);
  ASSERT_EQ(g.edges.size(), 2u);
  EXPECT_EQ(g.edges[1].u, 1);
  EXPECT_EQ(g.edges[1].v, 2);
  EXPECT_EQ(g.edges[1].w, -1.0);
  EXPECT_EQ(g.total_weight(), 0.0);
}

TEST(Rudy, ErrorsNameTheFileAndLine) {
  auto err = [](const std::string& text) { return error_of([&] { parse_rudy(text, "g.txt"); }); };
  EXPECT_EQ(err(""), "g.txt: empty; expected a rudy header \"n m\"");
  EXPECT_EQ(err("3\n"), "g.txt:1: expected the rudy header \"n m\", got 1 fields");
  EXPECT_EQ(err("x 2\n"), "g.txt:1: expected an integer node count, got \"x\"");
  EXPECT_EQ(err("0 0\n"), "g.txt:1: node count must be in 1..1073741824, got 0");
  EXPECT_EQ(err("3 4\n"), "g.txt:1: edge count must be in 0..3 for 3 nodes, got 4");
  EXPECT_EQ(err("3 1\n1 2\n"), "g.txt:2: expected \"i j w\", got 2 fields");
  EXPECT_EQ(err("3 2\n1 2 1\n\n1 4 1\n"), "g.txt:4: node index 4 is out of range 1..3");
  EXPECT_EQ(err("3 1\n0 2 1\n"), "g.txt:2: node index 0 is out of range 1..3");
  EXPECT_EQ(err("3 1\n2 2 1\n"), "g.txt:2: self loop at node 2");
  EXPECT_EQ(err("3 1\n1 2 one\n"), "g.txt:2: expected a number as weight, got \"one\"");
  EXPECT_EQ(err("3 1\n1 2 nan\n"), "g.txt:2: weight \"nan\" is NaN or infinite");
  EXPECT_EQ(err("3 2\n1 2 1\n2 1 1\n"), "g.txt:3: duplicate edge (2, 1) (first on line 2)");
  EXPECT_EQ(err("3 1\n1 2 1\n2 3 1\n"), "g.txt:3: more edges than the 1 of the header");
  EXPECT_EQ(err("3 3\n1 2 1\n2 3 1\n"), "g.txt:3: 2 edges, but the header says 3");
}

TEST(Rudy, EveryGsetFileReadsWithItsHeaderCounts) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kGset)) {
    if (entry.path().extension() != ".txt") continue;
    const auto g = tsu::read_rudy(entry.path().string());
    std::ifstream in(entry.path());
    int64_t n = 0, m = 0;
    in >> n >> m;
    EXPECT_EQ(g.nodes, n) << entry.path();
    EXPECT_EQ(int64_t(g.edges.size()), m) << entry.path();
    ++files;
  }
  EXPECT_EQ(files, 71);
}

TEST(DimacsCol, ReadsEdgesAndKeepsARepeatedEdgeOnce) {
  const auto g = parse_dimacs_col("c a triangle\np edge 3 4\ne 1 2\ne 2 3\ne 3 1\ne 2 1\n", "t.col");
  EXPECT_EQ(g.nodes, 3);
  EXPECT_EQ(g.edges.size(), 3u);
}

TEST(DimacsCol, ErrorsNameTheFileAndLine) {
  auto err = [](const std::string& text) { return error_of([&] { parse_dimacs_col(text, "g.col"); }); };
  EXPECT_EQ(err("c only\n"), "g.col:1: expected the problem line \"p edge n m\"");
  EXPECT_EQ(err("e 1 2\n"), "g.col:1: expected the problem line \"p edge n m\"");
  EXPECT_EQ(err("p cnf 3 1\n"), "g.col:1: expected \"p edge n m\", got format \"cnf\"");
  EXPECT_EQ(err("p edge 3\n"), "g.col:1: expected \"p edge n m\", got 3 fields");
  EXPECT_EQ(err("p edge 3 1\nx 1 2\n"), "g.col:2: expected an edge line \"e i j\", got \"x\"");
  EXPECT_EQ(err("p edge 3 1\ne 1\n"), "g.col:2: expected \"e i j\", got 2 fields");
  EXPECT_EQ(err("p edge 3 1\nc\ne 1 5\n"), "g.col:3: node index 5 is out of range 1..3");
  EXPECT_EQ(err("p edge 3 1\ne 3 3\n"), "g.col:2: self loop at node 3");
  EXPECT_EQ(err("p edge 3 1\ne 1 b\n"), "g.col:2: expected an integer node index, got \"b\"");
  EXPECT_EQ(err("p edge 3 1\ne 1 2\ne 2 3\n"), "g.col:3: more edges than the 1 of the problem line");
  EXPECT_EQ(err("p edge 3 2\ne 1 2\n"), "g.col:2: 1 edge lines, but the problem line says 2");
  EXPECT_EQ(err("p edge 3 2\np edge 3 2\n"), "g.col:2: a second problem line");
}

TEST(Cnf, ReadsClausesAcrossLinesAndTheSatlibEnd) {
  const auto f = parse_cnf("c example\np cnf 3 3\n1 -2 0 2\n3 0\n-1 -3 0\n%\n0\n", "f.cnf");
  EXPECT_EQ(f.name, "f");
  EXPECT_EQ(f.variables, 3);
  ASSERT_EQ(f.clauses.size(), 3u);
  EXPECT_EQ(f.clauses[0], (std::vector<int32_t>{1, -2}));
  EXPECT_EQ(f.clauses[1], (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(f.clauses[2], (std::vector<int32_t>{-1, -3}));
}

TEST(Cnf, ErrorsNameTheFileAndLine) {
  auto err = [](const std::string& text) { return error_of([&] { parse_cnf(text, "f.cnf"); }); };
  EXPECT_EQ(err("1 2 0\n"), "f.cnf:1: expected the problem line \"p cnf VARIABLES CLAUSES\"");
  EXPECT_EQ(err("p sat 3 1\n"), "f.cnf:1: expected \"p cnf\", got format \"sat\"");
  EXPECT_EQ(err("p cnf 0 1\n"), "f.cnf:1: variable count must be in 1..1073741824, got 0");
  EXPECT_EQ(err("p cnf 3 -1\n"), "f.cnf:1: clause count must be >= 0, got -1");
  EXPECT_EQ(err("p cnf 3 1\n1 4 0\n"), "f.cnf:2: literal 4 names a variable outside 1..3");
  EXPECT_EQ(err("p cnf 3 1\n1 -4 0\n"), "f.cnf:2: literal -4 names a variable outside 1..3");
  EXPECT_EQ(err("p cnf 3 1\n1 x 0\n"), "f.cnf:2: expected an integer literal, got \"x\"");
  EXPECT_EQ(err("p cnf 3 2\n1 0\n0\n"), "f.cnf:3: empty clause (a 0 with no literals before it)");
  EXPECT_EQ(err("p cnf 3 1\n1 0\n2 0\n"), "f.cnf:3: more clauses than the 1 of the problem line");
  EXPECT_EQ(err("p cnf 3 2\n1 0\n\n2 3\n"), "f.cnf:4: the clause that starts here does not end with 0");
  EXPECT_EQ(err("p cnf 3 3\n1 0\n2 0\n"), "f.cnf:3: 2 clauses, but the problem line says 3");
  EXPECT_EQ(err("p cnf 3 1\np cnf 3 1\n"), "f.cnf:2: a second problem line");
}

TEST(Qubo, ReadsEntriesAndDetectsTheHeader) {
  const std::string text = "# a comment\nqubo 3\n0 0 -1.5\n0 2 2\n2 0 1e-1\n";
  EXPECT_TRUE(tsu::opt::looks_like_qubo(text));
  EXPECT_FALSE(tsu::opt::looks_like_qubo("name\n0 1 1\n"));
  const auto q = parse_qubo(text, "q.txt");
  EXPECT_EQ(q.variables, 3);
  ASSERT_EQ(q.entries.size(), 3u);
  EXPECT_EQ(q.entries[2].i, 2);
  EXPECT_EQ(q.entries[2].q, 0.1);
}

TEST(Qubo, ErrorsNameTheFileAndLine) {
  auto err = [](const std::string& text) { return error_of([&] { parse_qubo(text, "q.txt"); }); };
  EXPECT_EQ(err("0 1 2\n"), "q.txt:1: expected the header \"qubo N\"");
  EXPECT_EQ(err("qubo\n"), "q.txt:1: expected the header \"qubo N\", got 1 fields");
  EXPECT_EQ(err("qubo -2\n"), "q.txt:1: variable count must be in 1..1073741824, got -2");
  EXPECT_EQ(err("qubo 2\n0 1\n"), "q.txt:2: expected \"i j Q\", got 2 fields");
  EXPECT_EQ(err("qubo 2\n#\n0 2 1\n"), "q.txt:3: variable index 2 is out of range 0..1 (indices are 0-based)");
  EXPECT_EQ(err("qubo 2\n0 1 inf\n"), "q.txt:2: Q \"inf\" is NaN or infinite");
  EXPECT_EQ(err("qubo 2\n0 1.5 1\n"), "q.txt:2: expected an integer variable index, got \"1.5\"");
}

class TempDir : public ::testing::Test {
 protected:
  std::filesystem::path dir_ = std::filesystem::temp_directory_path() /
                               ("tsu_opt_formats_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
};

using SolutionFile = TempDir;

TEST_F(SolutionFile, RoundTripsAndRejectsBadValuesWithTheLine) {
  const std::string path = (dir_ / "s.sol").string();
  tsu::opt::write_solution(path, {0, 1, 1, 0}, "cut 3");
  EXPECT_EQ(tsu::opt::read_solution(path, 4, 0, 1), (std::vector<int>{0, 1, 1, 0}));
  EXPECT_EQ(error_of([&] { tsu::opt::read_solution(path, 5, 0, 1); }), path + ":5: 4 values, but the problem has 5");
  EXPECT_EQ(error_of([&] { tsu::opt::read_solution(path, 3, 0, 1); }), path + ":5: more than the 3 values of the problem");
  const auto bad = file("bad.sol", "# x\n0\n2\n");
  EXPECT_EQ(error_of([&] { tsu::opt::read_solution(bad, 2, 0, 1); }), bad + ":3: value 2 is out of range 0..1");
  const auto two = file("two.sol", "0 1\n");
  EXPECT_EQ(error_of([&] { tsu::opt::read_solution(two, 2, 0, 1); }), two + ":1: expected one value per line, got 2 fields");
}

using BestKnownTable = TempDir;

TEST_F(BestKnownTable, LooksUpTheGsetValuesWithTheirSource) {
  const auto g22 = tsu::opt::read_best_known(kGset + "/best-known.csv", "G22");
  ASSERT_TRUE(g22);
  EXPECT_EQ(g22->value, 13359);
  EXPECT_NE(g22->source.find("AOCoptimizer"), std::string::npos);
  EXPECT_EQ(tsu::opt::read_best_known(kGset + "/best-known.csv", "G81")->value, 14060);
  EXPECT_FALSE(tsu::opt::read_best_known(kGset + "/best-known.csv", "G999"));
  const auto bad = file("bk.csv", "instance,best_known_cut,note\nG1,lots,x\n");
  EXPECT_EQ(error_of([&] { tsu::opt::read_best_known(bad, "G1"); }),
            bad + ":2: expected a number as the best-known value, got \"lots\"");
}

}  // namespace
