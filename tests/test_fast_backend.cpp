// The fast backend samples what the reference backend samples: the same states for the first
// sweeps (same update rule and random streams; fixed-point fields and the fp32 sigmoid only differ
// on rounding ties, absent at these seeds), the exact marginals and pair moments over long runs, for
// each of its paths (64-chain tiles, one tile split over threads, lone chains with cached fields),
// and the same samples whatever the number of threads.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "graph/blocks.hpp"
#include "graph/topology.hpp"
#include "random_models.hpp"
#include "sample/backends.hpp"
#include "sample/exact.hpp"
#include "sample/fast_kernels.hpp"

using namespace tsu;
using namespace tsu::test_models;

namespace {

using Pairs = std::vector<std::pair<int32_t, int32_t>>;

// A random pairwise model with two nodes clamped (to +1 and -1) and blocks from its classes.
struct Fixture {
  TestModel t;
  std::vector<uint8_t> clamped;
  Layout layout;
  CompiledModel cm;
};

Fixture make_fixture(int n, double j_sd, double h_sd, uint64_t seed) {
  Fixture s{random_pairwise(n, j_sd, h_sd, seed), std::vector<uint8_t>(size_t(n), 0), {}, {}};
  s.t.model.clamp.assign(size_t(n), std::nullopt);
  for (int i : {1, n - 2}) {
    s.clamped[i] = 1;
    s.t.model.clamp[i] = State(i == 1);
  }
  std::vector<std::vector<int32_t>> blocks(3);
  for (int i = 0; i < n; ++i)
    if (!s.clamped[i]) blocks[s.t.node_class[i]].push_back(i);
  std::erase_if(blocks, [](const auto& b) { return b.empty(); });
  s.layout = make_layout(s.t.model, s.clamped, blocks);
  s.cm = compile(std::make_shared<const Model>(s.t.model));
  return s;
}

std::unique_ptr<Backend> start(const Fixture& s, const std::string& kind, int chains, int threads, uint64_t seed) {
  const EngineOptions opt{chains, seed, threads, kind};
  auto backend = kind == "fast" ? make_fast_backend(s.cm, s.layout, opt)
                                           : make_reference_backend(s.cm, s.layout, opt);
  backend->set_states(initial_states(s.cm, s.layout, chains, seed, InitKind::Uniform, 1.0));
  return backend;
}

StateBatch states_of(const Backend& backend) {
  StateBatch out;
  backend.get_states(out);
  return out;
}

TEST(FastBackend, SameStatesAsReferenceSweepBySweep) {
  const Fixture s = make_fixture(24, 0.5, 0.4, 11);
  const BetaSchedule annealed{BetaSchedule::Kind::Linear, 0.3, 1.6, 6};
  for (int chains : {1, 3, 70}) {
    auto fast = start(s, "fast", chains, 2, 5);
    auto reference = start(s, "reference", chains, 2, 5);
    for (int64_t sweep = 0; sweep < 6; ++sweep) {
      fast->sweeps(1, annealed, sweep);
      reference->sweeps(1, annealed, sweep);
      ASSERT_EQ(states_of(*fast).data, states_of(*reference).data) << chains << " chains, sweep " << sweep;
    }
  }
}

// Per-chain beta factors that are powers of two scale beta exactly in both backends, so the states
// still match (the split tile is checked below).
TEST(FastBackend, SameStatesAsReferenceWithPerChainBetas) {
  const Fixture s = make_fixture(24, 0.5, 0.4, 17);
  const BetaSchedule annealed{BetaSchedule::Kind::Linear, 0.3, 1.6, 6};
  for (int chains : {3, 70}) {
    std::vector<double> factors;
    for (int c = 0; c < chains; ++c) factors.push_back(std::ldexp(1.0, c % 4 - 2));  // 1/4, 1/2, 1, 2
    auto fast = start(s, "fast", chains, 2, 5);
    auto reference = start(s, "reference", chains, 2, 5);
    fast->set_beta_factors(factors);
    reference->set_beta_factors(factors);
    fast->sweeps(6, annealed, 0);
    reference->sweeps(6, annealed, 0);
    EXPECT_EQ(states_of(*fast).data, states_of(*reference).data) << chains << " chains";
  }
}

TEST(FastBackend, RejectsBadBetaFactors) {
  const Fixture s = make_fixture(6, 0.5, 0.5, 1);
  for (auto kind : {"fast", "reference"}) {
    auto backend = start(s, kind, 4, 1, 1);
    EXPECT_THROW(backend->set_beta_factors(std::vector<double>{1, 1, 1}), Error);
    EXPECT_THROW(backend->set_beta_factors(std::vector<double>{1, 1, -0.5, 1}), Error);
    EXPECT_THROW(backend->set_beta_factors(std::vector<double>{1, NAN, 1, 1}), Error);
  }
}

// Lone chains draw the streams of up to 16 sweeps at once (one per lane, jumped ahead): a call of
// 37 sweeps, then 5, must still consume each chain's stream in order.
TEST(FastBackend, SameStatesAsReferenceInLongCalls) {
  const Fixture s = make_fixture(24, 0.5, 0.4, 16);
  const BetaSchedule annealed{BetaSchedule::Kind::Geometric, 0.2, 1.2, 40};
  for (int chains : {1, 2, 50, 70}) {
    auto fast = start(s, "fast", chains, 2, 6);
    auto reference = start(s, "reference", chains, 2, 6);
    fast->sweeps(37, annealed, 0);
    reference->sweeps(37, annealed, 0);
    EXPECT_EQ(states_of(*fast).data, states_of(*reference).data) << chains << " chains";
    fast->sweeps(5, annealed, 37);
    reference->sweeps(5, annealed, 37);
    EXPECT_EQ(states_of(*fast).data, states_of(*reference).data) << chains << " chains";
  }
}

// One tile, or one lone chain, over several threads (blocks cut into parts, a barrier after each)
// when blocks are large: a 40 x 40 G12 torus, 2 blocks of 800 nodes, 50 chains (at per-chain betas
// 1/2, 1 and 2) or 1 chain. The backend times both ways on its first calls, so the calls below mix
// split and whole sweeps, at constant and at annealed betas.
TEST(FastBackend, OneTileOrChainOnSeveralThreadsGivesTheSameStates) {
  const Model m = grid_ising(40, "G12", true, 0.6, 0.4, 3);
  const Layout layout = default_layout(m);
  const CompiledModel cm = compile(std::make_shared<const Model>(m));
  for (int chains : {50, 1}) {
    std::vector<State> first;
    for (auto [kind, threads] : {std::pair{"reference", 1}, std::pair{"fast", 1},
                                 std::pair{"fast", 2}, std::pair{"fast", 3}}) {
      const EngineOptions opt{chains, 4, threads, kind};
      auto backend =
          std::string(kind) == "fast" ? make_fast_backend(cm, layout, opt) : make_reference_backend(cm, layout, opt);
      backend->set_states(initial_states(cm, layout, chains, 4, InitKind::Uniform, 1.0));
      std::vector<double> factors;
      for (int c = 0; c < chains; ++c) factors.push_back(std::ldexp(1.0, c % 3 - 1));
      backend->set_beta_factors(factors);
      backend->sweeps(3, BetaSchedule::constant(1.0), 0);
      backend->sweeps(20, BetaSchedule::constant(0.7), 3);
      backend->sweeps(2, BetaSchedule::constant(0.9), 23);
      backend->sweeps(6, BetaSchedule{BetaSchedule::Kind::Linear, 0.3, 1.6, 6}, 0);  // a new beta every sweep
      const auto data = states_of(*backend).data;
      if (first.empty())
        first = data;
      else
        EXPECT_EQ(data, first) << chains << " chains, " << backend->name() << ", " << threads << " threads";
    }
  }
}

TEST(FastBackend, SamplesDoNotDependOnTheThreadCount) {
  const Fixture s = make_fixture(30, 0.6, 0.3, 12);
  for (int chains : {2, 64, 70, 130}) {
    std::vector<State> first;
    for (int threads : {1, 2, 3}) {
      auto fast = start(s, "fast", chains, threads, 9);
      fast->sweeps(40, BetaSchedule::constant(1.0), 0);
      const auto data = states_of(*fast).data;
      if (first.empty())
        first = data;
      else
        EXPECT_EQ(data, first) << chains << " chains, " << threads << " threads";
    }
  }
}

TEST(FastBackend, StatesRoundTripAndClampsHold) {
  const Fixture s = make_fixture(12, 0.5, 0.5, 13);
  for (int chains : {2, 70}) {
    StateBatch in(chains, 12);
    Rng rng(chains);
    for (auto& v : in.data) v = State(rng.below(2));
    auto fast = make_fast_backend(s.cm, s.layout, EngineOptions{chains, 1, 1, "fast"});
    fast->set_states(in);
    EXPECT_EQ(states_of(*fast).data, in.data);
    fast->sweeps(10, BetaSchedule::constant(1.0), 0);
    const StateBatch out = states_of(*fast);
    for (int c = 0; c < chains; ++c)
      for (int i : {1, 10}) EXPECT_EQ(out.chain(c)[i], in.chain(c)[i]) << "clamped node " << i << " moved";
  }
}

TEST(FastBackend, RejectsWhatItCannotSample) {
  const TestModel t = random_third_order(6, 0.5, 1);
  const CompiledModel cm = compile(std::make_shared<const Model>(t.model));
  const Layout layout = make_layout(t.model, std::vector<uint8_t>(6, 0));
  try {
    make_fast_backend(cm, layout, EngineOptions{4, 1, 1, "fast"});
    FAIL() << "a third-order model was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pairwise"), std::string::npos) << e.what();
  }
  const Fixture s = make_fixture(6, 0.5, 0.5, 1);
  auto fast = make_fast_backend(s.cm, s.layout, EngineOptions{4, 1, 1, "fast"});
  EXPECT_THROW(fast->set_states(StateBatch(3, 6)), Error);
  EXPECT_EQ(make_backend(s.cm, s.layout, EngineOptions{4, 1, 1, "auto"})->name(), "fast");
}

