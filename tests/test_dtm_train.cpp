// DTM training: the step graph, the moment observer, the contrastive gradient against finite
// differences of the exact conditional NLL, sampled moments against exact enumeration, the
// total-correlation gradient, Adam, the learning-rate schedule, the ACP controllers, the mixing
// statistic, and checkpoint resume.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <map>
#include <set>
#include <vector>

#include "error_of.hpp"
#include "graph/quantize.hpp"
#include "ml/dtm.hpp"
#include "ml/generate.hpp"
#include "ml/mixing.hpp"
#include "ml/modes.hpp"
#include "ml/moments.hpp"
#include "ml/optim.hpp"
#include "ml/train.hpp"
#include "sample/engine.hpp"
#include "sample/exact.hpp"
#include "sample/observers.hpp"
#include "util/files.hpp"

namespace fs = std::filesystem;
using namespace tsu::ml;
using tsu::State;

namespace {

// A DTM small enough to enumerate: 4 x 4 open grid (nearest neighbours), 4 visible pixels (28 x 28
// pooled by 14), no labels, T = 2 so that step 0 has an input.
DtmConfig enumerable_config() {
  DtmConfig c;
  c.data.pool = 14;
  c.data.encoding.pixels = 4;
  c.data.encoding.label_spots = 0;
  c.graph = {4, "G8", false};
  c.diffusion.steps = 2;
  c.training.beta = 1.3;
  return c;
}

// The same pixels with 2 tied grey-level trials each on a 3 x 3 grid: 9 sites and 4 copies.
DtmConfig enumerable_tied_config() {
  DtmConfig c = enumerable_config();
  c.data.encoding.grey_levels = 2;
  c.data.tied_trials = true;
  c.graph = {3, "G8", false};
  return c;
}

std::vector<double> random_theta(size_t n, uint64_t seed, double sd) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0, sd);
  std::vector<double> v(n);
  for (double& x : v) x = normal(gen);
  return v;
}

struct ExactPhase {
  double log_z = 0;
  PhaseMoments moments;
};

// Exact moments of step k's parameters (cells, then tied onto the sites and grid edges) with the
// inputs (and, if `target` is given, the visible variables) clamped.
ExactPhase exact_phase(const StepGraph& g, std::span<const double> theta, double beta,
                       const std::vector<uint8_t>& input, const std::vector<uint8_t>* target) {
  const size_t edges = g.edges().size();
  auto shared = g.model(theta.first(edges), theta.subspan(edges), beta);
  tsu::Model m = *shared;
  m.clamp.assign(m.size(), std::nullopt);
  std::vector<uint8_t> mask(m.size(), 0);
  for (int v = 0; v < g.inputs(); ++v) {
    m.clamp[size_t(g.input_node(v))] = input[size_t(v)];
    mask[size_t(g.input_node(v))] = 1;
  }
  if (target)
    for (int v = 0; v < g.visible(); ++v) {
      m.clamp[size_t(g.visible_node(v))] = (*target)[size_t(v)];
      mask[size_t(g.visible_node(v))] = 1;
    }
  std::vector<std::pair<int32_t, int32_t>> pairs;
  for (const auto& e : g.cell_edges()) pairs.emplace_back(e.a, e.b);
  const auto r = tsu::exact_moments(m, mask, pairs, beta);
  ExactPhase out;
  out.log_z = r.log_z;
  PhaseMoments cells;
  for (int i = 0; i < g.cells(); ++i) cells.site.push_back(2 * r.marginals[size_t(i)][1] - 1);
  cells.edge = r.pair_moments;
  out.moments = g.tie(std::move(cells));
  return out;
}

double exact_nll(const StepGraph& g, std::span<const double> theta, double beta, const std::vector<uint8_t>& target,
                 const std::vector<uint8_t>& input) {
  return exact_phase(g, theta, beta, input, nullptr).log_z - exact_phase(g, theta, beta, input, &target).log_z;
}

double five_sigma(double mean_of_pm1, double n) {
  return 5.0 * std::sqrt(std::max(1 - mean_of_pm1 * mean_of_pm1, 1e-3) / n);
}

// A small synthetic data set (28 x 28) with class-dependent stripes, for the fast training tests.
tsu::ml::ImageSet synthetic_images(size_t count, uint64_t seed) {
  std::mt19937_64 gen(seed);
  tsu::ml::ImageSet set;
  set.rows = set.cols = 28;
  for (size_t i = 0; i < count; ++i) {
    const int label = int(gen() % 10);
    set.labels.push_back(uint8_t(label));
    for (int p = 0; p < 28 * 28; ++p)
      set.pixels.push_back(uint8_t(((p / 28) % 10 < label) ^ (gen() % 10 == 0) ? 255 : 0));
  }
  return set;
}

DtmConfig small_training_config() {
  DtmConfig c;
  c.seed = 5;
  c.data.pool = 14;
  c.data.encoding.pixels = 4;
  c.data.encoding.label_spots = 1;
  c.graph = {10, "G8", true};
  c.diffusion.steps = 2;
  c.training.batch = 8;
  c.training.chain = {6, 3, 2};
  c.training.learning_rate = 0.05;
  c.training.decay_epochs = 2;
  c.penalty.tc = 0.01;  // the TC penalty from the first epoch; ACP then adapts it
  c.penalty.acp = {true, AcpVariant::Replication, 0.016, 0.001, 0.2};
  c.mixing.images = 4;
  c.mixing.chains_per_image = 2;
  c.mixing.chain = {4, 16, 1};
  c.mixing.dims = 4;
  c.eval.every = 0;
  return c;
}

}  // namespace

TEST(StepGraph, PlacesVisibleNodesOnOneColour) {
  const StepGraph g({70, "G12", true}, 884, 0.6, 3);
  EXPECT_EQ(g.sites(), 4900);
  EXPECT_EQ(g.edges().size(), 29400u);  // N d / 2
  EXPECT_EQ(g.nodes(), 4900 + 884);
  std::set<int32_t> distinct(g.visible_sites().begin(), g.visible_sites().end());
  EXPECT_EQ(distinct.size(), 884u);
  for (int32_t s : g.visible_sites()) EXPECT_EQ(g.colour(s), 0);
  for (const auto& e : g.edges()) EXPECT_NE(g.colour(e.a), g.colour(e.b));
  EXPECT_EQ(g.positive_layout().free_count(), size_t(4900 - 884));
  EXPECT_EQ(g.negative_layout().free_count(), 4900u);
  EXPECT_EQ(g.negative_layout().blocks.size(), 2u);
  const StepGraph last({70, "G12", true}, 884, 0.0, 3);  // the noisiest step has no input nodes
  EXPECT_EQ(last.nodes(), 4900);
  EXPECT_EQ(StepGraph({70, "G12", true}, 884, 0.6, 3).visible_sites(), g.visible_sites());
  EXPECT_NE(StepGraph({70, "G12", true}, 884, 0.6, 4).visible_sites(), g.visible_sites());
  EXPECT_THROW(StepGraph({10, "G8", true}, 51, 0.5, 1), tsu::Error);  // only 50 sites per colour
}

