// The quality metric in the classifier's feature space: Frechet distance against a class-balanced
// reference drawn from the binarised training set, k-NN precision/recall, label accuracy.
#include "baselines/metric.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <fmt/format.h>
#include <random>

#include "graph/model.hpp"
#include "ml/encoding.hpp"

namespace tsu::baselines {

namespace {

// One column per point.
using Points = Eigen::MatrixXd;
using Distances = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
constexpr Eigen::Index kBlock = 256;  // rows of the distance matrix held at once (256 x 5,120 doubles = 10 MB)

Points as_points(std::span<const float> features, size_t count, int dims) {
  return Eigen::Map<const Eigen::MatrixXf>(features.data(), dims, Eigen::Index(count)).cast<double>();
}

// Squared distances from the points a[:, first, first + n) to every point of b (|x|^2 + |y|^2 - 2 x.y,
// one matrix product): [n x b.cols()].
Distances squared_distances(const Points& a, Eigen::Index first, Eigen::Index n, const Points& b,
                            const Eigen::RowVectorXd& b_norms) {
  const auto block = a.middleCols(first, n);
  Distances d = -2.0 * (block.transpose() * b);
  d.colwise() += block.colwise().squaredNorm().transpose();
  d.rowwise() += b_norms;
  return d.cwiseMax(0.0);
}

// Squared distance from each point to its k-th nearest neighbour in its own set (itself excluded).
std::vector<double> knn_radii(const Points& p, int k) {
  const Eigen::Index n = p.cols();
  const Eigen::RowVectorXd norms = p.colwise().squaredNorm();
  std::vector<double> radii(static_cast<size_t>(n)), row(static_cast<size_t>(n));
  for (Eigen::Index first = 0; first < n; first += kBlock) {
    const Eigen::Index rows = std::min(kBlock, n - first);
    const Distances d = squared_distances(p, first, rows, p, norms);
    for (Eigen::Index i = 0; i < rows; ++i) {
      std::copy(d.row(i).data(), d.row(i).data() + n, row.begin());
      row[size_t(first + i)] = 0;  // itself: the 0-th neighbour, exactly
      std::nth_element(row.begin(), row.begin() + k, row.end());
      radii[size_t(first + i)] = row[size_t(k)];
    }
  }
  return radii;
}

// Kynkaenniemi et al. 2019: a point counts when it lies within (<=) some ball of the other set.
PrecisionRecall precision_recall(const Points& real, const std::vector<double>& real_radii, const Points& generated,
                                 const std::vector<double>& generated_radii) {
  const Eigen::RowVectorXd real_norms = real.colwise().squaredNorm();
  std::vector<char> real_covered(size_t(real.cols()), 0);
  size_t precise = 0;
  for (Eigen::Index first = 0; first < generated.cols(); first += kBlock) {
    const Eigen::Index rows = std::min(kBlock, generated.cols() - first);
    const Distances d = squared_distances(generated, first, rows, real, real_norms);
    for (Eigen::Index i = 0; i < rows; ++i) {
      bool inside = false;
      const double own = generated_radii[size_t(first + i)];
      for (Eigen::Index r = 0; r < real.cols(); ++r) {
        inside |= d(i, r) <= real_radii[size_t(r)];
        real_covered[size_t(r)] |= d(i, r) <= own;
      }
      precise += inside;
    }
  }
  const auto covered = size_t(std::count(real_covered.begin(), real_covered.end(), 1));
  return {double(precise) / double(generated.cols()), double(covered) / double(real.cols())};
}

void check_neighbours(size_t count, int k, const std::string& what) {
  if (k < 1) throw Error(fmt::format("precision/recall: k must be >= 1, got {}", k));
  if (count < size_t(k) + 1 || count < 2)
    throw Error(fmt::format("{}: {} images; the k-NN estimate (k = {}) needs at least {}", what, count, k,
                            std::max(2, k + 1)));
}

void binarise(std::span<const uint8_t> pixels, float* out) {
  const double threshold = ml::Encoding{}.threshold;  // the DTM's binarisation
  for (uint8_t p : pixels) *out++ = p / 255.0 > threshold ? 1.0f : 0.0f;
}

}  // namespace

std::vector<float> binarised_images(const ml::ImageSet& set, size_t limit) {
  const size_t n = limit > 0 ? std::min(limit, set.size()) : set.size();
  std::vector<float> out(n * size_t(set.pixels_per_image()));
  for (size_t i = 0; i < n; ++i) binarise(set.image(i), out.data() + i * size_t(set.pixels_per_image()));
  return out;
}

std::vector<size_t> reference_indices(const ml::ImageSet& set, int per_class, uint64_t seed) {
  if (per_class < 1) throw Error(fmt::format("reference images: per_class must be >= 1, got {}", per_class));
  std::vector<std::vector<size_t>> by_class(ml::kFashionMnistClasses);
  for (size_t i = 0; i < set.size(); ++i) by_class[set.labels[i]].push_back(i);
  std::mt19937_64 rng(seed);
  std::vector<size_t> chosen;
  for (int c = 0; c < ml::kFashionMnistClasses; ++c) {
    auto& members = by_class[size_t(c)];
    if (members.size() < size_t(per_class))
      throw Error(fmt::format("reference images: class {} has {} images, fewer than per_class = {}", c, members.size(),
                              per_class));
    // Fisher-Yates with a multiply-shift bound: the same choice on every standard library.
    for (size_t i = members.size(); i > 1; --i)
      std::swap(members[i - 1], members[size_t((static_cast<unsigned __int128>(rng()) * i) >> 64)]);
    chosen.insert(chosen.end(), members.begin(), members.begin() + per_class);
  }
  return chosen;
}

PrecisionRecall knn_precision_recall(std::span<const float> real, size_t real_count, std::span<const float> generated,
                                     size_t generated_count, int dims, int k) {
  check_neighbours(real_count, k, "precision/recall: real set");
  check_neighbours(generated_count, k, "precision/recall: generated set");
  if (dims < 1 || real.size() != real_count * size_t(dims) || generated.size() != generated_count * size_t(dims))
    throw Error(fmt::format("precision/recall: {} and {} values are not {} and {} vectors of {} features", real.size(),
                            generated.size(), real_count, generated_count, dims));
  const Points r = as_points(real, real_count, dims), g = as_points(generated, generated_count, dims);
  return precision_recall(r, knn_radii(r, k), g, knn_radii(g, k));
}

QualityMetric::QualityMetric(const Classifier& classifier, const ml::ImageSet& train, int per_class, uint64_t seed,
                             int k)
    : classifier_(&classifier), k_(k) {
  if (train.rows != train.cols)
    throw Error(fmt::format("quality metric: {} x {} images are not square", train.rows, train.cols));
  const std::vector<size_t> chosen = reference_indices(train, per_class, seed);
  check_neighbours(chosen.size(), k, "quality metric: reference");
  const size_t pixels = size_t(train.pixels_per_image());
  std::vector<float> images(chosen.size() * pixels);
  for (size_t i = 0; i < chosen.size(); ++i) binarise(train.image(chosen[i]), images.data() + i * pixels);
  reference_count_ = chosen.size();
  reference_features_ = classifier.features(images, reference_count_, train.rows);
  reference_stats_ = ml::feature_stats(reference_features_, reference_count_, classifier.feature_dims());
  reference_radii_ = knn_radii(as_points(reference_features_, reference_count_, classifier.feature_dims()), k);
}

QualityReport QualityMetric::evaluate(std::span<const float> images, size_t count, int side,
                                      std::span<const int> labels) const {
  check_neighbours(count, k_, "quality metric");
  if (!labels.empty() && labels.size() != count)
    throw Error(fmt::format("quality metric: {} labels for {} images", labels.size(), count));
  const int dims = classifier_->feature_dims();
  const std::vector<float> features = classifier_->features(images, count, side);
  const Points generated = as_points(features, count, dims);
  QualityReport report;
  report.samples = count;
  report.fd = ml::frechet_distance(ml::feature_stats(features, count, dims), reference_stats_);
  const PrecisionRecall pr =
      precision_recall(as_points(reference_features_, reference_count_, dims), reference_radii_, generated,
                       knn_radii(generated, k_));
  report.precision = pr.precision;
  report.recall = pr.recall;
  if (!labels.empty()) {
    const std::vector<int> predicted = classifier_->predict(images, count, side);
    size_t right = 0;
    for (size_t i = 0; i < count; ++i) right += predicted[i] == labels[i];
    report.label_accuracy = double(right) / double(count);
  }
  return report;
}

size_t QualityMetric::reference_count() const { return reference_count_; }

}  // namespace tsu::baselines
