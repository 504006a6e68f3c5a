#include "ml/quality.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "graph/model.hpp"

namespace tsu::ml {

namespace {

Eigen::MatrixXd as_matrix(const FeatureStats& s) {
  return Eigen::Map<const Eigen::MatrixXd>(s.cov.data(), s.dims, s.dims);  // symmetric: order does not matter
}

// The square root of a symmetric positive semi-definite matrix (tiny negative eigenvalues from
// rounding are treated as 0).
Eigen::MatrixXd psd_sqrt(const Eigen::MatrixXd& m) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(m);
  const Eigen::VectorXd root = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return eig.eigenvectors() * root.asDiagonal() * eig.eigenvectors().transpose();
}

}  // namespace

FeatureStats feature_stats(std::span<const float> features, size_t count, int dims) {
  if (dims < 1 || count < 2 || features.size() != count * size_t(dims))
    throw Error(fmt::format("feature statistics: need at least 2 vectors of {} features, got {} values", dims,
                            features.size()));
  Eigen::MatrixXd x(dims, Eigen::Index(count));
  for (size_t i = 0; i < count; ++i)
    for (int d = 0; d < dims; ++d) x(d, Eigen::Index(i)) = features[i * size_t(dims) + size_t(d)];
  const Eigen::VectorXd mean = x.rowwise().mean();
  x.colwise() -= mean;
  const Eigen::MatrixXd cov = (x * x.transpose()) / double(count - 1);
  FeatureStats s;
  s.dims = dims;
  s.count = count;
  s.mean.assign(mean.data(), mean.data() + dims);
  s.cov.assign(cov.data(), cov.data() + size_t(dims) * size_t(dims));
  return s;
}

double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
  if (a.dims != b.dims || a.dims < 1) throw Error(fmt::format("Frechet distance: {} vs {} features", a.dims, b.dims));
  const Eigen::Map<const Eigen::VectorXd> ma(a.mean.data(), a.dims), mb(b.mean.data(), b.dims);
  const Eigen::MatrixXd sa = as_matrix(a), sb = as_matrix(b);
  const Eigen::MatrixXd root_a = psd_sqrt(sa);
  const Eigen::MatrixXd inner = root_a * sb * root_a;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(0.5 * (inner + inner.transpose()), Eigen::EigenvaluesOnly);
  const double cross = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  return std::max(0.0, (ma - mb).squaredNorm() + sa.trace() + sb.trace() - 2.0 * cross);
}

Interval central_range(std::vector<double> values, double level) {
  if (values.empty()) throw Error("bootstrap interval: no replicates");
  if (!(level > 0 && level < 1)) throw Error(fmt::format("bootstrap interval: level must be in (0, 1), got {}", level));
  std::sort(values.begin(), values.end());
  const auto quantile = [&](double q) {
    const double at = q * double(values.size() - 1);
    const size_t below = size_t(std::floor(at));
    const size_t above = std::min(below + 1, values.size() - 1);
    return values[below] + (at - double(below)) * (values[above] - values[below]);
  };
  return {quantile((1 - level) / 2), quantile((1 + level) / 2)};
}

Interval bootstrap_interval(double estimate, const std::vector<double>& replicates, double level, double low,
                            double high) {
  const Interval q = central_range(replicates, level);
  double bias = -estimate;
  for (double r : replicates) bias += r / double(replicates.size());
  return {std::clamp(q.lo - bias, low, high), std::clamp(q.hi - bias, low, high)};
}

FeatureMap pixel_feature_map(int pixels) {
  return {"fd_pixel", pixels, [](std::span<const float> image, std::span<float> out) {
            std::copy(image.begin(), image.end(), out.begin());
          }};
}

FeatureMap feature_map_for(const Metric& metric, int rows, int cols) {
  if (metric)
    if (auto map = metric(rows, cols)) return *map;
  return pixel_feature_map(rows * cols);
}

FeatureStats image_feature_stats(const FeatureMap& map, std::span<const float> images, size_t count) {
  if (count == 0 || images.size() % count) throw Error("image features: the images do not divide evenly");
  const size_t pixels = images.size() / count;
  std::vector<float> features(count * size_t(map.dims));
  for (size_t i = 0; i < count; ++i)
    map.map(images.subspan(i * pixels, pixels), std::span(features).subspan(i * size_t(map.dims), size_t(map.dims)));
  return feature_stats(features, count, map.dims);
}

}  // namespace tsu::ml
