// AVX-512 kernels of the fast backend (see fast_kernels.hpp for the arithmetic they implement).
//
// Written with intrinsics rather than Highway: the field sum rests on a bit transposition by VPERMB
// (a full-width byte permutation) and GF2P8AFFINEQB, and on VPERMD lookups of 16-entry tables;
// Highway 1.0.3 has neither of the first two. The alternative it can express, one masked add per
// coupling and 16 chains (LoadMaskBits), measured 25-35% slower on Zen 4 even with the mask loaded
// straight from memory.
//
// Field of one node for 64 chains: the words (64 chain bits) of 8 neighbours are gathered into one
// register and transposed, so that byte b holds, for the chain in bit b, the 8 neighbours' spins.
// With the tile's lane order (lane (v, c) in bit 4c + v), byte v of 32-bit lane c belongs to lane
// (v, c): shifting right by 8v (and 8v + 4) brings that chain's 4-neighbour nibbles to the low bits,
// where VPERMD looks up the precomputed sum of the up-neighbours' weights. So one VPERMD adds 4
// couplings for 16 chains.
#include "sample/fast_kernels.hpp"

#if TSU_FAST_AVX512

// GCC 12 flags its own _mm512_undefined_epi32 (a self-initialised variable) inside the intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "sample/fast_simd.hpp"

#include <algorithm>

namespace tsu::fast {
using namespace simd;
namespace {

// r = x >> 8 as fp32 (exact), the 24-bit integer behind the uniform u = r 2^-24.
inline __m512 uniform_r(__m512i x) { return _mm512_cvtepi32_ps(_mm512_srli_epi32(x, 8)); }

inline __m512 exp2_poly(__m512 t) {
  const __m512 f = _mm512_reduce_ps(t, _MM_FROUND_TO_NEG_INF);  // t - floor(t), exact
  __m512 p = _mm512_set1_ps(kExp2Poly[5]);
  for (int k = 4; k >= 0; --k) p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(kExp2Poly[k]));
  return _mm512_scalef_ps(p, t);  // p 2^floor(t)
}

// Lanes whose spin goes up: !(r (1 + 2^t) >= 2^24), so that r = 0 with 2^t = inf counts as up.
inline __mmask16 draw_up(__m512 t, __m512 r) {
  const __m512 e = exp2_poly(t);
  return _mm512_cmp_ps_mask(_mm512_fmadd_ps(r, e, r), _mm512_set1_ps(0x1p24f), _CMP_NGE_UQ);
}

// Adds the looked-up sums of one group to the 4 vectors' fields (kFirst: sets them).
template <bool kFirst, bool kHalf>
inline void add_group(__m512i (&acc)[kTileVectors], __m512i bits, const int32_t* table) {
  const __m512i low = _mm512_loadu_si512(table);
  const __m512i high = _mm512_loadu_si512(table + 16);
  for (int v = 0; v < kTileVectors; ++v) {
    const __m512i nibbles = _mm512_srli_epi32(bits, 8 * v);
    const __m512i sum = _mm512_permutexvar_epi32(nibbles, low);
    acc[v] = kFirst ? sum : _mm512_add_epi32(acc[v], sum);
    if constexpr (!kHalf)
      acc[v] = _mm512_add_epi32(acc[v], _mm512_permutexvar_epi32(_mm512_srli_epi32(nibbles, 4), high));
  }
}

// The fixed-point fields F of the node at position q for the 64 lanes.
inline void tile_fields(const SweepProgram& p, const uint64_t* words, const Transposer& transpose, int32_t q,
                        __m512i (&acc)[kTileVectors]) {
  const int32_t first = p.group_begin[q], end = p.group_begin[q + 1];
  const int32_t full_end = end - p.last_half[q];
  const int32_t* cols = &p.cols[size_t(first) * 8];
  const int32_t* table = &p.tables[size_t(first) * 32];
  if (full_end > first)
    add_group<true, false>(acc, transpose(gather8(words, cols)), table);
  else
    add_group<true, true>(acc, transpose(gather4(words, cols)), table);
  for (int32_t g = first + 1; g < full_end; ++g)
    add_group<false, false>(acc, transpose(gather8(words, cols += 8)), table += 32);
  if (full_end < end && full_end > first)
    add_group<false, true>(acc, transpose(gather4(words, cols + 8)), table + 32);
}

// The new word of the node at position q for all 64 lanes.
inline uint64_t update_tile_node(const SweepProgram& p, const uint64_t* words, const Transposer& transpose,
                                 int32_t q, float scale, const __m512 (&factor)[kTileVectors],
                                 const __m512 (&r)[kTileVectors]) {
  __m512i acc[kTileVectors];
  tile_fields(p, words, transpose, q, acc);
  const __m512 s = _mm512_set1_ps(scale);
  uint64_t word = 0;
  for (int v = 0; v < kTileVectors; ++v) {
    const __m512 lane_scale = _mm512_mul_ps(s, factor[v]);
    const __mmask16 up = draw_up(_mm512_mul_ps(_mm512_cvtepi32_ps(acc[v]), lane_scale), r[v]);
    word |= _pdep_u64(_cvtmask16_u32(up), 0x1111111111111111ull << v);
  }
  return word;
}

}  // namespace

