// The quality metric in the classifier's feature space: Frechet distance against a class-balanced
// reference drawn from the binarised training set, k-NN precision/recall, label accuracy.
#include "baselines/metric.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <random>

#include "graph/model.hpp"
#include "ml/encoding.hpp"
#include "sample/rng.hpp"

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
// Per point: a generated point is precise when inside some real ball; a real point is recalled when
// inside some generated ball and reached (coverage) when its own ball holds a generated point.
struct PointFlags {
  std::vector<char> precise, recalled, reached;
};

PointFlags point_flags(const Points& real, const std::vector<double>& real_radii, const Points& generated,
                       const std::vector<double>& generated_radii) {
  const Eigen::RowVectorXd real_norms = real.colwise().squaredNorm();
  PointFlags f{std::vector<char>(size_t(generated.cols()), 0), std::vector<char>(size_t(real.cols()), 0),
               std::vector<char>(size_t(real.cols()), 0)};
  for (Eigen::Index first = 0; first < generated.cols(); first += kBlock) {
    const Eigen::Index rows = std::min(kBlock, generated.cols() - first);
    const Distances d = squared_distances(generated, first, rows, real, real_norms);
    for (Eigen::Index i = 0; i < rows; ++i) {
      bool inside = false;
      const double own = generated_radii[size_t(first + i)];
      for (Eigen::Index r = 0; r < real.cols(); ++r) {
        const bool in_real_ball = d(i, r) <= real_radii[size_t(r)];
        inside |= in_real_ball;
        f.reached[size_t(r)] |= in_real_ball;
        f.recalled[size_t(r)] |= d(i, r) <= own;
      }
      f.precise[size_t(first + i)] = inside;
    }
  }
  return f;
}

// The share of flagged points among those of `classes` equal to c (all points when c < 0); NaN for none.
double flagged_share(const std::vector<char>& flags, const std::vector<int>& classes, int c) {
  size_t n = 0, on = 0;
  for (size_t i = 0; i < flags.size(); ++i)
    if (c < 0 || classes[i] == c) ++n, on += flags[i] != 0;
  return n ? double(on) / double(n) : NAN;
}

PrecisionRecall precision_recall(const PointFlags& f) {
  const std::vector<int> none;
  return {flagged_share(f.precise, none, -1), flagged_share(f.recalled, none, -1), flagged_share(f.reached, none, -1)};
}

void check_neighbours(size_t count, int k, const std::string& what) {
  if (k < 1) throw Error(fmt::format("precision/recall: k must be >= 1, got {}", k));
  if (count < size_t(k) + 1 || count < 2)
    throw Error(fmt::format("{}: {} images; the k-NN estimate (k = {}) needs at least {}", what, count, k,
                            std::max(2, k + 1)));
}

// Every pair of two point sets: squared distances and values of the kernel distance's cubic kernel,
// (x.y / dims + 1)^3, held as floats (the bootstrap reads them once per replicate).
struct PairTables {
  Eigen::MatrixXf distance, kernel;  // [a.cols() x b.cols()]
};

PairTables pair_tables(const Points& a, const Points& b) {
  const Eigen::MatrixXd dot = a.transpose() * b;
  Eigen::MatrixXd d = -2.0 * dot;
  d.colwise() += a.colwise().squaredNorm().transpose();
  d.rowwise() += b.colwise().squaredNorm();
  const Eigen::MatrixXd k = (dot.array() / double(a.rows()) + 1.0).cube().matrix();
  return {d.cwiseMax(0.0).cast<float>(), k.cast<float>()};
}

using Counts = std::vector<uint32_t>;
using Strata = std::vector<std::vector<size_t>>;  // indices of the points of each stratum

// How often each of n points is drawn by one stratified bootstrap resample: each stratum as many
// draws with replacement from itself as it has points, as the sample was drawn (the reference: a
// fixed number per class; label-clamped samples: a fixed number per label).
Counts resample_counts(const Strata& strata, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Counts counts(n, 0);
  for (const std::vector<size_t>& members : strata)
    for (size_t m = 0; m < members.size(); ++m)
      ++counts[members[size_t((static_cast<unsigned __int128>(rng()) * members.size()) >> 64)]];
  return counts;
}

