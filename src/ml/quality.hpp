// Sample quality as a Frechet distance between Gaussian fits of feature vectors (the FID formula):
//   FD = |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr( (S_a^{1/2} S_b S_a^{1/2})^{1/2} ).
// The paper's FID uses InceptionV3 features, which tsu cannot obtain; tsu's metric uses the features
// of a Fashion-MNIST classifier trained by the project (src/baselines, libtorch), which the caller
// passes in as a Metric. Without one, or for image sizes it does not handle, the metric is a clearly
// labelled stand-in: the Frechet distance of the pixel intensities themselves, "fd_pixel".
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tsu::ml {

struct FeatureStats {
  int dims = 0;
  size_t count = 0;
  std::vector<double> mean;  // [dims]
  std::vector<double> cov;   // [dims * dims], row-major, divisor count - 1
};

// Mean and covariance of `count` feature vectors stored one after another (Error if count < 2).
FeatureStats feature_stats(std::span<const float> features, size_t count, int dims);
double frechet_distance(const FeatureStats& a, const FeatureStats& b);

// A confidence interval [lo, hi].
struct Interval {
  double lo = 0, hi = 0;
};
// The central `level` range of `values` (linear interpolation between order statistics). Error when
// `values` is empty or level is not in (0, 1).
Interval central_range(std::vector<double> values, double level = 0.95);
// The 95 % (`level`) bootstrap interval of an estimate: the central range of its replicates, moved
// back by the bootstrap's estimate of its bias, mean(replicates) - estimate (Efron & Tibshirani 1993,
// "An Introduction to the Bootstrap", §10.2). Resampling with replacement adds the estimator's own
// small-sample bias once more (the FD of n points is biased up by about its noise, and a resample of n
// points holds only about 0.63 n distinct ones), so the plain percentile interval can miss the
// estimate altogether; moved back, it is an interval for what n samples measure, the quantity every
// row of a report is measured at. Clamped to [low, high].
Interval bootstrap_interval(double estimate, const std::vector<double>& replicates, double level = 0.95,
                            double low = -INFINITY, double high = INFINITY);

// A map from one image (rows x cols intensities in [0, 1]) to a feature vector.
struct FeatureMap {
  std::string metric;  // the name quality reports carry, e.g. "fd_pixel"
  int dims = 0;
  std::function<void(std::span<const float> image, std::span<float> features)> map;
};

// The stand-in: the pixel intensities as features.
FeatureMap pixel_feature_map(int pixels);

// A quality metric: the feature map for images of the given size, or nothing for sizes it does not
// handle. Whatever it captures (a classifier) it owns, so a copy stays valid on its own.
using Metric = std::function<std::optional<FeatureMap>(int rows, int cols)>;
// The metric's map when there is one and it accepts the size, else the pixel stand-in.
FeatureMap feature_map_for(const Metric& metric, int rows, int cols);

// Features of `count` images (rows * cols each), then their statistics.
FeatureStats image_feature_stats(const FeatureMap& map, std::span<const float> images, size_t count);

}  // namespace tsu::ml