void sweep_tile(const SweepProgram& p, ChainTile& tile, double beta) {
  const Transposer transpose;
  LaneStreams streams;
  for (int v = 0; v < kTileVectors; ++v)
    for (int w = 0; w < 4; ++w) streams.s[v][w] = _mm512_load_si512(tile.rng[v][w]);
  uint64_t* words = tile.words.data();
  __m512 factor[kTileVectors];
  for (int v = 0; v < kTileVectors; ++v) factor[v] = _mm512_load_ps(tile.beta_factor[v]);
  // A node's neighbours lie in other blocks, so its new word can be stored at once.
  for (int32_t q = 0; q < p.positions(); ++q) {
    __m512 ri[kTileVectors];
    for (int v = 0; v < kTileVectors; ++v) ri[v] = uniform_r(xoshiro_next(streams.s[v]));
    words[p.order[q]] = update_tile_node(p, words, transpose, q, float(beta * p.exp2_scale[q]), factor, ri);
  }
  for (int v = 0; v < kTileVectors; ++v)
    for (int w = 0; w < 4; ++w) _mm512_store_si512(tile.rng[v][w], streams.s[v][w]);
}

void sweep_tile_part(const SweepProgram& p, TileSplit& split, ChainTile& tile, std::span<const double> betas,
                     int thread, int threads) {
  const Transposer transpose;
  uint64_t* words = tile.words.data();
  __m512 factor[kTileVectors];
  for (int v = 0; v < kTileVectors; ++v) factor[v] = _mm512_load_ps(tile.beta_factor[v]);
  const int blocks = int(p.block_end.size());
  int64_t phase = 0;  // blocks done; the streams at the start of the next are in block_start[phase % 2]
  for (double beta : betas)
    for (int b = 0; b < blocks; ++b, ++phase) {
      const int32_t* bounds = &split.bounds[size_t(b) * (split.parts + 1)];
      for (int part = thread; part < split.parts; part += threads) {
        LaneStreams streams;
        for (int v = 0; v < kTileVectors; ++v) {
          for (int w = 0; w < 4; ++w) streams.s[v][w] = _mm512_loadu_si512(split.block_start[phase % 2][v][w].data());
          if (part > 0) jump_lanes(split.jumps[size_t(b) * split.parts + part], streams.s[v]);
        }
        for (int32_t q = bounds[part]; q < bounds[part + 1]; ++q) {
          __m512 ri[kTileVectors];
          for (int v = 0; v < kTileVectors; ++v) ri[v] = uniform_r(xoshiro_next(streams.s[v]));
          words[p.order[q]] = update_tile_node(p, words, transpose, q, float(beta * p.exp2_scale[q]), factor, ri);
        }
        if (part == split.parts - 1)
          for (int v = 0; v < kTileVectors; ++v)
            for (int w = 0; w < 4; ++w)
              _mm512_storeu_si512(split.block_start[(phase + 1) % 2][v][w].data(), streams.s[v][w]);
      }
#pragma omp barrier
    }
}

