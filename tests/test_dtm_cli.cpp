// End-to-end tests of `tsu dtm`: train (with a resumed run equal to an uninterrupted one),
// generate, eval, and the error reports for bad configs and folders.
#include <gtest/gtest.h>

#include "cli_fixture.hpp"
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "util/files.hpp"
#include "hw/energy.hpp"
#include "ml/config.hpp"
#include "sample/npy.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class DtmCli : public CliTest {
 protected:
  static std::string tiny() { return std::string(TSU_SOURCE_DIR) + "/configs/dtm/tiny.json"; }
};

}  // namespace

TEST_F(DtmCli, TrainGenerateEval) {
  const auto trained = tsu("dtm train --config " + tiny() + " --out run --threads 2");
  ASSERT_EQ(trained.status, 0) << trained.err;
  EXPECT_NE(trained.out.find("epoch 3/3"), std::string::npos) << trained.out;
  for (const char* name :
       {"checkpoint.bin", "config.json", "log.jsonl", "samples/epoch-0003-free.png", "samples/epoch-0003-clamped.png"})
    EXPECT_TRUE(fs::exists(dir_ / "run" / name)) << name;
  // Every evaluated sample is priced by the hw accounting: T = 2 steps of K sweeps on the 24 x 24 G8 array.
  const tsu::ml::DtmConfig cfg = tsu::ml::load_dtm_config(tiny());
  const tsu::hw::Device paper = tsu::hw::device_preset("paper");
  const tsu::hw::EnergyReport priced = tsu::hw::energy_report(
      paper, tsu::hw::grid_shape(paper, cfg.graph.side, cfg.graph.rule),
      tsu::hw::Workload{cfg.generation.sweeps, cfg.diffusion.steps, cfg.visible()});
  std::istringstream log(tsu::read_file((dir_ / "run" / "log.jsonl").string()));
  std::string line;
  int epoch = 0;
  while (std::getline(log, line)) {
    const json entry = json::parse(line);
    EXPECT_EQ(entry["epoch"], ++epoch);
    EXPECT_EQ(entry["steps"].size(), 2u);
    EXPECT_TRUE(entry["steps"][0]["autocorr"].is_number());
    EXPECT_TRUE(entry["steps"][0]["tc_lambda"].is_number());
    EXPECT_EQ(entry["quality"]["metric"], "fd_pixel");
    const json& energy = entry["quality"]["energy"];
    EXPECT_EQ(energy["device"], "paper");
    EXPECT_DOUBLE_EQ(energy["j_per_sample"].get<double>(), priced.e_total);
    EXPECT_DOUBLE_EQ(energy["j_per_sample"].get<double>(), 2 * energy["j_per_step"].get<double>());
    EXPECT_EQ(energy["sweeps_per_step"], 60);
  }
  EXPECT_EQ(epoch, 3);

  const auto generated = tsu("dtm generate --model run --n 40 --out gen --sweeps 30 --trajectory 3");
  ASSERT_EQ(generated.status, 0) << generated.err;
  for (const char* name : {"samples-free.npy", "samples-clamped.npy", "labels-clamped.npy", "grid-free.png",
                           "grid-clamped.png", "trajectory-free.png", "generate.json"})
    EXPECT_TRUE(fs::exists(dir_ / "gen" / name)) << name;
  const auto samples = tsu::read_npy((dir_ / "gen" / "samples-free.npy").string());
  EXPECT_EQ(samples.shape, (std::vector<size_t>{40, 14, 14}));
  const json report = json::parse(tsu::read_file((dir_ / "gen" / "generate.json").string()));
  EXPECT_EQ(report["free"]["steps"], 2);
  EXPECT_EQ(report["free"]["sweeps_per_step"], 30);
  EXPECT_EQ(report["free"]["sites"], 576);

  const auto eval = tsu("dtm eval --model run --samples gen/samples-free.npy --out eval.json");
  ASSERT_EQ(eval.status, 0) << eval.err;
  const json quality = json::parse(tsu::read_file((dir_ / "eval.json").string()));
  EXPECT_EQ(quality["metric"], "fd_pixel");
  EXPECT_GT(quality["value"].get<double>(), 0.0);
  EXPECT_NE(quality["note"].get<std::string>().find("stand-in"), std::string::npos);
}