TEST(StepGraph, ModelHoldsParametersAndInputCouplings) {
  const StepGraph g({4, "G8", false}, 3, 0.7, 1);
  std::vector<double> w(g.edges().size(), 0.25), h(size_t(g.sites()), -0.5);
  const auto m = g.model(w, h, 2.0);
  EXPECT_EQ(m->beta, 2.0);
  ASSERT_EQ(m->groups.size(), 2u);
  EXPECT_EQ(m->groups[0].count(), size_t(g.sites()));
  EXPECT_EQ(m->groups[1].count(), g.edges().size() + 3);
  for (int v = 0; v < 3; ++v) {
    const size_t f = g.edges().size() + size_t(v);
    EXPECT_EQ(m->groups[1].spins_of(f)[0], g.visible_sites()[size_t(v)]);
    EXPECT_EQ(m->groups[1].spins_of(f)[1], g.input_node(v));
    EXPECT_EQ(m->groups[1].table_of(f)[0], 0.7);
  }
}

// Three pixels of three tied trials and two untied label bits: 5 sites, 6 copies. Every copy has
// its site's neighbours, edge weights and bias, and its own input.
TEST(StepGraph, TiedTrialsShareTheirSite) {
  const StepGraph g({10, "G8", true}, 11, 0.7, 1, Tying{3, 3});
  ASSERT_EQ(g.visible_sites().size(), 5u);
  EXPECT_EQ(g.cells(), 100 + 6);
  EXPECT_EQ(g.nodes(), 106 + 11);
  const auto neighbours = [&](int32_t cell) {
    std::multiset<int32_t> out;
    for (const auto& [a, b] : g.cell_edges())
      if (a == cell || b == cell) out.insert(a == cell ? b : a);
    return out;
  };
  std::vector<double> w(g.edges().size()), h(size_t(g.sites()));
  for (size_t e = 0; e < w.size(); ++e) w[e] = 0.01 * double(e);
  for (size_t i = 0; i < h.size(); ++i) h[i] = -0.1 * double(i);
  const auto m = g.model(w, h, 1.0);
  std::map<std::pair<int32_t, int32_t>, double> weight_of;
  for (size_t f = 0; f < m->groups[1].count(); ++f)
    weight_of[{m->groups[1].spins_of(f)[0], m->groups[1].spins_of(f)[1]}] = m->groups[1].table_of(f)[0];
  for (int p = 0; p < 3; ++p) {
    const int32_t site = g.visible_node(3 * p);
    EXPECT_EQ(site, g.visible_sites()[size_t(p)]);
    const auto site_nb = neighbours(site);
    EXPECT_EQ(site_nb.size(), 8u);
    for (int k = 1; k < 3; ++k) {
      const int32_t copy = g.visible_node(3 * p + k);
      EXPECT_GE(copy, g.sites());
      EXPECT_EQ(g.colour(copy), 0);
      EXPECT_EQ(m->groups[0].table_of(size_t(copy))[0], h[size_t(site)]);
      const auto copy_nb = neighbours(copy);
      EXPECT_EQ(copy_nb, site_nb);
      for (int32_t nb : copy_nb) {
        const double site_weight = weight_of.count({site, nb}) ? weight_of.at({site, nb}) : weight_of.at({nb, site});
        EXPECT_EQ(weight_of.at({copy, nb}), site_weight) << "copy " << copy << " neighbour " << nb;
      }
    }
  }
  for (int v = 0; v < 11; ++v)
    EXPECT_EQ(weight_of.at({g.visible_node(v), g.input_node(v)}), 0.7) << "variable " << v;
  EXPECT_EQ(g.visible_node(9), g.visible_sites()[3]);  // the label bits keep their own sites
  EXPECT_EQ(g.positive_layout().free_count(), size_t(106 - 11));
  EXPECT_EQ(g.negative_layout().free_count(), 106u);

  PhaseMoments cells;  // tie() sums every copy onto its site and grid edge
  cells.site.assign(size_t(g.cells()), 1.0);
  cells.edge.assign(g.cell_edges().size(), 1.0);
  const PhaseMoments tied = g.tie(cells);
  ASSERT_EQ(tied.site.size(), 100u);
  ASSERT_EQ(tied.edge.size(), g.edges().size());
  EXPECT_EQ(tied.site[size_t(g.visible_sites()[0])], 3.0);
  EXPECT_EQ(tied.site[size_t(g.visible_sites()[4])], 1.0);
  for (size_t e = 0; e < g.edges().size(); ++e) {
    const bool touches = g.edges()[e].a == g.visible_sites()[1] || g.edges()[e].b == g.visible_sites()[1];
    if (touches) {
      EXPECT_EQ(tied.edge[e], 3.0) << "edge " << e;
    }
  }
  EXPECT_THROW(StepGraph({10, "G8", true}, 5, 0.7, 1, Tying{2, 3}), tsu::Error);  // 6 tied in 5 variables
}

// The fast backend hands its 64-chain words to the observer (no unpacking); the moments, mean
// field included, equal those of the unpacked states exactly, and every bit is its chain's state.
TEST(Moments, PackedStatesGiveTheSameMoments) {
  const StepGraph g({10, "G8", true}, 10, 0.7, 1);
  std::mt19937_64 gen(5);
  std::normal_distribution<double> normal(0.0, 0.5);
  std::vector<double> w(g.edges().size()), h(size_t(g.sites()));
  for (auto& x : w) x = normal(gen);
  for (auto& x : h) x = normal(gen);
  const auto cm = tsu::compile(g.model(w, h, 1.0));
  constexpr int chains = 70;  // two tiles, the second mostly empty
  auto backend = tsu::make_backend(cm, g.negative_layout(), tsu::EngineOptions{chains, 3, 1, "fast"});
  backend->set_states(g.initial_states(h, 1.0, chains, 9));
  MomentObserver unpacked(g.sites(), g.edges(), true), packed(g.sites(), g.edges(), true);
  tsu::StateBatch states;
  tsu::PackedStates bits;
  for (int t = 0; t < 6; ++t) {
    backend->sweeps(3, tsu::BetaSchedule::constant(1.0), 0);
    backend->get_states(states);
    ASSERT_TRUE(backend->get_packed_states(bits));
    ASSERT_EQ(bits.words, 2);
    for (int i = 0; i < g.nodes(); ++i)
      for (size_t bit = 0; bit < bits.chain_of_bit.size(); ++bit) {
        const int c = bits.chain_of_bit[bit];
        const bool set = bits.bits[size_t(i) * 2 + bit / 64] >> (bit % 64) & 1;
        EXPECT_EQ(set, c >= 0 && states.chain(c)[size_t(i)] == 1) << "node " << i << " bit " << bit;
      }
    unpacked.observe(states, t);
    packed.observe_packed(bits, t);
  }
  const PhaseMoments a = unpacked.moments(), b = packed.moments();
  EXPECT_EQ(a.site, b.site);
  EXPECT_EQ(a.edge, b.edge);
  EXPECT_EQ(a.mean_field, b.mean_field);
  EXPECT_THROW(packed.observe(states, 6), tsu::Error);  // one run, one kind of input
}

