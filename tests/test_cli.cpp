// End-to-end tests of the tsu command line: runs the built binary on small models in a temporary
// folder and checks its files, its statistics against exact enumeration, and its error reports.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_fixture.hpp"
#include "sample/npy.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// 4 spins (node 3 clamped to +1) and one 3-state categorical coupled to spin 1; beta is set per run.
constexpr const char* kMixedModel = R"({"format": "tsu-model-v1", "name": "cli-mixed", "beta": 0.8,
 "nodes": [{"spin": 4}, {"categorical": 3}],
 "factors": [
   {"spins": [[0], [1], [2], [3]], "w": [0.3, -0.2, 0.1, 0.0]},
   {"spins": [[0, 1], [1, 2], [2, 3], [0, 3]], "w": [0.6, -0.4, 0.5, 0.3]},
   {"spins": [[1]], "cats": [[4]], "w": [[0.5, -0.5, 0.2]]}],
 "clamp": {"3": 1}})";

constexpr const char* kPairModel = R"({"format": "tsu-model-v1", "nodes": ["spin", "spin"],
 "factors": [{"spins": [[0, 1]], "w": [0.7]}]})";

std::string read_text(const fs::path& path) { return tsu::read_file(path.string()); }

class Cli : public CliTest {
 protected:
  json moments(const std::string& out_dir) const { return json::parse(read_text(dir_ / out_dir / "moments.json")); }

};

// Tolerance for a mean of `n` draws of a variable with variance `var`: 5 sigma, with the sample size
// halved for the residual autocorrelation left between observations taken 4 sweeps apart.
double tolerance(double var, double n) { return 5.0 * std::sqrt(std::max(var, 1e-4) / (n / 2.0)); }

TEST_F(Cli, SampleAgreesWithExactEnumeration) {
  file("m.json", kMixedModel);
  const int chains = 64, samples = 1000;
  const std::string schedule =
      " --warmup 100 --every 4 --chains " + std::to_string(chains) + " --samples " + std::to_string(samples);
  ASSERT_EQ(tsu("sample m.json --beta 1.2 --threads 1 --quiet --out s" + schedule).status, 0);
  ASSERT_EQ(tsu("exact m.json --beta 1.2 --out e").status, 0);
  const json s = moments("s"), e = moments("e");
  const double n = double(chains) * samples;

  ASSERT_EQ(s["marginals"].size(), 5u);
  for (int i = 0; i < 4; ++i) {
    const double p = e["marginals"][i];
    EXPECT_NEAR(double(s["marginals"][i]), p, tolerance(p * (1 - p), n)) << "spin " << i;
  }
  EXPECT_EQ(double(s["marginals"][3]), 1.0);  // clamped to +1
  for (int k = 0; k < 3; ++k) {
    const double p = e["marginals"][4][k];
    EXPECT_NEAR(double(s["marginals"][4][k]), p, tolerance(p * (1 - p), n)) << "state " << k;
  }
  ASSERT_EQ(s["pair_moments"].size(), 4u);
  for (int k = 0; k < 4; ++k) {
    const double m = e["pair_moments"][k];
    EXPECT_NEAR(double(s["pair_moments"][k]), m, tolerance(1 - m * m, n)) << "pair " << k;
  }
  ASSERT_EQ(s["factor_moments"].size(), e["factor_moments"].size());
  for (size_t g = 0; g < e["factor_moments"].size(); ++g)
    for (size_t f = 0; f < e["factor_moments"][g]["moments"].size(); ++f) {
      const json &want = e["factor_moments"][g]["moments"][f], &got = s["factor_moments"][g]["moments"][f];
      for (size_t t = 0; t < (want.is_array() ? want.size() : 1); ++t) {
        const double m = want.is_array() ? double(want[t]) : double(want), x = got.is_array() ? double(got[t]) : double(got);
        EXPECT_NEAR(x, m, tolerance(1 - m * m, n)) << "group " << g << " factor " << f << " entry " << t;
      }
    }
  const double energy_std = s["energy"]["std"];
  EXPECT_NEAR(double(s["energy"]["mean"]), double(e["energy"]["mean"]), tolerance(energy_std * energy_std, n));
  EXPECT_EQ(double(s["run"]["beta"]), 1.2);
  EXPECT_EQ(double(e["run"]["beta"]), 1.2);
}

