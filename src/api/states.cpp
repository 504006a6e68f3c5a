#include "api/states.hpp"

#include <fmt/format.h>

namespace tsu::api {

namespace {

bool holds_unsigned_spins(const std::string& dtype) { return dtype == "|b1" || dtype == "|u1" || dtype == "<u2"; }

// The spin v stands for, or 0 when v is no spin of that convention.
int spin_from(double v, bool unsigned_spins) {
  if (unsigned_spins) return v == 0 ? -1 : (v == 1 || v == 255) ? 1 : 0;
  return (v == -1 || v == 1) ? int(v) : 0;
}

}  // namespace

void require_integer_array(const NpyArray& a, const std::string& source) {
  if (npy_is_float(a.dtype))
    throw Error(fmt::format("{}: dtype {} is not supported (expected an integer array: int8, uint8, int16, ...)",
                            source, a.dtype));
}

State state_code(const NpyArray& a, size_t k, const NodeKind& kind, const std::string& source, size_t row,
                 size_t node) {
  const double v = npy_value(a, k);
  if (!kind.is_spin()) {
    if (v < 0 || v >= kind.states)
      throw Error(fmt::format("{}: [{}, {}]: categorical node {} needs 0..{}, got {:.0f}", source, row, node, node,
                              kind.states - 1, v));
    return State(v);
  }
  const bool unsigned_spins = holds_unsigned_spins(a.dtype);
  const int spin = spin_from(v, unsigned_spins);
  if (spin == 0)
    throw Error(fmt::format("{}: [{}, {}]: spin node {} needs {}, got {:.0f}", source, row, node, node,
                            unsigned_spins ? "0 or 1 (or 255) in an unsigned array" : "-1 or +1", v));
  return spin_code(spin);
}

}  // namespace tsu::api