namespace {

// Transposes 16 x 16 32-bit elements: row j of the result is column j of the input.
inline void transpose16(__m512i (&x)[16]) {
  __m512i t[16];
  for (int k = 0; k < 8; ++k) {
    t[2 * k] = _mm512_unpacklo_epi32(x[2 * k], x[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_epi32(x[2 * k], x[2 * k + 1]);
  }
  for (int k = 0; k < 4; ++k) {  // x[4k + c], 128-bit block b = rows 4k..4k+3 at column 4b + c
    x[4 * k] = _mm512_unpacklo_epi64(t[4 * k], t[4 * k + 2]);
    x[4 * k + 1] = _mm512_unpackhi_epi64(t[4 * k], t[4 * k + 2]);
    x[4 * k + 2] = _mm512_unpacklo_epi64(t[4 * k + 1], t[4 * k + 3]);
    x[4 * k + 3] = _mm512_unpackhi_epi64(t[4 * k + 1], t[4 * k + 3]);
  }
  for (int c = 0; c < 4; ++c) {
    const __m512i even0 = _mm512_shuffle_i32x4(x[c], x[4 + c], 0x88), odd0 = _mm512_shuffle_i32x4(x[c], x[4 + c], 0xDD);
    const __m512i even1 = _mm512_shuffle_i32x4(x[8 + c], x[12 + c], 0x88);
    const __m512i odd1 = _mm512_shuffle_i32x4(x[8 + c], x[12 + c], 0xDD);
    t[c] = _mm512_shuffle_i32x4(even0, even1, 0x88);
    t[8 + c] = _mm512_shuffle_i32x4(even0, even1, 0xDD);
    t[4 + c] = _mm512_shuffle_i32x4(odd0, odd1, 0x88);
    t[12 + c] = _mm512_shuffle_i32x4(odd0, odd1, 0xDD);
  }
  for (int j = 0; j < 16; ++j) x[j] = t[j];
}

// float(beta * scale) for 16 positions, rounded as the scalar code rounds it.
inline __m512 beta_scale(const float* scale, __mmask16 lanes, double beta) {
  const __m512 s = _mm512_maskz_loadu_ps(lanes, scale);
  const __m512d b = _mm512_set1_pd(beta);
  const __m256 lo = _mm512_cvtpd_ps(_mm512_mul_pd(b, _mm512_cvtps_pd(_mm512_castps512_ps256(s))));
  const __m256 hi = _mm512_cvtpd_ps(_mm512_mul_pd(b, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1)))));
  return _mm512_insertf32x4(_mm512_insertf32x4(_mm512_castps256_ps512(lo), _mm256_extractf128_ps(hi, 0), 2),
                            _mm256_extractf128_ps(hi, 1), 3);
}

// float(beta * exp2_scale) for positions [begin, end) into out[begin, end).
void scale_betas(const SweepProgram& p, double beta, int32_t begin, int32_t end, float* out) {
  for (int32_t q0 = begin; q0 < end; q0 += 16) {
    const __mmask16 lanes = __mmask16((1u << std::min(16, end - q0)) - 1);
    _mm512_mask_storeu_ps(out + q0, lanes, beta_scale(&p.exp2_scale[q0], lanes, beta));
  }
}

// Positions [begin, end) of one block. Their fields are final (a block's nodes have their neighbours
// in other blocks), so all decisions are made first, 16 at a time, collecting the positions that
// flip (a few percent); then those flips are applied, their field changes added to `target`. The
// vector loads of fields so never wait behind the scattered stores of the updates, and no branch
// depends on a random decision. `pending` deltas (split chains) are folded into the fields first.
// `scaled`: float(beta * exp2_scale) of each position (scale_betas).
void decide_block(const SweepProgram& p, LoneChain& chain, const float* scaled, const float* r, int32_t begin,
                  int32_t end, std::span<std::vector<int32_t>> pending, int32_t* target) {
  thread_local std::vector<int32_t> flips;  // positions that flip
  flips.resize(size_t(p.positions()) + 16);
  int32_t* flipped = flips.data();
  const __m512i lane_index = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  int32_t count = 0;
  for (int32_t q0 = begin; q0 < end; q0 += 16) {
    const __mmask16 lanes = __mmask16((1u << std::min(16, end - q0)) - 1);
    __m512i field = _mm512_maskz_loadu_epi32(lanes, &chain.field[q0]);
    for (auto& delta : pending) {
      field = _mm512_add_epi32(field, _mm512_maskz_loadu_epi32(lanes, &delta[q0]));
      _mm512_mask_storeu_epi32(&delta[q0], lanes, _mm512_setzero_si512());
    }
    if (!pending.empty()) _mm512_mask_storeu_epi32(&chain.field[q0], lanes, field);
    const __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(field), _mm512_maskz_loadu_ps(lanes, scaled + q0));
    const __mmask16 up = draw_up(t, _mm512_maskz_loadu_ps(lanes, r + q0)) & lanes;
    const __mmask16 was_up = _mm_test_epi8_mask(_mm_maskz_loadu_epi8(lanes, &chain.free_spin[q0]), _mm_set1_epi8(1));
    const __mmask16 flip = up ^ was_up;
    const __m512i positions = _mm512_add_epi32(lane_index, _mm512_set1_epi32(q0));
    _mm512_storeu_si512(flipped + count, _mm512_maskz_compress_epi32(flip, positions));
    count += __builtin_popcount(flip);
  }
  constexpr int32_t kAhead = 8;  // the neighbour lists of later flips are fetched while this one is applied
  std::fill_n(flipped + count, kAhead, end - 1);
  for (int32_t k = 0; k < count; ++k) {
    const int64_t ahead = int64_t(p.group_begin[flipped[k + kAhead]]) * 8;
    __builtin_prefetch(&p.slot_position[ahead]);
    __builtin_prefetch(&p.reverse_weight[ahead]);
    const int32_t q = flipped[k];
    const bool now_up = !chain.free_spin[q];
    chain.free_spin[q] = chain.spin[p.order[q]] = now_up;
    propagate_flip(p, target, q, now_up);
  }
}

