// tsu train end to end: a fit written as a model file that tsu exact reads, the learning curve in
// train.json, resumption and its refusals, and one error line for every bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "cli_fixture.hpp"
#include "sample/npy.hpp"
#include "util/files.hpp"

using nlohmann::json;

namespace {

class TrainCli : public CliTest {
 protected:
  // `rows` random rows of `visible` spins, -1 with probability 2/3, in a signed or unsigned array.
  std::string rows_file(const std::string& name, size_t rows, size_t visible, const std::string& dtype = "|i1",
                        uint64_t seed = 3) const {
    tsu::NpyArray a{dtype, {rows, visible}, std::vector<char>(rows * visible)};
    std::mt19937_64 rng(seed);
    for (char& s : a.bytes) s = char(rng() % 3 == 0 ? 1 : (dtype == "|i1" ? -1 : 0));
    const auto path = (dir_ / name).string();
    tsu::write_npy(path, a);
    return name;
  }
  json train_json(const std::string& out) const { return json::parse(tsu::read_file((dir_ / out / "train.json").string())); }
};

}  // namespace

TEST_F(TrainCli, ExactFitWritesAModelAndALearningCurve) {
  rows_file("rows.npy", 400, 6, "|u1");
  const auto r = tsu("train rbm:6:3 --j-sigma 0.1 --data rows.npy --out fit --method exact --epochs 4 --batch 100 --lr 0.1");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("4 epochs done on 400 rows of 6 visible nodes (3 latent)"), std::string::npos) << r.out;
  const json report = train_json("fit");
  ASSERT_EQ(report["history"].size(), 4u);
  EXPECT_LT(report["history"][3]["nll"].get<double>(), report["history"][0]["nll"].get<double>());
  EXPECT_EQ(report["made_from"]["config"]["method"], "exact");
  // The fitted model is a model file like any other.
  const auto exact = tsu("exact fit/model.json --out exact");
  EXPECT_EQ(exact.status, 0) << exact.err;
}

TEST_F(TrainCli, ASecondRunResumesAndAnotherConfigIsRefused) {
  rows_file("rows.npy", 300, 8);
  const std::string args = "train rbm:8:4 --data rows.npy --out fit --epochs 2 --batch 50 --chains 50";
  ASSERT_EQ(tsu(args + " --stop-after 1").status, 0);
  EXPECT_EQ(train_json("fit")["epochs_done"], 1);
  const auto again = tsu(args);
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("resumed from epoch 1"), std::string::npos) << again.out;
  EXPECT_EQ(train_json("fit")["history"].size(), 2u);
  expect_error_line(tsu(args + " --lr 0.5"), 2, {"fit/checkpoint.ckpt", "config.learning_rate", "another folder"});
  rows_file("other.npy", 300, 8, "|u1", 4);
  expect_error_line(tsu("train rbm:8:4 --data other.npy --out fit --epochs 2 --batch 50 --chains 50"), 2,
                    {"data.fnv1a64"});
  tsu::write_file_atomic((dir_ / "fit" / "checkpoint.ckpt").string(), "tsu-train-checkpoint-v1 5 0000000000000000\nhello");
  expect_error_line(tsu(args), 2, {"fit/checkpoint.ckpt", "corrupt"});
}

TEST_F(TrainCli, BadInputGetsOneErrorLine) {
  rows_file("rows.npy", 100, 6);
  expect_error_line(tsu("train rbm:3:2 --data rows.npy --out o --batch 10"), 2, {"rows.npy", "shape (100, 6)", "5 nodes"});
  expect_error_line(tsu("train rbm:6:2 --data rows.npy --out o --batch 101"), 2, {"batch", "101", "only 100"});
  expect_error_line(tsu("train rbm:6:2 --data rows.npy --out o --batch 10 --lr -1"), 2, {"learning_rate"});
  expect_error_line(tsu("train rbm:6:30 --data rows.npy --out o --batch 10 --method exact"), 2, {"exact", "cd or pcd"});
  tsu::NpyArray bad{"|i1", {2, 3}, {1, -1, 1, 1, 2, -1}};
  tsu::write_npy((dir_ / "bad.npy").string(), bad);
  expect_error_line(tsu("train rbm:3:1 --data bad.npy --out o --batch 1"), 2, {"bad.npy", "[1, 1]", "-1 or +1", "got 2"});
  tsu::NpyArray floats{"<f4", {1, 3}, std::vector<char>(12)};
  tsu::write_npy((dir_ / "f.npy").string(), floats);
  expect_error_line(tsu("train rbm:3:1 --data f.npy --out o --batch 1"), 2, {"f.npy", "<f4"});
  expect_error_line(tsu("train rbm:3:1 --data missing.npy --out o"), 1, {"missing.npy"});
  expect_error_line(tsu("train rbm:3:1 --data fashion-mnist:12 --out o"), 2, {"fashion-mnist:12", "CLASS 0..9"});
  expect_error_line(tsu("train rbm:3:0 --data rows.npy --out o"), 2, {"rbm", "hidden"});
}

// The NLL that tsu logz gives a fitted model's rows (AIS log Z, latent nodes summed in closed
// form) agrees with the exact NLL that training logged, within its standard error.
TEST_F(TrainCli, LogzScoresTheRowsAsTheExactNllDoes) {
  rows_file("rows.npy", 400, 6, "|u1");
  ASSERT_EQ(tsu("train rbm:6:4 --j-sigma 0.3 --data rows.npy --out fit --method exact --epochs 3 --batch 100 --quiet").status, 0);
  const double exact_nll = train_json("fit")["history"][2]["nll"].get<double>();
  const auto r = tsu("logz fit/model.json --data rows.npy --chains 400 --steps 300 --out lz --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  const json lz = json::parse(tsu::read_file((dir_ / "lz" / "logz.json").string()));
  const double ais_se = lz["standard_error"].get<double>();
  EXPECT_LT(std::abs(lz["log_z"].get<double>() - lz["exact_log_z"].get<double>()), 5 * ais_se);
  // Every row's NLL shares the one log Z: their mean is off by exactly its error.
  EXPECT_LT(std::abs(lz["data"]["nll"].get<double>() - exact_nll), 5 * ais_se);
  EXPECT_EQ(lz["data"]["rows"], 400);
  expect_error_line(tsu("logz rbm:6:4 --chains 1"), 2, {"--chains"});
  tsu::write_npy((dir_ / "zeros.npy").string(), tsu::NpyArray{"|i1", {2, 3}, std::vector<char>(6, 0)});
  expect_error_line(tsu("logz rr:8:3 --data zeros.npy"), 2, {"zeros.npy", "[0, 0]", "spin node 0 needs -1 or +1"});
  expect_error_line(tsu("logz rr:8:3 --data rows.npy"), 2, {"latent nodes", "share a factor"});
}
