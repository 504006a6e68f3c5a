#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <unistd.h>

#include "random_models.hpp"
#include "sample/npy.hpp"
#include "sample/observers.hpp"

using namespace tsu;

namespace {

// Two spins and one categorical node with three states.
Model spin_spin_cat() {
  Model m;
  m.add_spin_nodes(2);
  m.add_categorical_nodes(1, 3);
  m.add_coupling(0, 1, 0.5);
  m.add_bias(1, -0.25);
  test_models::add_factor(m, {0}, {2}, {1.0, 2.0, 3.0});
  return m;
}

StateBatch batch(int chains, int nodes, std::vector<State> data) {
  StateBatch b(chains, nodes);
  b.data = std::move(data);
  return b;
}

// Sequences x_{t+1} = rho x_t + sqrt(1 - rho^2) e_t started in equilibrium: unit variance,
// autocorrelation rho^t, tau_int = (1 + rho) / (1 - rho).
void feed_ar1(AutocorrelationObserver& o, double rho, int chains, int length, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::vector<double> x(static_cast<size_t>(chains));
  for (double& v : x) v = normal(gen);
  const double noise = std::sqrt(1 - rho * rho);
  for (int t = 0; t < length; ++t) {
    o.observe_values(x);
    for (double& v : x) v = rho * v + noise * normal(gen);
  }
}

}  // namespace

TEST(Observers, MarginalsCountStatesOverChainsAndObservations) {
  const Model m = spin_spin_cat();
  MarginalObserver o(m);
  o.observe(batch(2, 3, {1, 0, 2, 1, 1, 0}), 0);
  o.observe(batch(2, 3, {0, 0, 2, 1, 0, 1}), 1);
  EXPECT_EQ(o.observations(), 2);
  const auto p = o.marginals();
  EXPECT_EQ(p[0], (std::vector<double>{0.25, 0.75}));
  EXPECT_EQ(p[1], (std::vector<double>{0.75, 0.25}));
  EXPECT_EQ(p[2], (std::vector<double>{0.25, 0.25, 0.5}));
  EXPECT_THROW(o.observe(batch(1, 2, {0, 0}), 2), Error);
}

TEST(Observers, PairMomentsOfSpins) {
  PairMomentObserver o({{0, 1}, {1, 2}, {2, 2}});
  o.observe(batch(2, 3, {1, 1, 0, 1, 0, 0}), 0);  // (+,+,-) and (+,-,-)
  o.observe(batch(2, 3, {0, 1, 1, 1, 1, 1}), 1);  // (-,+,+) and (+,+,+)
  const auto e = o.moments();
  EXPECT_DOUBLE_EQ(e[0], (1 - 1 - 1 + 1) / 4.0);
  EXPECT_DOUBLE_EQ(e[1], (-1 + 1 + 1 + 1) / 4.0);
  EXPECT_DOUBLE_EQ(e[2], 1.0);
  EXPECT_THROW(o.observe(batch(1, 2, {0, 0}), 2), Error);
}

// THRML A13: a spin stored as +1 and a categorical in state 2; the (spin, categorical) moment with
// the identity transform is 1 * 2 = 2 after one observation.
TEST(Observers, MixedSpinCategoricalMomentA13) {
  Model m;
  m.add_spin_nodes(1);
  m.add_categorical_nodes(1, 3);
  PairMomentObserver o(m, {{0, 1}, {1, 1}});
  o.observe(batch(1, 2, {1, 2}), 0);
  EXPECT_EQ(o.moments(), (std::vector<double>{2.0, 4.0}));
  o.observe(batch(1, 2, {0, 1}), 1);
  EXPECT_EQ(o.moments(), (std::vector<double>{0.5, 2.5}));
  EXPECT_THROW(PairMomentObserver(m, {{0, 2}}), Error);
}

TEST(Observers, EnergyTracesPerChain) {
  const Model m = spin_spin_cat();
  const double beta = 2.0;
  EnergyObserver o(m, beta, 1);
  const auto b0 = batch(2, 3, {1, 1, 2, 0, 1, 0});
  const auto b1 = batch(2, 3, {0, 1, 1, 0, 0, 0});
  o.observe(b0, 0);
  o.observe(b1, 1);
  // chain 0: (+,+,2): 0.5 - 0.25 + 3 ; (-,+,1): -0.5 - 0.25 - 2.  chain 1: (-,+,0): -0.5 - 0.25 - 1 ; (-,-,0): 0.5 + 0.25 - 1
  const std::vector<std::vector<double>> expected = {{-2 * 3.25, -2 * -2.75}, {-2 * -1.75, -2 * -0.25}};
  ASSERT_EQ(o.traces().size(), 2u);
  for (int c = 0; c < 2; ++c)
    for (int t = 0; t < 2; ++t) EXPECT_DOUBLE_EQ(o.traces()[c][t], expected[c][t]);
  EXPECT_DOUBLE_EQ(o.traces()[0][0], -beta * factor_sum(m, b0.chain(0)));
  const double mean = (-6.5 + 5.5 + 3.5 + 0.5) / 4;
  EXPECT_DOUBLE_EQ(o.mean(), mean);
  double var = 0;
  for (double e : {-6.5, 5.5, 3.5, 0.5}) var += (e - mean) * (e - mean) / 4;
  EXPECT_DOUBLE_EQ(o.variance(), var);
  EXPECT_DOUBLE_EQ(energy_statistic(m, beta)(b0.chain(1)), expected[1][0]);
}