// The points grouped by label (no labels: one stratum of every point).
Strata strata_of(std::span<const int> labels, size_t n) {
  if (labels.empty()) {
    Strata one(1);
    for (size_t i = 0; i < n; ++i) one[0].push_back(i);
    return one;
  }
  Strata by_label(size_t(*std::max_element(labels.begin(), labels.end())) + 1);
  for (size_t i = 0; i < n; ++i) by_label[size_t(labels[i])].push_back(i);
  return by_label;
}

// The mean kernel value over pairs of distinct points of one set, each point weighted by its count
// (all ones: the unbiased estimator's within-set term).
double within_kernel_mean(const Eigen::MatrixXf& kernel, const Counts& c) {
  double sum = 0, diagonal = 0, squares = 0, n = 0;
  for (Eigen::Index j = 0; j < kernel.cols(); ++j) {
    if (!c[size_t(j)]) continue;
    double column = 0;
    for (Eigen::Index i = 0; i < kernel.rows(); ++i) column += double(c[size_t(i)]) * kernel(i, j);
    const double cj = c[size_t(j)];
    sum += cj * column, diagonal += cj * cj * kernel(j, j), squares += cj * cj, n += cj;
  }
  return (sum - diagonal) / (n * n - squares);
}

double cross_kernel_mean(const Eigen::MatrixXf& kernel, const Counts& a, const Counts& b) {
  double sum = 0, na = 0, nb = 0;
  for (uint32_t c : a) na += c;
  for (Eigen::Index j = 0; j < kernel.cols(); ++j) {
    if (!b[size_t(j)]) continue;
    double column = 0;
    for (Eigen::Index i = 0; i < kernel.rows(); ++i) column += double(a[size_t(i)]) * kernel(i, j);
    sum += double(b[size_t(j)]) * column, nb += b[size_t(j)];
  }
  return sum / (na * nb);
}

// k-NN radii within a resample: for each drawn point, the k-th smallest squared distance to the other
// drawn points, a point drawn c times counting c times (its own copies are not neighbours); -1 for a
// point not drawn, +inf when fewer than k others were drawn.
std::vector<float> resampled_radii(const Eigen::MatrixXf& distance, const Counts& c, int k) {
  std::vector<float> radii(c.size(), -1.0f), best(static_cast<size_t>(k));
  for (Eigen::Index i = 0; i < distance.cols(); ++i) {
    if (!c[size_t(i)]) continue;
    std::fill(best.begin(), best.end(), INFINITY);  // ascending: the k smallest so far
    for (Eigen::Index j = 0; j < distance.rows(); ++j) {
      if (j == i) continue;
      const float d = distance(j, i);
      for (uint32_t copy = 0; copy < c[size_t(j)] && d < best.back(); ++copy) {
        size_t at = best.size() - 1;  // insertion into the sorted k smallest
        for (; at > 0 && best[at - 1] > d; --at) best[at] = best[at - 1];
        best[at] = d;
      }
    }
    radii[size_t(i)] = best.back();
  }
  return radii;
}

// Precision and recall of one resample pair (points not drawn have radius -1: no ball, no weight).
PrecisionRecall resampled_precision_recall(const Eigen::MatrixXf& distance /* generated x real */,
                                           const Counts& gc, const std::vector<float>& gr,
                                           const Counts& rc, const std::vector<float>& rr) {
  std::vector<char> inside(gc.size(), 0);
  double recalled = 0, reached = 0, n_r = 0;
  for (Eigen::Index j = 0; j < distance.cols(); ++j) {  // column by column: the matrix is column-major
    if (!rc[size_t(j)]) continue;
    bool covered = false, any_inside = false;
    for (Eigen::Index i = 0; i < distance.rows(); ++i) {
      if (!gc[size_t(i)]) continue;
      const float d = distance(i, j);
      const bool in_real_ball = d <= rr[size_t(j)];
      inside[size_t(i)] |= in_real_ball;
      any_inside |= in_real_ball;
      covered |= d <= gr[size_t(i)];
    }
    recalled += covered ? rc[size_t(j)] : 0, reached += any_inside ? rc[size_t(j)] : 0, n_r += rc[size_t(j)];
  }
  double precise = 0, n_g = 0;
  for (size_t i = 0; i < gc.size(); ++i) precise += inside[i] ? gc[i] : 0, n_g += gc[i];
  return {precise / n_g, recalled / n_r, reached / n_r};
}

