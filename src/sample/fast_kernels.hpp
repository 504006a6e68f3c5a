// Kernels of the fast backend: a pairwise spin model compiled for the sweep, and the sweeps of one
// tile of 64 chains or of one lone chain. Internal to the fast backend (and its benchmarks).
//
// Fields are 31-bit fixed point with one scale per node: F_i = cq_i + sum over up-neighbours of
// wq_ij, where wq_ij = round(2 J_ij 2^k_i) and cq_i = round((h_i - sum_j J_ij) 2^k_i), so that
// field_i = F_i 2^-k_i. k_i is the largest shift that keeps every partial sum below 2^30; the error
// of the field is then at most (degree + 1) 2^-k_i / 2, no more than fp32 rounding of the sum. Integer
// sums are exact, so results do not depend on summation order, and cached fields never drift.
//
// The update is the engine's rule: s_i = +1 iff u < sigmoid(2 beta field_i), u = (x >> 8) 2^-24 for
// the next xoshiro128+ output x of the chain's stream, one output per free node in sweep order.
// It is evaluated in fp32 as  r (1 + 2^t) < 2^24  with r = x >> 8 and t = -2 beta log2(e) field.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "graph/blocks.hpp"
#include "graph/model.hpp"
#include "sample/rng.hpp"

// The vector kernels need AVX-512 F/BW/VBMI, GFNI and BMI2 (Zen 4, Ice Lake and later); other
// targets get portable scalar kernels that produce the same samples.
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VBMI__) && defined(__GFNI__) && defined(__BMI2__)
#define TSU_FAST_AVX512 1
#else
#define TSU_FAST_AVX512 0
#endif

namespace tsu::fast {

// Neighbours are read in groups of 8 slots (every node has at least one group); slots beyond the
// degree point at a dummy node whose spins are always 0 and carry weight 0. For each group, `tables`
// holds the 16 subset sums of the slots 0-3 and the 16 of the slots 4-7, indexed by the neighbours'
// spin bits; the node's first table also adds cq to every entry.
struct SweepProgram {
  int32_t nodes = 0;                  // model nodes; node `nodes` is the dummy
  std::vector<int32_t> order;         // free nodes in sweep order (the layout's blocks concatenated)
  std::vector<int32_t> block_end;     // position one past each block's last node
  std::vector<int32_t> cq;            // [position] fixed-point bias minus row sum
  std::vector<int16_t> shift;         // [position] k: F = field 2^k
  std::vector<float> exp2_scale;      // [position] -2 log2(e) 2^-k: times beta, turns F into t
  std::vector<int32_t> group_begin;   // [position + 1] first group of each position
  std::vector<uint8_t> last_half;     // [position] 1 when the last group uses slots 0-3 only
  std::vector<int32_t> cols;          // [group * 8 + slot] neighbour node
  std::vector<int32_t> tables;        // [group * 32 + 16 * half + bits] subset sums
  std::vector<int32_t> slot_weight;   // [group * 8 + slot] fixed-point weight (0 for padding)
  std::vector<int32_t> slot_position; // [group * 8 + slot] neighbour position; positions() if clamped
  std::vector<int32_t> reverse_weight;// [group * 8 + slot] the same coupling in the neighbour's scale

  int32_t positions() const { return int32_t(order.size()); }
};

// Throws Error unless the model is pairwise spin (biases and two-spin couplings).
SweepProgram compile_sweep_program(const Model& model, const Layout& layout);

// A jump of a fixed number of outputs along a xoshiro128+ stream. The state transition is linear
// over GF(2), so any number of steps is one 128 x 128 bit matrix, applied in ~500 operations.
class StreamJump {
 public:
  explicit StreamJump(int64_t steps);
  Xoshiro128p operator()(const Xoshiro128p& state) const;
  // The state that input bit `bit` alone becomes.
  const std::array<uint32_t, 4>& column(int bit) const { return column_[bit]; }

 private:
  std::vector<std::array<uint32_t, 4>> column_;
};

constexpr int kTileChains = 64;
constexpr int kTileVectors = 4;  // 16 fp32 lanes each

// 64 chains. Lane (v, c) (vector v, lane c) is chain `first_chain + 16 v + c` and lives in bit
// 4 c + v of each node's word: that interleaving puts the 4 lanes of one vector position next to
// each other after the bit transposition of the kernel.
struct ChainTile {
  int first_chain = 0;
  std::vector<uint64_t> words;  // [nodes + 1] spin bits (1 = +1); the dummy's word stays 0
  alignas(64) uint32_t rng[kTileVectors][4][16];  // xoshiro128+ state words s0..s3 per lane
  // Lane (v, c) runs at beta * beta_factor[v][c]: float(beta * scale) * factor, so 1 changes nothing.
  alignas(64) float beta_factor[kTileVectors][16];

