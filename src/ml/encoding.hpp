// Images and labels as the binary visible variables of a DTM (0/1 codes, s = 2x - 1), following the
// replication (pschilliOrange/dtm-replication):
//   binarised pixels:  x = 1 iff pixel / 255 > threshold (0.1);
//   grey levels:       n "thermometer" trials per pixel, trial k = [round(pixel / 255 * n) > k];
//   labels:            one-hot over the classes, tiled `label_spots` times (spot-major).
// Variable order: pixel-major image trials (pixel p, trial k at p * n + k), then the label bits
// (spot s, class c at image_bits + s * classes + c).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ml/fashion_mnist.hpp"

namespace tsu::ml {

struct Encoding {
  int pixels = 784;
  int grey_levels = 1;     // 1: binarised at `threshold`; n > 1: n trials per pixel
  double threshold = 0.1;  // binarised only
  int classes = 10;
  int label_spots = 10;  // 0: no label variables (unconditional model only)

  int image_bits() const { return pixels * grey_levels; }
  int label_bits() const { return classes * label_spots; }
  int bits() const { return image_bits() + label_bits(); }
  void validate() const;  // throws Error naming the bad field
};

// Writes the bits of one image and label into `out` (size bits()).
void encode_item(const Encoding& e, std::span<const uint8_t> pixels, int label, std::span<uint8_t> out);
// Every item of `set`: [set.size() * bits()].
std::vector<uint8_t> encode_set(const Encoding& e, const ImageSet& set);
// The label part alone: one-hot of `label`, tiled (size label_bits()).
void encode_label(const Encoding& e, int label, std::span<uint8_t> out);

// Pixel intensities in [0, 1] of encoded bits: the fraction of each pixel's trials that are on.
void decode_image(const Encoding& e, std::span<const uint8_t> bits, std::span<float> out);
// The class whose label bits are on most often (ties to the lower class); -1 without label bits or
// when none is on.
int decode_label(const Encoding& e, std::span<const uint8_t> bits);

}  // namespace tsu::ml