// The start states of the streams of `sweeps` sweeps, one per lane (the unused lanes repeat the
// first), and the chain's stream after them.
Xoshiro128p sweep_starts(const StreamJump& sweep_jump, Xoshiro128p state, int sweeps, __m512i (&lanes)[4]) {
  alignas(64) uint32_t start[4][16];
  for (int j = 0; j < kLoneSweeps; ++j) {
    for (int w = 0; w < 4; ++w) start[w][j] = j < sweeps ? state.s[w] : start[w][0];
    if (j < sweeps) state = sweep_jump(state);
  }
  for (int w = 0; w < 4; ++w) lanes[w] = _mm512_load_si512(start[w]);
  return state;
}

// r for positions [begin, end) (16-aligned) of each sweep, from lanes already at position `begin`.
void draw_uniforms(__m512i (&lanes)[4], int sweeps, int32_t begin, int32_t end, int32_t stride, float* uniforms) {
  for (int32_t q0 = begin; q0 < end; q0 += 16) {
    __m512i x[16];
    for (auto& v : x) v = _mm512_castps_si512(uniform_r(xoshiro_next(lanes)));
    transpose16(x);
    for (int j = 0; j < sweeps; ++j) _mm512_storeu_si512(&uniforms[size_t(j) * stride + q0], x[j]);
  }
}

}  // namespace

// The scalar stream is a chain of dependent steps (~1 ns per output); drawn 16 sweeps at a time in
// SIMD lanes it costs a fraction of that, plus one jump per sweep and a transposition.
void sweep_lone_chain(const SweepProgram& p, const StreamJump& sweep_jump, LoneChain& chain,
                      std::span<const double> betas) {
  const int sweeps = int(betas.size());
  const int32_t stride = (p.positions() + 15) / 16 * 16;
  thread_local std::vector<float> uniforms;  // [sweep][position] r = x >> 8
  uniforms.resize(size_t(kLoneSweeps) * stride);
  __m512i lanes[4];
  chain.rng = sweep_starts(sweep_jump, chain.rng, sweeps, lanes);
  draw_uniforms(lanes, sweeps, 0, stride, stride, uniforms.data());
  chain.scaled_beta.resize(size_t(stride));
  for (int j = 0; j < sweeps; ++j) {
    if (!(chain.scaled_for == betas[j])) {
      scale_betas(p, betas[j], 0, p.positions(), chain.scaled_beta.data());
      chain.scaled_for = betas[j];
    }
    int32_t begin = 0;
    for (int32_t end : p.block_end) {
      decide_block(p, chain, chain.scaled_beta.data(), &uniforms[size_t(j) * stride], begin, end, {},
                   chain.field.data());
      begin = end;
    }
  }
}

void sweep_lone_chain_part(const SweepProgram& p, const StreamJump& sweep_jump, LoneSplit& split, LoneChain& chain,
                           std::span<const double> betas, int thread, int threads) {
  const int sweeps = int(betas.size());
  const int32_t stride = (p.positions() + 15) / 16 * 16;
  const Xoshiro128p start = chain.rng;
  for (int part = thread; part < split.parts; part += threads) {
    __m512i lanes[4];
    sweep_starts(sweep_jump, start, sweeps, lanes);
    if (part > 0) jump_lanes(split.draw_jumps[part], lanes);
    draw_uniforms(lanes, sweeps, split.draw_bounds[part], split.draw_bounds[part + 1], stride, split.uniforms.data());
  }
#pragma omp barrier
  const int blocks = int(p.block_end.size());
  const auto part_bounds = [&](int b) { return &split.bounds[size_t(b) * (split.parts + 1)]; };
  for (int j = 0; j < sweeps; ++j) {
    for (int part = thread; part < split.parts; part += threads) {
      if (split.scaled_for[part] == betas[j]) continue;
      for (int b = 0; b < blocks; ++b)
        scale_betas(p, betas[j], part_bounds(b)[part], part_bounds(b)[part + 1], split.scaled_beta.data());
      split.scaled_for[part] = betas[j];
    }
    for (int b = 0; b < blocks; ++b) {
      const int32_t* bounds = part_bounds(b);
      for (int part = thread; part < split.parts; part += threads)
        decide_block(p, chain, split.scaled_beta.data(), &split.uniforms[size_t(j) * stride], bounds[part],
                     bounds[part + 1], split.delta, split.delta[part].data());
#pragma omp barrier
    }
  }
  if (thread == 0) {
    __m512i lanes[4];
    chain.rng = sweep_starts(sweep_jump, start, sweeps, lanes);
  }
}

}  // namespace tsu::fast

#endif
