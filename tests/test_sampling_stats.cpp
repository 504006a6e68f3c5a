// The engine samples the right distribution: sampled marginals, spin-pair moments and full-state
// frequencies agree with exact enumeration, for every kind of factor, with and without clamps, on
// several block layouts and backends.
//
// Tolerances follow from the sample size. Each run has many independent chains observed every few
// sweeps; the effective sample size is N / (2 max(1, tau)), with tau the largest measured integrated
// autocorrelation time (in observations) of the energy and of the sum of state codes. A cell with
// exact probability p must lie within 5 sqrt(p (1 - p) / N_eff) + 5 / N_eff (the last term covers
// the Poisson regime of rare states). Every check is also run against the exact answer at a wrong
// beta (x 1.3) and must fail there, so that no check passes for want of power.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "graph/blocks.hpp"
#include "random_models.hpp"
#include "sample/engine.hpp"
#include "sample/exact.hpp"
#include "sample/observers.hpp"

using namespace tsu;
using namespace tsu::test_models;

namespace {

using Pairs = std::vector<std::pair<int32_t, int32_t>>;

// Frequencies of the free configurations, indexed as exact_distribution indexes them.
class ConfigurationHistogram : public Observer {
 public:
  ConfigurationHistogram(const Model& m, const std::vector<uint8_t>& clamped) {
    size_t stride = 1;
    for (size_t i = 0; i < m.size(); ++i) {
      if (clamped[i]) continue;
      free_.push_back(int32_t(i));
      strides_.push_back(stride);
      stride *= size_t(m.nodes[i].states);
    }
    counts_.assign(stride, 0);
  }
  void observe(const StateBatch& states, int64_t) override {
    for (int c = 0; c < states.chains; ++c) {
      auto s = states.chain(c);
      size_t index = 0;
      for (size_t j = 0; j < free_.size(); ++j) index += s[free_[j]] * strides_[j];
      ++counts_[index];
      ++samples_;
    }
  }
  std::vector<double> frequencies() const {
    std::vector<double> f;
    for (int64_t c : counts_) f.push_back(double(c) / double(samples_));
    return f;
  }