// The statistics of a resample: its points gathered as often as they were drawn.
ml::FeatureStats resampled_stats(std::span<const float> features, const Counts& c, int dims) {
  std::vector<float> drawn;
  drawn.reserve(features.size());
  for (size_t i = 0; i < c.size(); ++i)
    for (uint32_t copy = 0; copy < c[i]; ++copy)
      drawn.insert(drawn.end(), features.begin() + long(i * size_t(dims)), features.begin() + long((i + 1) * size_t(dims)));
  return ml::feature_stats(drawn, drawn.size() / size_t(dims), dims);
}

std::vector<double> class_shares(const std::vector<int>& predicted) {
  std::vector<double> shares(ml::kFashionMnistClasses, 0.0);
  for (int c : predicted) shares[size_t(c)] += 1.0 / double(predicted.size());
  return shares;
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

std::vector<float> held_out_images(const ml::ImageSet& set, size_t per_class) {
  const size_t pixels = size_t(set.pixels_per_image());
  std::vector<float> images(per_class * ml::kFashionMnistClasses * pixels);
  std::vector<size_t> taken(ml::kFashionMnistClasses, 0);
  size_t count = 0;
  for (size_t i = 0; i < set.size(); ++i)
    if (taken[set.labels[i]]++ < per_class) binarise(set.image(i), images.data() + count++ * pixels);
  if (count * pixels != images.size())
    throw Error(fmt::format("held-out images: {} images, fewer than {} of each class", count, per_class));
  return images;
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
  return precision_recall(point_flags(r, knn_radii(r, k), g, knn_radii(g, k)));
}

double kernel_distance(std::span<const float> a, size_t a_count, std::span<const float> b, size_t b_count, int dims) {
  if (dims < 1 || a_count < 2 || b_count < 2 || a.size() != a_count * size_t(dims) || b.size() != b_count * size_t(dims))
    throw Error(fmt::format("kernel distance: need two sets of at least 2 vectors of {} features, got {} and {} values",
                            dims, a.size(), b.size()));
  const Points pa = as_points(a, a_count, dims), pb = as_points(b, b_count, dims);
  const Counts all_a(a_count, 1), all_b(b_count, 1);
  return within_kernel_mean(pair_tables(pa, pa).kernel, all_a) + within_kernel_mean(pair_tables(pb, pb).kernel, all_b) -
         2 * cross_kernel_mean(pair_tables(pa, pb).kernel, all_a, all_b);
}

QualityMetric::QualityMetric(const Classifier& classifier, const ml::ImageSet& train, int per_class, uint64_t seed,
                             int k, int bootstrap)
    : classifier_(&classifier), k_(k), seed_(seed) {
  if (train.rows != train.cols)
    throw Error(fmt::format("quality metric: {} x {} images are not square", train.rows, train.cols));
  if (bootstrap < 0) throw Error(fmt::format("quality metric: bootstrap must be >= 0 replicates, got {}", bootstrap));
  const std::vector<size_t> chosen = reference_indices(train, per_class, seed);
  check_neighbours(chosen.size(), k, "quality metric: reference");
  const size_t pixels = size_t(train.pixels_per_image());
  std::vector<float> images(chosen.size() * pixels);
  for (size_t i = 0; i < chosen.size(); ++i) binarise(train.image(chosen[i]), images.data() + i * pixels);
  reference_count_ = chosen.size();
  const int dims = classifier.feature_dims();
  reference_features_ = classifier.features(images, reference_count_, train.rows);
  reference_stats_ = ml::feature_stats(reference_features_, reference_count_, dims);
  const Points reference = as_points(reference_features_, reference_count_, dims);
  reference_radii_ = knn_radii(reference, k);
  const PairTables pairs = pair_tables(reference, reference);
  reference_kernel_mean_ = within_kernel_mean(pairs.kernel, Counts(reference_count_, 1));
  reference_classes_.resize(reference_count_);  // chosen class after class, per_class each
  for (size_t i = 0; i < reference_count_; ++i) reference_classes_[i] = int(i / size_t(per_class));
  const Strata strata = strata_of(reference_classes_, reference_count_);
  for (int b = 0; b < bootstrap; ++b) {
    Replicate r;
    r.counts = resample_counts(strata, reference_count_, derive(seed, Purpose::BootstrapReference, {uint64_t(b)}));
    r.radii = resampled_radii(pairs.distance, r.counts, k);
    r.stats = resampled_stats(reference_features_, r.counts, dims);
    r.kernel_mean = within_kernel_mean(pairs.kernel, r.counts);
    replicates_.push_back(std::move(r));
  }
}

QualityReport QualityMetric::evaluate(std::span<const float> images, size_t count, int side,
                                      std::span<const int> labels) const {
  check_neighbours(count, k_, "quality metric");
  if (!labels.empty() && labels.size() != count)
    throw Error(fmt::format("quality metric: {} labels for {} images", labels.size(), count));
  for (int label : labels)
    if (label < 0 || label >= ml::kFashionMnistClasses)
      throw Error(fmt::format("quality metric: label {} is not a class (0..{})", label, ml::kFashionMnistClasses - 1));
  const int dims = classifier_->feature_dims();
  const std::vector<float> features = classifier_->features(images, count, side);
  const Points generated = as_points(features, count, dims);
  const Points reference = as_points(reference_features_, reference_count_, dims);
  QualityReport report;
  report.samples = count;
  report.fd = ml::frechet_distance(ml::feature_stats(features, count, dims), reference_stats_);
  const PointFlags flags = point_flags(reference, reference_radii_, generated, knn_radii(generated, k_));
  const PrecisionRecall pr = precision_recall(flags);
  report.precision = pr.precision;
  report.recall = pr.recall;
  report.coverage = pr.coverage;
  const PairTables own = pair_tables(generated, generated), cross = pair_tables(generated, reference);
  const Counts all(count, 1), all_reference(reference_count_, 1);
  report.kid = within_kernel_mean(own.kernel, all) + reference_kernel_mean_ -
               2 * cross_kernel_mean(cross.kernel, all, all_reference);
  const std::vector<int> predicted = classifier_->predict(images, count, side);
  report.class_shares = class_shares(predicted);
  for (int c = 0; c < ml::kFashionMnistClasses; ++c)
    report.per_class.push_back({report.class_shares[size_t(c)], flagged_share(flags.precise, predicted, c),
                                flagged_share(flags.recalled, reference_classes_, c),
                                flagged_share(flags.reached, reference_classes_, c)});
  if (!labels.empty()) {
    size_t right = 0;
    for (size_t i = 0; i < count; ++i) right += predicted[i] == labels[i];
    report.label_accuracy = double(right) / double(count);
  }
  if (replicates_.empty()) return report;
  std::vector<double> precision, recall, coverage, kid;
  const Strata strata = strata_of(labels, count);
  for (size_t b = 0; b < replicates_.size(); ++b) {
    const Replicate& r = replicates_[b];
    const Counts c = resample_counts(strata, count, derive(seed_, Purpose::BootstrapGenerated, {uint64_t(b)}));
    report.fd_replicates.push_back(ml::frechet_distance(resampled_stats(features, c, dims), r.stats));
    const PrecisionRecall p =
        resampled_precision_recall(cross.distance, c, resampled_radii(own.distance, c, k_), r.counts, r.radii);
    precision.push_back(p.precision);
    recall.push_back(p.recall);
    coverage.push_back(p.coverage);
    kid.push_back(within_kernel_mean(own.kernel, c) + r.kernel_mean - 2 * cross_kernel_mean(cross.kernel, c, r.counts));
  }
  report.fd_ci = ml::bootstrap_interval(report.fd, report.fd_replicates, 0.95, 0);
  report.precision_ci = ml::bootstrap_interval(report.precision, precision, 0.95, 0, 1);
  report.recall_ci = ml::bootstrap_interval(report.recall, recall, 0.95, 0, 1);
  report.coverage_ci = ml::bootstrap_interval(report.coverage, coverage, 0.95, 0, 1);
  report.kid_ci = ml::bootstrap_interval(report.kid, kid);
  return report;
}

size_t QualityMetric::reference_count() const { return reference_count_; }
int QualityMetric::bootstrap() const { return int(replicates_.size()); }

double class_imbalance(const QualityReport& report) {
  const double balanced = 1.0 / double(report.class_shares.size());
  double distance = 0;
  for (double share : report.class_shares) distance += 0.5 * std::abs(share - balanced);
  return distance;
}

}  // namespace tsu::baselines
