// The quality metric shared by every generator in tsu (DTM and neural baselines alike): features of
// a small Fashion-MNIST CNN trained by tsu itself (InceptionV3 weights cannot be had here), and
//   fd              Frechet distance of penultimate-layer features, samples vs the binarised
//                   training set (the paper's 5,120 = 512 per class, DTM §4.4);
//   precision/recall the k-NN manifold estimate (Kynkaenniemi et al. 2019) in the same features;
//   label_accuracy  for label-clamped generation: the classifier's accuracy on the generated images.
// Deterministic given the seed. Images are intensities in [0, 1], row-major, `side` x `side` with
// side = 28 or a divisor of 28 (smaller images are upsampled by pixel replication first).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ml/fashion_mnist.hpp"
#include "ml/quality.hpp"

namespace tsu::baselines {

// Progress callback: (what, done, total); may be empty.
using Progress = std::function<void(const std::string&, double, double)>;

struct ClassifierConfig {
  std::string name = "classifier";
  uint64_t seed = 1;
  int epochs = 4;
  int batch = 128;
  double learning_rate = 1e-3;  // Adam
  size_t train_images = 0;      // 0 = the whole binarised training split
  int channels = 32;            // conv widths: channels, 2 * channels
  int features = 128;           // penultimate layer: the metric's feature space
  int threads = 0;              // 0 = every core
};

// Parses configs/baselines/classifier-*.json; errors name the file and the field (unknown fields too).
ClassifierConfig load_classifier_config(const std::string& path);
ClassifierConfig parse_classifier_config(const nlohmann::json& doc, const std::string& source);
std::string classifier_config_path(const std::string& scale);  // "tiny" | "demo" | "full" -> shipped config
// configs/baselines/STEM-SCALE.json as shipped; Error naming `subject` unless scale is tiny, demo or full.
std::string shipped_config_path(const std::string& subject, const std::string& stem, const std::string& scale);
nlohmann::json to_json(const ClassifierConfig& config);
// The classifier cache folder: $TSU_CACHE if set, else $XDG_CACHE_HOME/tsu, else $HOME/.cache/tsu.
std::string default_cache_dir();

class Classifier {
 public:
  // Loads `cache_dir`/<name>-<hash of config>.pt when present and its checksum matches, else trains
  // it (fixed seed) on the binarised training split, measures the test accuracy and caches it
  // (atomic write; `cache_dir` is created if missing). A corrupt or mismatching cache file is an
  // Error naming the file. Sets libtorch's (process-wide) thread count to config.threads.
  static Classifier load_or_train(const std::string& cache_dir, const ClassifierConfig& config,
                                  const Progress& progress = {});
  // Loads one cache file (never trains): Error naming the file when it is missing or corrupt.
  static Classifier load(const std::string& path);
  // The cache file of `config` in `cache_dir`: <name>-<16 hex digits of the config's hash>.pt
  // (every field but `threads`, which changes only the speed).
  static std::string cache_path(const std::string& cache_dir, const ClassifierConfig& config);
  ~Classifier();
  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;

  const ClassifierConfig& config() const;
  const std::string& path() const;  // the cache file
  double test_accuracy() const;     // on the binarised test split, measured when trained
  int feature_dims() const;
  // [count * feature_dims()] penultimate-layer features.
  std::vector<float> features(std::span<const float> images, size_t count, int side = 28) const;
  std::vector<int> predict(std::span<const float> images, size_t count, int side = 28) const;
  // This classifier's features as the DTM's metric ("fd_classifier", for images of 28 x 28 or a
  // divisor of it); the metric shares the classifier, so it stays valid on its own.
  ml::Metric metric() const;

