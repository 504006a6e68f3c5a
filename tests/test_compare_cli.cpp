// End-to-end tests of `tsu compare` on the tiny scale: every model is trained, generated and scored,
// compare.json validates against docs/compare.schema.json, a second run resumes from the folder, and
// corrupt or missing checkpoints and caches fail with one line naming the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "cli_fixture.hpp"
#include "json_schema.hpp"
#include "sample/npy.hpp"
#include "util/files.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using tsu::testing::schema_errors;

namespace {

class CompareCli : public CliTest {
 protected:
  static json schema() { return json::parse(tsu::read_file(std::string(TSU_SOURCE_DIR) + "/docs/compare.schema.json")); }

  // Overwrites the middle of a file with garbage, keeping its size.
  static void corrupt(const fs::path& path) {
    const auto size = fs::file_size(path);
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(size / 2));
    for (int i = 0; i < 64; ++i) f.put(char(0xA5));
  }
};

}  // namespace

TEST_F(CompareCli, TinyScaleEndToEndThenCorruptCheckpointsFail) {
  // Your own model: 110 images of random pixels (all speckle), priced at 1 GFLOP and 1 MB per sample.
  tsu::NpyArray mine{"|u1", {110, 28, 28}, {}};
  std::mt19937_64 rng(5);
  for (size_t i = 0; i < mine.shape[0] * 784; ++i) mine.bytes.push_back(char(rng() & 1));
  tsu::write_npy((dir_ / "mine.npy").string(), mine);
  const std::string run = "compare --scale tiny --out c --cache cache --samples 110 --threads 2 --bootstrap 40 "
                          "--extra mine=mine.npy:1e9:1e6";  // grids show 100
  const auto first = tsu(run);
  ASSERT_EQ(first.status, 0) << first.err;
  const json report = json::parse(tsu::read_file((dir_ / "c" / "compare.json").string()));
  EXPECT_EQ(schema_errors(schema(), report), std::vector<std::string>{});
  std::set<std::string> families;
  for (const json& m : report["models"]) {
    families.insert(m["family"].get<std::string>());
    EXPECT_TRUE(std::isfinite(m["quality"]["fd"].get<double>())) << m["name"];
    EXPECT_GT(m["energy_j"]["primary"].get<double>(), 0) << m["name"];
    EXPECT_TRUE(fs::exists(dir_ / m["sample_grid"].get<std::string>())) << m["name"];  // relative to tsu's folder
  }
  EXPECT_EQ(families, (std::set<std::string>{"dtm", "vae", "gan", "diffusion", "bernoulli", "mixture", "mine"}));
  for (const json& m : report["models"]) {  // every quality with its interval about it
    const json& q = m["quality"];
    ASSERT_EQ(q["fd_ci"].size(), 2u) << m["name"];
    EXPECT_LE(q["fd_ci"][0].get<double>(), q["fd"].get<double>()) << m["name"];
    EXPECT_GE(q["fd_ci"][1].get<double>(), q["fd"].get<double>()) << m["name"];
    for (const char* key : {"precision_ci", "recall_ci", "kid_ci"}) EXPECT_EQ(q[key].size(), 2u) << m["name"] << key;
    EXPECT_EQ(q["class_shares"].size(), 10u) << m["name"];
  }
  const json& own = report["models"].back();
  EXPECT_EQ(own["name"], "mine");
  EXPECT_EQ(own["flops"], 1e9);
  EXPECT_EQ(own["failed"], true) << own["quality"].dump();  // speckle looks like no garment
  EXPECT_EQ(report["settings"]["bootstrap_replicates"], 40);
  // Real images score better than every tiny model: the metric sees the gap, and the floor is there.
  const double floor_fd = report["data_floor"]["quality"]["fd"].get<double>();
  for (const json& m : report["models"]) EXPECT_LT(floor_fd, m["quality"]["fd"].get<double>()) << m["name"];
  EXPECT_EQ(report["data_floor"]["images"], 110);
  EXPECT_TRUE(fs::exists(dir_ / report["data_floor"]["sample_grid"].get<std::string>()));
  // The DTM on the TSU model is far cheaper per sample than any GPU bound (DTM §4.1's direction).
  for (const json& r : report["matched_quality"]) {
    if (r["ratio"].is_number()) {
      EXPECT_GT(r["ratio"].get<double>(), 1.0) << r.dump();
    }
  }
  for (const char* name : {"compare.png", "report.html"}) EXPECT_TRUE(fs::exists(dir_ / "c" / name)) << name;

  // A second run finds every model trained and scores them again: the same qualities and energies.
  const auto second = tsu(run + " --quiet");
  ASSERT_EQ(second.status, 0) << second.err;
  const json again = json::parse(tsu::read_file((dir_ / "c" / "compare.json").string()))["models"];
  ASSERT_EQ(again.size(), report["models"].size());
  for (size_t i = 0; i < again.size(); ++i) {
    EXPECT_EQ(again[i]["quality"], report["models"][i]["quality"]) << again[i]["name"];
    EXPECT_EQ(again[i]["energy_j"], report["models"][i]["energy_j"]) << again[i]["name"];
  }

  corrupt(dir_ / "c" / "vae-tiny" / "checkpoint.pt");
  auto r = tsu(run + " --quiet");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("vae-tiny/checkpoint.pt"), std::string::npos) << r.err;

  fs::remove(dir_ / "c" / "vae-tiny" / "checkpoint.pt");
  for (const auto& entry : fs::directory_iterator(dir_ / "cache")) corrupt(entry.path());
  r = tsu(run + " --quiet");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("cache/"), std::string::npos) << r.err;
}

TEST_F(CompareCli, BadOptionsAndMissingModelsFailWithOneLine) {
  auto r = tsu("compare --scale huge --out c");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--scale: unknown scale 'huge'"), std::string::npos) << r.err;
  r = tsu("compare --scale tiny --out c --samples 15");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--samples: must be a multiple of 10"), std::string::npos) << r.err;
  r = tsu("compare --scale tiny --out c --families vae,nerf");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("nerf"), std::string::npos) << r.err;
  for (const auto& [spec, message] : std::vector<std::pair<std::string, std::string>>{
           {"mine.npy", "--extra 'mine.npy': expected NAME=SAMPLES.npy:FLOPS:BYTES[:WEIGHT_BYTES] (per sample)"},
           {"a=x.npy:1e9", "--extra 'a=x.npy:1e9': expected NAME=SAMPLES.npy:FLOPS:BYTES[:WEIGHT_BYTES] (per sample)"},
           {"a=x.npy:lots:1", "--extra 'a=x.npy:lots:1': FLOPS: expected a number >= 0, got 'lots'"},
           {"a=x.npy:1:1:-2", "--extra 'a=x.npy:1:1:-2': WEIGHT_BYTES: expected a number >= 0, got '-2'"},
           {"gan=x.npy:1:1", "--extra 'gan=x.npy:1:1': NAME 'gan' is a built-in family (vae, gan, diffusion, "
                             "bernoulli, mixture, dtm); pick another name"}}) {
    r = tsu("compare --scale tiny --out c --extra " + spec);
    EXPECT_EQ(r.status, 2) << spec;
    EXPECT_EQ(r.err, "tsu: error: " + message + "\n") << spec;
  }
}