TEST(Moments, ObserverMatchesDirectSums) {
  const StepGraph g({4, "G8", false}, 3, 0.7, 1);
  std::mt19937_64 gen(11);
  constexpr int chains = 70, observations = 5;  // more than one 64-chain word
  std::vector<tsu::StateBatch> batches;
  MomentObserver observer(g.sites(), g.edges(), true);
  for (int t = 0; t < observations; ++t) {
    tsu::StateBatch b(chains, g.nodes());
    for (auto& s : b.data) s = State(gen() % 2);
    observer.observe(b, t);
    batches.push_back(b);
  }
  const PhaseMoments m = observer.moments();
  for (int i = 0; i < g.sites(); ++i) {
    double sum = 0;
    for (const auto& b : batches)
      for (int c = 0; c < chains; ++c) sum += tsu::spin_value(b.chain(c)[size_t(i)]);
    EXPECT_NEAR(m.site[size_t(i)], sum / (chains * observations), 1e-12);
  }
  for (size_t e = 0; e < g.edges().size(); ++e) {
    const auto [a, bnode] = g.edges()[e];
    double sum = 0, mf = 0;
    for (int c = 0; c < chains; ++c) {
      double ma = 0, mb = 0;
      for (const auto& b : batches) {
        sum += tsu::spin_value(b.chain(c)[size_t(a)]) * tsu::spin_value(b.chain(c)[size_t(bnode)]);
        ma += tsu::spin_value(b.chain(c)[size_t(a)]);
        mb += tsu::spin_value(b.chain(c)[size_t(bnode)]);
      }
      mf += (ma / observations) * (mb / observations);
    }
    EXPECT_NEAR(m.edge[e], sum / (chains * observations), 1e-12);
    EXPECT_NEAR(m.mean_field[e], mf / chains, 1e-12);
  }
}

std::vector<uint8_t> bit_pattern(int n, uint32_t bits) {
  std::vector<uint8_t> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[size_t(i)] = uint8_t(bits >> (i % 32) & 1);
  return v;
}

// Eq. 14 with exact expectations is the gradient of the exact conditional NLL; with tied trials,
// a shared parameter's gradient is the sum over its copies.
void expect_gradient_matches_finite_differences(const DtmConfig& config, uint64_t seed) {
  const Dtm dtm(config);
  const StepGraph& g = dtm.graph(0);
  ASSERT_TRUE(g.has_input());
  const double beta = config.training.beta;
  const auto theta = random_theta(g.edges().size() + size_t(g.sites()), seed, 0.4);
  const auto target = bit_pattern(g.visible(), 0b10111101), input = bit_pattern(g.visible(), 0b01101001);
  const auto pos = exact_phase(g, theta, beta, input, &target), neg = exact_phase(g, theta, beta, input, nullptr);
  const Gradient grad = nll_gradient(pos.moments, neg.moments, beta);
  ASSERT_EQ(grad.values.size(), theta.size());
  constexpr double h = 1e-5;
  for (size_t p = 0; p < theta.size(); ++p) {
    auto up = theta, down = theta;
    up[p] += h;
    down[p] -= h;
    const double fd = (exact_nll(g, up, beta, target, input) - exact_nll(g, down, beta, target, input)) / (2 * h);
    EXPECT_NEAR(grad.values[p], fd, 1e-7) << "parameter " << p;
  }
}

TEST(Gradient, MatchesFiniteDifferencesOfTheExactNll) {
  expect_gradient_matches_finite_differences(enumerable_config(), 21);
}

TEST(Gradient, TiedTrialsMatchFiniteDifferencesOfTheExactNll) {
  const DtmConfig config = enumerable_tied_config();
  ASSERT_EQ(Dtm(config).graph(0).cells(), 9 + 4);
  expect_gradient_matches_finite_differences(config, 24);
}

// The engine's two phases (clamps, inputs, Hinton start) sample the exact conditional moments.
void expect_sampled_phases_match_exact_moments(const DtmConfig& config, uint64_t seed) {
  Dtm dtm(config);
  const StepGraph& g = dtm.graph(0);
  dtm.state(0).theta = random_theta(dtm.state(0).theta.size(), seed, 0.3);
  const auto target = bit_pattern(g.visible(), 0b01100110), input = bit_pattern(g.visible(), 0b11000011);
  constexpr int chains = 4000;
  std::vector<uint8_t> targets, inputs;
  for (int c = 0; c < chains; ++c) {
    targets.insert(targets.end(), target.begin(), target.end());
    inputs.insert(inputs.end(), input.begin(), input.end());
  }
  DtmConfig one_sample = config;
  one_sample.training.chain = {60, 1, 1};  // one observation per chain: independent samples
  Dtm sampled(one_sample);
  sampled.state(0).theta = dtm.state(0).theta;
  const auto got = sample_batch(sampled, 0, targets, inputs, chains, 99, false, 2);
  const double beta = one_sample.training.beta;
  const auto pos = exact_phase(g, dtm.state(0).theta, beta, input, &target).moments;
  const auto neg = exact_phase(g, dtm.state(0).theta, beta, input, nullptr).moments;
  // A tied moment sums n copies: its spread is at most n times that of one.
  const double n = config.data.tied_trials ? config.data.encoding.grey_levels : 1;
  for (int i = 0; i < g.sites(); ++i) {
    EXPECT_NEAR(got.positive.site[size_t(i)], pos.site[size_t(i)], n * five_sigma(pos.site[size_t(i)] / n, chains))
        << "site " << i;
    EXPECT_NEAR(got.negative.site[size_t(i)], neg.site[size_t(i)], n * five_sigma(neg.site[size_t(i)] / n, chains))
        << "site " << i;
  }
  for (size_t e = 0; e < g.edges().size(); ++e) {
    EXPECT_NEAR(got.positive.edge[e], pos.edge[e], n * five_sigma(pos.edge[e] / n, chains)) << "edge " << e;
    EXPECT_NEAR(got.negative.edge[e], neg.edge[e], n * five_sigma(neg.edge[e] / n, chains)) << "edge " << e;
  }
}