// A run stopped after one epoch and started again ends with the same checkpoint, byte for byte,
// as an uninterrupted run; the log keeps one line per epoch.
TEST_F(DtmCli, ResumedRunEqualsUninterruptedRun) {
  ASSERT_EQ(tsu("dtm train --config " + tiny() + " --out straight --threads 1 --quiet").status, 0);
  ASSERT_EQ(tsu("dtm train --config " + tiny() + " --out resumed --threads 1 --quiet --epochs 1").status, 0);
  const auto again = tsu("dtm train --config " + tiny() + " --out resumed --threads 1");
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(again.out.find("epoch 1/3"), std::string::npos) << "epoch 1 ran again";
  EXPECT_EQ(tsu::read_file((dir_ / "straight" / "checkpoint.bin").string()),
            tsu::read_file((dir_ / "resumed" / "checkpoint.bin").string()));
  std::istringstream log(tsu::read_file((dir_ / "resumed" / "log.jsonl").string()));
  int lines = 0;
  for (std::string line; std::getline(log, line);) EXPECT_EQ(json::parse(line)["epoch"], ++lines);
  EXPECT_EQ(lines, 3);
}

TEST_F(DtmCli, StudyTrainsEveryConfigThenTabulatesAndPlotsTheirEpochs) {
  // The same config twice under two names, and once for 2 epochs: three run folders, one table, the
  // plots, the scaling fit and its prediction at 30 epochs; a config that does not parse stops the
  // study before anything trains.
  json config = json::parse(tsu::read_file(tiny()));
  config["data"]["dir"] = tsu::ml::load_dtm_config(tiny()).data.dir;
  auto write_variant = [&](const std::string& file, const std::string& name, int epochs) {
    config["name"] = name;
    config["training"]["epochs"] = epochs;
    tsu::write_file_atomic((dir_ / file).string(), config.dump());
  };
  const int epochs = tsu::ml::load_dtm_config(tiny()).training.epochs;
  write_variant("b.json", "tiny-b", epochs);
  write_variant("c.json", "tiny-c", epochs - 1);
  write_variant("target.json", "tiny-long", 10 * epochs);
  const auto r =
      tsu("dtm study --config " + tiny() + " --config b.json --config c.json --target target.json --out study --threads 1");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("== b.json -> study/tiny-b"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("scaling, free: tiny-long"), std::string::npos) << r.out;
  const json study = json::parse(tsu::read_file((dir_ / "study" / "study.json").string()));
  const json& scaling = study["scaling"];
  for (const char* mode : {"free", "clamped"}) {
    ASSERT_EQ(scaling[mode]["points"].size(), 3u) << scaling;
    EXPECT_EQ(scaling[mode]["fit"]["points"], 3);
    const json& fd = scaling[mode]["prediction"];
    EXPECT_LT(fd["low"].get<double>(), fd["value"].get<double>());
    EXPECT_LT(fd["value"].get<double>(), fd["high"].get<double>());
  }
  // The target's projected training flips are the trainer's own count, ten times the 3-epoch run's.
  double three_epochs = 0;
  for (const json& p : scaling["free"]["points"])
    if (p["config"] == "tiny") three_epochs = p["train_flips"].get<double>();
  EXPECT_DOUBLE_EQ(scaling["target"]["train_flips"].get<double>(), 10 * three_epochs);
  EXPECT_FALSE(fs::exists(dir_ / "study" / "tiny-long"));  // the target is not trained
  std::istringstream csv(tsu::read_file((dir_ / "study" / "study.csv").string()));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "config,epoch,fd_free,fd_clamped,max_autocorr,seconds,flips_per_ns,train_flips,j_per_sample");
  std::vector<std::string> rows, scores;  // "config,epoch" and "fd_free,fd_clamped,max_autocorr"
  while (std::getline(csv, line)) {
    const size_t second = line.find(',', line.find(',') + 1);
    rows.push_back(line.substr(0, second));
    size_t end = second;
    for (int k = 0; k < 3; ++k) end = line.find(',', end + 1);
    scores.push_back(line.substr(second + 1, end - second - 1));
  }
  EXPECT_EQ(rows, (std::vector<std::string>{"tiny,1", "tiny,2", "tiny,3", "tiny-b,1", "tiny-b,2", "tiny-b,3", "tiny-c,1",
                                            "tiny-c,2"}));
  // Same config, same seed: the two runs score the same.
  ASSERT_EQ(scores.size(), 8u);
  for (size_t e = 0; e < 3; ++e) EXPECT_EQ(scores[e], scores[e + 3]) << e;
  for (const char* png : {"quality-free.png", "quality-clamped.png", "autocorr.png", "scaling-free.png", "scaling-clamped.png",
                          "energy-quality.png"})
    EXPECT_EQ(tsu::read_file((dir_ / "study" / png).string()).substr(1, 3), "PNG") << png;
  // Three runs of one training compute (a seed study, say): the points, and no fit to extrapolate.
  write_variant("d.json", "tiny-d", epochs);
  const auto same = tsu("dtm study --config " + tiny() + " --config b.json --config d.json --out study --threads 1");
  ASSERT_EQ(same.status, 0) << same.err;
  EXPECT_NE(same.out.find("scaling, free: no fit (3 scored runs"), std::string::npos) << same.out;
  const json flat = json::parse(tsu::read_file((dir_ / "study" / "study.json").string()))["scaling"];
  EXPECT_EQ(flat["free"]["points"].size(), 3u);
  EXPECT_TRUE(flat["free"]["fit"].is_null() && flat["free"]["prediction"].is_null());
  const auto bad = tsu("dtm study --config " + tiny() + " --config missing.json --out study2");
  EXPECT_EQ(bad.status, 1);  // a file that cannot be read: a system failure
  EXPECT_FALSE(fs::exists(dir_ / "study2" / "tiny"));
}