 private:
  struct Impl;
  explicit Classifier(std::unique_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// One class's part of a report: `share` of the samples the classifier puts in the class, the
// precision of those samples (NaN when there are none), and the recall and coverage of the
// reference's images of the class (the reference is class-balanced, so the classes' recalls average
// to the overall recall). A model that drops a mode shows it here as a class with coverage near 0;
// its recall need not fall, since a tight sample set's outliers have balls wide enough to reach it.
struct ClassQuality {
  double share = 0, precision = 0, recall = 0, coverage = 0;
};

struct QualityReport {
  std::string metric = "fd_classifier";
  size_t samples = 0;
  double fd = 0;
  double precision = 0, recall = 0, coverage = 0;
  // Kernel distance (Binkowski et al. 2018, "Demystifying MMD GANs"): the unbiased estimate of the
  // squared maximum mean discrepancy with the cubic kernel k(x, y) = (x.y / dims + 1)^3 on the same
  // features; 0 in expectation for samples of the reference distribution, so it can be negative.
  double kid = 0;
  std::vector<double> class_shares;  // the classifier's predicted labels: share of the samples per class
  std::vector<ClassQuality> per_class;  // one per class
  std::optional<double> label_accuracy;
  // With bootstrap replicates (QualityMetric's `bootstrap` > 0): 95 % intervals (ml::bootstrap_interval),
  // and the FD of every replicate. Replicate b resamples the reference the same way in every evaluation, so
  // replicates of two reports pair up (ratios of models get intervals from them).
  std::optional<ml::Interval> fd_ci, precision_ci, recall_ci, coverage_ci, kid_ci;
  std::vector<double> fd_replicates;
};

// Total variation distance between the samples' class shares and the reference's, which are
// balanced: 0 when every class gets 1/K of the samples, 1 - 1/K when one class gets them all.
double class_imbalance(const QualityReport& report);

class QualityMetric {
 public:
  // Reference: `per_class` binarised training images of each class (chosen with `seed`). With
  // `bootstrap` > 0, every evaluation also resamples the samples and the reference with replacement
  // that many times, stratified as they were drawn: the reference per class, label-clamped samples per
  // label (k-NN balls among the other points of a resample, each copy counted: a point's own copies
  // are not its neighbours; kernel sums over pairs of distinct points).
  QualityMetric(const Classifier& classifier, const ml::ImageSet& train, int per_class = 512, uint64_t seed = 1,
                int k = 3, int bootstrap = 0);
  // `labels` (one per image, or empty) are the classes the generation was clamped to.
  QualityReport evaluate(std::span<const float> images, size_t count, int side = 28,
                         std::span<const int> labels = {}) const;
  size_t reference_count() const;
  int bootstrap() const;

 private:
  struct Replicate {  // one bootstrap resample of the reference
    std::vector<uint32_t> counts;  // draws of each reference point
    std::vector<float> radii;      // k-NN radius within the resample; -1 for points not drawn
    ml::FeatureStats stats;
    double kernel_mean = 0;        // over pairs of distinct points of the resample
  };
  const Classifier* classifier_;
  int k_;
  uint64_t seed_;
  std::vector<float> reference_features_;
  size_t reference_count_ = 0;
  ml::FeatureStats reference_stats_;
  std::vector<int> reference_classes_;    // the class of each reference image
  std::vector<double> reference_radii_;  // squared distance to the k-th nearest reference neighbour
  double reference_kernel_mean_ = 0;     // mean kernel value over pairs of distinct reference points
  std::vector<Replicate> replicates_;
};

// The reference images: `per_class` indices of each class of `set`, chosen by a seeded shuffle,
// class after class (Error when a class has fewer images).
std::vector<size_t> reference_indices(const ml::ImageSet& set, int per_class, uint64_t seed);

// The k-NN manifold estimate (Kynkaenniemi et al. 2019, "Improved Precision and Recall Metric for
// Assessing Generative Models"): a point's ball reaches its k-th nearest neighbour in its own set;
// precision = share of generated points inside some real ball, recall = share of real points inside
// some generated ball. Features are [count * dims]; each set needs more than k points.
// Coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models"): the
// share of real points whose own ball holds some generated point. Unlike recall it does not grow
// with a few outliers' large balls, so it sees missing modes (samples of one class only).
struct PrecisionRecall {
  double precision = 0, recall = 0, coverage = 0;
};
PrecisionRecall knn_precision_recall(std::span<const float> real, size_t real_count, std::span<const float> generated,
                                     size_t generated_count, int dims, int k = 3);

// The kernel distance of QualityReport::kid between two sets of feature vectors ([count * dims] each).
double kernel_distance(std::span<const float> a, size_t a_count, std::span<const float> b, size_t b_count, int dims);

// The first `per_class` images of each class of `set` (in its order), binarised as the reference is:
// [n * 784] with n = per_class * classes (Error when a class has fewer). The real-data floor of a
// report: held-out test images scored like a model.
std::vector<float> held_out_images(const ml::ImageSet& set, size_t per_class);

// Binarised images of a set as intensities 0/1 (pixel / 255 > 0.1, the DTM's threshold): [n * 784].
std::vector<float> binarised_images(const ml::ImageSet& set, size_t limit = 0);

}  // namespace tsu::baselines