TEST(Gradient, SampledPhasesMatchExactMoments) { expect_sampled_phases_match_exact_moments(enumerable_config(), 22); }

TEST(Gradient, SampledTiedPhasesMatchExactMoments) {
  expect_sampled_phases_match_exact_moments(enumerable_tied_config(), 25);
}

// Persistent negative chains carry their states across batches: one sweep per batch, over many
// batches, reaches the exact conditional moments that one sweep from the biases does not.
TEST(Gradient, PersistentNegativeChainsReachTheExactMoments) {
  DtmConfig config = enumerable_config();
  config.training.chain = {1, 1, 1};
  config.training.negative.persistent = DtmConfig::Training::Persistent::All;
  Dtm dtm(config);
  const StepGraph& g = dtm.graph(0);
  dtm.state(0).theta = random_theta(dtm.state(0).theta.size(), 23, 0.6);
  const auto target = bit_pattern(g.visible(), 0b01100110), input = bit_pattern(g.visible(), 0b11000011);
  constexpr int chains = 4000, batches = 40;
  std::vector<uint8_t> targets, inputs;
  for (int c = 0; c < chains; ++c) {
    targets.insert(targets.end(), target.begin(), target.end());
    inputs.insert(inputs.end(), input.begin(), input.end());
  }
  const auto neg = exact_phase(g, dtm.state(0).theta, config.training.beta, input, nullptr).moments;
  // The largest deviation from the exact edge moments, in units of five standard errors.
  const auto worst = [&](const PhaseMoments& got) {
    double w = 0;
    for (size_t e = 0; e < g.edges().size(); ++e)
      w = std::max(w, std::abs(got.edge[e] - neg.edge[e]) / five_sigma(neg.edge[e], chains));
    return w;
  };
  tsu::StateBatch persistent;
  PhaseMoments last;
  for (int b = 0; b < batches; ++b)
    last = sample_batch(dtm, 0, targets, inputs, chains, 100 + uint64_t(b), false, 2, &persistent).negative;
  EXPECT_EQ(persistent.chains, chains);
  EXPECT_LT(worst(last), 1.0);
  EXPECT_GT(worst(sample_batch(dtm, 0, targets, inputs, chains, 100, false, 2).negative), 1.0)
      << "one sweep from the biases already mixes: the test cannot tell persistent chains from fresh ones";
}

// The TC gradient E_d[dE] - E_p[dE] by brute force over the mean-field product d: exactly zero on
// the biases, and the library's formula on the couplings.
TEST(Gradient, TotalCorrelationGradientByEnumeration) {
  const Dtm dtm(enumerable_config());
  const StepGraph& g = dtm.graph(0);
  const double beta = 1.3;
  const auto theta = random_theta(g.edges().size() + size_t(g.sites()), 23, 0.5);
  const std::vector<uint8_t> input{0, 1, 1, 0};
  ExactPhase neg = exact_phase(g, theta, beta, input, nullptr);
  const auto& m = neg.moments.site;
  for (const auto& e : g.edges()) neg.moments.mean_field.push_back(m[size_t(e.a)] * m[size_t(e.b)]);
  const Gradient tc = tc_gradient(neg.moments, beta);

  // E_d over all 2^16 site states, d(x) = prod_i P(s_i = x_i).
  const int n = g.sites();
  std::vector<double> ed(theta.size(), 0.0);
  for (uint32_t x = 0; x < (1u << n); ++x) {
    double d = 1;
    for (int i = 0; i < n; ++i) d *= (x >> i & 1) ? (1 + m[size_t(i)]) / 2 : (1 - m[size_t(i)]) / 2;
    auto s = [&](int i) { return (x >> i & 1) ? 1.0 : -1.0; };
    for (size_t e = 0; e < g.edges().size(); ++e) ed[e] += d * -beta * s(g.edges()[e].a) * s(g.edges()[e].b);
    for (int i = 0; i < n; ++i) ed[g.edges().size() + size_t(i)] += d * -beta * s(i);
  }
  for (size_t e = 0; e < g.edges().size(); ++e)
    EXPECT_NEAR(tc.values[e], ed[e] - (-beta * neg.moments.edge[e]), 1e-12) << "edge " << e;
  for (int i = 0; i < n; ++i) {
    const size_t p = g.edges().size() + size_t(i);
    EXPECT_NEAR(ed[p] - (-beta * m[size_t(i)]), 0.0, 1e-12) << "site " << i;
    EXPECT_EQ(tc.values[p], 0.0) << "site " << i;
  }
}

TEST(Optimiser, AdamMatchesHandComputation) {
  AdamConfig config;
  AdamState state;
  std::vector<double> theta{1.0, -2.0};
  adam_step(config, state, theta, std::vector<double>{0.5, -3.0}, 0.1);
  // First step: mhat / sqrt(vhat) = g / |g|.
  EXPECT_NEAR(theta[0], 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-12);
  EXPECT_NEAR(theta[1], -2.0 + 0.1 * 3.0 / (3.0 + 1e-8), 1e-12);
  adam_step(config, state, theta, std::vector<double>{-0.5, 1.0}, 0.1);
  const double m = (0.9 * 0.1 * 0.5 + 0.1 * -0.5) / (1 - 0.81);
  const double v = (0.999 * 0.001 * 0.25 + 0.001 * 0.25) / (1 - 0.999 * 0.999);
  EXPECT_NEAR(theta[0], 1.0 - 0.1 * 0.5 / (0.5 + 1e-8) - 0.1 * m / (std::sqrt(v) + 1e-8), 1e-12);
  EXPECT_EQ(state.t, 2);
}

TEST(Optimiser, CosineDecay) {
  EXPECT_DOUBLE_EQ(cosine_learning_rate(0.016, 0.18, 0, 100), 0.016);
  EXPECT_NEAR(cosine_learning_rate(0.016, 0.18, 50, 100), 0.016 * (0.82 * 0.5 + 0.18), 1e-15);
  EXPECT_NEAR(cosine_learning_rate(0.016, 0.18, 100, 100), 0.016 * 0.18, 1e-15);
  EXPECT_NEAR(cosine_learning_rate(0.016, 0.18, 500, 100), 0.016 * 0.18, 1e-15);
  EXPECT_DOUBLE_EQ(cosine_learning_rate(0.016, 0.18, 500, 0), 0.016);
}

