#include "ml/encoding.hpp"

#include <cmath>
#include <fmt/format.h>

#include "graph/model.hpp"

namespace tsu::ml {

void Encoding::validate() const {
  if (pixels < 1) throw Error(fmt::format("pixels: must be >= 1, got {}", pixels));
  if (grey_levels < 1 || grey_levels > 255)
    throw Error(fmt::format("grey_levels: must be 1..255, got {}", grey_levels));
  if (!(threshold >= 0 && threshold < 1)) throw Error(fmt::format("threshold: must be in [0, 1), got {}", threshold));
  if (classes < 1) throw Error(fmt::format("classes: must be >= 1, got {}", classes));
  if (label_spots < 0) throw Error(fmt::format("label_spots: must be >= 0, got {}", label_spots));
}

void encode_label(const Encoding& e, int label, std::span<uint8_t> out) {
  for (int s = 0; s < e.label_spots; ++s)
    for (int c = 0; c < e.classes; ++c) out[size_t(s * e.classes + c)] = c == label;
}

void encode_item(const Encoding& e, std::span<const uint8_t> pixels, int label, std::span<uint8_t> out) {
  const int n = e.grey_levels;
  for (int p = 0; p < e.pixels; ++p) {
    const double value = pixels[size_t(p)] / 255.0;
    if (n == 1) {
      out[size_t(p)] = value > e.threshold;
      continue;
    }
    const int level = int(std::lround(value * n));
    for (int k = 0; k < n; ++k) out[size_t(p * n + k)] = level > k;
  }
  encode_label(e, label, out.subspan(size_t(e.image_bits())));
}

std::vector<uint8_t> encode_set(const Encoding& e, const ImageSet& set) {
  if (set.pixels_per_image() != e.pixels)
    throw Error(
        fmt::format("encoding: images have {} pixels, the encoding expects {}", set.pixels_per_image(), e.pixels));
  const size_t bits = size_t(e.bits());
  std::vector<uint8_t> out(set.size() * bits);
  for (size_t i = 0; i < set.size(); ++i)
    encode_item(e, set.image(i), set.labels[i], std::span<uint8_t>(out.data() + i * bits, bits));
  return out;
}

void decode_image(const Encoding& e, std::span<const uint8_t> bits, std::span<float> out) {
  const int n = e.grey_levels;
  for (int p = 0; p < e.pixels; ++p) {
    int on = 0;
    for (int k = 0; k < n; ++k) on += bits[size_t(p * n + k)] != 0;
    out[size_t(p)] = float(on) / float(n);
  }
}

int decode_label(const Encoding& e, std::span<const uint8_t> bits) {
  if (e.label_spots == 0) return -1;
  int best = 0, best_count = -1;
  for (int c = 0; c < e.classes; ++c) {
    int count = 0;
    for (int s = 0; s < e.label_spots; ++s) count += bits[size_t(e.image_bits() + s * e.classes + c)] != 0;
    if (count > best_count) best = c, best_count = count;
  }
  return best_count > 0 ? best : -1;
}

}  // namespace tsu::ml