// F 2^-k (the fixed-point field) against spin_field in double, for random states: within the
// rounding of its (degree + 1) fixed-point terms, and the same after sweeps of cached updates.
TEST(FastBackend, FixedPointFieldsAreAccurateAndDoNotDrift) {
  const Fixture s = make_fixture(40, 2.0, 3.0, 14);
  const auto program = fast::compile_sweep_program(s.t.model, s.layout);
  Rng rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    fast::LoneChain chain = fast::make_lone_chain(40, 0, 1);
    for (int i = 0; i < 40; ++i) chain.spin[i] = State(rng.below(2));
    fast::refresh_fields(program, chain);
    const double beta = 0.5 * trial;
    fast::sweep_lone_chain(program, fast::StreamJump(program.positions()), chain, {&beta, 1});
    const std::vector<int32_t> cached = chain.field;
    fast::refresh_fields(program, chain);
    EXPECT_EQ(cached, chain.field);
    const std::vector<State> state(chain.spin.begin(), chain.spin.end() - 1);
    for (int32_t q = 0; q < program.positions(); ++q) {
      const double unit = std::exp2(std::round(std::log2(program.exp2_scale[q] / (-2 * M_LOG2E))));  // 2^-k
      const double terms = program.group_begin[q + 1] * 8.0 - program.group_begin[q] * 8.0 + 1;
      const double exact = spin_field(s.cm, program.order[q], state);
      EXPECT_NEAR(chain.field[q] * unit, exact, terms * unit / 2 + 1e-12 * std::abs(exact)) << "position " << q;
    }
  }
}

