// Evaluation of generated samples: the quality metric against reference statistics of the
// training set (encoded and decoded like the samples, i.e. binarised for binary models, as the
// replication's reference), and PNG grids of samples and of denoising trajectories.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "ml/config.hpp"
#include "ml/fashion_mnist.hpp"
#include "ml/generate.hpp"
#include "ml/quality.hpp"

namespace tsu::ml {

// Intensities in [0, 1] of `count` encoded items: [count * pixels].
std::vector<float> decode_images(const Encoding& e, std::span<const uint8_t> bits, size_t count);

class QualityEvaluator {
 public:
  // Uses the first eval.reference_images images of `train` (raw 28 x 28 Fashion-MNIST) and the
  // metric's features (the pixel stand-in without one).
  QualityEvaluator(const DtmConfig& config, const ImageSet& train, const Metric& metric = {});
  const std::string& metric() const { return map_.metric; }
  size_t reference_count() const { return reference_.count; }
  // The Frechet distance of the samples' features to the reference's.
  double score(const Generated& samples) const;
  double score_images(std::span<const float> images, size_t count) const;

 private:
  Encoding encoding_;
  FeatureMap map_;
  FeatureStats reference_;
};

// The first `count` samples (or all), `grid_cols` per row.
void write_sample_grid(const std::string& path, const DtmConfig& config, const Generated& g, int count, int grid_cols);
// One row per recorded sample: x^T on the left, then every step down to x^0.
void write_trajectory_grid(const std::string& path, const DtmConfig& config, const Generated& g);

int image_side(const DtmConfig& config);  // 28 / data.pool

}  // namespace tsu::ml
