// The shared quality metric (src/baselines/metric.hpp): the classifier's training, cache and config
// errors; the k-NN precision/recall against hand-computed cases; the Frechet distance and
// precision/recall of the classifier features on real and corrupted Fashion-MNIST images.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "baselines/metric.hpp"
#include "error_of.hpp"
#include "util/files.hpp"
#include "ml/quality.hpp"

namespace fs = std::filesystem;
using namespace tsu::baselines;
namespace ml = tsu::ml;

namespace {

// The tiny shipped config reaches 0.812 on the test split (measured); the bound leaves room for
// rounding differences of other libtorch builds, far above the 0.1 of guessing.
constexpr double kTinyAccuracy = 0.78;
constexpr int kPerClass = 64;  // a 640-image reference keeps each test fast

fs::path temp_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("tsu_baselines_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// The tiny classifier and the training split, made once per process. ctest runs every test in its
// own process, so the cache folder is shared between processes: the first one trains, the others load.
struct Shared {
  ClassifierConfig config =
      load_classifier_config(std::string(TSU_SOURCE_DIR) + "/configs/baselines/classifier-tiny.json");
  std::string cache = (fs::temp_directory_path() / "tsu_baselines_metric_cache").string();
  Classifier classifier = Classifier::load_or_train(cache, config);
  ml::ImageSet train = ml::load_fashion_mnist(ml::Split::Train);
  ml::ImageSet test = ml::load_fashion_mnist(ml::Split::Test);
};

const Shared& shared() {
  static const Shared s;
  return s;
}

// The binarised images of `set` at `indices` (pixel / 255 > 0.1).
std::vector<float> images_at(const ml::ImageSet& set, const std::vector<size_t>& indices) {
  std::vector<float> out;
  for (size_t i : indices)
    for (uint8_t p : set.image(i)) out.push_back(p / 255.0 > 0.1 ? 1.0f : 0.0f);
  return out;
}

// Each pixel flipped (0 <-> 1) with probability p.
std::vector<float> corrupted(std::vector<float> images, double p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (float& v : images)
    if (double(rng() >> 11) * 0x1p-53 < p) v = 1 - v;
  return images;
}

double trace(const ml::FeatureStats& s) {
  double t = 0;
  for (int d = 0; d < s.dims; ++d) t += s.cov[size_t(d) * size_t(s.dims) + size_t(d)];
  return t;
}

std::string write_temp(const fs::path& dir, const std::string& name, const std::string& text) {
  const auto path = (dir / name).string();
  tsu::write_file_atomic(path, text);
  return path;
}

// A classifier small enough to train twice inside one test.
ClassifierConfig micro_config() {
  ClassifierConfig c;
  c.name = "micro";
  c.epochs = 1;
  c.batch = 50;
  c.train_images = 500;
  c.channels = 2;
  c.features = 4;
  c.threads = 1;
  return c;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Configuration

// Found through the executable's folders (the build folder lies inside the checkout), from any
// current folder.
TEST(BaselinesClassifierConfig, ShippedConfigsParseAndAreFound) {
  struct InRoot {
    fs::path saved = fs::current_path();
    InRoot() { fs::current_path("/"); }
    ~InRoot() { fs::current_path(saved); }
  } in_root;
  for (const std::string scale : {"tiny", "demo", "full"}) {
    const std::string path = classifier_config_path(scale);
    EXPECT_EQ(fs::path(path), fs::weakly_canonical(std::string(TSU_SOURCE_DIR) + "/configs/baselines/classifier-" +
                                                   scale + ".json"));
    EXPECT_EQ(load_classifier_config(path).name, "classifier-" + scale);
  }
  const auto full = load_classifier_config(classifier_config_path("full"));
  EXPECT_EQ(full.channels, 32);
  EXPECT_EQ(full.features, 128);
  EXPECT_EQ(full.train_images, 0u);  // the whole training split
  EXPECT_NE(error_of([] { classifier_config_path("huge"); }).find("\"huge\": unknown (expected tiny, demo or full)"),
            std::string::npos);
}

TEST(BaselinesClassifierConfig, ErrorsNameTheFileAndTheField) {
  const auto dir = temp_dir("config");
  const auto check = [&](const std::string& text, const std::string& expected) {
    const auto path = write_temp(dir, "c.json", text);
    EXPECT_EQ(error_of([&] { load_classifier_config(path); }), path + ": " + expected) << text;
  };
  check(R"({"epochs": 0})", "epochs: must be >= 1, got 0");
  check(R"({"epoch": 2})", "epoch: unknown field");
  check(R"({"channels": "8"})", "channels: must be an integer, got \"8\"");
  check(R"({"train_images": -1})", "train_images: must be a non-negative integer, got -1");
  check(R"({"learning_rate": 0})", "learning_rate: must be finite and > 0");
  check(R"({"name": "../x"})", "name: must be letters, digits, '-', '_' or '.', got \"../x\"");
  const auto bad = write_temp(dir, "bad.json", "{not json");
  EXPECT_EQ(error_of([&] { load_classifier_config(bad); }).rfind(bad + ": invalid JSON", 0), 0u);
  EXPECT_NE(error_of([&] { load_classifier_config((dir / "missing.json").string()); }).find("missing.json"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(BaselinesClassifierConfig, DefaultCacheDirFollowsTheEnvironment) {
  const auto saved = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  const auto tsu_cache = saved("TSU_CACHE"), xdg = saved("XDG_CACHE_HOME"), home = saved("HOME");
  setenv("TSU_CACHE", "/a/cache", 1);
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(default_cache_dir(), "/a/cache");
  unsetenv("TSU_CACHE");
  EXPECT_EQ(default_cache_dir(), "/xdg/tsu");
  unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(default_cache_dir(), "/home/u/.cache/tsu");
  unsetenv("HOME");
  EXPECT_NE(error_of([] { default_cache_dir(); }).find("set TSU_CACHE"), std::string::npos);
  const auto restore = [](const char* name, const std::optional<std::string>& v) {
    if (v) setenv(name, v->c_str(), 1);
    else unsetenv(name);
  };
  restore("TSU_CACHE", tsu_cache);
  restore("XDG_CACHE_HOME", xdg);
  restore("HOME", home);
}

// ---------------------------------------------------------------------------------------------
// The classifier and its cache

TEST(BaselinesClassifier, TinyConfigReachesItsStatedAccuracy) {
  const auto& s = shared();
  EXPECT_GE(s.classifier.test_accuracy(), kTinyAccuracy);
  EXPECT_EQ(s.classifier.feature_dims(), 32);
  // The recorded accuracy is what the weights give on the binarised test split (a few predictions
  // may round differently when the cache was written with another thread count).
  const std::vector<int> predicted = s.classifier.predict(binarised_images(s.test), s.test.size());
  size_t right = 0;
  for (size_t i = 0; i < s.test.size(); ++i) right += predicted[i] == int(s.test.labels[i]);
  EXPECT_NEAR(double(right) / double(s.test.size()), s.classifier.test_accuracy(), 1e-3);
}

TEST(BaselinesClassifier, TrainsDeterministicallyAndThenLoadsFromTheCache) {
  const auto dir = temp_dir("train");
  const ClassifierConfig config = micro_config();
  int calls = 0;
  const auto count_calls = [&](const std::string&, double, double) { ++calls; };
  const Classifier trained = Classifier::load_or_train((dir / "a").string(), config, count_calls);
  EXPECT_EQ(calls, 10);  // 500 images / batch 50, one epoch
  EXPECT_EQ(trained.path(), Classifier::cache_path((dir / "a").string(), config));
  const auto written = fs::last_write_time(trained.path());

  calls = 0;
  const Classifier loaded = Classifier::load_or_train((dir / "a").string(), config, count_calls);
  EXPECT_EQ(calls, 0);  // no retraining
  EXPECT_EQ(fs::last_write_time(loaded.path()), written);
  const std::vector<float> images = binarised_images(shared().test, 20);
  EXPECT_EQ(loaded.features(images, 20), trained.features(images, 20));
  EXPECT_EQ(loaded.test_accuracy(), trained.test_accuracy());

  // Same seed, fresh folder: the same file, byte for byte. The thread count does not name the file.
  ClassifierConfig two_threads = config;
  two_threads.threads = 2;
  EXPECT_EQ(Classifier::cache_path("x", two_threads), Classifier::cache_path("x", config));
  const Classifier again = Classifier::load_or_train((dir / "b").string(), config);
  EXPECT_EQ(tsu::read_file(again.path()), tsu::read_file(trained.path()));
  ClassifierConfig reseeded = config;
  reseeded.seed = 2;
  EXPECT_NE(Classifier::cache_path("x", reseeded), Classifier::cache_path("x", config));
  fs::remove_all(dir);
}

TEST(BaselinesClassifier, CorruptOrMissingCacheFilesAreClearErrors) {
  const auto& s = shared();
  const auto dir = temp_dir("corrupt");
  const std::string path = Classifier::cache_path(dir.string(), s.config);
  const std::string good = tsu::read_file(s.classifier.path());
  const auto load_with = [&](const std::string& bytes) {
    tsu::write_file_atomic(path, bytes);
    return error_of([&] { Classifier::load_or_train(dir.string(), s.config); });
  };
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x5a;
  EXPECT_EQ(load_with(flipped), path + ": corrupt: checksum mismatch; delete it to retrain");
  const std::string truncated = good.substr(0, good.size() - 100);
  EXPECT_NE(load_with(truncated).find(path + ": corrupt: truncated ("), std::string::npos);
  EXPECT_NE(load_with(truncated).find("; delete it to retrain"), std::string::npos);
  EXPECT_EQ(load_with("PK\x03\x04 not ours\n"),
            path + ": not a tsu-classifier 1 file; delete it to retrain");
  EXPECT_EQ(load_with(""), path + ": not a tsu-classifier 1 file; delete it to retrain");

  // A valid file of another configuration under this configuration's name.
  ClassifierConfig other = s.config;
  other.features = 16;
  tsu::write_file_atomic(Classifier::cache_path(dir.string(), other), good);
  EXPECT_NE(error_of([&] { Classifier::load_or_train(dir.string(), other); }).find("written for another configuration"),
            std::string::npos);

  const std::string missing = (dir / "missing.pt").string();
  const std::string message = error_of([&] { Classifier::load(missing); });
  EXPECT_EQ(message.rfind(missing + ": cannot open", 0), 0u) << message;
  fs::remove_all(dir);
}

TEST(BaselinesClassifier, SmallImagesAreUpsampledByPixelReplication) {
  const auto& c = shared().classifier;
  const std::vector<float> images = binarised_images(shared().test, 8);
  std::vector<float> small(8 * 14 * 14), replicated(8 * 784);
  for (size_t i = 0; i < 8; ++i)
    for (int r = 0; r < 28; ++r)
      for (int col = 0; col < 28; ++col) {
        const float v = images[i * 784 + size_t(r / 2 * 2) * 28 + size_t(col / 2 * 2)];  // top-left of each 2x2
        small[i * 196 + size_t(r / 2) * 14 + size_t(col / 2)] = v;
        replicated[i * 784 + size_t(r) * 28 + size_t(col)] = v;
      }
  EXPECT_EQ(c.features(small, 8, 14), c.features(replicated, 8, 28));
  EXPECT_EQ(c.predict(small, 8, 14), c.predict(replicated, 8, 28));
  EXPECT_NE(error_of([&] { c.features(small, 8, 5); }).find("image side 5"), std::string::npos);
  EXPECT_NE(error_of([&] { c.features(small, 7, 14); }).find("are not 7 images of 14 x 14"), std::string::npos);
}

TEST(BaselinesClassifier, ItsMetricFeedsTheDtmEvaluation) {
  const auto& c = shared().classifier;
  const ml::Metric metric = c.metric();
  const ml::FeatureMap map = ml::feature_map_for(metric, 28, 28);
  EXPECT_EQ(map.metric, "fd_classifier");
  EXPECT_EQ(map.dims, c.feature_dims());
  EXPECT_EQ(ml::feature_map_for(metric, 14, 14).metric, "fd_classifier");
  EXPECT_EQ(ml::feature_map_for(metric, 5, 5).metric, "fd_pixel");    // not a divisor of 28
  EXPECT_EQ(ml::feature_map_for(metric, 28, 14).metric, "fd_pixel");  // not square
  const std::vector<float> image = binarised_images(shared().test, 1);
  std::vector<float> mapped(size_t(map.dims));
  map.map(image, mapped);
  EXPECT_EQ(mapped, c.features(image, 1));
  EXPECT_EQ(ml::feature_map_for({}, 28, 28).metric, "fd_pixel");
}

TEST(BaselinesClassifier, ItsMetricOutlivesTheClassifierObject) {
  ml::Metric metric;
  std::vector<float> expected;
  const std::vector<float> image = binarised_images(shared().test, 1);
  {
    Classifier copy = Classifier::load(shared().classifier.path());
    metric = copy.metric();
    expected = copy.features(image, 1);
  }  // the Classifier is gone; its metric holds the network
  const ml::FeatureMap map = ml::feature_map_for(metric, 28, 28);
  std::vector<float> mapped(size_t(map.dims));
  map.map(image, mapped);
  EXPECT_EQ(mapped, expected);
}

// ---------------------------------------------------------------------------------------------
// k-NN precision and recall, by hand: points on a line (second coordinate 0), k = 1.
//   real {0, 1, 2, 3, 10}: radii 1, 1, 1, 1, 7.

TEST(BaselinesPrecisionRecall, HandComputedCases) {
  const auto on_line = [](std::vector<float> xs) {
    std::vector<float> out;
    for (float x : xs) out.insert(out.end(), {x, 0.0f});
    return out;
  };
  const auto real = on_line({0, 1, 2, 3, 10});
  // Generated {0.5, 1.5, 2.5} (radii 1, 1, 1): every one lies in a real ball; 10 is in no generated ball.
  auto pr = knn_precision_recall(real, 5, on_line({0.5, 1.5, 2.5}), 3, 2, 1);
  EXPECT_EQ(pr.precision, 1.0);
  EXPECT_EQ(pr.recall, 0.8);
  // Generated {0.5, 20} (radii 19.5): 20 is 10 from 10 (> 7), outside every real ball; 20's wide ball
  // covers every real point.
  pr = knn_precision_recall(real, 5, on_line({0.5, 20}), 2, 2, 1);
  EXPECT_EQ(pr.precision, 0.5);
  EXPECT_EQ(pr.recall, 1.0);
  EXPECT_NE(error_of([&] { knn_precision_recall(real, 5, on_line({0.5, 20}), 2, 2, 2); }).find("needs at least 3"),
            std::string::npos);
  EXPECT_NE(error_of([&] { knn_precision_recall(real, 4, real, 5, 2, 1); }).find("are not 4 and 5 vectors"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The metric on classifier features

TEST(BaselinesMetric, IdenticalSetsScoreZeroAndPerfectCoverage) {
  const auto& s = shared();
  const QualityMetric metric(s.classifier, s.train, kPerClass, 1);
  ASSERT_EQ(metric.reference_count(), size_t(10 * kPerClass));
  const std::vector<float> reference = images_at(s.train, reference_indices(s.train, kPerClass, 1));
  const QualityReport r = metric.evaluate(reference, metric.reference_count());
  const auto stats =
      ml::feature_stats(s.classifier.features(reference, metric.reference_count()), metric.reference_count(), 32);
  EXPECT_EQ(r.metric, "fd_classifier");
  EXPECT_EQ(r.samples, metric.reference_count());
  EXPECT_LT(std::abs(r.fd), 1e-6 * trace(stats));
  EXPECT_EQ(r.precision, 1.0);
  EXPECT_EQ(r.recall, 1.0);
  EXPECT_FALSE(r.label_accuracy.has_value());
}

TEST(BaselinesMetric, DistanceGrowsAndPrecisionFallsWithCorruption) {
  const auto& s = shared();
  const QualityMetric metric(s.classifier, s.train, kPerClass, 1);
  const std::vector<float> reference = images_at(s.train, reference_indices(s.train, kPerClass, 1));
  QualityReport previous = metric.evaluate(reference, metric.reference_count());
  for (double p : {0.02, 0.10, 0.30}) {
    const QualityReport r = metric.evaluate(corrupted(reference, p, 7), metric.reference_count());
    EXPECT_GT(r.fd, previous.fd) << "flip " << p;
    EXPECT_LT(r.precision, previous.precision) << "flip " << p;
    EXPECT_LE(r.recall, previous.recall) << "flip " << p;
    previous = r;
  }
}

TEST(BaselinesMetric, DeterministicGivenTheSeed) {
  const auto& s = shared();
  EXPECT_EQ(reference_indices(s.train, kPerClass, 1), reference_indices(s.train, kPerClass, 1));
  EXPECT_NE(reference_indices(s.train, kPerClass, 1), reference_indices(s.train, kPerClass, 2));
  const auto indices = reference_indices(s.train, kPerClass, 1);
  for (int c = 0; c < 10; ++c)  // class after class
    for (int i = 0; i < kPerClass; ++i) ASSERT_EQ(s.train.labels[indices[size_t(c * kPerClass + i)]], c);

  const QualityMetric a(s.classifier, s.train, kPerClass, 1), b(s.classifier, s.train, kPerClass, 1),
      other(s.classifier, s.train, kPerClass, 2);
  const std::vector<float> images = binarised_images(s.test, 500);
  const QualityReport first = a.evaluate(images, 500), again = a.evaluate(images, 500);
  const QualityReport rebuilt = b.evaluate(images, 500);
  for (const auto& r : {again, rebuilt}) {
    EXPECT_EQ(r.fd, first.fd);
    EXPECT_EQ(r.precision, first.precision);
    EXPECT_EQ(r.recall, first.recall);
  }
  EXPECT_NE(other.evaluate(images, 500).fd, first.fd);
}

TEST(BaselinesMetric, LabelAccuracyOfRealImagesIsTheTestAccuracy) {
  const auto& s = shared();
  const QualityMetric metric(s.classifier, s.train, kPerClass, 1);
  const size_t n = 2000;
  const std::vector<int> labels(s.test.labels.begin(), s.test.labels.begin() + long(n));
  const QualityReport r = metric.evaluate(binarised_images(s.test, n), n, 28, labels);
  ASSERT_TRUE(r.label_accuracy.has_value());
  // 2,000 of the 10,000 test images: five binomial standard deviations.
  const double a = s.classifier.test_accuracy();
  EXPECT_NEAR(*r.label_accuracy, a, 5 * std::sqrt(a * (1 - a) / double(n)));
  // Real test images are close to the training reference: small distance, high precision and recall.
  EXPECT_LT(r.fd, 0.1 * trace(ml::feature_stats(s.classifier.features(binarised_images(s.test, n), n), n, 32)));
  EXPECT_GT(r.precision, 0.8);
  EXPECT_GT(r.recall, 0.8);
}

TEST(BaselinesMetric, SmallImagesScoreAsTheirUpsampledCopies) {
  const auto& s = shared();
  const QualityMetric metric(s.classifier, s.train, kPerClass, 1);
  const ml::ImageSet pooled = ml::pool_images(s.test, 2);  // 14 x 14 grey levels
  const size_t n = 500;
  std::vector<float> small(n * 196), replicated(n * 784);
  for (size_t i = 0; i < n; ++i)
    for (int r = 0; r < 28; ++r)
      for (int c = 0; c < 28; ++c)
        replicated[i * 784 + size_t(r * 28 + c)] = small[i * 196 + size_t(r / 2 * 14 + c / 2)] =
            pooled.pixels[i * 196 + size_t(r / 2 * 14 + c / 2)] / 255.0f;
  const QualityReport r = metric.evaluate(small, n, 14), up = metric.evaluate(replicated, n, 28);
  EXPECT_EQ(r.fd, up.fd);
  EXPECT_EQ(r.precision, up.precision);
  EXPECT_EQ(r.recall, up.recall);
  EXPECT_GT(r.fd, 0.0);
}

TEST(BaselinesMetric, BadInputsAreErrors) {
  const auto& s = shared();
  const QualityMetric metric(s.classifier, s.train, kPerClass, 1);
  const std::vector<float> images = binarised_images(s.test, 10);
  EXPECT_NE(error_of([&] { metric.evaluate(std::span(images).first(3 * 784), 3); }).find("needs at least 4"),
            std::string::npos);
  EXPECT_NE(error_of([&] { metric.evaluate(images, 9); }).find("are not 9 images of 28 x 28"), std::string::npos);
  const std::vector<int> labels(3, 0);
  EXPECT_NE(error_of([&] { metric.evaluate(images, 10, 28, labels); }).find("3 labels for 10 images"),
            std::string::npos);
  EXPECT_NE(error_of([&] { QualityMetric(s.classifier, s.train, 10000, 1); }).find("fewer than per_class = 10000"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The kernel distance, the label histogram and the bootstrap intervals

namespace {

// Box blur of 28 x 28 intensities over a (2 radius + 1)^2 window (clipped at the border).
std::vector<float> blurred(const std::vector<float>& images, int radius) {
  std::vector<float> out(images.size());
  for (size_t first = 0; first < images.size(); first += 784)
    for (int r = 0; r < 28; ++r)
      for (int c = 0; c < 28; ++c) {
        double sum = 0;
        int n = 0;
        for (int dr = -radius; dr <= radius; ++dr)
          for (int dc = -radius; dc <= radius; ++dc)
            if (r + dr >= 0 && r + dr < 28 && c + dc >= 0 && c + dc < 28)
              sum += images[first + size_t((r + dr) * 28 + c + dc)], ++n;
        out[first + size_t(r * 28 + c)] = float(sum / n);
      }
  return out;
}

// Blobs: the blurred images thresholded at 1/2, shapes without their details.
std::vector<float> blobs(const std::vector<float>& images, int radius) {
  std::vector<float> out = blurred(images, radius);
  for (float& v : out) v = v > 0.5f ? 1.0f : 0.0f;
  return out;
}

// `n` binarised test images drawn from the first `classes` classes only, in equal numbers.
std::vector<float> from_classes(const ml::ImageSet& test, int classes, size_t n) {
  std::vector<size_t> chosen;
  std::vector<size_t> taken(10, 0);
  for (size_t i = 0; i < test.size() && chosen.size() < n; ++i)
    if (test.labels[i] < classes && taken[test.labels[i]]++ < n / size_t(classes)) chosen.push_back(i);
  return images_at(test, chosen);
}

double sd(const std::vector<double>& v) {
  double mean = 0, sq = 0;
  for (double x : v) mean += x / double(v.size());
  for (double x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / double(v.size() - 1));
}

double mean_of(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m += x / double(v.size());
  return m;
}

}  // namespace

// Each measure ranks known degradations of 500 held-out images in the right order: more speckle,
// more blur, coarser blobs and fewer classes are each worse by KID and, but for one step, by FD; fewer
// classes also cover less (coverage). The exceptions, measured: FD from two classes to one went
// 462.3 -> 460.8 while KID doubled (10,025 -> 21,489), and recall rose from 0.50 (two classes) to
// 0.61 (one), the large balls of a few outliers covering other classes. Copies of training images
// score like held-out data: no sample metric sees memorisation, which is why the report's floor row
// is the reference point.
TEST(BaselinesMetric, EveryMeasureRanksKnownDegradations) {
  const auto& s = shared();
  const QualityMetric metric(s.classifier, s.train, 50, 1);
  const size_t n = 500;
  const std::vector<float> clean = from_classes(s.test, 10, n);
  const QualityReport base = metric.evaluate(clean, n);
  const std::vector<std::pair<std::string, std::vector<std::vector<float>>>> series = {
      {"speckle", {corrupted(clean, 0.03, 1), corrupted(clean, 0.10, 1), corrupted(clean, 0.25, 1)}},
      {"blur", {blurred(clean, 1), blurred(clean, 2), blurred(clean, 3)}},
      {"blobs", {blobs(clean, 1), blobs(clean, 2), blobs(clean, 4)}},
      {"classes", {from_classes(s.test, 5, n), from_classes(s.test, 2, n), from_classes(s.test, 1, n)}}};
  for (const auto& [name, severities] : series) {
    QualityReport previous = base;
    for (size_t level = 0; level < severities.size(); ++level) {
      const QualityReport r = metric.evaluate(severities[level], n);
      if (!(name == "classes" && level == 2)) EXPECT_GT(r.fd, previous.fd) << name << " level " << level;
      EXPECT_GT(r.kid, previous.kid) << name << " level " << level;
      if (name == "classes") {
        EXPECT_LT(r.coverage, previous.coverage) << name << " level " << level;
      }
      previous = r;
    }
  }
  // Training images outside the reference (whose indices come first class by class): as good as
  // held-out images, well within the mildest degradation.
  std::vector<size_t> copies;
  const auto reference = reference_indices(s.train, 50, 1);
  for (size_t i = 0; copies.size() < n; ++i)
    if (std::find(reference.begin(), reference.end(), i) == reference.end()) copies.push_back(i);
  const QualityReport copied = metric.evaluate(images_at(s.train, copies), n);
  const QualityReport mildest = metric.evaluate(corrupted(clean, 0.03, 1), n);
  EXPECT_LT(copied.fd, 0.5 * (base.fd + mildest.fd));
  EXPECT_LT(copied.kid, 0.5 * (base.kid + mildest.kid));
}

// The label histogram: shares of the samples per predicted class, summing to 1; one class only when
// the images are of one class (up to the classifier's errors).
TEST(BaselinesMetric, ClassSharesAreTheClassifiersLabelHistogram) {
  const auto& s = shared();
  const QualityMetric metric(s.classifier, s.train, kPerClass, 1);
  const QualityReport one = metric.evaluate(from_classes(s.test, 1, 300), 300);
  ASSERT_EQ(one.class_shares.size(), 10u);
  double total = 0;
  for (double share : one.class_shares) total += share;
  EXPECT_NEAR(total, 1.0, 1e-12);
  const std::vector<int> predicted = s.classifier.predict(from_classes(s.test, 1, 300), 300);
  EXPECT_NEAR(one.class_shares[0], double(std::count(predicted.begin(), predicted.end(), 0)) / 300, 1e-12);
  EXPECT_GT(one.class_shares[0], 0.6);
}

// The per-class split: the classes' recalls and coverages average to the overall ones (the reference
// is class-balanced) and their precisions, weighted by share, to the overall precision; samples of one
// class cover that class and (almost) none of the others, so a dropped mode shows as a class with
// coverage near 0. (Recall does not: a tight set's few outliers have balls wide enough to reach other
// classes, which is why coverage is there.)
TEST(BaselinesMetric, PerClassQualityLocatesTheMissingClasses) {
  const auto& s = shared();
  const QualityMetric metric(s.classifier, s.train, kPerClass, 1);
  const QualityReport one = metric.evaluate(from_classes(s.test, 1, 300), 300);
  ASSERT_EQ(one.per_class.size(), 10u);
  double recall = 0, coverage = 0, precision = 0;
  for (const ClassQuality& c : one.per_class) {
    recall += c.recall / 10, coverage += c.coverage / 10;
    if (c.share > 0) precision += c.share * c.precision;
  }
  EXPECT_NEAR(recall, one.recall, 1e-12);
  EXPECT_NEAR(coverage, one.coverage, 1e-12);
  EXPECT_NEAR(precision, one.precision, 1e-12);
  EXPECT_NEAR(one.per_class[0].share, one.class_shares[0], 1e-12);
  EXPECT_GT(one.per_class[0].coverage, 0.5);
  for (int c = 1; c < 10; ++c) EXPECT_LT(one.per_class[size_t(c)].coverage, 0.5 * one.per_class[0].coverage) << c;
  const QualityReport all = metric.evaluate(from_classes(s.test, 10, 300), 300);
  for (int c = 0; c < 10; ++c) EXPECT_GT(all.per_class[size_t(c)].coverage, 0.3) << c;
  EXPECT_GT(class_imbalance(one), 0.7);  // 0.9 for a perfect classifier; T-shirts pass for shirts at times
  EXPECT_LT(class_imbalance(all), 0.1);
  QualityReport shares;
  shares.class_shares = {1, 0, 0, 0};
  EXPECT_NEAR(class_imbalance(shares), 0.75, 1e-12);
  shares.class_shares = {0.4, 0.1, 0.25, 0.25};  // 0.15 moved from class 1 to class 0
  EXPECT_NEAR(class_imbalance(shares), 0.15, 1e-12);
}

// Forty independent experiments, each a fresh reference (its own seed) and 250 fresh held-out images
// with 10 % of their pixels flipped (a model that differs from the data: away from the null, where
// bootstrapping a distance is consistent). For FD, KID and coverage the bootstrap's standard error
// (the 95 % interval's width / 3.92, averaged) matches the spread of the point estimates across the
// experiments: with 40 of them that spread is known to +-11 % (one sd), so a ratio outside
// [0.75, 1.33] is a wrong bootstrap (an unstratified resample of the class-balanced reference
// measured 1.52 for FD); and each interval holds the experiments' mean (the expected value at this
// sample size) in at least 85 % of them (95 % nominal; 85 % is 3 binomial sd below). The k-NN
// precision and recall are not smooth functions of the sample, and their bootstrap is known here to
// be too narrow (measured: standard-error ratios 0.74 and 0.81, coverage 0.83 and 0.88): for them the
// test holds that shortfall to what was measured (ratio above 0.6, coverage of 75 % or more), and
// docs/compare.md says so.
TEST(BaselinesMetric, BootstrapIntervalsMatchTheSpreadOfIndependentExperiments) {
  const auto& s = shared();
  const int experiments = 40, per_class = 25, replicates = 100;
  const size_t n = 250;
  using Field = std::pair<double QualityReport::*, std::optional<ml::Interval> QualityReport::*>;
  const std::vector<std::pair<std::string, Field>> measures = {
      {"fd", {&QualityReport::fd, &QualityReport::fd_ci}},
      {"kid", {&QualityReport::kid, &QualityReport::kid_ci}},
      {"precision", {&QualityReport::precision, &QualityReport::precision_ci}},
      {"recall", {&QualityReport::recall, &QualityReport::recall_ci}},
      {"coverage", {&QualityReport::coverage, &QualityReport::coverage_ci}}};
  std::vector<QualityReport> reports;
  for (int e = 0; e < experiments; ++e) {
    const QualityMetric metric(s.classifier, s.train, per_class, uint64_t(100 + e), 3, replicates);
    ASSERT_EQ(metric.bootstrap(), replicates);
    std::vector<size_t> held_out(n);
    for (size_t i = 0; i < n; ++i) held_out[i] = size_t(e) * n + i;
    reports.push_back(metric.evaluate(corrupted(images_at(s.test, held_out), 0.10, uint64_t(e)), n));
    ASSERT_EQ(reports.back().fd_replicates.size(), size_t(replicates));
  }
  for (const auto& [name, field] : measures) {
    std::vector<double> values, se;
    for (const QualityReport& r : reports) {
      const std::optional<ml::Interval>& ci = r.*field.second;
      ASSERT_TRUE(ci) << name;
      values.push_back(r.*field.first);
      se.push_back((ci->hi - ci->lo) / (2 * 1.96));
    }
    const double target = mean_of(values);
    int inside = 0;
    for (const QualityReport& r : reports) inside += (r.*field.second)->lo <= target && target <= (r.*field.second)->hi;
    const bool knn = name == "precision" || name == "recall";
    EXPECT_GT(mean_of(se) / sd(values), knn ? 0.6 : 0.75) << name;
    EXPECT_LT(mean_of(se) / sd(values), 1.33) << name;
    EXPECT_GE(double(inside) / experiments, knn ? 0.75 : 0.85) << name;
  }
}

// The kernel distance is unbiased: between two sets of 200 draws from one 8-dimensional Gaussian its
// mean over 200 experiments is within 3 standard errors of 0; with the second set's mean moved by
// 0.3 sd in one coordinate it is many standard errors above 0. (The metric's reference is drawn class
// by class, not independently, which moves KID at the null by a little: the report's real-data row
// shows where the null lies.)
TEST(BaselinesMetric, KernelDistanceIsUnbiased) {
  const int dims = 8, experiments = 200;
  const size_t n = 200;
  std::mt19937_64 rng(11);
  std::normal_distribution<float> normal(0, 1);
  auto draw = [&](float shift) {
    std::vector<float> v(n * size_t(dims));
    for (size_t i = 0; i < v.size(); ++i) v[i] = normal(rng) + (i % size_t(dims) == 0 ? shift : 0.0f);
    return v;
  };
  std::vector<double> same, shifted;
  for (int e = 0; e < experiments; ++e) {
    same.push_back(kernel_distance(draw(0), n, draw(0), n, dims));
    shifted.push_back(kernel_distance(draw(0), n, draw(0.3f), n, dims));
  }
  const double root = std::sqrt(double(experiments));
  EXPECT_LT(std::abs(mean_of(same)), 3 * sd(same) / root);
  EXPECT_GT(mean_of(shifted), 10 * sd(shifted) / root);
  EXPECT_THROW(kernel_distance(draw(0), n, draw(0), n - 1, dims), tsu::Error);
}

TEST(BaselinesMetric, BootstrapIsDeterministicAndNegativeCountsAreErrors) {
  const auto& s = shared();
  const QualityMetric a(s.classifier, s.train, kPerClass, 1, 3, 20), b(s.classifier, s.train, kPerClass, 1, 3, 20);
  const std::vector<float> images = binarised_images(s.test, 300);
  const QualityReport first = a.evaluate(images, 300), again = b.evaluate(images, 300);
  EXPECT_EQ(first.fd_replicates, again.fd_replicates);
  EXPECT_EQ(first.recall_ci->lo, again.recall_ci->lo);
  EXPECT_EQ(first.kid_ci->hi, again.kid_ci->hi);
  const QualityMetric none(s.classifier, s.train, kPerClass, 1);
  const QualityReport plain = none.evaluate(images, 300);
  EXPECT_EQ(plain.fd, first.fd);  // the point estimates do not depend on the bootstrap
  EXPECT_EQ(plain.kid, first.kid);
  EXPECT_FALSE(plain.fd_ci);
  EXPECT_TRUE(plain.fd_replicates.empty());
  EXPECT_EQ(error_of([&] { QualityMetric(s.classifier, s.train, kPerClass, 1, 3, -1); }),
            "quality metric: bootstrap must be >= 0 replicates, got -1");
}