  static int bit_of_lane(int lane) { return 4 * (lane % 16) + lane / 16; }
};

ChainTile make_tile(int32_t nodes, int first_chain, uint64_t seed);
void sweep_tile(const SweepProgram& program, ChainTile& tile, double beta);

// One tile on several threads: each block's positions are cut into `parts` contiguous parts, one
// per thread of an OpenMP team, which meet at a barrier after every block. Part t starts its lanes'
// streams jumped ahead to its first position, so the samples are those of sweep_tile.
struct TileSplit {
  int parts = 1;
  std::vector<int32_t> bounds;     // [block * (parts + 1) + t] first position of part t (t = parts: end)
  std::vector<StreamJump> jumps;   // [block * parts + t] from the block's first position to part t's
  // Scratch: the lanes' streams at the start of a block, alternately in one of two buffers.
  std::array<std::array<std::array<std::array<uint32_t, 16>, 4>, kTileVectors>, 2> block_start{};
};

TileSplit make_tile_split(const SweepProgram& program, int parts);
// Runs betas.size() sweeps; called by every thread of an OpenMP team (`thread` of `threads`), which
// takes the parts thread, thread + threads, ... The lanes' streams start in split.block_start[0] and
// end in split.block_start[betas.size() * blocks % 2]. TSU_FAST_AVX512 only.
void sweep_tile_part(const SweepProgram& program, TileSplit& split, ChainTile& tile, std::span<const double> betas,
                     int thread, int threads);

// One chain with cached fixed-point fields, updated when a spin flips (few chains: no lanes to fill).
// Its random stream is drawn ahead for up to kLoneSweeps sweeps at once, one sweep per SIMD lane:
// lane j starts `positions` outputs after lane j - 1 (a StreamJump), so each sweep still consumes
// the chain's own stream in order.
constexpr int kLoneSweeps = 16;

struct LoneChain {
  std::vector<uint8_t> spin;        // [node] 0/1, clamped nodes too
  std::vector<uint8_t> free_spin;   // [position] the same for the free nodes, in sweep order
  std::vector<int32_t> field;       // [position + 1] F of each free node; the last is scratch
  Xoshiro128p rng{};
  // float(beta * exp2_scale) per position for the beta of the latest sweep (NaN: none yet), so that
  // sweeps at one beta do not redo the double-precision products.
  std::vector<float> scaled_beta;
  double scaled_for = std::numeric_limits<double>::quiet_NaN();
};

LoneChain make_lone_chain(int32_t nodes, int chain, uint64_t seed);
// Recomputes every cached field from the spins (after they were set from outside).
void refresh_fields(const SweepProgram& program, LoneChain& chain);
// Runs betas.size() <= kLoneSweeps sweeps; `sweep_jump` jumps program.positions() outputs.
void sweep_lone_chain(const SweepProgram& program, const StreamJump& sweep_jump, LoneChain& chain,
                      std::span<const double> betas);

// Adds the flip of the node at `position` to its neighbours' entries of `field` ([position + 1]),
// with `reverse_weight` per slot (SweepProgram::reverse_weight, or the quantized kernels' steps).
// The sign is a factor rather than a branch: half of all flips go each way, so a branch on it would
// be mispredicted on every other flip.
inline void propagate_flip(const SweepProgram& p, const int32_t* reverse_weight, int32_t* field, int32_t position,
                           bool up) {
  const int32_t sign = up ? 1 : -1;
  const int64_t end = int64_t(p.group_begin[position + 1]) * 8;
  for (int64_t slot = int64_t(p.group_begin[position]) * 8; slot < end; slot += 8) {
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) field[p.slot_position[slot + k]] += sign * reverse_weight[slot + k];
  }
}
inline void propagate_flip(const SweepProgram& p, int32_t* field, int32_t position, bool up) {
  propagate_flip(p, p.reverse_weight.data(), field, position, up);
}

// One lone chain on several threads: each block's positions are cut into `parts` parts, one per
// thread of an OpenMP team, which meet at a barrier after every block. Two threads may flip
// neighbours of one node, so each adds its flips' field changes to its own `delta` array; the
// owner of a position folds every delta into the field before deciding it. The streams are drawn
// ahead as in sweep_lone_chain, each thread drawing a share of the positions from lanes jumped
// ahead to it. Integer fields make the result independent of the parts: the samples are those of
// sweep_lone_chain.
struct LoneSplit {
  int parts = 1;
  std::vector<int32_t> bounds;              // [block * (parts + 1) + t] first position of part t
  std::vector<int32_t> draw_bounds;         // [t] first (16-aligned) position whose stream part t draws
  std::vector<StreamJump> draw_jumps;       // [t] from position 0 to draw_bounds[t]
  std::vector<std::vector<int32_t>> delta;  // [part][position + 1] field changes not yet folded in
  std::vector<float> uniforms;              // [sweep][position] shared draw-ahead buffer
  // float(beta * exp2_scale) per position, as LoneChain::scaled_beta, kept per part: each part's
  // positions hold scaled_for[part]'s products (NaN: none yet), written only by the part's thread.
  std::vector<float> scaled_beta;
  std::vector<double> scaled_for;
};

LoneSplit make_lone_split(const SweepProgram& program, int parts);
// Runs betas.size() <= kLoneSweeps sweeps; called by every thread of an OpenMP team (`thread` of
// `threads`), which takes the parts thread, thread + threads, ... TSU_FAST_AVX512 only.
void sweep_lone_chain_part(const SweepProgram& program, const StreamJump& sweep_jump, LoneSplit& split,
                           LoneChain& chain, std::span<const double> betas, int thread, int threads);
// Adds every pending delta to the chain's fields (after a team has finished).
void fold_deltas(LoneSplit& split, LoneChain& chain);

// The scalar form of the decision, shared by the portable kernels and the tests:
// s = +1 iff r (1 + 2^t) < 2^24 with t = F * scale; an infinite 2^t with r = 0 gives +1, as u < p does.
bool draw_up(int32_t field, float scale, uint32_t random);

// Coefficients of 2^f ~ 1 + f q(f) on [0, 1), q a degree-4 near-minimax fit (relative error 1.5e-7);
// exact at f = 0, so that a zero field gives p = 1/2 exactly, as the reference's rule does.
inline constexpr float kExp2Poly[6] = {1.0f, 6.931512952e-01f, 2.401644439e-01f,
                                      5.579991266e-02f, 9.017029777e-03f, 1.867130166e-03f};

}  // namespace tsu::fast