TEST(Acp, ReplicationControllerFollowsAScriptedSequence) {
  const AcpConfig config{true, AcpVariant::Replication, 0.01, 0.001, 0.2};
  AcpState s;
  const std::vector<double> autocorr{0.005, 0.02, 0.03, 0.025, 0.012, 0.014, 0.004, 0.0};
  std::vector<double> expected;
  double l = 0;
  l = std::max(l, 0.001) * (0.6 + 0.2 * 0.5);  // 0.0007 < min
  expected.push_back(l = 0);
  expected.push_back(l = std::max(l, 0.001) * 1.5);  // 0.02 > prev, >= 1.8 thr
  expected.push_back(l = l * 1.5);                   // 0.03 rising
  expected.push_back(l = l * 0.95);                  // 0.025 falling
  expected.push_back(l = l * 0.95);                  // 0.012 falling, above thr
  expected.push_back(l = l * 1.2);                   // 0.014 rising, < 1.8 thr
  expected.push_back(l = l * (0.6 + 0.2 * 0.4));     // 0.004 below thr
  expected.push_back(l = 0);                         // 0.0: 0.00099 falls below the floor
  for (size_t i = 0; i < autocorr.size(); ++i) {
    acp_update(config, s, autocorr[i]);
    EXPECT_NEAR(s.lambda, expected[i], 1e-15) << "update " << i;
    EXPECT_EQ(s.previous, autocorr[i]);
  }
  acp_update(config, s, 0.05);  // from 0, the floor restarts the ramp
  EXPECT_NEAR(s.lambda, 0.0015, 1e-15);
}

TEST(Acp, PaperControllerFollowsAScriptedSequence) {
  const AcpConfig config{true, AcpVariant::Paper, 0.03, 1e-4, 0.2};
  AcpState s;
  const std::vector<double> autocorr{0.1, 0.2, 0.15, 0.15, 0.3, 0.01, 0.01, 0.01};
  const std::vector<double> expected{1.2e-4, 1.44e-4, 1.44e-4, 1.44e-4, 1.728e-4, 1.3824e-4, 1.10592e-4, 0.0};
  for (size_t i = 0; i < autocorr.size(); ++i) {
    acp_update(config, s, autocorr[i]);
    EXPECT_NEAR(s.lambda, expected[i], 1e-18) << "update " << i;
  }
}

TEST(Mixing, VectorAutocorrelationMatchesTheEngineConvention) {
  std::mt19937_64 gen(3);
  std::normal_distribution<double> noise(0, 1);
  constexpr int chains = 5, n = 300;
  std::vector<float> series(size_t(chains) * n);
  tsu::AutocorrelationObserver reference("x", {});
  std::vector<double> x(chains, 0.0);
  for (int t = 0; t < n; ++t) {
    for (int c = 0; c < chains; ++c) {
      x[size_t(c)] = 0.8 * x[size_t(c)] + noise(gen);
      series[size_t(c) * n + size_t(t)] = float(x[size_t(c)]);
      x[size_t(c)] = series[size_t(c) * n + size_t(t)];
    }
    reference.observe_values(x);
  }
  const auto rho = reference.autocorrelation(40);
  for (int lag : {0, 1, 5, 40})
    EXPECT_NEAR(vector_autocorrelation(series, chains, n, 1, lag, chains), rho[size_t(lag)], 1e-9) << "lag " << lag;
}

// AR(1) chains with phi = 0.99: the long-lag statistic follows phi^k over lags 94..100 (n = 200).
TEST(Mixing, LongLagStatisticOfAnAr1Process) {
  std::mt19937_64 gen(4);
  std::normal_distribution<double> noise(0, 1);
  constexpr int chains = 400, n = 200, dims = 2;
  constexpr double phi = 0.99;
  std::vector<float> series(size_t(chains) * n * dims);
  for (int c = 0; c < chains; ++c)
    for (int d = 0; d < dims; ++d) {
      double x = noise(gen) / std::sqrt(1 - phi * phi);  // stationary start
      for (int t = 0; t < n; ++t) {
        series[(size_t(c) * n + size_t(t)) * dims + size_t(d)] = float(x);
        x = phi * x + noise(gen);
      }
    }
  // The biased (1/n) autocovariance carries the factor (n - k) / n.
  double expected = 0;
  for (int lag = 94; lag <= 100; ++lag) expected += std::pow(phi, lag) * (n - lag) / n / 7;
  // 0.06: 5 times the standard deviation of the statistic over 30 seeds (0.011) plus its bias from
  // the grand-mean deviations (-0.003); the unbiased normalisation would give 0.38, mixing 0.
  EXPECT_NEAR(long_lag_autocorrelation(series, chains, n, dims, chains), expected, 0.06);
  EXPECT_NEAR(long_lag_autocorrelation(series, chains, n, dims, 4), expected, 0.06);
  std::vector<float> frozen(series.size(), 1.0f);
  EXPECT_EQ(long_lag_autocorrelation(frozen, chains, n, dims, chains), 0.0);
}

// Chains with different inputs have different stationary means: centred per group they show no
// long-lag correlation, centred on the grand mean they would show the spread of the means.
TEST(Mixing, GroupsWithDifferentMeansAreCentredApart) {
  std::mt19937_64 gen(5);
  std::normal_distribution<double> noise(0, 1);
  constexpr int chains = 64, n = 400, group = 8;
  std::vector<float> series(size_t(chains) * n);
  for (int c = 0; c < chains; ++c)
    for (int t = 0; t < n; ++t)
      series[size_t(c) * n + size_t(t)] = float((c / group) % 2 ? 3.0 : -3.0) + float(noise(gen));
  // White noise per group: r(k) at long lags is 0 within sampling error (|r| << 0.05 for 25,600 values).
  EXPECT_LT(long_lag_autocorrelation(series, chains, n, 1, group), 0.05);
  EXPECT_GT(long_lag_autocorrelation(series, chains, n, 1, chains), 0.4);  // 9 / (9 + 1) times (n - k) / n
  EXPECT_THROW(long_lag_autocorrelation(series, chains, n, 1, 7), tsu::Error);
}