TEST_F(DtmCli, BadInputIsReported) {
  auto r = tsu("dtm train --config missing.json --out run");
  EXPECT_EQ(r.status, 1);  // cannot be read
  EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;

  r = tsu("dtm train --config " + file("bad.json", R"({"training": {"batch": 0}})") + " --out run");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("bad.json: training.batch: must be >= 1"), std::string::npos) << r.err;

  r = tsu("dtm train --config " + file("typo.json", R"({"graph": {"sides": 10}})") + " --out run");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("typo.json: graph.sides: unknown field"), std::string::npos) << r.err;

  r = tsu("dtm train --config " + file("rule.json", R"({"graph": {"rule": "G10"}})") + " --out run");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("G10"), std::string::npos) << r.err;

  r = tsu("dtm train --config " + file("device.json", R"({"eval": {"device": "gpu"}})") + " --out run");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("device.json: eval.device: must be one of paper, z1, ideal, got \"gpu\""), std::string::npos)
      << r.err;

  r = tsu("dtm generate --model nowhere --out gen");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("nowhere/checkpoint.bin"), std::string::npos) << r.err;

  // A folder trained with one config does not silently continue with another.
  ASSERT_EQ(tsu("dtm train --config " + tiny() + " --out run --epochs 1 --quiet").status, 0);
  json other = json::parse(tsu::read_file(tiny()));
  other["training"]["learning_rate"] = 0.01;
  r = tsu("dtm train --config " + file("other.json", other.dump()) + " --out run");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("another configuration (first difference at /training/learning_rate)"), std::string::npos)
      << r.err;
}

TEST(DtmConfigs, ShippedConfigsParse) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(std::string(TSU_SOURCE_DIR) + "/configs/dtm")) {
    if (entry.path().extension() != ".json") continue;
    const auto config = tsu::ml::load_dtm_config(entry.path().string());
    EXPECT_EQ(config.name, entry.path().stem().string());
    ++count;
  }
  EXPECT_GE(count, 3);  // tiny, demo, paper
  // The study folders' configs parse too; each is named FOLDER-STEM (study/mebm.json: study-mebm).
  int studies = 0;
  for (const auto& entry : fs::recursive_directory_iterator(std::string(TSU_SOURCE_DIR) + "/configs/dtm")) {
    const fs::path& path = entry.path();
    if (path.extension() != ".json" || path.parent_path().filename() == "dtm") continue;
    const auto config = tsu::ml::load_dtm_config(path.string());
    EXPECT_EQ(config.name, path.parent_path().filename().string() + "-" + path.stem().string()) << path;
    ++studies;
  }
  EXPECT_GE(studies, 16);  // study/ (5), study28/ (5) and grey/ (6)
  const auto paper = tsu::ml::load_dtm_config(std::string(TSU_SOURCE_DIR) + "/configs/dtm/paper.json");
  EXPECT_EQ(paper.graph.side, 70);
  EXPECT_EQ(paper.graph.rule, "G12");
  EXPECT_EQ(paper.diffusion.steps, 8);
  EXPECT_EQ(paper.training.batch, 400);
  EXPECT_EQ(paper.visible(), 884);
}
