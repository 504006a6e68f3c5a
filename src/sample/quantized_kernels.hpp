// Kernels that sample a B-bit quantized pairwise spin model exactly (graph/quantize.hpp), as a chip
// with B-bit DACs would run it. Internal to the fast backend (and its benchmarks).
//
// On the grid w = scale q (q integer), a node's field in steps, G = h + sum_j J_ij s_j, is an
// integer, so P(s = +1) = sigmoid(2 beta scale G) takes finitely many values. The rule:
//   P64(G) = that probability in 64-bit fixed point, rounded (from exp(-|x|), so that the tails
//            keep their relative precision down to 2^-64: no floor at 6e-8 as the fp32 rule has);
//   s = +1 iff U < P64(G) for a uniform 64-bit U, so P(s = +1) = P64(G) / 2^64 exactly.
// U's top 7 bits m are drawn from the chain's sweep stream: xoshiro128++ outputs, one per 4
// positions of a sweep, position q using the low 7 bits of byte q % 4. They decide alone unless
// m = P64 >> 57 (1 update in 128); then U's low 57 bits come from splitmix64 keyed by the chain and
// the update's index (sweeps done x positions + q), which needs no stream position, so any kernel
// may resolve ties in any order.
//
// In the field domain that is two thresholds per m: up iff G >= L[m + 1], a tie iff
// L[m] <= G < L[m + 1], with L[j] the least G whose P64 >> 57 is at least j. The vector kernel
// looks them up per lane (one 128-entry VPERMI2B per byte plane, the reason for 7 bits rather than
// 8: a 256-entry lookup takes two and a blend, which cost more than the ties they save); the scalar
// one compares m with P64 >> 57.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sample/fast_kernels.hpp"

