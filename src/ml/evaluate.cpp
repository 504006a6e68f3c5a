#include "ml/evaluate.hpp"

#include <fmt/format.h>

#include "util/image.hpp"

namespace tsu::ml {

int image_side(const DtmConfig& config) { return 28 / config.data.pool; }

std::vector<float> decode_images(const Encoding& e, std::span<const uint8_t> bits, size_t count) {
  const size_t n = size_t(e.bits()), pixels = size_t(e.pixels);
  if (bits.size() < count * n) throw Error("decode: fewer encoded items than asked for");
  std::vector<float> out(count * pixels);
  for (size_t i = 0; i < count; ++i)
    decode_image(e, bits.subspan(i * n, n), std::span(out).subspan(i * pixels, pixels));
  return out;
}

QualityEvaluator::QualityEvaluator(const DtmConfig& config, const ImageSet& train, const Metric& metric)
    : encoding_(config.data.encoding), map_(feature_map_for(metric, image_side(config), image_side(config))) {
  ImageSet pooled = pool_images(train, config.data.pool);
  const size_t count = std::min(config.eval.reference_images, pooled.size());
  pooled.labels.resize(count);
  pooled.pixels.resize(count * size_t(pooled.pixels_per_image()));
  const auto bits = encode_set(encoding_, pooled);
  reference_ = image_feature_stats(map_, decode_images(encoding_, bits, count), count);
}

double QualityEvaluator::score_images(std::span<const float> images, size_t count) const {
  return frechet_distance(image_feature_stats(map_, images, count), reference_);
}

double QualityEvaluator::score(const Generated& samples) const {
  return score_images(decode_images(encoding_, samples.x, size_t(samples.samples)), size_t(samples.samples));
}

void write_sample_grid(const std::string& path, const DtmConfig& config, const Generated& g, int count, int grid_cols) {
  const int n = std::min(count, g.samples);
  const int side = image_side(config);
  write_png(path, image_grid(decode_images(config.data.encoding, g.x, size_t(n)), n, side, side, grid_cols));
}

void write_trajectory_grid(const std::string& path, const DtmConfig& config, const Generated& g) {
  if (g.trajectory.empty()) throw Error(fmt::format("{}: no trajectory was recorded", path));
  const auto& e = config.data.encoding;
  const int frames = int(g.trajectory.size());
  const int rows = int(g.trajectory[0].size() / size_t(g.bits));
  const int side = image_side(config);
  std::vector<float> tiles;
  for (int r = 0; r < rows; ++r)
    for (int f = 0; f < frames; ++f) {
      const auto item = std::span(g.trajectory[size_t(f)]).subspan(size_t(r) * size_t(g.bits), size_t(g.bits));
      const auto image = decode_images(e, item, 1);
      tiles.insert(tiles.end(), image.begin(), image.end());
    }
  write_png(path, image_grid(tiles, rows * frames, side, side, frames));
}

}  // namespace tsu::ml
