// The AVX-512 kernel of the quantized rule (quantized_kernels.hpp), 64 chains per tile in 16-bit lanes.
//
// Field: the 8 neighbours' words are transposed as in the fp32 kernel (byte b: the spins of the chain
// in bit b), and read as 32 words: the low byte of word w belongs to the chain in bit 2w ("even"),
// the high byte to bit 2w + 1 ("odd"). VPERMW looks up 32-entry int16 tables, so one lookup adds the
// up-neighbours among 5 slots for 32 chains: 4 lookups per 8 neighbours and 64 chains, where the
// fp32 kernel needs 8 VPERMD.
// Decision: the random bytes m are permuted into the order the thresholds are unpacked to (bytes
// 16a + r, r < 8, pair with even word 8a + r; r >= 8 with odd word 8a + r - 8), so that VPERMI2B
// lookups of the byte planes of L[m] and L[m + 1], unpacked to words, line up with the fields.
#include "sample/quantized_kernels.hpp"

#if TSU_FAST_AVX512

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "sample/fast_simd.hpp"

#include <algorithm>
#include <vector>

namespace tsu::fast {
using namespace simd;
namespace {

// The tile bit whose chain's byte lands at byte j of the permuted draws (see the header comment).
constexpr int bit_of_byte(int j) {
  const int a = j / 16, r = j % 16;
  return 2 * (8 * a + r % 8) + (r >= 8 ? 1 : 0);
}

// Selects, for byte position k of each chain's draw, the byte of stream vector v = bit % 4, lane
// c = bit / 4 (ChainTile's lane order): from vectors 0/1 by the low index, 2/3 by the high one.
struct DrawOrder {
  __m512i index[4];
  __mmask64 from_high = 0;
  DrawOrder() {
    alignas(64) uint8_t bytes[64];
    for (int k = 0; k < 4; ++k) {
      for (int j = 0; j < 64; ++j) {
        const int bit = bit_of_byte(j), v = bit % 4, c = bit / 4;
        bytes[j] = uint8_t((v % 2) << 6 | (4 * c + k));
      }
      index[k] = _mm512_load_si512(bytes);
    }
    for (int j = 0; j < 64; ++j)
      if (bit_of_byte(j) % 4 >= 2) from_high |= __mmask64(1) << j;
  }
  __m512i operator()(const __m512i (&x)[kTileVectors], int k) const {
    return _mm512_mask_blend_epi8(from_high, _mm512_permutex2var_epi8(x[0], index[k], x[1]),
                                  _mm512_permutex2var_epi8(x[2], index[k], x[3]));
  }
};

// One 128-byte plane looked up by the bytes' low 7 bits (VPERMI2B ignores bit 7).
inline __m512i lookup(const uint8_t* plane, __m512i m) {
  return _mm512_permutex2var_epi8(_mm512_load_si512(plane), m, _mm512_load_si512(plane + 64));
}

template <bool kFirst>
inline void add_group(__m512i& even, __m512i& odd, __m512i bits, const int16_t* table) {
  const __m512i low = _mm512_loadu_si512(table), high = _mm512_loadu_si512(table + 32);
  const __m512i e = _mm512_add_epi16(_mm512_permutexvar_epi16(bits, low),
                                     _mm512_permutexvar_epi16(_mm512_srli_epi16(bits, 5), high));
  const __m512i o = _mm512_add_epi16(_mm512_permutexvar_epi16(_mm512_srli_epi16(bits, 8), low),
                                     _mm512_permutexvar_epi16(_mm512_srli_epi16(bits, 13), high));
  even = kFirst ? e : _mm512_add_epi16(even, e);
  odd = kFirst ? o : _mm512_add_epi16(odd, o);
}

inline void fields(const QuantizedProgram& qp, const uint64_t* words, const Transposer& transpose, int32_t q,
                   __m512i& even, __m512i& odd) {
  const SweepProgram& p = qp.sweep;
  const int32_t first = p.group_begin[q], end = p.group_begin[q + 1];
  const int32_t full_end = end - p.last_half[q];
  for (int32_t g = first; g < end; ++g) {
    const int32_t* cols = &p.cols[size_t(g) * 8];
    const __m512i bits = transpose(g < full_end ? gather8(words, cols) : gather4(words, cols));
    const int16_t* table = &qp.tables[size_t(g) * 64];
    if (g == first)
      add_group<true>(even, odd, bits, table);
    else
      add_group<false>(even, odd, bits, table);
  }
}

// A node with tied lanes, kept until the end of its block. Recording is branch-free (every node
// writes the next record, which only a tie keeps): a branch on ties, taken by 22 % of the nodes even
// with 8-bit m (1 - (255/256)^64), was mispredicted often enough to cost a third of the sweep.
struct TieRecord {
  alignas(64) int16_t field[2][32];  // [even, odd][word lane]
  int32_t position = 0;
  uint32_t lanes[2] = {0, 0};        // tied word lanes, even and odd
};

// Decides the recorded ties of one block: U's low 57 bits against P64's, into the stored words.
void resolve_ties(const SweepProgram& p, const Thresholds& rule, const TieState& ties, uint64_t first_update,
                  const TieRecord* records, int32_t count, uint64_t* words) {
  for (const TieRecord* r = records; r != records + count; ++r) {
    uint64_t& word = words[p.order[r->position]];
    for (int parity = 0; parity < 2; ++parity)
      for (uint32_t tied = r->lanes[parity]; tied; tied &= tied - 1) {
        const int w = __builtin_ctz(tied), bit = 2 * w + parity;
        const uint64_t prob = rule.p64[size_t(r->field[parity][w] - rule.min_field)];
        const uint64_t update = first_update + uint64_t(r->position);
        word |= uint64_t(tie_bits(ties.key[bit], update) < (prob & kTieMask)) << bit;
      }
  }
}

// Positions [begin, end) of one block for all 64 lanes, with their ties; `draws` holds the lanes'
// outputs for position begin's group of 4 unless begin % 4 == 0. Inlined, so that the streams stay in
// registers (called through references, they went through memory at every step: 15-20 % slower).
[[gnu::always_inline]] inline void decide_range(const QuantizedProgram& qp, const Thresholds& rule, const TieState& ties, uint64_t first_update,
                  uint64_t* words, LaneStreams& streams, __m512i (&draws)[kTileVectors], int32_t begin, int32_t end) {
  const SweepProgram& p = qp.sweep;
  const Transposer transpose;
  const DrawOrder draw_order;
  thread_local std::vector<TieRecord> records;
  records.resize(std::max(records.size(), size_t(end - begin) + 1));
  TieRecord* const record_of = records.data();  // a thread_local in a shared library costs a call per use
  int32_t tied = 0;
  // A node's neighbours lie in other blocks, so its new word can be stored at once.
  for (int32_t q = begin; q < end; ++q) {
    if (q % 4 == 0)
      for (int v = 0; v < kTileVectors; ++v) draws[v] = xoshiro_next_plusplus(streams.s[v]);
    const __m512i m = draw_order(draws, q % 4);
    __m512i even, odd;
    fields(qp, words, transpose, q, even, odd);
    const __m512i low_lo = lookup(rule.planes[0], m), low_hi = lookup(rule.planes[1], m);
    const __m512i high_lo = lookup(rule.planes[2], m), high_hi = lookup(rule.planes[3], m);
    const __mmask32 up_even = _mm512_cmpge_epi16_mask(even, _mm512_unpacklo_epi8(high_lo, high_hi));
    const __mmask32 up_odd = _mm512_cmpge_epi16_mask(odd, _mm512_unpackhi_epi8(high_lo, high_hi));
    TieRecord& record = record_of[tied];
    record.lanes[0] = _cvtmask32_u32(_mm512_mask_cmpge_epi16_mask(~up_even, even, _mm512_unpacklo_epi8(low_lo, low_hi)));
    record.lanes[1] = _cvtmask32_u32(_mm512_mask_cmpge_epi16_mask(~up_odd, odd, _mm512_unpackhi_epi8(low_lo, low_hi)));
    record.position = q;
    _mm512_store_si512(record.field[0], even);
    _mm512_store_si512(record.field[1], odd);
    tied += (record.lanes[0] | record.lanes[1]) != 0;
    words[p.order[q]] = _pdep_u64(_cvtmask32_u32(up_even), 0x5555555555555555ull) |
                        _pdep_u64(_cvtmask32_u32(up_odd), 0xAAAAAAAAAAAAAAAAull);
  }
  resolve_ties(p, rule, ties, first_update, record_of, tied, words);
}

void load_streams(LaneStreams& streams, const uint32_t (&state)[kTileVectors][4][16]) {
  for (int v = 0; v < kTileVectors; ++v)
    for (int w = 0; w < 4; ++w) streams.s[v][w] = _mm512_load_si512(state[v][w]);
}
void store_streams(const LaneStreams& streams, uint32_t (&state)[kTileVectors][4][16]) {
  for (int v = 0; v < kTileVectors; ++v)
    for (int w = 0; w < 4; ++w) _mm512_store_si512(state[v][w], streams.s[v][w]);
}

}  // namespace

void sweep_quantized_tile_vector(const QuantizedProgram& qp, ChainTile& tile, TieState& ties,
                                 const Thresholds& rule) {
  const SweepProgram& p = qp.sweep;
  LaneStreams streams;
  load_streams(streams, tile.rng);
  const uint64_t first_update = uint64_t(ties.sweeps) * uint64_t(p.positions());
  __m512i draws[kTileVectors];
  int32_t begin = 0;
  for (const int32_t end : p.block_end) {
    decide_range(qp, rule, ties, first_update, tile.words.data(), streams, draws, begin, end);
    begin = end;
  }
  store_streams(streams, tile.rng);
  ++ties.sweeps;
}

void sweep_quantized_tile_part(const QuantizedProgram& qp, QuantizedSplit& split, ChainTile& tile, TieState& ties,
                               std::span<const Thresholds* const> rules, int thread, int threads) {
  const SweepProgram& p = qp.sweep;
  const int blocks = int(p.block_end.size());
  for (size_t sweep = 0; sweep < rules.size(); ++sweep) {
    const auto& start = split.sweep_start[sweep % 2];
    const uint64_t first_update = uint64_t(ties.sweeps + int64_t(sweep)) * uint64_t(p.positions());
    for (int b = 0; b < blocks; ++b) {
      const int32_t* bounds = &split.bounds[size_t(b) * (split.parts + 1)];
      for (int part = thread; part < split.parts; part += threads) {
        if (bounds[part] == bounds[part + 1]) continue;
        LaneStreams streams;
        load_streams(streams, start);
        __m512i draws[kTileVectors];
        for (int v = 0; v < kTileVectors; ++v) {
          jump_lanes(split.jumps[size_t(b) * split.parts + size_t(part)], streams.s[v]);
          if (bounds[part] % 4 != 0) draws[v] = xoshiro_next_plusplus(streams.s[v]);
        }
        decide_range(qp, *rules[sweep], ties, first_update, tile.words.data(), streams, draws, bounds[part],
                     bounds[part + 1]);
        if (b == blocks - 1 && bounds[part + 1] == p.positions()) store_streams(streams, split.sweep_start[(sweep + 1) % 2]);
      }
#pragma omp barrier
    }
  }
}

// Decisions 16 positions at a time: T = P64 >> 57 gathered by field (VPGATHERDD: 2.4 cycles per
// update on Zen 4, against 3.4 for VPERMI2D lookups of L[m] and L[m + 1] by m), up iff m < T, ties
// (m = T, 1 in 128) resolved at once; then the positions that flip are compressed into the flip list.
void sweep_quantized_lone_vector(const QuantizedProgram& qp, LoneChain& c, LoneTies& ties, const Thresholds& rule) {
  const SweepProgram& p = qp.sweep;
  thread_local std::vector<uint32_t> draws;
  thread_local std::vector<int32_t> flips;
  draw_lone_sweep(c.rng, p.positions(), draws);
  flips.resize(size_t(p.positions()) + 16 + kFlipsAhead);
  // Plain pointers: a thread_local in a shared library is reached through __tls_get_addr.
  int32_t* const flip_list = flips.data();
  const int32_t* const field_of = c.field.data();
  const uint8_t* const was_up_of = c.free_spin.data();
  const auto* bytes = reinterpret_cast<const uint8_t*>(draws.data());
  const uint64_t first_update = uint64_t(ties.sweeps) * uint64_t(p.positions());
  const __m512i lane_index = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i low7 = _mm512_set1_epi32(kTieLevels - 1);
  const __m512i min_field = _mm512_set1_epi32(rule.min_field);
  int32_t begin = 0;
  for (const int32_t end : p.block_end) {
    int32_t count = 0;
    for (int32_t q0 = begin; q0 < end; q0 += 16) {
      const __mmask16 lanes = __mmask16((1u << std::min(16, end - q0)) - 1);
      const __m512i field = _mm512_maskz_loadu_epi32(lanes, field_of + q0);
      const __m512i m = _mm512_and_si512(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + q0))), low7);
      const __m512i top = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), lanes, _mm512_sub_epi32(field, min_field),
                                                      rule.top.data(), 4);
      uint32_t up = _mm512_mask_cmplt_epu32_mask(lanes, m, top);
      for (uint32_t tied = _mm512_mask_cmpeq_epi32_mask(lanes, m, top); tied; tied &= tied - 1) {
        const int32_t q = q0 + __builtin_ctz(tied);
        const uint64_t prob = rule.p64[size_t(field_of[q] - rule.min_field)];
        up |= uint32_t(tie_bits(ties.key, first_update + uint64_t(q)) < (prob & kTieMask)) << (q - q0);
      }
      const __mmask16 was_up = _mm_test_epi8_mask(_mm_maskz_loadu_epi8(lanes, was_up_of + q0), _mm_set1_epi8(1));
      const __mmask16 flip = __mmask16(up) ^ was_up;
      _mm512_storeu_si512(flip_list + count, _mm512_maskz_compress_epi32(flip, _mm512_add_epi32(lane_index, _mm512_set1_epi32(q0))));
      count += __builtin_popcount(flip);
    }
    apply_lone_flips(qp, c, flip_list, count, end);
    begin = end;
  }
  ++ties.sweeps;
}

}  // namespace tsu::fast

#endif
