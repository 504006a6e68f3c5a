// The error taxonomy (bad input exit 2, system failures exit 1, signals 130/143), numbers at the
// edges, and the findings of the reliability review (issue 17), each as a regression test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_fixture.hpp"
#include "error_of.hpp"
#include "graph/model_io.hpp"
#include "sample/npy.hpp"
#include "util/files.hpp"
#include "util/json.hpp"

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

constexpr const char* kPair = R"({"format": "tsu-model-v1", "nodes": ["spin", "spin"],
  "factors": [{"spins": [[0], [1]], "w": [0.3, -0.2]}, {"spins": [[0, 1]], "w": [0.5]}]})";

class Reliability : public CliTest {
 protected:
  // `tsu ARGS`, sent SIG (INT or TERM) after one second; the status as tsu reports it (128 + the
  // signal when the signal ended it).
  CliResult tsu_signalled(const std::string& sig, const std::string& args) const {
    const auto err = dir_ / "stderr.txt";
    const std::string command = "cd '" + dir_.string() + "' && OMP_NUM_THREADS=1 timeout --preserve-status -s " + sig +
                                " 1 '" + TSU_BINARY + "' " + args + " > /dev/null 2> '" + err.string() + "'";
    const int raw = std::system(command.c_str());
    return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, "", tsu::read_file(err.string())};
  }
};

TEST_F(Reliability, SystemFailuresExitOneNamingThePathAndTheReason) {
  file("pair.json", kPair);
  file("plain.txt", "not a folder");
  expect_error_line(tsu("sample missing.json --out o"), 1, {"missing.json", "No such file or directory"});
  expect_error_line(tsu("sample pair.json --out plain.txt/o"), 1, {"plain.txt/o", "cannot create the output folder"});
  fs::create_directories(dir_ / "folder");
  expect_error_line(tsu("sample pair.json --blocks folder --out o"), 1, {"folder: is a directory"});
  expect_error_line(tsu("hw run pair.json --device folder --out o"), 1, {"folder: is a directory"});
  expect_error_line(tsu("sample pair.json --init folder.npy --out o"), 1, {"folder.npy", "No such file"});
}

TEST_F(Reliability, MisspeltCommandsAndOptionsGetTheNearestName) {
  file("pair.json", kPair);
  expect_error_line(tsu("sampel pair.json --out o"), 2, {"did you mean 'sample'?"});
  expect_error_line(tsu("sample pair.json --chain 10 --out o"), 2, {"--chain", "did you mean '--chains'?"});
  expect_error_line(tsu("dtm trian --config c.json"), 2, {"did you mean 'train'?"});
  const CliResult far = tsu("sample pair.json --zzzzzz 1 --out o");
  expect_error_line(far, 2, {"--zzzzzz"});
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
  expect_error_line(tsu("sample pair.json --init gaussian --out o"), 2, {"init", "uniform, hinton", "\"gaussian\""});
}