// THRML A9: factors find their members by node, not by position. Spin groups S1..S3 (nodes 0..59)
// and K=3 categorical groups C1..C3 (60..119), 20 nodes each; (i) spin triples on (S3, S1, S2),
// (ii) categorical triples on (C3, C1, C2), (iii) S1 times a table over (C2, C1).
TEST(Observers, EnergyFindsFactorsByNodeA9) {
  Model m;
  m.add_spin_nodes(60);
  m.add_categorical_nodes(60, 3);
  test_models::Rng rng(9);
  auto s = [](int group, int b) { return 20 * (group - 1) + b; };
  auto c = [](int group, int b) { return 60 + 20 * (group - 1) + b; };
  for (int b = 0; b < 20; ++b) {
    test_models::add_factor(m, {s(3, b), s(1, b), s(2, b)}, {}, {rng.normal(1)});
    test_models::add_factor(m, {}, {c(3, b), c(1, b), c(2, b)}, rng.normals(27, 1));
    test_models::add_factor(m, {s(1, b)}, {c(2, b), c(1, b)}, rng.normals(9, 1));
  }
  StateBatch states(1, 120);
  for (int i = 0; i < 120; ++i) states.data[i] = State(rng.below(m.nodes[i].states));
  auto spin = [&](int i) { return double(spin_value(states.data[i])); };
  auto code = [&](int i) { return int(states.data[i]); };
  double expected = 0;
  for (int b = 0; b < 20; ++b) {
    expected -= m.groups[0].weights[b] * spin(s(3, b)) * spin(s(1, b)) * spin(s(2, b));
    expected -= m.groups[1].weights[27 * b + 9 * code(c(3, b)) + 3 * code(c(1, b)) + code(c(2, b))];
    expected -= spin(s(1, b)) * m.groups[2].weights[9 * b + 3 * code(c(2, b)) + code(c(1, b))];
  }
  EnergyObserver o(m, 1.0, 1);
  o.observe(states, 0);
  EXPECT_NEAR(o.traces()[0][0], expected, 1e-12 * std::abs(expected));
}