TEST_F(Cli, ExactLogPartitionFunctionOfTwoSpins) {
  file("pair.json", kPairModel);
  ASSERT_EQ(tsu("exact pair.json --beta 0.5 --out e").status, 0);
  const json e = moments("e");
  // Z = 2 exp(beta J) + 2 exp(-beta J) = 4 cosh(beta J); E[s0 s1] = tanh(beta J).
  EXPECT_NEAR(double(e["log_z"]), std::log(4 * std::cosh(0.35)), 1e-12);
  EXPECT_NEAR(double(e["pair_moments"][0]), std::tanh(0.35), 1e-12);
  EXPECT_NEAR(double(e["marginals"][0]), 0.5, 1e-12);
}

TEST_F(Cli, SampleWritesEveryRequestedField) {
  file("m.json", kMixedModel);
  const auto r = tsu("sample m.json --chains 3 --warmup 5 --samples 40 --every 2 --seed 7 --threads 1 --out "
                     "out/deep --save-samples --autocorr energy,magnetization --anneal linear --beta-start 0.1");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("flips/ns"), std::string::npos);
  EXPECT_NE(r.out.find("moments.json"), std::string::npos);
  const json m = moments("out/deep");
  for (const char* key : {"marginals", "pair_moments", "factor_moments", "energy", "autocorrelation", "diagnostics", "run"})
    EXPECT_TRUE(m.contains(key)) << key;
  for (const char* key : {"energy", "marginals", "factor_moments", "pair_moments", "worst", "method"})
    EXPECT_TRUE(m["diagnostics"].contains(key)) << key;
  EXPECT_EQ(m["diagnostics"]["marginals"]["ess"].size(), m["marginals"].size());
  EXPECT_TRUE(m["energy"].contains("mean") && m["energy"].contains("std"));
  for (const char* name : {"energy", "magnetization"}) {
    const json& a = m["autocorrelation"][name];
    EXPECT_EQ(double(a["tau_int_sweeps"]), 2 * double(a["tau_int_observations"])) << name;  // --every 2
    EXPECT_GE(double(a["tau_int_observations"]), 0.0) << name;
    EXPECT_TRUE(a.contains("ess") && a.contains("rhat") && a.contains("mcse")) << name;
    EXPECT_EQ(double(m["autocorrelation"][name]["acf"][0]), 1.0) << name;
  }
  const json& run = m["run"];
  for (const char* key : {"chains", "warmup", "samples", "every", "beta", "seed", "threads", "backend", "sweeps",
                          "seconds", "observe_seconds", "flips_per_ns"})
    EXPECT_TRUE(run.contains(key)) << key;
  EXPECT_EQ(int(run["sweeps"]), 5 + 39 * 2);
  EXPECT_EQ(int(run["chains"]), 3);

  const auto samples = tsu::read_npy((dir_ / "out/deep/samples.npy").string());
  EXPECT_EQ(samples.shape, (std::vector<size_t>{40, 3, 5}));
  ASSERT_EQ(samples.dtype, "|i1");
  for (size_t k = 0; k < samples.bytes.size(); ++k) {
    const int v = int8_t(samples.bytes[k]), node = int(k % 5);
    const bool valid = node == 3 ? v == 1 : node < 4 ? (v == -1 || v == 1) : (v >= 0 && v < 3);  // 3 is clamped
    EXPECT_TRUE(valid) << "value " << v << " at node " << node;
  }
}

TEST_F(Cli, ResultsDoNotDependOnTheThreadCount) {
  file("m.json", kMixedModel);
  const std::string run = "sample m.json --chains 8 --samples 50 --seed 3 --quiet --save-samples";
  ASSERT_EQ(tsu(run + " --threads 1 --out a").status, 0);
  ASSERT_EQ(tsu(run + " --threads 2 --out b").status, 0);
  EXPECT_EQ(moments("a")["marginals"], moments("b")["marginals"]);
  EXPECT_EQ(read_text(dir_ / "a/samples.npy"), read_text(dir_ / "b/samples.npy"));
}

