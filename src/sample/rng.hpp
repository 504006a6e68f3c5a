// Random streams. Every chain owns its own streams, derived from (seed, chain, purpose) alone, so a
// run gives the same samples whatever the number of threads or the width of the vector unit.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace tsu {

inline uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// xoshiro128+ (Blackman & Vigna): 32-bit outputs whose top 24 bits make an fp32 uniform. Chosen
// because the same recurrence runs lane-wise in SIMD registers, one lane per chain.
struct Xoshiro128p {
  uint32_t s[4];

  static uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
  uint32_t next() {
    const uint32_t result = s[0] + s[3];
    const uint32_t t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
  // The ++ scrambler (Blackman & Vigna 2018) on the same state: every one of its 32 bits is of full
  // quality (the + scrambler's lowest bits are weak), for kernels that use all four bytes.
  uint32_t next_plusplus() {
    const uint32_t result = rotl(s[0] + s[3], 7) + s[0];
    next();
    return result;
  }
  // Uniform in [0, 1) with 24 random bits: exactly representable in fp32 and fp64.
  float uniform() { return float(next() >> 8) * 0x1p-24f; }
};

enum class Stream : uint64_t { Sweep = 0, Init = 1, Aux = 2 };

// Every consumer of randomness besides a chain's own sweep and init streams, each with its own tag,
// so that no two streams coincide when their seeds are equal. Values are fixed forever: changing one
// changes every result drawn from it.
enum class Purpose : uint64_t {
  // ml/train.cpp
  Permutation = 1, Pairs, BatchChains, PositiveChains, NegativeChains, MixingNoise, MixingChains, Projection,
  GenerateNoise = 101, GenerateChains,  // ml/generate.cpp
  ModeChains = 111, ModeDenoise,        // ml/modes.cpp
  EvalFree = 201, EvalClamped,          // ml/run.cpp
  TrainingEpoch = 301,                  // baselines: epoch e's shuffling and noise
  BernoulliSample = 302,                // baselines: the Bernoulli-means model's pixels
  BootstrapReference = 303, BootstrapGenerated,  // baselines: the metric's bootstrap resamples
  MixtureInit = 305,                    // baselines: the Bernoulli mixture's initial components
  TemperingSwap = 351,                  // sample/tempering.cpp: replica exchanges
  QuantizedTie = 361,                   // sample/quantized_kernels: the low bits of tied decisions
  Mismatch = 401, Calibration, Readout, Drift,  // hw: frozen disorder, calibration, read-out, drift
  StepGraph = 501,                      // ml: the visible placement of DTM step k
  FitPermutation = 601, FitBatch, FitPositive, FitNegative, FitPersistent, FitReconstruction,  // ml/fit.cpp
};

// The seed of an independent stream: (seed, purpose, ids...) through splitmix64, one round per tag.
inline uint64_t derive(uint64_t seed, Purpose purpose, std::initializer_list<uint64_t> ids = {}) {
  auto mix = [](uint64_t out, uint64_t tag) {
    uint64_t x = out ^ (tag * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull);
    return splitmix64(x);
  };
  uint64_t x = seed;
  uint64_t out = mix(splitmix64(x), uint64_t(purpose));
  for (uint64_t id : ids) out = mix(out, id);
  return out;
}

inline Xoshiro128p chain_stream(uint64_t seed, uint64_t chain, Stream purpose = Stream::Sweep) {
  uint64_t x = seed;
  splitmix64(x);
  x ^= chain * 0xD1B54A32D192ED03ull + uint64_t(purpose) * 0x8CB92BA72F3D8DD7ull;
  uint64_t a = splitmix64(x), b = splitmix64(x);
  Xoshiro128p r{{uint32_t(a), uint32_t(a >> 32), uint32_t(b), uint32_t(b >> 32)}};
  if ((r.s[0] | r.s[1] | r.s[2] | r.s[3]) == 0) r.s[0] = 1;  // the all-zero state is a fixed point
  return r;
}

}  // namespace tsu
