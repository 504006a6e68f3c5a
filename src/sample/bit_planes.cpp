#include "sample/bit_planes.hpp"

#include <algorithm>
#include <bit>
#include <omp.h>

namespace tsu {

std::vector<uint64_t> used_bits(const PackedStates& states) {
  std::vector<uint64_t> used(size_t(states.words), 0);
  for (size_t bit = 0; bit < states.chain_of_bit.size(); ++bit)
    if (states.chain_of_bit[bit] >= 0) used[bit / 64] |= uint64_t(1) << (bit % 64);
  return used;
}

namespace {

// Factor sums of the 64 chains of one word, lane b for bit b, in factor_sum's order: per group a
// sum over its factors, then the groups' sums added up.
void factor_sums_of_word(const Model& model, const PackedStates& states, int w, double* total) {
  std::fill_n(total, 64, 0.0);
  for (const auto& g : model.groups) {
    double group[64] = {};
    for (size_t f = 0, n = g.count(); f < n; ++f) {
      // +-weight by flipping the sign bit where the product is -1: branch-free, so it vectorises.
      const uint64_t flips = ~positive_products(states, g.spins.data() + f * size_t(g.n_spin), g.n_spin, w);
      const uint64_t weight = std::bit_cast<uint64_t>(g.weights[f]);
      for (int b = 0; b < 64; ++b) group[b] += std::bit_cast<double>(weight ^ ((flips >> b & 1) << 63));
    }
    for (int b = 0; b < 64; ++b) total[b] += group[b];
  }
}

}  // namespace

std::vector<double> packed_factor_sums(const Model& model, const PackedStates& states, int threads) {
  std::vector<double> sums(size_t(states.words) * 64);
#pragma omp parallel for schedule(static) num_threads(threads > 0 ? threads : omp_get_max_threads())
  for (int w = 0; w < states.words; ++w) factor_sums_of_word(model, states, w, sums.data() + size_t(w) * 64);
  return sums;
}

void chain_factor_sums(const Backend& backend, const Model& model, int threads, std::span<double> out) {
  if (PackedStates packed; backend.get_packed_states(packed)) {
    const auto sums = packed_factor_sums(model, packed, threads);
    for (size_t bit = 0; bit < sums.size(); ++bit)
      if (const int32_t c = packed.chain_of_bit[bit]; c >= 0) out[size_t(c)] = sums[bit];
    return;
  }
  StateBatch states(int(out.size()), int(model.size()));
  backend.get_states(states);
  for (int c = 0; c < states.chains; ++c) out[size_t(c)] = factor_sum(model, states.chain(c));
}

}  // namespace tsu