// Far beyond the fp32 range of 2^t the rule still gives u < p: up unless u = 0 when p underflows.
TEST(FastBackend, ExtremeFieldsDecideLikeTheExactRule) {
  const float scale = float(-2 * M_LOG2E);  // k = 0
  EXPECT_TRUE(fast::draw_up(1 << 20, scale, 0xFFFFFFFFu));
  EXPECT_FALSE(fast::draw_up(-(1 << 20), scale, 0x100u));
  EXPECT_TRUE(fast::draw_up(-(1 << 20), scale, 0xFFu));  // r = 0: u = 0 < p > 0
  EXPECT_EQ(fast::draw_up(0, scale, 0x7FFFFFFFu), true);  // u just below 1/2
  EXPECT_EQ(fast::draw_up(0, scale, 0x80000000u), false);
}

// Per-chain batch means of s_i and s_i s_j over a long run; their spread gives the standard error.
struct BatchMeans {
  std::vector<std::vector<double>> batches;  // [batch][statistic]
  std::vector<double> mean() const {
    std::vector<double> m(batches[0].size(), 0.0);
    for (const auto& b : batches)
      for (size_t k = 0; k < m.size(); ++k) m[k] += b[k] / double(batches.size());
    return m;
  }
  std::vector<double> standard_error() const {
    const auto m = mean();
    std::vector<double> se(m.size(), 0.0);
    for (const auto& b : batches)
      for (size_t k = 0; k < m.size(); ++k) se[k] += (b[k] - m[k]) * (b[k] - m[k]);
    for (double& x : se) x = std::sqrt(x / double(batches.size() - 1) / double(batches.size()));
    return se;
  }
};

