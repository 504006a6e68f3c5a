// The exact rule of a quantized model (sample/quantized_kernels.hpp): the vector kernel gives the
// scalar kernel's samples, the moments are the quantized model's by enumeration on several block
// layouts with clamps, extreme conditionals are sampled at their rate (no floor), and the samples
// do not depend on the thread count or on how the chains are cut into runs.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <fmt/format.h>

#include "api/exact.hpp"
#include "api/model.hpp"
#include "graph/blocks.hpp"
#include "graph/quantize.hpp"
#include "graph/topology.hpp"
#include "random_models.hpp"
#include "sample/backends.hpp"
#include "sample/quantized_kernels.hpp"

namespace tsu {
namespace {

using fast::ChainTile;

// Random spins in every chain's free and clamped nodes (the dummy's word stays 0).
void randomise(ChainTile& tile, uint64_t seed) {
  uint64_t x = seed;
  for (size_t i = 0; i + 1 < tile.words.size(); ++i) tile.words[i] = splitmix64(x);
}

void expect_same_tiles(const ChainTile& a, const ChainTile& b, const std::string& what) {
  ASSERT_EQ(a.words, b.words) << what;
  for (int v = 0; v < fast::kTileVectors; ++v)
    for (int w = 0; w < 4; ++w)
      for (int c = 0; c < 16; ++c) ASSERT_EQ(a.rng[v][w][c], b.rng[v][w][c]) << what;
}

// Every beta from one where most fields decide on the first byte to one where almost every update
// is a tie at m = 0 or 127 (saturated probabilities), and every group shape: dense rows (several
// full groups), a 12-neighbour grid (a half group) and isolated nodes.
TEST(QuantizedKernels, VectorKernelGivesTheScalarKernelsSamples) {
  if (!TSU_FAST_AVX512) GTEST_SKIP() << "this build has only the scalar kernel";
  Model dense = test_models::random_pairwise(40, 0.6, 0.4, 3).model;
  dense.clamp.assign(dense.size(), std::nullopt);
  dense.clamp[5] = State(1);
  Model grid = *model_from_spec("grid:22:G12", 1.0, 1.0, 4);
  Model isolated;
  isolated.add_spin_nodes(20);
  for (int i = 0; i < 20; ++i) isolated.add_bias(i, 0.1 * (i - 10));
  for (const auto& [name, model] : {std::pair{"dense", dense}, std::pair{"grid", grid}, std::pair{"isolated", isolated}})
    for (int bits : {3, 8, 12})
      for (double beta : {0.05, 0.7, 6.0}) {
        const auto qp = fast::compile_quantized_program(quantize(model, bits).model, default_layout(model), bits);
        ASSERT_TRUE(qp.vector_fields);
        const fast::Thresholds rule = fast::make_thresholds(qp, beta);
        std::array<const fast::Thresholds*, fast::kTileChains> rules;
        rules.fill(&rule);
        ChainTile vector = fast::make_tile(int32_t(model.size()), 64, 11), scalar = vector;
        randomise(vector, 17);
        scalar.words = vector.words;
        fast::TieState vector_ties = fast::make_tie_state(64, 11), scalar_ties = vector_ties;
        for (int sweep = 0; sweep < 6; ++sweep) {
          fast::sweep_quantized_tile(qp, vector, vector_ties, rule);
          fast::sweep_quantized_lanes(qp, scalar, scalar_ties, rules);
          expect_same_tiles(vector, scalar, fmt::format("{} {} bits beta {} sweep {}", name, bits, beta, sweep));
        }
        EXPECT_EQ(vector_ties.sweeps, 6);
      }
}

// The rule itself: thresholds agree with P64 for every byte, and P64 keeps tiny tails.
TEST(QuantizedKernels, ThresholdsAreThoseOfTheSixtyFourBitProbabilities) {
  Model m;
  m.add_spin_nodes(2);
  m.add_bias(0, 100);
  m.add_coupling(0, 1, -37);
  const auto qp = fast::compile_quantized_program(m, default_layout(m), 8);
  ASSERT_EQ(qp.scale, 1.0);
  EXPECT_EQ(qp.max_field, 137);
  const fast::Thresholds t = fast::make_thresholds(qp, 0.05);
  for (int32_t g = -137; g <= 137; ++g) {
    const uint64_t p = t.p64[size_t(g + 137)];
    const double exact = 1 / (1 + std::exp(-0.1 * g));
    EXPECT_NEAR(std::ldexp(double(p), -64), exact, 1e-15 * std::max(exact, 1e-300) + 1e-19) << g;
    for (int m7 = 0; m7 < fast::kTieLevels; ++m7) {
      const bool up = g >= t.least[size_t(m7) + 1], tie = !up && g >= t.least[size_t(m7)];
      EXPECT_EQ(up, m7 < int(p >> 57)) << g << " " << m7;
      EXPECT_EQ(tie, m7 == int(p >> 57)) << g << " " << m7;
    }
  }
}

// 32 nodes at P(up) = 1.0e-12 and 32 at 1.0e-3, in one tile. The fp32 rule's 24-bit uniform would
// sample the first as 6e-8 (about 60 ups in 1e9 draws); the exact rule expects 0.001. The second
// is checked against its rate within 5 binomial standard errors.
TEST(QuantizedKernels, ExtremeConditionalsAreSampledAtTheirRateWithoutAFloor) {
  constexpr double kBeta = 0.0005;  // 2 beta h: -27.631 (p = 1.0e-12) and -6.907 (p = 1.0e-3)
  Model m;
  m.add_spin_nodes(64);
  for (int i = 0; i < 64; ++i) m.add_bias(i, i < 32 ? -27631 : -6907);
  const auto qp = fast::compile_quantized_program(m, default_layout(m), 16);
  ASSERT_EQ(qp.scale, 1.0);
  const fast::Thresholds rule = fast::make_thresholds(qp, kBeta);
  ChainTile tile = fast::make_tile(64, 0, 2);
  fast::TieState ties = fast::make_tie_state(0, 2);
  const int64_t sweeps = TSU_FAST_AVX512 ? 500'000 : 50'000;
  int64_t rare = 0, common = 0;
  for (int64_t s = 0; s < sweeps; ++s) {
    fast::sweep_quantized_tile(qp, tile, ties, rule);
    for (int i = 0; i < 64; ++i) (i < 32 ? rare : common) += std::popcount(tile.words[size_t(i)]);
  }
  const double draws = double(sweeps) * 32 * 64;
  const double p_rare = 1 / (1 + std::exp(27.631)), p_common = 1 / (1 + std::exp(6.907));
  EXPECT_LT(p_rare * draws, 0.01);
  EXPECT_EQ(rare, 0) << "in " << draws << " draws at p = " << p_rare;
  EXPECT_NEAR(double(common), p_common * draws, 5 * std::sqrt(p_common * draws)) << draws << " draws";
}

// 20,000 chains, one observation after 100 sweeps, against exact enumeration of the 6-bit model, on
// the automatic colouring and on one node per block, with a clamped node: 5 standard errors of a
// marginal (0.5 / sqrt(20000)) bound each comparison. The unquantized model lies further away.
TEST(QuantizedKernels, MomentsAreTheQuantizedModelsOnSeveralLayoutsWithClamps) {
  Model given = test_models::random_pairwise(12, 0.9, 0.6, 8).model;
  given.clamp.assign(given.size(), std::nullopt);
  given.clamp[4] = State(0);
  const auto quantized = std::make_shared<const Model>(quantize(given, 3).model);
  const api::ExactResult exact = api::exact(quantized);
  const api::ExactResult unquantized = api::exact(std::make_shared<const Model>(given));
  const CompiledModel cm = compile(quantized);
  std::vector<std::vector<int32_t>> one_per_block;
  for (int32_t i = 0; i < int32_t(given.size()); ++i)
    if (i != 4) one_per_block.push_back({i});
  const Layout sequential = make_layout(*quantized, default_layout(*quantized).clamped, one_per_block);
  for (const auto& [name, layout] : {std::pair{"colouring", default_layout(*quantized)}, std::pair{"sequential", sequential}}) {
    constexpr int kChains = 20000;
    auto backend = make_backend(cm, layout, EngineOptions{kChains, 3, 0, "fast", 0, 3});
    backend->set_states(initial_states(cm, layout, kChains, 3, InitKind::Uniform, 1.0));
    backend->sweeps(100, BetaSchedule::constant(quantized->beta), 0);
    StateBatch states;
    backend->get_states(states);
    const double tolerance = 5 * 0.5 / std::sqrt(double(kChains));
    double gap = 0;
    for (size_t i = 0; i < given.size(); ++i) {
      double up = 0;
      for (int c = 0; c < kChains; ++c) up += states.chain(c)[i];
      up /= kChains;
      EXPECT_NEAR(up, exact.marginals[i][1], tolerance) << name << " node " << i;
      gap = std::max(gap, std::abs(up - unquantized.marginals[i][1]));
    }
    EXPECT_GT(gap, 3 * tolerance) << name << ": the test cannot tell the quantized model from the given one";
  }
}

// 130 chains (two full tiles and a partial one) on 1 and 2 threads, and as two runs over chain
// ranges [0, 64) and [64, 130): the same states after 30 sweeps at one beta and 150 annealed ones.
// 5 chains run as lone chains with cached fields, and give the tiles' first 5 chains.
TEST(QuantizedKernels, SamplesDoNotDependOnThreadsOrChainRanges) {
  const auto model = std::make_shared<const Model>(quantize(*model_from_spec("grid:10:G8", 1.0, 1.0, 5), 8).model);
  const CompiledModel cm = compile(model);
  const Layout layout = default_layout(*model);
  // Annealed over 150 sweeps, so that more betas are met than the backend keeps rules for.
  const BetaSchedule annealed{BetaSchedule::Kind::Linear, 0.2, 1.5, 150};
  auto run = [&](int chains, int threads, int64_t first_chain) {
    auto backend = make_backend(cm, layout, EngineOptions{chains, 9, threads, "fast", first_chain, 8});
    backend->set_states(initial_states(cm, layout, chains, 9, InitKind::Uniform, 1.0, first_chain));
    backend->sweeps(30, BetaSchedule::constant(0.8), 0);
    backend->sweeps(150, annealed, 0);
    StateBatch states;
    backend->get_states(states);
    return states.data;
  };
  const auto one = run(130, 1, 0);
  EXPECT_EQ(run(130, 2, 0), one);
  auto parts = run(64, 1, 0);
  const auto rest = run(66, 2, 64);
  parts.insert(parts.end(), rest.begin(), rest.end());
  EXPECT_EQ(parts, one);
  const auto lone = run(5, 2, 0);
  EXPECT_EQ(lone, std::vector<State>(one.begin(), one.begin() + std::ptrdiff_t(lone.size())));
}

// One tile cut into parts over 2 threads (the split needs >= 256 positions per part and block):
// the states of 1 thread, through a constant and an annealed schedule.
TEST(QuantizedKernels, ASplitTileGivesTheSamplesOfOneThread) {
  const auto model = std::make_shared<const Model>(quantize(*model_from_spec("grid:64:G8", 1.0, 1.0, 6), 8).model);
  const CompiledModel cm = compile(model);
  const Layout layout = default_layout(*model);
  auto run = [&](int threads) {
    auto backend = make_backend(cm, layout, EngineOptions{64, 4, threads, "fast", 0, 8});
    backend->set_states(initial_states(cm, layout, 64, 4, InitKind::Uniform, 1.0));
    for (int call = 0; call < 20; ++call) backend->sweeps(3, BetaSchedule{BetaSchedule::Kind::Linear, 0.3, 1.2, 60}, 3 * call);
    StateBatch states;
    backend->get_states(states);
    return states.data;
  };
  EXPECT_EQ(run(2), run(1));
}

}  // namespace
}  // namespace tsu
