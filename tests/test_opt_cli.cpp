// tsu maxcut / color / sat / qubo end to end: solutions written, read back and verified, --verify,
// best-known ratios on a real G-set file, and one-line errors with status 2.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_fixture.hpp"

namespace {

using nlohmann::json;
using OptCli = CliTest;

const std::string kGset = std::string(TSU_SHARED_DATA) + "/gset";

// A 5-cycle plus a chord: max cut 5 (an odd cycle loses one edge; the chord 1-3 can be cut too).
const char* kSmallRudy = "5 6\n1 2 1\n2 3 1\n3 4 1\n4 5 1\n5 1 1\n1 3 1\n";

TEST_F(OptCli, MaxCutWritesAVerifiedSolutionAndReachesTheTarget) {
  file("c5.txt", kSmallRudy);
  const auto r = tsu("maxcut c5.txt --target 5 --runs 3 --chains 8 --sweeps 100 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["best"], 5.0);
  EXPECT_EQ(doc["verified_value"], 5.0);
  EXPECT_EQ(doc["hits"], 3);
  EXPECT_EQ(doc["time_to_target"]["runs_reached"], 3);
  EXPECT_FALSE(doc["tts99_s"].is_null());
  EXPECT_GT(double(doc["tsu"]["energy_per_update_J"]), 0.0);
  EXPECT_EQ(doc["solution_file"], "out/c5.sol");  // under out/ by default
  const auto v = tsu("maxcut c5.txt --verify out/c5.sol");
  ASSERT_EQ(v.status, 0) << v.err;
  EXPECT_EQ(v.out, "out/c5.sol: cut 5\n");
  file("mine.sol", "# all on one side\n0\n0\n0\n0\n0\n");
  EXPECT_EQ(tsu("maxcut c5.txt --verify mine.sol --target 1").out, "mine.sol: cut 0\ntarget 1: not reached\n");
}

TEST_F(OptCli, GsetRunReportsTheBestKnownRatioAndItsSource) {
  const auto r = tsu("maxcut " + kGset + "/G1.txt --chains 64 --sweeps 300 --solution g1.sol --out g1.json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("of best-known 11624 (Benlic & Hao"), std::string::npos) << r.out;
  const json doc = json::parse(tsu::read_file((dir_ / "g1.json").string()));
  EXPECT_EQ(doc["best_known"]["value"], 11624.0);
  // 300 sweeps of 64 chains reach about 99.8 % of the best-known cut; 99 % is a safe floor.
  EXPECT_GE(double(doc["best_over_best_known"]), 0.99);
  EXPECT_LE(double(doc["best_over_best_known"]), 1.0);
  const auto v = tsu("maxcut " + kGset + "/G1.txt --verify g1.sol --target 99%");
  ASSERT_EQ(v.status, 0) << v.err;
  EXPECT_NE(v.out.find("target 11508: reached"), std::string::npos) << v.out;
}

TEST_F(OptCli, ColorSatAndQuboSolveSmallInstances) {
  // The Petersen graph: 3-chromatic.
  file("petersen.col",
       "c Petersen\np edge 10 15\ne 1 2\ne 2 3\ne 3 4\ne 4 5\ne 5 1\ne 1 6\ne 2 7\ne 3 8\ne 4 9\ne 5 10\n"
       "e 6 8\ne 8 10\ne 10 7\ne 7 9\ne 9 6\n");
  auto r = tsu("color petersen.col --colors 3 --chains 8 --sweeps 300 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["best"], 0.0);
  EXPECT_EQ(tsu("color petersen.col --colors 3 --verify out/petersen.sol").out,
            "out/petersen.sol: conflicts 0\ntarget 0: reached\n");
  EXPECT_EQ(tsu("color petersen.col --colors 2 --chains 8 --sweeps 100 --time-limit 0.2 --json --solution two.sol").status, 0);
  file("f.cnf", "p cnf 4 5\n1 2 -3 0\n-1 3 0\n-3 4 0\n-2 -4 0\n1 -4 0\n");
  r = tsu("sat f.cnf --chains 8 --sweeps 200 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["best"], 0.0);
  EXPECT_EQ(json::parse(r.out)["backend"], "reference");
  file("q.txt", "qubo 3\n0 0 -1\n1 1 -1\n2 2 -1\n0 1 2\n1 2 2\n");  // optimum -2: x = 1 0 1
  r = tsu("qubo q.txt --chains 8 --sweeps 200 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["best"], -2.0);
  EXPECT_EQ(tsu::read_file((dir_ / "out" / "q.sol").string()), "# tsu qubo q: objective -2\n1\n0\n1\n");
}

TEST_F(OptCli, QuboAcceptsAnIsingModel) {
  file("chain.txt", "a chain\n0 1 1\n1 2 -1\n2 2 0.5\n");  // ground state s = (-1, -1, +1)
  const auto r = tsu("qubo chain.txt --chains 8 --sweeps 200 --json --solution chain.sol");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["best"], -2.5);  // every term satisfied: J01 s0 s1 = 1, J12 s1 s2 = 1, h s2 = 0.5
  EXPECT_EQ(tsu::read_file((dir_ / "chain.sol").string()), "# tsu ising chain: energy -2.5\n-1\n-1\n1\n");
}

TEST_F(OptCli, EachCommandRunsTheTunedDefaultsItsHelpShows) {
  file("c5.txt", kSmallRudy);
  file("tri.col", "p edge 3 3\ne 1 2\ne 2 3\ne 3 1\n");
  file("f.cnf", "p cnf 2 2\n1 2 0\n-1 0\n");
  struct Defaults {
    std::string command;
    int chains, sweeps;
    double beta_start, beta_end;
  };
  for (const auto& d : {Defaults{"maxcut c5.txt", 128, 2000, 0.25, 3.0}, Defaults{"color tri.col --colors 3", 16, 200, 1.0, 10.0},
                        Defaults{"sat f.cnf", 16, 200, 2.0, 20.0}}) {
    const auto r = tsu(d.command + " --json");
    ASSERT_EQ(r.status, 0) << d.command << ": " << r.err;
    const json options = json::parse(r.out)["options"];
    EXPECT_EQ(options["chains"], d.chains) << d.command;
    EXPECT_EQ(options["sweeps"], d.sweeps) << d.command;
    EXPECT_EQ(options["beta_start"], d.beta_start) << d.command;
    EXPECT_EQ(options["beta_end"], d.beta_end) << d.command;
    const std::string help = tsu(d.command.substr(0, d.command.find(' ')) + " --help").out;
    EXPECT_NE(help.find(fmt::format("--sweeps INT:>=1={} ", d.sweeps)), std::string::npos) << help;
    EXPECT_NE(help.find(fmt::format("--chains INT:>=1={} ", d.chains)), std::string::npos) << help;
    EXPECT_NE(help.find(fmt::format("--beta-end FLOAT={:g} ", d.beta_end)), std::string::npos) << help;
  }
}

TEST_F(OptCli, TheSimulatedChipReportsItsMeasuredEnergy) {
  file("c5.txt", kSmallRudy);
  const auto r = tsu("maxcut c5.txt --backend chip --chains 4 --sweeps 50 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["backend"], "chip-clocked");
  EXPECT_EQ(doc["chip_account"]["updates"], 5 * 50 * 4);  // free cells x sweeps x chains, read after the solve
  EXPECT_GT(double(doc["chip_account"]["energy_J"]), 0.0);
  EXPECT_EQ(doc["verified_value"], doc["best"]);
}

TEST_F(OptCli, ATimeLimitShorterThanOneBatchStillWritesAVerifiedSolution) {
  file("c5.txt", kSmallRudy);
  const auto r = tsu("maxcut c5.txt --sweeps 100000000 --time-limit 0.05 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["batches"], 0);
  EXPECT_EQ(doc["verified_value"], doc["best"]);
}

// G-set's +-1 weights are their own 8-bit codes, so --bits 8 anneals the same model with the exact
// quantized rule, and reaches the same 99 % floor.
TEST_F(OptCli, GsetRunsOnTheQuantizedKernels) {
  const auto r = tsu("maxcut " + kGset + "/G1.txt --chains 64 --sweeps 300 --bits 8 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["options"]["bits"], 8);
  EXPECT_GE(double(doc["best_over_best_known"]), 0.99);
  EXPECT_EQ(doc["verified_value"], doc["best"]);
  const auto bad = tsu("maxcut " + kGset + "/G1.txt --bits 1");
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.err, "tsu: error: --bits: must be between 2 and 16, got 1\n");
}

TEST_F(OptCli, BadFilesAndOptionsFailWithOneLine) {
  file("bad.txt", "3 2\n1 2 1\n2 9 1\n");
  auto r = tsu("maxcut bad.txt");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "tsu: error: bad.txt:3: node index 9 is out of range 1..3\n");
  file("bad.cnf", "p cnf 2 1\n1 3 0\n");
  r = tsu("sat bad.cnf");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "tsu: error: bad.cnf:2: literal 3 names a variable outside 1..2\n");
  file("c5.txt", kSmallRudy);
  r = tsu("maxcut c5.txt --target 99%");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "tsu: error: --target 99%: no best-known value for c5 (see --best-known)\n");
  r = tsu("maxcut c5.txt --solver ga");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "tsu: error: solver: unknown solver \"ga\" (expected sa or pt)\n");
  file("short.sol", "0\n1\n");
  r = tsu("maxcut c5.txt --verify short.sol");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "tsu: error: short.sol:2: 2 values, but the problem has 5\n");
  r = tsu("color c5.txt");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--colors is required"), std::string::npos) << r.err;
}

}  // namespace