TEST(Observers, SampleRecorderSavesSpinsAndCategoricalsToNpy) {
  const auto dir = std::filesystem::temp_directory_path() / ("tsu_test_obs_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "samples.npy").string();

  const Model m = spin_spin_cat();
  SampleRecorder r;
  r.observe(batch(2, 3, {1, 0, 2, 0, 1, 1}), 0);
  r.observe(batch(2, 3, {0, 0, 0, 1, 1, 2}), 1);
  EXPECT_EQ(r.observations(), 2u);
  EXPECT_EQ(r.at(1, 1, 2), 2);
  r.save_npy(path, m);
  const auto a = read_npy(path);
  EXPECT_EQ(a.dtype, "|i1");
  EXPECT_EQ(a.shape, (std::vector<size_t>{2, 2, 3}));
  const std::vector<char> expected = {1, -1, 2, -1, 1, 1, -1, -1, 0, 1, 1, 2};
  EXPECT_EQ(a.bytes, expected);
  EXPECT_THROW(r.observe(batch(3, 3, std::vector<State>(9, 0)), 2), Error);
  EXPECT_THROW(r.save_npy(path, test_models::open_chain({1.0})), Error);  // 2 nodes, not 3

  // More than 128 categories need int16.
  Model wide;
  wide.add_spin_nodes(1);
  wide.add_categorical_nodes(1, 200);
  SampleRecorder w;
  w.observe(batch(1, 2, {0, 199}), 0);
  w.save_npy(path, wide);
  const auto b = read_npy(path);
  EXPECT_EQ(b.dtype, "<i2");
  EXPECT_EQ(b.bytes, (std::vector<char>{char(0xff), char(0xff), char(199), 0}));
  std::filesystem::remove_all(dir);
}

TEST(Observers, AutocorrelationOfAr1MatchesTheory) {
  // tau_int = (1 + rho) / (1 - rho). Sokal's estimate has variance ~ 2 (2M + 1) / N tau^2 for the
  // window M ~ 5 tau; its biases (window cut-off, 1/n normalisation) are below 0.01 here.
  const int chains = 128, length = 20000;
  const double n = double(chains) * length;
  for (double rho : {0.0, 0.5, 0.8}) {
    AutocorrelationObserver o("ar1", {});
    feed_ar1(o, rho, chains, length, 42 + uint64_t(rho * 10));
    const double tau = (1 + rho) / (1 - rho);
    const double window = std::max(5 * tau, 5.0);
    const double sigma = tau * std::sqrt(2 * (2 * window + 1) / n);
    EXPECT_NEAR(o.integrated_time(), tau, 5 * sigma + 0.01) << "rho " << rho;
    const auto r = o.autocorrelation(4);
    ASSERT_EQ(r.size(), 5u);
    EXPECT_EQ(r[0], 1.0);
    for (int t = 1; t <= 4; ++t) EXPECT_NEAR(r[t], std::pow(rho, t), 0.01) << "rho " << rho << " lag " << t;
  }
  // The tolerance can fail: rho = 0.78 has tau 8.1, far outside the band around 9.
  AutocorrelationObserver near("ar1", {});
  feed_ar1(near, 0.78, chains, length, 7);
  EXPECT_GT(std::abs(near.integrated_time() - 9.0), 0.5);
}

TEST(Observers, AutocorrelationEdgeCases) {
  AutocorrelationObserver o("constant", {});
  EXPECT_THROW(o.integrated_time(), Error);
  o.observe_values(std::vector<double>{1.0, 2.0});
  EXPECT_THROW(o.autocorrelation(3), Error);
  o.observe_values(std::vector<double>{1.0, 2.0});
  o.observe_values(std::vector<double>{1.0, 2.0});
  // Constant within each chain but different between chains: chains stuck apart show as
  // correlation that never decays.
  const auto stuck = o.autocorrelation(5);
  ASSERT_EQ(stuck.size(), 3u);  // lags beyond the series are left out
  EXPECT_NEAR(stuck[1], 2.0 / 3, 1e-15);
  EXPECT_NEAR(stuck[2], 1.0 / 3, 1e-15);
  EXPECT_THROW(o.observe_values(std::vector<double>{1.0}), Error);

  AutocorrelationObserver flat("flat", {});
  for (int t = 0; t < 4; ++t) flat.observe_values(std::vector<double>{3.0, 3.0});
  EXPECT_EQ(flat.autocorrelation(2), (std::vector<double>{1.0, 0.0, 0.0}));
  EXPECT_EQ(flat.integrated_time(), 1.0);
  AutocorrelationObserver tenth("tenth", {});  // 0.1 is inexact: the mean and the values differ by rounding
  for (int t = 0; t < 100; ++t) tenth.observe_values(std::vector<double>(3, 0.1));
  EXPECT_EQ(tenth.integrated_time(), 1.0);
}

TEST(Observers, StatisticsFromStates) {
  const Model m = spin_spin_cat();
  AutocorrelationObserver o("magnetization", magnetization_statistic(m));
  EXPECT_EQ(o.name(), "magnetization");
  o.observe(batch(2, 3, {1, 1, 2, 0, 1, 0}), 0);
  o.observe(batch(2, 3, {0, 0, 1, 0, 1, 0}), 1);
  EXPECT_EQ(o.series(), (std::vector<std::vector<double>>{{1.0, -1.0}, {0.0, 0.0}}));
  Model potts;
  potts.add_categorical_nodes(2, 3);
  EXPECT_THROW(magnetization_statistic(potts), Error);
}

TEST(Observers, TwoSpinPairsAndMomentsJson) {
  Model m = spin_spin_cat();
  m.add_spin_nodes(1);
  m.add_coupling(0, 3, 1.0);  // a second pure pair
  test_models::add_factor(m, {0, 1, 3}, {}, {0.5});
  EXPECT_EQ(two_spin_pairs(m), (std::vector<std::pair<int32_t, int32_t>>{{0, 1}, {0, 3}}));

  const std::vector<std::vector<double>> marginals = {{0.25, 0.75}, {1, 0}, {0.2, 0.3, 0.5}, {0.5, 0.5}};
  const auto j = moments_json(m, marginals, {0.1, -0.2});
  EXPECT_EQ(j.dump(), R"({"marginals":[0.75,0.0,[0.2,0.3,0.5],0.5],"pair_moments":[0.1,-0.2]})");
  EXPECT_THROW(moments_json(m, {{0.5, 0.5}}, {}), Error);
  EXPECT_THROW(moments_json(m, {{0.25, 0.75}, {1, 0}, {0.2, 0.8}, {0.5, 0.5}}, {}), Error);
}

namespace {

// The batch as bit planes, chain c on a scrambled bit (as the fast backend's lane order scrambles
// them), with unused bits left 0.
PackedStates pack(const StateBatch& b) {
  PackedStates p;
  p.chains = b.chains, p.nodes = b.nodes, p.words = (b.chains + 63) / 64 + 1;  // one spare word
  p.chain_of_bit.assign(size_t(p.words) * 64, -1);
  p.bits.assign(size_t(p.nodes) * size_t(p.words), 0);
  for (int c = 0; c < b.chains; ++c) {
    const size_t bit = (size_t(c) * 37) % p.chain_of_bit.size();  // 37 is odd: a permutation
    p.chain_of_bit[bit] = c;
    for (int i = 0; i < b.nodes; ++i)
      p.bits[size_t(i) * size_t(p.words) + bit / 64] |= uint64_t(b.chain(c)[size_t(i)] & 1) << (bit % 64);
  }
  return p;
}

void expect_same(const Diagnostic& a, const Diagnostic& b) {
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(a.mcse, b.mcse);
  EXPECT_TRUE(a.ess == b.ess || (std::isnan(a.ess) && std::isnan(b.ess)));
  EXPECT_TRUE(a.rhat == b.rhat || (std::isnan(a.rhat) && std::isnan(b.rhat)));
}

}  // namespace

// Reading bit planes is an optimisation only: every recorded number is the same, bit for bit, as
// from the unpacked states, diagnostics included (one node's chains disagree, so R-hat is large).
TEST(Observers, PackedStatesRecordExactlyWhatUnpackedStatesDo) {
  const Model m = test_models::random_third_order(9, 0.7, 5).model;
  const int chains = 100, observations = 37;
  MarginalObserver marginals(m), packed_marginals(m);
  PairMomentObserver pairs(m, two_spin_pairs(m)), packed_pairs(m, two_spin_pairs(m));
  FactorMomentObserver factors(m), packed_factors(m);
  EnergyObserver energy(m, 0.8, 2), packed_energy(m, 0.8, 2);
  SampleRecorder samples, packed_samples;
  AutocorrelationObserver magnet("m", magnetization_statistic(m)),
      packed_magnet("m", magnetization_statistic(m), magnetization_packed_statistic(m));
  for (auto* o : {&marginals, &packed_marginals}) o->track_diagnostics(observations);
  for (auto* o : {&factors, &packed_factors}) o->track_diagnostics(observations);
  std::vector<Observer*> unpacked{&marginals, &pairs, &factors, &energy, &samples, &magnet};
  std::vector<Observer*> packed{&packed_marginals, &packed_pairs, &packed_factors, &packed_energy, &packed_samples,
                                &packed_magnet};
  for (auto* o : packed) ASSERT_TRUE(o->reads_packed());
  std::mt19937_64 gen(11);
  StateBatch b(chains, int(m.size()));
  for (int t = 0; t < observations; ++t) {
    for (int c = 0; c < chains; ++c)
      for (size_t i = 0; i < m.size(); ++i) b.chain(c)[i] = i == 0 ? State(c % 2) : State(gen() % 3 == 0);
    for (auto* o : unpacked) o->observe(b, t);
    const PackedStates p = pack(b);
    for (auto* o : packed) o->observe_packed(p, t);
  }
  EXPECT_EQ(marginals.marginals(), packed_marginals.marginals());
  EXPECT_EQ(pairs.moments(), packed_pairs.moments());
  EXPECT_EQ(factors.moments(), packed_factors.moments());
  for (size_t k = 0; k < weight_count(m); ++k) expect_same(factors.diagnostics().at(k), packed_factors.diagnostics().at(k));
  EXPECT_EQ(energy.traces(), packed_energy.traces());
  EXPECT_EQ(samples.data(), packed_samples.data());
  EXPECT_EQ(magnet.series(), packed_magnet.series());
  for (size_t e = 0; e < m.size(); ++e) expect_same(marginals.diagnostics().at(e), packed_marginals.diagnostics().at(e));
  EXPECT_GT(marginals.diagnostics().at(0).rhat, 2.0);
  // One run reads one kind of states.
  EXPECT_THROW(packed_marginals.observe(b, observations), Error);
}

TEST(Observers, CategoricalModelsAreNotReadFromBitPlanes) {
  const Model m = spin_spin_cat();
  EXPECT_FALSE(MarginalObserver(m).reads_packed());
  EXPECT_FALSE(EnergyObserver(m, 1.0, 1).reads_packed());
  EXPECT_FALSE(FactorMomentObserver(m).reads_packed());
  EXPECT_FALSE(PairMomentObserver(m, {{0, 2}}).reads_packed());
  EXPECT_TRUE(PairMomentObserver(m, {{0, 1}}).reads_packed());
  EXPECT_FALSE(bool(magnetization_packed_statistic(m)));
}
