// Reading PackedStates (engine.hpp), the fast backend's bit planes of 64 chains per word, without
// unpacking them: what the observers, tempering and AIS share.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "graph/model.hpp"
#include "sample/engine.hpp"

namespace tsu {

inline const uint64_t* planes_of(const PackedStates& states, int32_t node) {
  return states.bits.data() + size_t(node) * size_t(states.words);
}

// Per word, the bits that hold a chain.
std::vector<uint64_t> used_bits(const PackedStates& states);

// The bits of word w whose chain has s_1 ... s_S = +1 for the S spins at `members`: where the number
// of -1s is even (unused bits are arbitrary).
inline uint64_t positive_products(const PackedStates& states, const int32_t* members, int spins, int w) {
  uint64_t parity = (spins & 1) ? 0 : ~uint64_t(0);
  for (int k = 0; k < spins; ++k) parity ^= planes_of(states, members[k])[w];
  return parity;
}

// factor_sum of every bit's chain, [word * 64 + bit] (unused bits arbitrary), for a model of spins
// only: summed in factor_sum's order, so the numbers are the same bit for bit. `threads` sum the
// words side by side (0 = every core).
std::vector<double> packed_factor_sums(const Model& model, const PackedStates& states, int threads);

// factor_sum of each of the backend's chains (out.size() of them), from its bit planes when it holds
// them, else from its unpacked states: the same numbers either way.
void chain_factor_sums(const Backend& backend, const Model& model, int threads, std::span<double> out);

}  // namespace tsu
