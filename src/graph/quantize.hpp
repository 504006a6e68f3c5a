// A model's weights on the grid of a B-bit DAC, as a TSU would program them: every bias, coupling and
// categorical weight becomes scale * q with q a signed integer, |q| <= 2^(B-1) - 1, and one scale
// per model (the largest |weight| maps to the top code; integer weights that fit in B bits keep
// scale 1). One scale, not one per node, because a
// chip's DACs share one reference, and because it keeps every conditional field an integer multiple
// of one unit, so that the distinct conditionals of the whole model form one finite set.
#pragma once

#include <cstdint>

#include "graph/model.hpp"

namespace tsu {

constexpr int kMinBits = 2;
constexpr int kMaxBits = 16;

// Throws Error("{option}: must be between 2 and 16, got B") unless kMinBits <= bits <= kMaxBits.
void check_bits(int bits, const char* option = "bits");

struct QuantizedModel {
  Model model;        // the weights scale * q; beta, nodes, clamps and blocks as before
  double scale = 1;   // the weight of one DAC step (1 when every weight is 0)
  int bits = 0;
  double max_error = 0;  // the largest |weight - scale * q| over the model (at most scale / 2)
};

// Rounds to nearest (halves away from zero). Integer weights that fit stay exactly as they are; a
// model quantized with these bits before keeps its weights to within rounding (max_error ~ 1e-16).
QuantizedModel quantize(const Model& model, int bits);

}  // namespace tsu