TEST(TrainingPairs, NoiseLevelsFollowTheScheduleAndOffset) {
  DtmConfig c = small_training_config();
  c.data.encoding.pixels = 784;
  c.data.pool = 1;
  c.graph = {40, "G8", true};
  c.diffusion.steps = 4;
  const Dtm dtm(c);
  const int bits = c.visible();
  const auto n_bits = static_cast<size_t>(bits);
  std::vector<uint8_t> item(n_bits, 0), target(n_bits), input(n_bits);
  constexpr int rows = 200;
  for (int k = 0; k < 4; ++k) {
    int target_flips = 0, input_flips = 0;
    for (int r = 0; r < rows; ++r) {
      auto rng = tsu::chain_stream(9, uint64_t(r), tsu::Stream::Aux);
      make_training_pair(dtm, k, item, 0, rng, target, input);
      for (int v = 0; v < 784; ++v) {
        target_flips += target[size_t(v)];
        input_flips += target[size_t(v)] != input[size_t(v)];
      }
    }
    const double n = rows * 784.0;
    const double a = dtm.times()[size_t(k)] * (1 - c.diffusion.offset);
    const double b = dtm.times()[size_t(k) + 1] * (1 + c.diffusion.offset);
    const double p_target = 1 - keep_probability(c.diffusion.image_rate, a);
    const double p_input = 1 - keep_probability(c.diffusion.image_rate, b - a);
    EXPECT_NEAR(target_flips / n, p_target, 5 * std::sqrt(p_target * (1 - p_target) / n) + 1e-12) << "step " << k;
    EXPECT_NEAR(input_flips / n, p_input, 5 * std::sqrt(p_input * (1 - p_input) / n)) << "step " << k;
  }
}

// Stopping after an epoch, saving, loading and going on gives the uninterrupted run bit for bit,
// whatever the thread count.
using Persistent = DtmConfig::Training::Persistent;
class CheckpointResume : public ::testing::TestWithParam<Persistent> {};

TEST_P(CheckpointResume, ResumeEqualsUninterruptedRun) {
  DtmConfig config = small_training_config();
  config.threads = 2;
  config.training.negative.persistent = GetParam();
  const auto data = make_training_data(config, synthetic_images(48, 1), synthetic_images(8, 2));
  Dtm straight(config);
  train_epoch(straight, data);
  train_epoch(straight, data);

  DtmConfig single = config;
  single.threads = 1;
  Dtm first(single);
  train_epoch(first, data);
  const auto path = (fs::temp_directory_path() / ("tsu_dtm_ckpt_" + std::to_string(getpid()) + ".bin")).string();
  first.save(path);
  Dtm resumed = Dtm::load(path);
  fs::remove(path);
  EXPECT_EQ(resumed.epochs_done(), 1);
  train_epoch(resumed, data);

  EXPECT_EQ(resumed.epochs_done(), 2);
  bool penalised = false;
  for (int k = 0; k < straight.steps(); ++k) {
    EXPECT_EQ(resumed.state(k).theta, straight.state(k).theta) << "step " << k;
    EXPECT_EQ(resumed.state(k).adam.m, straight.state(k).adam.m);
    EXPECT_EQ(resumed.state(k).adam.v, straight.state(k).adam.v);
    EXPECT_EQ(resumed.state(k).adam.t, straight.state(k).adam.t);
    EXPECT_EQ(resumed.state(k).acp.lambda, straight.state(k).acp.lambda);
    EXPECT_EQ(resumed.state(k).acp.previous, straight.state(k).acp.previous);
    EXPECT_EQ(resumed.state(k).negative.data, straight.state(k).negative.data);
    EXPECT_EQ(straight.state(k).negative.chains,
              config.training.negative.persists(k, straight.steps()) ? config.training.batch : 0);
    penalised |= straight.state(k).acp.lambda > 0;
  }
  EXPECT_TRUE(penalised) << "the TC penalty path was not exercised";
  EXPECT_NE(straight.state(0).theta, Dtm(config).state(0).theta);  // training moved the parameters
}

INSTANTIATE_TEST_SUITE_P(NegativeChains, CheckpointResume,
                         ::testing::Values(Persistent::None, Persistent::Noisiest, Persistent::All),
                         [](const auto& info) {
                           return std::string(info.param == Persistent::None       ? "Fresh"
                                              : info.param == Persistent::Noisiest ? "NoisiestPersistent"
                                                                                   : "AllPersistent");
                         });

// A flipped bit, a cut, a foreign file and a parameter that is not finite are each one Error naming
// the file; a diverged model is never written over the last good checkpoint; v2 files still load.
TEST(Checkpoint, CorruptFilesAreErrors) {
  const auto path = (fs::temp_directory_path() / ("tsu_dtm_bad_" + std::to_string(getpid()) + ".bin")).string();
  Dtm dtm(small_training_config());
  dtm.state(0).theta[3] = 0.25;
  dtm.save(path);
  const std::string good = tsu::read_file(path);
  const auto load_error = [&](const std::string& bytes) {
    tsu::write_file_atomic(path, bytes);
    return error_of([&] { Dtm::load(path); });
  };
  std::string flipped = good;
  flipped[flipped.size() - 5] ^= 0x10;  // inside a parameter: only the checksum can tell
  EXPECT_EQ(load_error(flipped), path + ": corrupt: checksum mismatch");
  EXPECT_EQ(load_error(good.substr(0, good.size() - 8)).rfind(path + ": corrupt: truncated (", 0), 0u);
  EXPECT_EQ(load_error("not a checkpoint"), path + ": not a tsu DTM checkpoint (bad magic)");

  // The v2 layout (no checksum line) still loads, and a NaN in it is named.
  const std::string payload = good.substr(good.find('\n') + 1);
  tsu::write_file_atomic(path, "tsu-dtm-checkpoint-v2\n" + payload);
  EXPECT_EQ(Dtm::load(path).state(0).theta, dtm.state(0).theta);
  std::string nan_payload = payload;
  const double nan = std::nan("");
  std::memcpy(nan_payload.data() + payload.find('\n') + 1 + 3 * sizeof(double), &nan, sizeof nan);
  EXPECT_EQ(load_error("tsu-dtm-checkpoint-v2\n" + nan_payload), path + ": step 0: parameter 3 is nan");

  tsu::write_file_atomic(path, good);
  dtm.state(1).adam.v.assign(dtm.state(1).theta.size(), INFINITY);
  EXPECT_EQ(error_of([&] { dtm.save(path); }),
            path + ": not written after epoch 0: training diverged: step 1: Adam second moment 0 is inf");
  EXPECT_EQ(tsu::read_file(path), good);
  fs::remove(path);
}