 private:
  std::vector<int32_t> free_;
  std::vector<size_t> strides_;
  std::vector<int64_t> counts_;
  int64_t samples_ = 0;
};

Statistic code_sum_statistic() {
  return [](std::span<const State> s) {
    double sum = 0;
    for (State v : s) sum += v;
    return sum;
  };
}

struct RunSpec {
  int chains = 400;
  Schedule schedule{60, 100, 4};
  uint64_t seed = 1;
  std::string backend = "reference";
  // One thread: the samples do not depend on it (see the determinism test), and OpenMP's spinning
  // barriers slow down badly when ctest runs other tests beside this one.
  int threads = 1;
  InitKind init = InitKind::Uniform;
};

struct Sampled {
  std::vector<std::vector<double>> marginals;
  std::vector<double> pair_moments;
  std::vector<double> frequencies;
  double samples = 0;
  double tau = 0;  // the largest integrated autocorrelation time measured, in observations
  double effective_samples() const { return samples / (2 * std::max(1.0, tau)); }
};

Sampled sample(const Model& m, const Layout& layout, const Pairs& pairs, double beta, const RunSpec& spec) {
  const CompiledModel cm = compile(std::make_shared<const Model>(m));
  auto backend = make_backend(cm, layout, EngineOptions{spec.chains, spec.seed, spec.threads, spec.backend});
  backend->set_states(initial_states(cm, layout, spec.chains, spec.seed, spec.init, beta));
  MarginalObserver marginals(m);
  PairMomentObserver moments(pairs);
  ConfigurationHistogram histogram(m, layout.clamped);
  AutocorrelationObserver energy("energy", energy_statistic(m, beta)), codes("codes", code_sum_statistic());
  const std::vector<Observer*> observers = {&marginals, &moments, &histogram, &energy, &codes};
  run(*backend, spec.schedule, BetaSchedule::constant(beta), observers);
  return {marginals.marginals(), moments.moments(), histogram.frequencies(),
          double(spec.chains) * double(spec.schedule.samples), std::max(energy.integrated_time(), codes.integrated_time())};
}

// The largest deviation of the sampled marginals and pair moments from `exact`, in units of their
// 5-sigma bounds: at most 1 passes. `where` names the worst cell.
double worst_deviation(const Sampled& s, const ExactResult& exact, std::string& where) {
  const double n = s.effective_samples();
  double worst = 0;
  auto consider = [&](double estimate, double truth, double variance, const std::string& cell) {
    const double ratio = std::abs(estimate - truth) / (5 * std::sqrt(variance / n) + 5 / n);
    if (ratio > worst) {
      worst = ratio;
      where = cell + " sampled " + std::to_string(estimate) + " exact " + std::to_string(truth);
    }
  };
  for (size_t i = 0; i < exact.marginals.size(); ++i)
    for (size_t k = 0; k < exact.marginals[i].size(); ++k) {
      const double p = exact.marginals[i][k];
      consider(s.marginals[i][k], p, p * (1 - p), "node " + std::to_string(i) + " state " + std::to_string(k));
    }
  for (size_t k = 0; k < exact.pair_moments.size(); ++k) {
    const double e = exact.pair_moments[k];
    consider(s.pair_moments[k], e, 1 - e * e, "pair " + std::to_string(k));
  }
  return worst;
}

// Total-variation distance to `exact`, over its bound: E[TV] <= 1/2 sum sqrt(p (1 - p) / N) and
// (McDiarmid, one sample moves TV by at most 1/N) P(TV > E[TV] + t) <= exp(-2 N t^2); t = 3 / sqrt(N).
double total_variation_ratio(const Sampled& s, const std::vector<double>& exact) {
  const double n = s.effective_samples();
  double tv = 0, expected = 0;
  for (size_t k = 0; k < exact.size(); ++k) {
    tv += 0.5 * std::abs(s.frequencies[k] - exact[k]);
    expected += 0.5 * std::sqrt(exact[k] * (1 - exact[k]) / n);
  }
  return tv / (expected + 3 / std::sqrt(n));
}

TestModel make_test_model(const std::string& name) {
  if (name == "pairwise") return random_pairwise(8, 0.6, 0.4, 101);
  if (name == "third_order") return random_third_order(9, 0.7, 102);
  if (name == "potts3") return random_potts(7, 3, 0.6, 103);
  if (name == "potts4") return random_potts(6, 4, 0.6, 104);
  if (name == "mixed") return random_mixed(0.7, 105);
  return ragged_mixed(106);
}

// Clamps THRML A8's t0, t1, y0, y1 in the ragged model, two nodes elsewhere.
std::vector<uint8_t> clamp_some(TestModel& t) {
  Model& m = t.model;
  const std::vector<int> nodes = t.name == "ragged" ? std::vector<int>{2, 3, 6, 7} : std::vector<int>{1, int(m.size()) - 2};
  std::vector<uint8_t> mask(m.size(), 0);
  m.clamp.assign(m.size(), std::nullopt);
  for (int i : nodes) {
    mask[i] = 1;
    m.clamp[i] = State((3 * i + 1) % m.nodes[i].states);
  }
  return mask;
}

// "colored" (automatic), "singletons" ([i] for every free node) or "classes" (the model's own).
Layout layout_for(const TestModel& t, const std::vector<uint8_t>& clamped, const std::string& kind) {
  std::vector<std::vector<int32_t>> blocks;
  if (kind == "singletons") {
    for (size_t i = 0; i < t.model.size(); ++i)
      if (!clamped[i]) blocks.push_back({int32_t(i)});
  } else if (kind == "classes") {
    // The classes in reverse order, each listed backwards: sweep order is the layout's to choose.
    const int classes = *std::max_element(t.node_class.begin(), t.node_class.end()) + 1;
    for (int c = classes - 1; c >= 0; --c) {
      blocks.emplace_back();
      for (int i = int(t.model.size()) - 1; i >= 0; --i)
        if (t.node_class[i] == c && !clamped[i]) blocks.back().push_back(i);
      if (blocks.back().empty()) blocks.pop_back();
    }
  }
  return make_layout(t.model, clamped, blocks);
}

uint64_t fnv1a(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// (model, clamped, blocks, backend)
using Case = std::tuple<std::string, bool, std::string, std::string>;

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const auto& [model, clamped, blocks, backend] = info.param;
  return model + (clamped ? "_clamped_" : "_free_") + blocks + "_" + backend;
}

class AgreesWithExact : public ::testing::TestWithParam<Case> {};

TEST_P(AgreesWithExact, MarginalsMomentsAndDistribution) {
  const auto& [name, with_clamps, blocks, backend] = GetParam();
  TestModel t = make_test_model(name);
  const auto clamped = with_clamps ? clamp_some(t) : std::vector<uint8_t>(t.model.size(), 0);
  const Layout layout = layout_for(t, clamped, blocks);
  const Pairs pairs = two_spin_pairs(t.model);
  const double beta = 1.0;

  RunSpec spec;
  spec.backend = backend;
  spec.seed = fnv1a(case_name({GetParam(), 0}));
  const Sampled s = sample(t.model, layout, pairs, beta, spec);
  // Sokal's window (5 tau) must fit well inside each chain's series for tau to be trusted.
  ASSERT_LT(s.tau, double(spec.schedule.samples) / 10) << "chains mix too slowly to trust the effective sample size";

  std::string where;
  const double deviation = worst_deviation(s, exact_moments(t.model, clamped, pairs, beta), where);
  EXPECT_LE(deviation, 1.0) << where << " (N_eff " << s.effective_samples() << ")";
  std::string wrong_where;
  EXPECT_GT(worst_deviation(s, exact_moments(t.model, clamped, pairs, 1.3 * beta), wrong_where), 1.0)
      << "the bounds are too loose to notice a wrong beta";

  const auto distribution = exact_distribution(t.model, clamped, beta);
  EXPECT_LE(total_variation_ratio(s, distribution), 1.0);
  if (distribution.size() <= 512) {
    EXPECT_GT(total_variation_ratio(s, exact_distribution(t.model, clamped, 1.3 * beta)), 1.0);
  }
}

const auto kBlocks = ::testing::Values("colored", "singletons", "classes");

INSTANTIATE_TEST_SUITE_P(SamplingStats, AgreesWithExact,
                         ::testing::Combine(::testing::Values("pairwise", "third_order", "potts3", "potts4", "mixed",
                                                              "ragged"),
                                            ::testing::Bool(), kBlocks, ::testing::Values("reference")),
                         case_name);

// Auto picks the fast backend for pairwise spin models.
INSTANTIATE_TEST_SUITE_P(SamplingStatsFast, AgreesWithExact,
                         ::testing::Combine(::testing::Values("pairwise"), ::testing::Bool(), kBlocks,
                                            ::testing::Values("auto")),
                         case_name);

// THRML A14 (the README example): 5-spin chain, J = 0.5, h = 0, blocks [0, 2, 4] and [1, 3], Hinton
// init, warm-up 100, 1000 samples every 2 sweeps. Open chain: <s_i s_i+1> = tanh(0.5) = 0.4621.
TEST(SamplingStats, ReadmeChainA14) {
  const Model m = open_chain({0.5, 0.5, 0.5, 0.5});
  const Layout layout = make_layout(m, std::vector<uint8_t>(5, 0), {{0, 2, 4}, {1, 3}});
  for (const char* backend : {"reference", "auto"}) {
    const int chains = 32;
    const CompiledModel cm = compile(std::make_shared<const Model>(m));
    auto engine = make_backend(cm, layout, EngineOptions{chains, 7, 1, backend});
    engine->set_states(initial_states(cm, layout, chains, 7, InitKind::Hinton, 1.0));
    SampleRecorder recorder;
    AutocorrelationObserver neighbours("nn", [](std::span<const State> s) {
      double sum = 0;
      for (int i = 0; i < 4; ++i) sum += spin_value(s[i]) * spin_value(s[i + 1]);
      return sum / 4;
    });
    const std::vector<Observer*> observers = {&recorder, &neighbours};
    run(*engine, Schedule{100, 1000, 2}, BetaSchedule::constant(1.0), observers);
    EXPECT_EQ(recorder.observations(), 1000u);
    EXPECT_EQ(recorder.chains(), chains);
    EXPECT_EQ(recorder.nodes(), 5);

    // Standard error of the mean of a correlated series: sqrt(var * tau_int / N).
    double sum = 0, squares = 0, n = 0;
    for (const auto& chain : neighbours.series())
      for (double x : chain) {
        sum += x;
        squares += x * x;
        ++n;
      }
    const double mean = sum / n, variance = squares / n - mean * mean;
    const double bound = 5 * std::sqrt(variance * neighbours.integrated_time() / n);
    EXPECT_NEAR(mean, std::tanh(0.5), bound) << engine->name();
    EXPECT_GT(std::abs(mean - std::tanh(0.6)), bound) << "cannot tell beta = 1 from beta = 1.2";
  }
}

const FactorGroup& group_of_shape(const Model& m, int n_spin, int n_cat) {
  for (const auto& g : m.groups)
    if (g.n_spin == n_spin && g.n_cat == n_cat) return g;
  throw std::logic_error("no such group");
}

// THRML A8: with t0, t1, y0, y1 clamped, gamma = [t0 w1, W2[y0, y1]] and
// theta = [W3[y0, y1, :], t0 t1 W4[:]], exactly; 50 repetitions with fresh N(0, 1) weights.
TEST(SamplingStats, RaggedMixedConditionalsA8) {
  enum { s0, s1, t0, t1, x0, x1, y0, y1 };
  for (uint64_t rep = 0; rep < 50; ++rep) {
    const TestModel t = ragged_mixed(1000 + rep);
    const CompiledModel cm = compile(std::make_shared<const Model>(t.model));
    Rng rng(rep);
    std::vector<State> state(8);
    for (int i = 0; i < 8; ++i) state[i] = State(rng.below(t.model.nodes[i].states));
    const int y = 7 * state[y0] + state[y1];
    const double w1 = group_of_shape(t.model, 2, 0).weights[0];
    const auto& w2 = group_of_shape(t.model, 1, 2).weights;
    const auto& w3 = group_of_shape(t.model, 0, 3).weights;
    const auto& w4 = group_of_shape(t.model, 2, 1).weights;
    EXPECT_EQ(spin_field(cm, s0, state), spin_value(state[t0]) * w1);
    EXPECT_EQ(spin_field(cm, s1, state), w2[y]);
    std::vector<double> theta(7);
    categorical_logits(cm, x0, state, theta);
    for (int k = 0; k < 7; ++k) EXPECT_EQ(theta[k], w3[7 * y + k]);
    categorical_logits(cm, x1, state, theta);
    for (int k = 0; k < 7; ++k) EXPECT_EQ(theta[k], spin_value(state[t0]) * spin_value(state[t1]) * w4[k]);
  }
}

// THRML A7: three groups of 20 categoricals (K = 3) joined by 20 triple factors W [20, 3, 3, 3]; two
// groups clamped. The head group's logits are W with the clamped axes fixed, and its draws, which
// depend on the clamped nodes alone and so are independent, follow softmax(theta) within 5 sigma.
TEST(SamplingStats, CategoricalTripletA7) {
  Model m;
  m.add_categorical_nodes(60, 3);
  Rng rng(77);
  for (int b = 0; b < 20; ++b) add_factor(m, {}, {b, 20 + b, 40 + b}, rng.normals(27, 1.0));
  const auto& w = m.groups[0].weights;
  for (int head = 0; head < 3; ++head) {
    Model clamped_model = m;
    std::vector<uint8_t> mask(60, 1);
    clamped_model.clamp.assign(60, std::nullopt);
    for (int i = 0; i < 60; ++i) {
      if (i / 20 == head)
        mask[i] = 0;
      else
        clamped_model.clamp[i] = State(rng.below(3));
    }
    const CompiledModel cm = compile(std::make_shared<const Model>(clamped_model));
    const Layout layout = make_layout(clamped_model, mask);
    const int chains = 1000;
    auto engine = make_backend(cm, layout, EngineOptions{chains, 3, 1, "reference"});
    auto start = initial_states(cm, layout, chains, 3, InitKind::Uniform, 1.0);
    engine->set_states(start);
    MarginalObserver frequencies(clamped_model);
    const std::vector<Observer*> observers = {&frequencies};
    run(*engine, Schedule{1, 20, 1}, BetaSchedule::constant(1.0), observers);
    const double n = double(chains) * 20;
    const auto sampled = frequencies.marginals();
    const auto state = start.chain(0);
    double worst = 0, worst_wrong = 0;
    for (int b = 0; b < 20; ++b) {
      const int node = 20 * head + b;
      std::vector<double> theta(3), expected(3);
      categorical_logits(cm, size_t(node), state, theta);
      for (int k = 0; k < 3; ++k) {
        State c[3] = {state[b], state[20 + b], state[40 + b]};
        c[head] = State(k);
        EXPECT_EQ(theta[k], w[27 * b + 9 * c[0] + 3 * c[1] + c[2]]);
      }
      for (double scale : {1.0, 1.3}) {
        double total = 0;
        for (int k = 0; k < 3; ++k) total += (expected[k] = std::exp(scale * theta[k]));
        for (int k = 0; k < 3; ++k) {
          const double p = expected[k] / total;
          const double ratio = std::abs(sampled[node][k] - p) / (5 * std::sqrt(p * (1 - p) / n) + 5 / n);
          double& target = scale == 1.0 ? worst : worst_wrong;
          target = std::max(target, ratio);
        }
      }
    }
    EXPECT_LE(worst, 1.0) << "head group " << head;
    EXPECT_GT(worst_wrong, 1.0) << "head group " << head << ": the bound cannot tell a wrong beta";
  }
}

SampleRecorder record(const Model& m, const std::string& backend, int threads, uint64_t seed) {
  const CompiledModel cm = compile(std::make_shared<const Model>(m));
  const Layout layout = default_layout(m);
  const int chains = 150;  // several of the fast backend's 64-chain tiles
  auto engine = make_backend(cm, layout, EngineOptions{chains, seed, threads, backend});
  engine->set_states(initial_states(cm, layout, chains, seed, InitKind::Uniform, 1.0));
  SampleRecorder recorder;
  const std::vector<Observer*> observers = {&recorder};
  run(*engine, Schedule{5, 20, 3}, BetaSchedule::constant(1.0), observers);
  return recorder;
}

TEST(SamplingStats, SameSeedSameSamplesWhateverTheThreadCount) {
  for (const auto& [model, backend] : {std::pair{random_mixed(0.7, 5).model, "reference"},
                                       std::pair{random_pairwise(12, 0.5, 0.3, 6).model, "auto"}}) {
    const auto one = record(model, backend, 1, 2024);
    EXPECT_EQ(one.data(), record(model, backend, 2, 2024).data());
    EXPECT_NE(one.data(), record(model, backend, 2, 2025).data());
  }
}

}  // namespace