// |w| or beta beyond 1e100 is refused with the field named, by every command alike; within it, a
// saturated conditional is exactly 0 or 1 and the samplers and the enumeration agree on it.
TEST_F(Reliability, HugeWeightsAreRefusedAndSaturatedModelsAgreeEverywhere) {
  file("huge.json", R"({"format": "tsu-model-v1", "nodes": ["spin", "spin"], "factors": [{"spins": [[0, 1]], "w": [1e308]}]})");
  for (const std::string command : {"sample huge.json --backend fast --out o", "sample huge.json --backend reference --out o",
                                    "exact huge.json --out o"})
    expect_error_line(tsu(command), 2, {"huge.json", "factors[0].w[0]", "limit"});
  file("pair.json", kPair);
  expect_error_line(tsu("sample pair.json --beta 1e200 --out o"), 2, {"--beta", "limit"});
  file("saturated.json",
       R"({"format": "tsu-model-v1", "nodes": ["spin", "spin"], "factors": [{"spins": [[0], [1]], "w": [1e99, -1e-320]}]})");
  for (const std::string how : {"sample saturated.json --backend fast --beta 1e6 --samples 2000 --out o",
                                "sample saturated.json --backend reference --beta 1e6 --samples 2000 --out o",
                                "exact saturated.json --beta 1e6 --out o"}) {
    ASSERT_EQ(tsu(how + " --quiet").status, 0) << how;
    const auto doc = nlohmann::json::parse(tsu::read_file((dir_ / "o" / "moments.json").string()));
    EXPECT_EQ(doc["marginals"][0].get<double>(), 1.0) << how;  // P(s0 = +1): saturated
    // 1e-320 * 1e6 is still ~0: P(s1 = +1) = 1/2, within 5 sigma of 64 x 2000 samples when sampled.
    EXPECT_NEAR(doc["marginals"][1].get<double>(), 0.5, how.starts_with("exact") ? 1e-12 : 5 * 0.5 / std::sqrt(128000.0))
        << how;
    if (how.starts_with("exact")) EXPECT_EQ(doc["log_z"].get<double>(), 1e105);
  }
}

TEST_F(Reliability, RerunningIntoAFolderRemovesTheSamplesOfTheEarlierRun) {
  file("pair.json", kPair);
  ASSERT_EQ(tsu("sample pair.json --samples 5 --save-samples --out o --quiet").status, 0);
  ASSERT_TRUE(fs::exists(dir_ / "o" / "samples.npy"));
  ASSERT_EQ(tsu("sample pair.json --samples 5 --out o --quiet").status, 0);
  EXPECT_FALSE(fs::exists(dir_ / "o" / "samples.npy"));
  EXPECT_TRUE(fs::exists(dir_ / "o" / "moments.json"));
}

TEST_F(Reliability, ExactChecksTheModelsBlocksAsSamplingDoes) {
  file("coupled.json", R"({"format": "tsu-model-v1", "nodes": ["spin", "spin"],
    "factors": [{"spins": [[0, 1]], "w": [0.5]}], "blocks": [[0, 1]]})");
  const CliResult sampled = tsu("sample coupled.json --out o"), exact = tsu("exact coupled.json --out o");
  expect_error_line(sampled, 2, {"coupled.json"});
  expect_error_line(exact, 2, {"coupled.json"});
  EXPECT_EQ(sampled.err, exact.err);
}

TEST_F(Reliability, RepeatedKeysAndUnknownFieldsAreRefusedInEveryJsonInput) {
  file("pair.json", kPair);
  file("blocks.json", R"({"blocks": [[0], [1]], "blocks": [[0, 1]]})");
  expect_error_line(tsu("sample pair.json --blocks blocks.json --out o"), 2, {"blocks.json", "duplicate key \"blocks\""});
  file("extra.json", R"({"blocks": [[0], [1]], "colours": 2})");
  expect_error_line(tsu("sample pair.json --blocks extra.json --out o"), 2, {"extra.json", "colours: unknown field"});
  file("device.json", R"({"format": "tsu-device-v1", "gain_sigma": 0.1, "gain_sigma": 0.2})");
  expect_error_line(tsu("hw run pair.json --device device.json --out o"), 2, {"device.json", "duplicate key \"gain_sigma\""});
  file("cost.json", R"({"params": 1e9, "params": 2e9})");
  expect_error_line(tsu("cost llm --config cost.json"), 2, {"cost.json", "duplicate key \"params\""});
  EXPECT_EQ(error_of([] { tsu::parse_json(R"({"a": {"b": 1, "b": 2}})", "nested.json"); }),
            "nested.json: duplicate key \"b\"");
  EXPECT_EQ(error_of([] { tsu::parse_json(R"({"a": 1, "b": {"a": 2}})", "fine.json"); }), "(no error)");
}

