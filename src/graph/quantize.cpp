#include "graph/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace tsu {

void check_bits(int bits, const char* option) {
  if (bits < kMinBits || bits > kMaxBits)
    throw Error(fmt::format("{}: must be between {} and {}, got {}", option, kMinBits, kMaxBits, bits));
}

QuantizedModel quantize(const Model& model, int bits) {
  check_bits(bits);
  const double top_code = double((1 << (bits - 1)) - 1);
  double largest = 0;
  bool integers = true;
  for (const auto& g : model.groups)
    for (double w : g.weights) {
      largest = std::max(largest, std::abs(w));
      integers = integers && w == std::round(w);
    }
  // Integer weights that fit are their own codes (a +-1 Max-Cut instance is sampled as it is); an
  // all-zero model is such a case, so the scale is never 0.
  const double scale = integers && largest <= top_code ? 1.0 : largest / top_code;
  QuantizedModel out{model, scale, bits, 0.0};
  for (auto& g : out.model.groups)
    for (double& w : g.weights) {
      const double q = std::clamp(std::round(w / out.scale), -top_code, top_code);
      const double on_grid = q * out.scale;
      out.max_error = std::max(out.max_error, std::abs(w - on_grid));
      w = on_grid;
    }
  return out;
}

}  // namespace tsu
