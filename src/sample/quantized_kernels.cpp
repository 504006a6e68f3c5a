#include "sample/quantized_kernels.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fmt/format.h>

#include "graph/quantize.hpp"

namespace tsu::fast {
namespace {

// The model with every weight replaced by its code q = w / scale (exact: w lies on the grid).
Model integer_codes(const Model& model, double scale) {
  Model codes = model;
  for (auto& g : codes.groups)
    for (double& w : g.weights) w = std::round(w / scale);
  return codes;
}

// The int16 subset sums of one group (see QuantizedProgram::tables).
void append_tables(QuantizedProgram& qp, int64_t group, int32_t base) {
  const int32_t* w = &qp.weight[size_t(group) * 8];
  for (int index = 0; index < 32; ++index) {
    int32_t sum = base;
    for (int b = 0; b < 5; ++b)
      if (index >> b & 1) sum += w[b];
    qp.tables.push_back(int16_t(uint16_t(uint32_t(sum))));  // modulo 2^16
  }
  for (int index = 0; index < 32; ++index) {
    int32_t sum = 0;
    for (int b = 0; b < 3; ++b)
      if (index >> b & 1) sum += w[5 + b];
    qp.tables.push_back(int16_t(uint16_t(uint32_t(sum))));
  }
}

// P(s = +1) = sigmoid(x) in 64-bit fixed point, rounded, saturating at 2^64 - 1.
uint64_t probability64(double x) {
  const double tail = std::exp(-std::abs(x)) / (1 + std::exp(-std::abs(x)));  // the smaller of p, 1 - p
  const auto fixed = uint64_t(std::nearbyint(std::ldexp(tail, 64)));        // <= 2^63
  if (x <= 0) return fixed;
  return fixed == 0 ? ~uint64_t(0) : uint64_t(0) - fixed;
}

}  // namespace

QuantizedProgram compile_quantized_program(const Model& model, const Layout& layout, int bits) {
  const QuantizedModel grid = quantize(model, bits);
  QuantizedProgram qp;
  qp.sweep = compile_sweep_program(integer_codes(grid.model, grid.scale), layout);
  qp.scale = grid.scale;
  qp.bits = bits;
  const SweepProgram& p = qp.sweep;
  // The fixed point of integer weights below 2^30 is exact: F = G 2^k with k >= 0.
  const auto steps = [&](int32_t fixed, int32_t q) {
    if (p.shift[q] < 0) throw Error("quantized kernel: the model's fields exceed 2^30 steps");
    return fixed >> p.shift[q];
  };
  qp.weight.resize(p.slot_weight.size());
  for (int32_t q = 0; q < p.positions(); ++q) {
    qp.base.push_back(steps(p.cq[q], q));
    int64_t bias = qp.base[q], magnitude = 0;  // h = base + sum J; |G| <= |h| + sum |J|
    for (int64_t slot = int64_t(p.group_begin[q]) * 8; slot < int64_t(p.group_begin[q + 1]) * 8; ++slot) {
      const int32_t twice = steps(p.slot_weight[size_t(slot)], q);
      qp.weight[size_t(slot)] = twice;
      bias += twice / 2;
      magnitude += std::abs(twice / 2);
    }
    qp.max_field = int32_t(std::max<int64_t>(qp.max_field, std::abs(bias) + magnitude));
  }
  for (size_t slot = 0; slot < p.reverse_weight.size(); ++slot) {
    const int32_t neighbour = p.slot_position[slot];
    qp.reverse_weight.push_back(neighbour < p.positions() ? steps(p.reverse_weight[slot], neighbour) : 0);
  }
  qp.vector_fields = qp.max_field < 32767;
  if (qp.vector_fields)
    for (int32_t q = 0; q < p.positions(); ++q)
      for (int32_t g = p.group_begin[q]; g < p.group_begin[q + 1]; ++g)
        append_tables(qp, g, g == p.group_begin[q] ? qp.base[q] : 0);
  return qp;
}

Thresholds make_thresholds(const QuantizedProgram& qp, double beta) {
  Thresholds t;
  t.beta = beta;
  t.min_field = -qp.max_field;
  const double slope = 2 * beta * qp.scale;
  for (int32_t g = -qp.max_field; g <= qp.max_field; ++g) {
    t.p64.push_back(probability64(slope * g));
    t.top.push_back(int32_t(t.p64.back() >> 57));
  }
  // P64 is non-decreasing in G, so L[j] is found by one walk up the fields.
  t.least.assign(kTieLevels + 1, qp.max_field + 1);
  t.least[0] = -qp.max_field;
  int32_t g = -qp.max_field;
  for (int j = 1; j <= kTieLevels; ++j) {
    while (g <= qp.max_field && int(t.p64[size_t(g + qp.max_field)] >> 57) < j) ++g;
    t.least[j] = g;
  }
  for (int m = 0; m < kTieLevels; ++m) {
    const auto low = uint16_t(int16_t(t.least[m])), high = uint16_t(int16_t(t.least[m + 1]));
    t.planes[0][m] = uint8_t(low), t.planes[1][m] = uint8_t(low >> 8);
    t.planes[2][m] = uint8_t(high), t.planes[3][m] = uint8_t(high >> 8);
  }
  return t;
}

QuantizedSplit make_quantized_split(const QuantizedProgram& qp, int parts) {
  QuantizedSplit split;
  split.parts = parts;
  int32_t begin = 0;
  for (const int32_t end : qp.sweep.block_end) {
    for (int t = 0; t <= parts; ++t) split.bounds.push_back(begin + int32_t(int64_t(end - begin) * t / parts));
    for (int t = 0; t < parts; ++t) split.jumps.emplace_back(split.bounds[split.bounds.size() - size_t(parts) - 1 + size_t(t)] / 4);
    begin = end;
  }
  return split;
}

uint64_t tie_key(uint64_t seed, uint64_t chain) { return derive(seed, Purpose::QuantizedTie, {chain}); }

TieState make_tie_state(int first_chain, uint64_t seed) {
  TieState s;
  for (int lane = 0; lane < kTileChains; ++lane)
    s.key[ChainTile::bit_of_lane(lane)] = tie_key(seed, uint64_t(first_chain + lane));
  return s;
}

void sweep_quantized_lanes(const QuantizedProgram& qp, ChainTile& tile, TieState& ties,
                           std::span<const Thresholds* const> rules) {
  const SweepProgram& p = qp.sweep;
  std::array<Xoshiro128p, kTileChains> rng;
  std::array<uint32_t, kTileChains> draw{};
  for (int lane = 0; lane < kTileChains; ++lane)
    for (int w = 0; w < 4; ++w) rng[lane].s[w] = tile.rng[lane / 16][w][lane % 16];
  const uint64_t first_update = uint64_t(ties.sweeps) * uint64_t(p.positions());
  for (int32_t q = 0; q < p.positions(); ++q) {
    if (q % 4 == 0)
      for (int lane = 0; lane < kTileChains; ++lane) draw[lane] = rng[lane].next_plusplus();
    uint64_t word = 0;
    for (int lane = 0; lane < kTileChains; ++lane) {
      const int bit = ChainTile::bit_of_lane(lane);
      int32_t field = qp.base[q];
      for (int64_t slot = int64_t(p.group_begin[q]) * 8; slot < int64_t(p.group_begin[q + 1]) * 8; ++slot)
        if (tile.words[p.cols[slot]] >> bit & 1) field += qp.weight[slot];
      const uint32_t m = draw[lane] >> (8 * (q % 4)) & (kTieLevels - 1);
      if (quantized_up(*rules[lane], field, m, ties.key[bit], first_update + uint64_t(q))) word |= uint64_t(1) << bit;
    }
    tile.words[p.order[q]] = word;
  }
  for (int lane = 0; lane < kTileChains; ++lane)
    for (int w = 0; w < 4; ++w) tile.rng[lane / 16][w][lane % 16] = rng[lane].s[w];
  ++ties.sweeps;
}

void refresh_quantized_fields(const QuantizedProgram& qp, LoneChain& chain) {
  const SweepProgram& p = qp.sweep;
  chain.field.assign(size_t(p.positions()) + 1, 0);
  chain.free_spin.resize(size_t(p.positions()));
  for (int32_t q = 0; q < p.positions(); ++q) {
    int32_t field = qp.base[q];
    for (int64_t slot = int64_t(p.group_begin[q]) * 8; slot < int64_t(p.group_begin[q + 1]) * 8; ++slot)
      if (chain.spin[p.cols[slot]]) field += qp.weight[slot];
    chain.field[q] = field;
    chain.free_spin[q] = chain.spin[p.order[q]];
  }
}

void draw_lone_sweep(Xoshiro128p& rng, int32_t positions, std::vector<uint32_t>& draws) {
  draws.resize(size_t(positions + 3) / 4 + 4);
  Xoshiro128p local = rng;  // in registers: the stores to `draws` could otherwise alias the state
  uint32_t* out = draws.data();
  for (int32_t k = 0; k < (positions + 3) / 4; ++k) out[k] = local.next_plusplus();
  rng = local;
}

void apply_lone_flips(const QuantizedProgram& qp, LoneChain& c, int32_t* flips, int32_t count, int32_t end) {
  const SweepProgram& p = qp.sweep;
  std::fill_n(flips + count, kFlipsAhead, end - 1);
  for (int32_t k = 0; k < count; ++k) {
    const int64_t ahead = int64_t(p.group_begin[flips[k + kFlipsAhead]]) * 8;
    __builtin_prefetch(&p.slot_position[size_t(ahead)]);
    __builtin_prefetch(&qp.reverse_weight[size_t(ahead)]);
    const int32_t q = flips[k];
    const bool now_up = !c.free_spin[q];
    c.free_spin[q] = c.spin[p.order[q]] = now_up;
    propagate_flip(p, qp.reverse_weight.data(), c.field.data(), q, now_up);
  }
}

void sweep_quantized_lone(const QuantizedProgram& qp, LoneChain& c, LoneTies& ties, const Thresholds& rule) {
#if TSU_FAST_AVX512
  return sweep_quantized_lone_vector(qp, c, ties, rule);
#endif
  const SweepProgram& p = qp.sweep;
  thread_local std::vector<uint32_t> draws;
  thread_local std::vector<int32_t> flips;
  draw_lone_sweep(c.rng, p.positions(), draws);
  flips.resize(size_t(p.positions()) + kFlipsAhead);
  const auto* m = reinterpret_cast<const uint8_t*>(draws.data());
  const uint64_t first_update = uint64_t(ties.sweeps) * uint64_t(p.positions());
  int32_t begin = 0;
  for (const int32_t end : p.block_end) {
    int32_t count = 0;  // decided before any flip is applied: a block's fields are final
    for (int32_t q = begin; q < end; ++q) {
      const bool up = quantized_up(rule, c.field[q], m[q] & (kTieLevels - 1), ties.key, first_update + uint64_t(q));
      flips[size_t(count)] = q;
      count += up != bool(c.free_spin[q]);
    }
    apply_lone_flips(qp, c, flips.data(), count, end);
    begin = end;
  }
  ++ties.sweeps;
}

#if !TSU_FAST_AVX512
void sweep_quantized_tile_part(const QuantizedProgram&, QuantizedSplit&, ChainTile&, TieState&,
                               std::span<const Thresholds* const>, int, int) {
  throw Error("sweep_quantized_tile_part: needs the AVX-512 kernels");
}
#endif

void sweep_quantized_tile(const QuantizedProgram& qp, ChainTile& tile, TieState& ties, const Thresholds& rule) {
#if TSU_FAST_AVX512
  if (qp.vector_fields) return sweep_quantized_tile_vector(qp, tile, ties, rule);
#endif
  std::array<const Thresholds*, kTileChains> rules;
  rules.fill(&rule);
  sweep_quantized_lanes(qp, tile, ties, rules);
}

}  // namespace tsu::fast