namespace tsu::fast {

struct QuantizedProgram {
  SweepProgram sweep;           // compiled from the integer codes: cols, order, blocks
  double scale = 1;             // the weight of one step
  int bits = 0;
  std::vector<int32_t> base;    // [position] h - sum_j J_ij in steps
  std::vector<int32_t> weight;  // [group * 8 + slot] 2 J_ij in steps (0 for padding)
  std::vector<int32_t> reverse_weight;  // [group * 8 + slot] what a flip of the node adds to the neighbour's G
  int32_t max_field = 0;        // |G| <= max_field for every node and state
  // The vector kernel's int16 subset sums: [group * 64 + index] the up-neighbours among slots 0-4
  // (base added in a node's first group), [group * 64 + 32 + index] among slots 5-7 (index bits 3-4
  // ignored). Fields wrap modulo 2^16 on the way, so only |G| < 2^15 - 1 is needed.
  std::vector<int16_t> tables;
  bool vector_fields = false;   // max_field fits int16 (with room for L[kTieLevels] = max_field + 1)
};

// `model` already on the grid of quantize(model, bits); throws Error unless it is pairwise spin.
QuantizedProgram compile_quantized_program(const Model& model, const Layout& layout, int bits);

constexpr int kTieLevels = 128;                        // values of m
constexpr uint64_t kTieMask = (uint64_t(1) << 57) - 1;  // U's bits below m

// The rule at one beta (beta x the lane's factor).
struct Thresholds {
  double beta = 0;
  int32_t min_field = 0;                 // p64[0] is G = min_field
  std::vector<uint64_t> p64;             // [G - min_field]
  std::vector<int32_t> top;              // [G - min_field] P64 >> 57, for lone chains' vector decisions
  std::vector<int32_t> least;            // [j] L[j], j = 0..kTieLevels (max_field + 1 where none)
  // For the vector kernel: byte planes of L[m] (low byte, high byte) and of L[m + 1], m < kTieLevels.
  alignas(64) uint8_t planes[4][128] = {};
};

Thresholds make_thresholds(const QuantizedProgram& program, double beta);

// U's low 57 bits for a tie: `key` per chain (tie_key), `update` the update's index.
inline uint64_t tie_bits(uint64_t key, uint64_t update) {
  uint64_t x = key ^ (update * 0xD1B54A32D192ED03ull);
  return splitmix64(x) >> 7;
}
uint64_t tie_key(uint64_t seed, uint64_t chain);

// s = +1 for field G, U's top 7 bits m and a tie's (key, update).
// The common case is computed without a branch (its outcome is as random as m); only the rare tie
// branches, and predictably so.
inline bool quantized_up(const Thresholds& t, int32_t field, uint32_t m, uint64_t key, uint64_t update) {
  const uint64_t p = t.p64[size_t(field - t.min_field)];
  const auto top = uint32_t(p >> 57);
  bool up = m < top;
  if (__builtin_expect(m == top, 0)) up = tie_bits(key, update) < (p & kTieMask);
  return up;
}

// What a 64-chain tile needs beside its ChainTile (whose streams it draws as xoshiro128++).
struct TieState {
  uint64_t key[kTileChains] = {};  // [bit of the chain in the tile's words]
  int64_t sweeps = 0;              // sweeps done: position q of the next is update sweeps x positions + q
};

TieState make_tie_state(int first_chain, uint64_t seed);

// One sweep of the tile, every lane under `rule`: the AVX-512 kernel when the fields fit int16 (and
// the build has it), else the scalar one; both give the same samples.
void sweep_quantized_tile(const QuantizedProgram& program, ChainTile& tile, TieState& ties, const Thresholds& rule);
#if TSU_FAST_AVX512
// The AVX-512 kernel behind sweep_quantized_tile (program.vector_fields only).
void sweep_quantized_tile_vector(const QuantizedProgram& program, ChainTile& tile, TieState& ties,
                                 const Thresholds& rule);
#endif

// One tile on several threads, as TileSplit does for the fp32 rule: each block's positions are cut
// into `parts` parts, one per thread of an OpenMP team, which meet at a barrier after every block.
// Part t starts its lanes' streams from the sweep's start, jumped to the output of its first
// position, so the samples are those of sweep_quantized_tile.
struct QuantizedSplit {
  int parts = 1;
  std::vector<int32_t> bounds;    // [block * (parts + 1) + t] first position of part t (t = parts: end)
  std::vector<StreamJump> jumps;  // [block * parts + t] from the sweep's start to output bounds / 4
  // The lanes' streams at the start of a sweep, alternately in one of two buffers.
  alignas(64) uint32_t sweep_start[2][kTileVectors][4][16] = {};
};

QuantizedSplit make_quantized_split(const QuantizedProgram& program, int parts);
// Runs rules.size() sweeps (rule k for sweep k); called by every thread of an OpenMP team (`thread`
// of `threads`), which takes the parts thread, thread + threads, ... The streams start in
// split.sweep_start[0] and end in split.sweep_start[rules.size() % 2]; the caller then adds
// rules.size() to ties.sweeps. AVX-512 builds with program.vector_fields only.
void sweep_quantized_tile_part(const QuantizedProgram& program, QuantizedSplit& split, ChainTile& tile, TieState& ties,
                               std::span<const Thresholds* const> rules, int thread, int threads);
// One sweep with a rule per lane ([lane], as ChainTile's lanes), scalar.
void sweep_quantized_lanes(const QuantizedProgram& program, ChainTile& tile, TieState& ties,
                           std::span<const Thresholds* const> rules);

// A lone chain (few chains: no lanes to fill) is a LoneChain whose cached fields are G in steps,
// with its tie key and sweep count.
struct LoneTies {
  uint64_t key = 0;
  int64_t sweeps = 0;
};

// Recomputes the cached fields G from the spins (after they were set from outside).
void refresh_quantized_fields(const QuantizedProgram& program, LoneChain& chain);
// One sweep: each block's decisions first, then its flips; the samples are those of a tile lane.
// The decisions go 16 positions at a time in AVX-512 builds.
void sweep_quantized_lone(const QuantizedProgram& program, LoneChain& chain, LoneTies& ties, const Thresholds& rule);

// Pieces of sweep_quantized_lone shared with its vector form.
constexpr int32_t kFlipsAhead = 8;  // the neighbour lists of later flips are fetched while one is applied
// The chain's draws of one sweep, as bytes: position q's m is byte q & (kTieLevels - 1); 16 bytes of
// padding follow.
void draw_lone_sweep(Xoshiro128p& rng, int32_t positions, std::vector<uint32_t>& draws);
// Applies `count` flips (positions, with kFlipsAhead entries of room after them) of a block ending at `end`.
void apply_lone_flips(const QuantizedProgram& program, LoneChain& chain, int32_t* flips, int32_t count, int32_t end);
#if TSU_FAST_AVX512
void sweep_quantized_lone_vector(const QuantizedProgram& program, LoneChain& chain, LoneTies& ties,
                                 const Thresholds& rule);
#endif

}  // namespace tsu::fast