// Grey levels (several trials per pixel, untied or tied) and whole-class label noise train and
// generate too; tied trials add their copies to the priced cells.
TEST(Training, GreyLevelsAndCategoricalLabels) {
  for (const bool tied : {false, true}) {
    SCOPED_TRACE(tied ? "tied" : "untied");
    DtmConfig config = small_training_config();
    config.data.encoding.grey_levels = 3;
    config.data.tied_trials = tied;
    config.diffusion.label_noise = LabelNoise::Categorical;
    config.diffusion.steps = 3;
    const auto data = make_training_data(config, synthetic_images(16, 3), synthetic_images(4, 4));
    Dtm dtm(config);
    ASSERT_EQ(dtm.graph(0).visible(), 4 * 3 + 10);
    EXPECT_EQ(dtm.graph(0).cells(), tied ? 100 + 4 * 2 : 100);
    const auto report = train_epoch(dtm, data);
    EXPECT_EQ(report.steps.size(), 3u);
    EXPECT_GT(report.flips, 0);
    EXPECT_GT(report.steps[0].weight_rms, 0);
    GenerateOptions options;
    options.samples = 6;
    options.labels = balanced_labels(6, 10);
    options.trajectory = 2;
    const auto g = generate(dtm, options);
    EXPECT_EQ(g.trajectory.size(), 4u);  // x^3 .. x^0
    EXPECT_EQ(g.counters.copies, tied ? 8 : 0);
    for (int i = 0; i < 6; ++i) {
      const auto item = std::span(g.x).subspan(size_t(i) * size_t(g.bits), size_t(g.bits));
      EXPECT_EQ(decode_label(config.data.encoding, item), options.labels[size_t(i)]);  // clamped labels stay put
    }
  }
}

