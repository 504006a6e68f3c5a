// AVX-512 pieces shared by the fast backend's kernels (fast_kernels_avx512.cpp, the fp32 rule;
// quantized_kernels_avx512.cpp, the exact rule of a quantized model). Internal: include only from
// translation units built with TSU_FAST_AVX512.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "sample/fast_kernels.hpp"

namespace tsu::fast::simd {

struct LaneStreams {
  __m512i s[kTileVectors][4];
};

inline __m512i xoshiro_next(__m512i (&s)[4]) {
  const __m512i result = _mm512_add_epi32(s[0], s[3]);
  const __m512i t = _mm512_slli_epi32(s[1], 9);
  s[2] = _mm512_xor_si512(s[2], s[0]);
  s[3] = _mm512_xor_si512(s[3], s[1]);
  s[1] = _mm512_xor_si512(s[1], s[2]);
  s[0] = _mm512_xor_si512(s[0], s[3]);
  s[2] = _mm512_xor_si512(s[2], t);
  s[3] = _mm512_rol_epi32(s[3], 11);
  return result;
}

// The ++ scrambler on the same state (Xoshiro128p::next_plusplus), lane-wise.
inline __m512i xoshiro_next_plusplus(__m512i (&s)[4]) {
  const __m512i sum = _mm512_add_epi32(s[0], s[3]);
  const __m512i result = _mm512_add_epi32(_mm512_rol_epi32(sum, 7), s[0]);
  xoshiro_next(s);
  return result;
}

// The words of 8 (or, for a half group, 4) neighbours in one register.
inline __m512i gather8(const uint64_t* words, const int32_t* cols) {
  const __m256i lo = _mm256_setr_epi64x(int64_t(words[cols[0]]), int64_t(words[cols[1]]), int64_t(words[cols[2]]),
                                        int64_t(words[cols[3]]));
  const __m256i hi = _mm256_setr_epi64x(int64_t(words[cols[4]]), int64_t(words[cols[5]]), int64_t(words[cols[6]]),
                                        int64_t(words[cols[7]]));
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}
inline __m512i gather4(const uint64_t* words, const int32_t* cols) {
  return _mm512_zextsi256_si512(_mm256_setr_epi64x(int64_t(words[cols[0]]), int64_t(words[cols[1]]),
                                                   int64_t(words[cols[2]]), int64_t(words[cols[3]])));
}

// Byte b of the result: bit k = bit b of word k. VPERMB groups byte g of every word into qword g
// (word k at byte 7 - k), then GF2P8AFFINEQB transposes each qword as an 8 x 8 bit matrix.
struct Transposer {
  __m512i byte_order;
  __m512i select_bit = _mm512_set1_epi64(int64_t(0x8040201008040201ull));
  Transposer() {
    alignas(64) uint8_t order[64];
    for (int g = 0; g < 8; ++g)
      for (int k = 0; k < 8; ++k) order[8 * g + (7 - k)] = uint8_t(8 * k + g);
    byte_order = _mm512_load_si512(order);
  }
  __m512i operator()(__m512i words) const {
    return _mm512_gf2p8affine_epi64_epi8(select_bit, _mm512_permutexvar_epi8(byte_order, words), 0);
  }
};

// The 16 lanes' stream states `jump` outputs ahead: the GF(2) matrix applied lane-wise.
inline void jump_lanes(const StreamJump& jump, __m512i (&s)[4]) {
  __m512i out[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
  for (int bit = 0; bit < 128; ++bit) {
    const __mmask16 set = _mm512_test_epi32_mask(s[bit / 32], _mm512_set1_epi32(int32_t(1u << (bit % 32))));
    for (int w = 0; w < 4; ++w)
      out[w] = _mm512_mask_xor_epi32(out[w], set, out[w], _mm512_set1_epi32(int32_t(jump.column(bit)[w])));
  }
  for (int w = 0; w < 4; ++w) s[w] = out[w];
}

}  // namespace tsu::fast::simd