BatchMeans sample_batches(Backend& backend, int nodes, const Pairs& pairs, int batches, int batch_sweeps) {
  backend.sweeps(100, BetaSchedule::constant(1.0), 0);
  BatchMeans out;
  for (int b = 0; b < batches; ++b) {
    StateBatch states;
    std::vector<std::vector<double>> sums;
    for (int sweep = 0; sweep < batch_sweeps; ++sweep) {
      backend.sweeps(1, BetaSchedule::constant(1.0), 0);
      backend.get_states(states);
      sums.resize(size_t(states.chains), std::vector<double>(size_t(nodes) + pairs.size(), 0.0));
      for (int c = 0; c < states.chains; ++c) {
        auto x = states.chain(c);
        for (int i = 0; i < nodes; ++i) sums[c][i] += spin_value(x[i]);
        for (size_t k = 0; k < pairs.size(); ++k)
          sums[c][nodes + k] += spin_value(x[pairs[k].first]) * spin_value(x[pairs[k].second]);
      }
    }
    for (auto& chain_sums : sums) {
      for (double& v : chain_sums) v /= batch_sweeps;
      out.batches.push_back(chain_sums);
    }
  }
  return out;
}

// Largest |sampled - exact| over 5 standard errors (plus 1e-3, a floor for moments whose batch means
// barely vary).
double worst_ratio(const BatchMeans& sampled, const ExactResult& exact, int nodes) {
  const auto mean = sampled.mean(), se = sampled.standard_error();
  double worst = 0;
  for (size_t k = 0; k < mean.size(); ++k) {
    const double truth = k < size_t(nodes) ? exact.marginals[k][1] - exact.marginals[k][0] : exact.pair_moments[k - nodes];
    if (k < size_t(nodes) && (exact.marginals[k][1] == 1 || exact.marginals[k][0] == 1)) continue;  // clamped
    worst = std::max(worst, std::abs(mean[k] - truth) / (5 * se[k] + 1e-3));
  }
  return worst;
}

TEST(FastBackend, MarginalsAndPairMomentsMatchExactEnumeration) {
  const Fixture s = make_fixture(11, 0.7, 0.5, 15);
  Pairs pairs;
  for (const auto& g : s.t.model.groups)
    if (g.n_spin == 2)
      for (size_t f = 0; f < g.count(); ++f) pairs.emplace_back(g.spins_of(f)[0], g.spins_of(f)[1]);
  const ExactResult exact = exact_moments(s.t.model, s.clamped, pairs, 1.0);
  const ExactResult wrong = exact_moments(s.t.model, s.clamped, pairs, 1.3);
  // Lone chains (2 chains x 60 batches) and one full tile plus a part (70 chains x 6 batches).
  for (auto [chains, batches] : {std::pair{2, 60}, std::pair{70, 6}}) {
    auto fast = start(s, "fast", chains, 1, 21);
    const BatchMeans sampled = sample_batches(*fast, 11, pairs, batches, 400);
    EXPECT_LE(worst_ratio(sampled, exact, 11), 1.0) << chains << " chains";
    EXPECT_GT(worst_ratio(sampled, wrong, 11), 1.0) << chains << " chains: cannot tell beta 1 from 1.3";
  }
}

// Chains at beta factor 1.3 sample the model at beta 1.3, the others at beta 1, on every path.
TEST(FastBackend, PerChainBetasSampleTheirOwnTemperature) {
  const Fixture s = make_fixture(11, 0.7, 0.5, 15);
  Pairs pairs;
  for (const auto& g : s.t.model.groups)
    if (g.n_spin == 2)
      for (size_t f = 0; f < g.count(); ++f) pairs.emplace_back(g.spins_of(f)[0], g.spins_of(f)[1]);
  const ExactResult at_1 = exact_moments(s.t.model, s.clamped, pairs, 1.0);
  const ExactResult at_13 = exact_moments(s.t.model, s.clamped, pairs, 1.3);
  for (auto [chains, batches] : {std::pair{2, 60}, std::pair{70, 6}}) {
    auto fast = start(s, "fast", chains, 1, 22);
    std::vector<double> factors;
    for (int c = 0; c < chains; ++c) factors.push_back(c % 2 ? 1.3 : 1.0);
    fast->set_beta_factors(factors);
    const BatchMeans sampled = sample_batches(*fast, 11, pairs, batches, 400);
    BatchMeans hot, cold;  // batches are stored batch-major, one per chain
    for (size_t k = 0; k < sampled.batches.size(); ++k) (k % chains % 2 ? cold : hot).batches.push_back(sampled.batches[k]);
    EXPECT_LE(worst_ratio(hot, at_1, 11), 1.0) << chains << " chains";
    EXPECT_LE(worst_ratio(cold, at_13, 11), 1.0) << chains << " chains";
    EXPECT_GT(worst_ratio(hot, at_13, 11), 1.0) << chains << " chains: factors ignored";
  }
}

}  // namespace
