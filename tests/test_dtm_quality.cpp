// DTM evaluation: the Frechet distance against closed forms, the classifier hook, and
// the end-to-end check that the shipped `tiny` config trains into samples that beat the untrained
// model on the (stand-in) quality metric.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "util/files.hpp"
#include "ml/evaluate.hpp"
#include "ml/quality.hpp"
#include "ml/run.hpp"

namespace fs = std::filesystem;
using namespace tsu::ml;

namespace {

FeatureStats gaussian(std::vector<double> mean, std::vector<double> cov) {
  FeatureStats s;
  s.dims = int(mean.size());
  s.count = 100;
  s.mean = std::move(mean);
  s.cov = std::move(cov);
  return s;
}

fs::path temp_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("tsu_dtm_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST(Frechet, ClosedForms) {
  // 1-D: (mu_a - mu_b)^2 + (sigma_a - sigma_b)^2.
  EXPECT_NEAR(frechet_distance(gaussian({1.0}, {4.0}), gaussian({-0.5}, {0.25})), 2.25 + 2.25, 1e-12);
  // Diagonal: per-dimension sums.
  EXPECT_NEAR(frechet_distance(gaussian({0, 0}, {1, 0, 0, 9}), gaussian({1, 2}, {4, 0, 0, 1})), 5 + 1 + 4, 1e-12);
  // Rotating both Gaussians together leaves the distance unchanged.
  const double c = std::cos(0.3), s = std::sin(0.3);
  auto rotate = [&](double a, double b) {  // R diag(a, b) R^T
    return std::vector<double>{c * c * a + s * s * b, c * s * (a - b), c * s * (a - b), s * s * a + c * c * b};
  };
  EXPECT_NEAR(frechet_distance(gaussian({0, 0}, rotate(1, 9)), gaussian({0, 0}, rotate(4, 1))), 1 + 4, 1e-12);
  const auto a = gaussian({0.3, -1}, {2, 0.5, 0.5, 1});
  EXPECT_NEAR(frechet_distance(a, a), 0.0, 1e-12);
}

TEST(Frechet, StatisticsOfSamples) {
  const std::vector<float> features{1, 2, 3, 4, 5, 9};  // three 2-d vectors
  const auto s = feature_stats(features, 3, 2);
  EXPECT_NEAR(s.mean[0], 3, 1e-12);
  EXPECT_NEAR(s.mean[1], 5, 1e-12);
  EXPECT_NEAR(s.cov[0], 4, 1e-12);   // var of 1, 3, 5
  EXPECT_NEAR(s.cov[1], 7, 1e-12);   // cov of (1,3,5), (2,4,9)
  EXPECT_NEAR(s.cov[3], 13, 1e-12);  // var of 2, 4, 9
  EXPECT_THROW(feature_stats(features, 1, 6), tsu::Error);
}

TEST(Frechet, AMetricReplacesThePixelStandInForTheSizesItTakes) {
  EXPECT_EQ(feature_map_for({}, 28, 28).metric, "fd_pixel");
  const Metric metric = [](int rows, int cols) -> std::optional<FeatureMap> {
    if (rows != 28) return std::nullopt;
    return FeatureMap{"fd_classifier", 1,
                      [](std::span<const float> image, std::span<float> out) { out[0] = image[0]; }};
  };
  EXPECT_EQ(feature_map_for(metric, 28, 28).metric, "fd_classifier");
  EXPECT_EQ(feature_map_for(metric, 14, 14).metric, "fd_pixel");
}

// The shipped tiny config (Fashion-MNIST from the package) trains end to end, writes its log,
// checkpoint and sample grids, and its samples beat the untrained model's on the metric.
// Order statistics interpolate linearly; the interval is the replicates' central range moved back by
// their mean's excess over the estimate (replicates biased up by 1 give an interval about the estimate).
TEST(BootstrapInterval, TheReplicatesRangeMovedBackByTheirBias) {
  const std::vector<double> replicates = {5, 1, 4, 2, 3};  // mean 3
  const Interval range = central_range(replicates, 0.5);
  EXPECT_DOUBLE_EQ(range.lo, 2);
  EXPECT_DOUBLE_EQ(range.hi, 4);
  EXPECT_DOUBLE_EQ(central_range({1, 2}, 0.5).lo, 1.25);
  const Interval moved = bootstrap_interval(2, replicates, 0.5);
  EXPECT_DOUBLE_EQ(moved.lo, 1);
  EXPECT_DOUBLE_EQ(moved.hi, 3);
  const Interval clamped = bootstrap_interval(0.5, replicates, 0.5, 0.0, 1.0);  // [-0.5, 1.5] clamped
  EXPECT_DOUBLE_EQ(clamped.lo, 0);
  EXPECT_DOUBLE_EQ(clamped.hi, 1);
  EXPECT_THROW(central_range({}), tsu::Error);
  EXPECT_THROW(central_range({1.0}, 1.0), tsu::Error);
}

TEST(TinyConfig, TrainsAndBeatsTheUntrainedModel) {
  const auto dir = temp_dir("tiny");
  DtmConfig config = load_dtm_config(std::string(TSU_SOURCE_DIR) + "/configs/dtm/tiny.json");
  config.threads = 2;
  config.eval.every = 0;  // evaluated below instead
  EXPECT_EQ(run_training(config, dir.string()), config.training.epochs);
  std::ifstream log(log_path(dir.string()));
  int lines = 0;
  for (std::string line; std::getline(log, line);) ++lines;
  EXPECT_EQ(lines, config.training.epochs);

  const Dtm trained = Dtm::load(checkpoint_path(dir.string()));
  const Dtm untrained(config);
  const auto train = load_fashion_mnist(Split::Train, "", config.eval.reference_images);
  const QualityEvaluator evaluator(config, train);
  GenerateOptions options;
  options.samples = 300;
  options.seed = 3;
  options.threads = 2;
  options.labels = balanced_labels(options.samples, 10);
  const double before = evaluator.score(generate(untrained, options));
  const double after = evaluator.score(generate(trained, options));
  EXPECT_LT(after, 0.7 * before) << "trained " << after << ", untrained " << before;
  fs::remove_all(dir);
}