TEST_F(Cli, InitFileSetsTheFirstObservation) {
  file("m.json", kMixedModel);
  tsu::write_npy((dir_ / "init.npy").string(), {"|i1", {5}, {-1, 1, -1, -1, 2}});
  ASSERT_EQ(tsu("sample m.json --chains 4 --warmup 0 --samples 1 --init init.npy --out o --quiet").status, 0);
  const json m = moments("o");
  EXPECT_EQ(double(m["marginals"][0]), 0.0);
  EXPECT_EQ(double(m["marginals"][1]), 1.0);
  EXPECT_EQ(double(m["marginals"][3]), 1.0);  // the clamp wins over the file's -1
  EXPECT_EQ(m["marginals"][4], json({0.0, 0.0, 1.0}));
}

// An unsigned array holds spins as 0/1 (or 0/255, as tsu dtm generate's images), in any shape
// [chains, ...] whose trailing sizes multiply to the node count.
TEST_F(Cli, InitFileTakesUnsignedSpinsAndImageShapes) {
  file("m.json", kMixedModel);
  std::vector<char> bytes;
  for (int c = 0; c < 4; ++c) bytes.insert(bytes.end(), {0, c % 2 ? char(255) : char(1), 0, 0, 2});
  tsu::write_npy((dir_ / "u8.npy").string(), {"|u1", {4, 5, 1}, bytes});
  ASSERT_EQ(tsu("sample m.json --chains 4 --warmup 0 --samples 1 --init u8.npy --out o --quiet").status, 0);
  const json m = moments("o");
  EXPECT_EQ(double(m["marginals"][0]), 0.0);
  EXPECT_EQ(double(m["marginals"][1]), 1.0);
  EXPECT_EQ(m["marginals"][4], json({0.0, 0.0, 1.0}));
}