TEST(Config, GreyUnitsAreParsedAndChecked) {
  const auto error_of = [](const nlohmann::json& doc) {
    try {
      parse_dtm_config(doc, "x.json");
    } catch (const tsu::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const nlohmann::json tied = {{"data", {{"grey_levels", 4}, {"grey_units", "tied"}}}, {"graph", {{"side", 44}}}};
  const DtmConfig c = parse_dtm_config(tied, "x.json");
  EXPECT_TRUE(c.data.tied_trials);
  EXPECT_EQ(c.visible_sites(), 784 + 100);  // 3136 trials on 784 sites: fits where untied would not
  EXPECT_EQ(to_json(c)["data"]["grey_units"], "tied");
  EXPECT_FALSE(parse_dtm_config(nlohmann::json::object(), "x.json").data.tied_trials);  // the replication's default
  EXPECT_NE(error_of({{"data", {{"grey_levels", 4}}}, {"graph", {{"side", 44}}}}).find("visible sites"),
            std::string::npos);
  EXPECT_EQ(error_of({{"data", {{"grey_units", "shared"}}}}),
            "x.json: data.grey_units: unknown \"shared\" (expected untied or tied)");
  EXPECT_NE(error_of({{"data", {{"grey_units", "tied"}}}}).find("x.json: data.grey_units: \"tied\" needs grey_levels > 1"),
            std::string::npos);
}

// training.negative: persistent chains and a schedule of their own, which starts from
// training.chain's fields; written back only when given.
TEST(Config, NegativePhaseIsParsedAndChecked) {
  const nlohmann::json doc = {
      {"training", {{"chain", {{"warmup", 50}, {"samples", 10}, {"every", 3}}},
                    {"negative", {{"persistent", "noisiest"}, {"chain", {{"warmup", 5}}}}}}}};
  const DtmConfig c = parse_dtm_config(doc, "x.json");
  EXPECT_EQ(c.training.negative.persistent, DtmConfig::Training::Persistent::Noisiest);
  EXPECT_FALSE(c.training.negative.persists(0, 4));
  EXPECT_TRUE(c.training.negative.persists(3, 4));
  EXPECT_EQ(c.training.negative_chain().warmup, 5);
  EXPECT_EQ(c.training.negative_chain().samples, 10);
  EXPECT_EQ(c.training.negative_chain().every, 3);
  EXPECT_EQ(to_json(parse_dtm_config(to_json(c), "y.json")), to_json(c));
  const DtmConfig plain = parse_dtm_config(nlohmann::json::object(), "x.json");
  EXPECT_EQ(plain.training.negative.persistent, DtmConfig::Training::Persistent::None);
  EXPECT_EQ(error_of([] { parse_dtm_config({{"training", {{"negative", {{"persistent", true}}}}}}, "x.json"); }),
            "x.json: training.negative.persistent: must be a string, got true");
  EXPECT_EQ(error_of([] { parse_dtm_config({{"training", {{"negative", {{"persistent", "some"}}}}}}, "x.json"); }),
            "x.json: training.negative.persistent: unknown \"some\" (expected none, noisiest or all)");
  EXPECT_EQ(plain.training.negative_chain().warmup, plain.training.chain.warmup);
  EXPECT_FALSE(to_json(plain)["training"]["negative"].contains("chain"));
  EXPECT_EQ(error_of([] { parse_dtm_config({{"training", {{"negative", {{"chains", 4}}}}}}, "x.json"); }),
            "x.json: training.negative.chains: unknown field");
  EXPECT_EQ(error_of([] {
              parse_dtm_config({{"training", {{"negative", {{"chain", {{"every", 0}}}}}}}}, "x.json");
            }),
            "x.json: training.negative.chain.every: must be >= 1, got 0");
}

// Step graphs come from derive(seed, StepGraph, k): seed s + 1 does not repeat seed s's placements
// one step later (as seed + k did), and two steps of one model differ.
TEST(DtmSeeds, NeighbouringSeedsDoNotShareStepGraphs) {
  DtmConfig c = enumerable_config();
  c.graph = {10, "G8", true};
  c.diffusion.steps = 3;
  c.seed = 1;
  const Dtm a(c);
  c.seed = 2;
  const Dtm b(c);
  EXPECT_NE(a.graph(1).visible_nodes(), b.graph(0).visible_nodes());
  EXPECT_NE(a.graph(0).visible_nodes(), a.graph(1).visible_nodes());
}

// sampler.bits: the chains see each step's model on the B-bit grid, the parameters stay in float.
TEST(Config, SamplerBitsQuantizeTheSampledModelOnly) {
  nlohmann::json doc = {{"graph", {{"side", 12}, {"rule", "G8"}}}, {"data", {{"pool", 4}, {"label_spots", 1}}},
                        {"diffusion", {{"steps", 1}}}, {"sampler", {{"bits", 3}}}};
  const DtmConfig config = parse_dtm_config(doc, "x.json");
  EXPECT_EQ(to_json(config)["sampler"]["bits"], 3);
  Dtm dtm(config);
  auto& theta = dtm.state(0).theta;
  for (size_t i = 0; i < theta.size(); ++i) theta[i] = 0.01 * double(i % 37) - 0.15;
  const auto sampled = dtm.sampled_model(0, 1.0);
  const auto given = dtm.graph(0).model(dtm.weights(0), dtm.biases(0), 1.0);
  const tsu::QuantizedModel expected = tsu::quantize(*given, 3);
  size_t off_grid = 0;
  for (size_t g = 0; g < sampled->groups.size(); ++g)
    for (size_t w = 0; w < sampled->groups[g].weights.size(); ++w) {
      EXPECT_EQ(sampled->groups[g].weights[w], expected.model.groups[g].weights[w]);
      off_grid += given->groups[g].weights[w] != sampled->groups[g].weights[w];
    }
  EXPECT_GT(off_grid, 0u) << "3 bits should move some weights";
  EXPECT_EQ(theta[1], 0.01 - 0.15);  // the parameters themselves are untouched
  doc["sampler"]["bits"] = 1;
  try {
    parse_dtm_config(doc, "x.json");
    ADD_FAILURE() << "bits 1 accepted";
  } catch (const tsu::Error& e) {
    EXPECT_STREQ(e.what(), "x.json: sampler.bits: must be 0 (fp32) or between 2 and 16, got 1");
  }
}

// Mode statistics against closed forms. Each chain keeps its class with probability 1 - q per snapshot
// and otherwise draws one of K uniformly (its own class included), read exactly: agreement(lag) =
// r + (1 - r) / K with r = (1 - q)^lag, independent = 1 / K, so mixed(lag) = 1 - r. Chains that never
// move give mixed 0 at every lag; q = 1 gives 1.
TEST(ModeMixing, StatisticsOfAMarkovChainOfClassesMatchTheClosedForm) {
  const int chains = 4000, snapshots = 5, K = 5;
  for (const double q : {0.0, 0.3, 1.0}) {
    std::mt19937_64 gen(11);
    std::vector<int> seq(size_t(chains) * snapshots);
    for (int c = 0; c < chains; ++c) {
      int v = int(gen() % K);
      for (int j = 0; j < snapshots; ++j) {
        if (j > 0 && std::uniform_real_distribution<double>(0, 1)(gen) < q) v = int(gen() % K);
        seq[size_t(c) * snapshots + size_t(j)] = v;
      }
    }
    const ModeStatistics s = mode_statistics(seq, seq, chains, snapshots, K);
    EXPECT_DOUBLE_EQ(s.agreement[0], 1.0);
    for (int lag = 1; lag < snapshots; ++lag) {
      const double r = std::pow(1 - q, lag), expected = r + (1 - r) / K;
      const double pairs = double(chains) * (snapshots - lag);
      const double tol = 5 * std::sqrt(std::max(expected * (1 - expected), 1e-4) / pairs);
      EXPECT_NEAR(s.agreement[size_t(lag)], expected, tol) << "q " << q << " lag " << lag;
      EXPECT_NEAR(s.independent[size_t(lag)], 1.0 / K, 0.01) << "q " << q << " lag " << lag;
      EXPECT_NEAR(s.mixed[size_t(lag)], 1 - r, 1.5 * tol) << "q " << q << " lag " << lag;
    }
  }
  EXPECT_NE(error_of([] { mode_statistics(std::vector<int>{0, 7}, std::vector<int>{0, 1}, 1, 2, 5); }).find("class 7"),
            std::string::npos);
}

// A beta schedule given to generate() acts as the same schedule in the model's config: two models
// trained alike that differ only in generation.beta_* give the same samples once the options say so.
TEST(Generation, BetaOptionsActLikeTheConfigsSchedule) {
  DtmConfig config = small_training_config();
  const auto data = make_training_data(config, synthetic_images(16, 3), synthetic_images(4, 4));
  DtmConfig flat = config;
  flat.generation.beta_start = flat.generation.beta_end = 1.0;
  Dtm annealed(config), constant(flat);
  train_epoch(annealed, data);
  train_epoch(constant, data);
  GenerateOptions options;
  options.samples = 12, options.seed = 3;
  const Generated own = generate(constant, options);
  EXPECT_NE(generate(annealed, options).x, own.x);
  options.beta_start = 1.0, options.beta_end = 1.0;
  EXPECT_EQ(generate(annealed, options).x, own.x);
  options.beta_end = 0.0;
  EXPECT_NE(error_of([&] { generate(annealed, options); }).find("beta"), std::string::npos);
}

// A partial generation from x^{T-1} with the same seed gives what the whole generation gives: the
// steps' chains are seeded by the step alone, so denoising a snapshot is the generation's own tail.
TEST(ModeMixing, PartialGenerationContinuesTheWholeOne) {
  DtmConfig config = small_training_config();
  config.diffusion.steps = 3;
  const auto data = make_training_data(config, synthetic_images(16, 3), synthetic_images(4, 4));
  Dtm dtm(config);
  train_epoch(dtm, data);
  GenerateOptions whole;
  whole.samples = 12, whole.seed = 4, whole.trajectory = 12;
  const Generated g = generate(dtm, whole);
  GenerateOptions tail = whole;
  tail.trajectory = 0, tail.start = g.trajectory[1], tail.from_step = 1;  // x^2: steps 1 and 0 left
  const Generated t = generate(dtm, tail);
  EXPECT_EQ(t.x, g.x);
  EXPECT_EQ(t.counters.steps, 2);
  EXPECT_NEAR(t.counters.flips, g.counters.flips * 2 / 3, 1e-9 * g.counters.flips);
  tail.from_step = 3;
  EXPECT_NE(error_of([&] { generate(dtm, tail); }).find("from_step"), std::string::npos);

  // The mode-mixing run: every snapshot read, the same whatever the thread count.
  const Classify by_label = [&](std::span<const float> images, size_t count, int) {
    std::vector<int> classes(count);
    for (size_t i = 0; i < count; ++i) classes[i] = images[i * 4] > 0.5f ? 1 : 0;  // the first pixel
    return classes;
  };
  ModeMixingOptions o;
  o.chains = 16, o.snapshots = 4, o.every = 3, o.seed = 2, o.threads = 1;
  const ModeMixing one = mode_mixing(dtm, o, by_label);
  o.threads = 2;
  const ModeMixing two = mode_mixing(dtm, o, by_label);
  EXPECT_EQ(one.classes_a, two.classes_a);
  EXPECT_EQ(one.classes_b, two.classes_b);
  EXPECT_EQ(one.labels, two.labels);
  ASSERT_EQ(one.labels.size(), 64u);
  const ModeStatistics s = one.images();
  ASSERT_EQ(s.agreement.size(), 4u);
  for (double a : s.agreement) EXPECT_TRUE(a >= 0 && a <= 1) << a;
  EXPECT_DOUBLE_EQ(one.label_bits().agreement[0], 1.0);
  o.snapshots = 1;
  EXPECT_NE(error_of([&] { mode_mixing(dtm, o, by_label); }).find("snapshots"), std::string::npos);
}