// A few bytes that declare an enormous object are refused before anything is allocated for it.
TEST(ReliabilityFormats, DeclaredSizesAreCheckedBeforeAllocating) {
  std::string nodes = R"({"format": "tsu-model-v1", "nodes": [{"categorical": 256, "count": 16}], "factors": [{"cats": [[)";
  for (int i = 0; i < 16; ++i) nodes += (i ? ", " : "") + std::to_string(i);
  nodes += R"(]], "w": [[]]}]})";
  EXPECT_THAT(error_of([&] { tsu::parse_model_json(nodes, "tables.json"); }),
              ::testing::HasSubstr("tables.json: factors[0].cats[0]: the weight table of these nodes would exceed"));
  const auto dir = fs::temp_directory_path() / ("tsu_reliability_" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto npy = [&](const std::string& name, std::string header, int version) {
    std::string bytes = std::string("\x93NUMPY", 6) + char(version) + '\0';
    const size_t length = header.size();
    for (int b = 0; b < (version == 1 ? 2 : 4); ++b) bytes += char((length >> (8 * b)) & 0xff);
    std::ofstream((dir / name).string(), std::ios::binary) << bytes << header;
    return (dir / name).string();
  };
  const std::string wraps = npy("wraps.npy", "{'descr': '|i1', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n", 1);
  EXPECT_THAT(error_of([&] { tsu::read_npy(wraps); }), ::testing::HasSubstr("is too large to address"));
  std::string forged = std::string("\x93NUMPY\x02\x00", 8) + "\xff\xff\xff\x7f";
  std::ofstream((dir / "forged.npy").string(), std::ios::binary) << forged;
  EXPECT_THAT(error_of([&] { tsu::read_npy((dir / "forged.npy").string()); }),
              ::testing::HasSubstr("bad .npy header: declares 2147483647 bytes"));
  fs::remove_all(dir);
}

TEST(ReliabilityFiles, AWriterThatThrowsLeavesNoFileBehind) {
  const auto dir = fs::temp_directory_path() / ("tsu_atomic_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "result.json").string();
  tsu::write_file_atomic(path, "old\n");
  EXPECT_EQ(error_of([&] {
              tsu::write_file_atomic(path, [](std::ostream& out) {
                out << "half";
                throw tsu::Error("the writer failed");
              });
            }),
            "the writer failed");
  EXPECT_EQ(tsu::read_file(path), "old\n");  // the earlier content stays
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);  // no temporary file
  tsu::append_line_atomic(path, "new");
  EXPECT_EQ(tsu::read_file(path), "old\nnew\n");
  EXPECT_THAT(error_of([&] { tsu::write_file_atomic("/dev/full/x", "text"); }), ::testing::HasSubstr("/dev/full/x: cannot write"));
  fs::remove_all(dir);
}

// The first SIGINT or SIGTERM stops a long command between two progress reports, with a message and
// status 128 + signal, and leaves no empty output folder; a command without progress reports ends at once.
TEST_F(Reliability, SignalsStopLongCommandsWithAMessageAndStatus128PlusTheSignal) {
  const CliResult stopped = tsu_signalled("INT", "sample grid:100:G12 --samples 1000000 --out o");
  EXPECT_EQ(stopped.status, 130) << stopped.err;
  EXPECT_NE(stopped.err.find("SIGINT received: stopping after the current step"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("tsu: stopped by SIGINT; every file written is complete"), std::string::npos) << stopped.err;
  EXPECT_FALSE(fs::exists(dir_ / "o"));
  const CliResult terminated = tsu_signalled("TERM", "sample grid:100:G12 --samples 1000000 --out o");
  EXPECT_EQ(terminated.status, 143) << terminated.err;
  EXPECT_NE(terminated.err.find("tsu: stopped by SIGTERM"), std::string::npos) << terminated.err;
  const CliResult at_once = tsu_signalled("INT", "bench --graph grid:100:G12 --chains 64 --sweeps 100000 --no-reference");
  EXPECT_EQ(at_once.status, 130) << at_once.err;
  EXPECT_NE(at_once.err.find("tsu: interrupted by SIGINT"), std::string::npos) << at_once.err;
}

}  // namespace