TEST_F(Cli, BlocksOutputIsAValidBlocksFile) {
  file("m.json", kMixedModel);
  const auto r = tsu("blocks m.json --out blocks.json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("blocks"), std::string::npos);
  const json blocks = json::parse(read_text(dir_ / "blocks.json"))["blocks"];
  size_t nodes = 0;
  for (const auto& b : blocks) nodes += b.size();
  EXPECT_EQ(nodes, 4u);  // every free node once
  EXPECT_EQ(tsu("sample m.json --blocks blocks.json --samples 5 --out o --quiet").status, 0);
}

TEST_F(Cli, TopologySpecsAndVersion) {
  EXPECT_EQ(tsu("sample rr:20:3 --chains 2 --samples 5 --warmup 5 --out o --quiet").status, 0);
  EXPECT_EQ(moments("o")["marginals"].size(), 20u);
  const auto v = tsu("--version");
  EXPECT_EQ(v.status, 0);
  EXPECT_NE(v.out.find("tsu "), std::string::npos);
  EXPECT_EQ(tsu("sample --help").status, 0);
}

// An invalid input: a file to write, the arguments, and words the one-line message must hold.
struct BadInput {
  std::string name;
  std::string file_name, file_text;
  std::string args;
  std::vector<std::string> expected;
};

std::ostream& operator<<(std::ostream& os, const BadInput& b) { return os << b.name; }

// Status 2 and a single line "tsu: error: ..." holding every one of `words`.
void expect_bad_input(const CliResult& r, const std::vector<std::string>& words) { expect_error_line(r, 2, words); }

TEST_F(Cli, BadInitFilesAreRejected) {
  file("pair.json", kPairModel);
  tsu::write_npy((dir_ / "zero.npy").string(), {"|i1", {2}, {1, 0}});
  expect_bad_input(tsu("sample pair.json --init zero.npy --out o"), {"zero.npy", "node 1", "got 0"});
  tsu::write_npy((dir_ / "shape.npy").string(), {"|i1", {3, 2}, {1, 1, 1, 1, 1, 1}});
  expect_bad_input(tsu("sample pair.json --chains 2 --init shape.npy --out o"), {"shape.npy", "shape (3, 2)"});
  tsu::write_npy((dir_ / "float.npy").string(), {"<f4", {1}, {0, 0, -128, 63}});
  expect_bad_input(tsu("sample pair.json --init float.npy --out o"), {"float.npy", "<f4"});
  tsu::write_npy((dir_ / "u8.npy").string(), {"|u1", {2}, {1, 2}});
  expect_bad_input(tsu("sample pair.json --init u8.npy --out o"), {"u8.npy", "node 1", "0 or 1", "got 2"});
}

class CliBadInput : public Cli, public ::testing::WithParamInterface<BadInput> {};

TEST_P(CliBadInput, ExitsWithStatusTwoAndOneLineNamingTheProblem) {
  const BadInput& bad = GetParam();
  if (!bad.file_name.empty()) file(bad.file_name, bad.file_text);
  file("pair.json", kPairModel);
  expect_bad_input(tsu(bad.args), bad.expected);
  EXPECT_FALSE(fs::exists(dir_ / "o" / "moments.json"));
}

const std::string kHead = R"({"format": "tsu-model-v1", )";

INSTANTIATE_TEST_SUITE_P(
    ErrorPaths, CliBadInput,
    ::testing::Values(
        BadInput{"MalformedJson", "bad.json", kHead + R"("nodes": ["spin",)", "sample bad.json --out o",
                 {"bad.json", "line"}},
        BadInput{"UnknownNodeKind", "bad.json", kHead + R"("nodes": ["spin", "qubit"], "factors": []})",
                 "sample bad.json --out o", {"bad.json", "nodes[1]", "qubit"}},
        BadInput{"IndexOutOfRange", "bad.json",
                 kHead + R"("nodes": ["spin", "spin"], "factors": [{"spins": [[0, 5]], "w": [1.0]}]})",
                 "sample bad.json --out o", {"bad.json", "factors[0]", "5"}},
        BadInput{"TableShapeMismatch", "bad.json",
                 kHead + R"("nodes": ["spin", {"categorical": 3}],
                  "factors": [{"spins": [[0]], "cats": [[1]], "w": [[1.0, 2.0]]}]})",
                 "exact bad.json --out o", {"bad.json", "factors[0].w"}},
        BadInput{"NanWeight", "bad.json",
                 kHead + R"("nodes": ["spin", "spin"], "factors": [{"spins": [[0, 1]], "w": ["nan"]}]})",
                 "sample bad.json --out o", {"bad.json", "factors[0].w[0]"}},
        BadInput{"InfiniteWeight", "bad.json",
                 kHead + R"("nodes": ["spin", "spin"], "factors": [{"spins": [[0, 1]], "w": [1e999]}]})",
                 "sample bad.json --out o", {"bad.json", "1e999"}},
        BadInput{"ModelBlocksNotIndependent", "bad.json",
                 kHead + R"("nodes": ["spin", "spin"], "factors": [{"spins": [[0, 1]], "w": [1.0]}],
                  "blocks": [[0, 1]]})",
                 "sample bad.json --out o", {"bad.json", "blocks[0]", "factors[0]"}},
        BadInput{"BlocksFileNotIndependent", "blocks.json", R"({"blocks": [[0, 1]]})",
                 "sample pair.json --blocks blocks.json --out o", {"blocks.json", "blocks[0]", "factors[0]"}},
        BadInput{"BlocksFileMissesANode", "blocks.json", R"({"blocks": [[0]]})",
                 "sample pair.json --blocks blocks.json --out o", {"blocks.json", "node 1"}},
        BadInput{"ExactTooLarge", "big.json", kHead + R"("nodes": [{"spin": 30}], "factors": []})",
                 "exact big.json --out o", {"big.json", "configurations"}},
        BadInput{"MalformedEdgeListLine", "g.txt", "a name\n0 1 0.5\n1 2 x\n", "sample g.txt --out o",
                 {"g.txt:3"}},
        BadInput{"ZeroChains", "", "", "sample pair.json --chains 0 --out o", {"--chains"}},
        BadInput{"UnknownOption", "", "", "sample pair.json --out o --bogus", {"--bogus"}},
        BadInput{"BadSpec", "", "", "sample grid:8:G99 --out o", {"G99"}},
        BadInput{"AutocorrNeedsTwoSamples", "", "", "sample pair.json --samples 1 --autocorr energy --out o",
                 {"--autocorr", "--samples"}}),
    [](const auto& info) { return info.param.name; });

}  // namespace
