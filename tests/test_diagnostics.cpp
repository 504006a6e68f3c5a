// MCMC diagnostics against series whose answers are known in closed form: independent draws
// (ESS = N), AR(1) and two-state Markov chains (tau = (1 + rho) / (1 - rho)), chains displaced in
// location or scale (R-hat must exceed 1.01), and a sampler's standard errors against its actual
// errors from exact enumeration.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>

#include "api/exact.hpp"
#include "api/sample.hpp"
#include "error_of.hpp"
#include "random_models.hpp"
#include "sample/diagnostics.hpp"

using namespace tsu;

namespace {

using Chains = std::vector<std::vector<double>>;

// AR(1) chains x_t = rho x_{t-1} + e_t started in equilibrium, e_t ~ N(0, 1), plus `shift[c]` and
// times `scale[c]`.
Chains ar1(int chains, int draws, double rho, uint64_t seed, std::vector<double> shift = {},
           std::vector<double> scale = {}) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  Chains out(static_cast<size_t>(chains));
  for (int c = 0; c < chains; ++c) {
    double x = noise(gen) / std::sqrt(1 - rho * rho);
    for (int t = 0; t < draws; ++t) {
      x = rho * x + noise(gen);
      out[c].push_back((shift.empty() ? 0.0 : shift[c]) + (scale.empty() ? 1.0 : scale[c]) * x);
    }
  }
  return out;
}

// Two-state chains that flip with probability q per step, started at random: stationary P(1) = 1/2,
// lag-t autocorrelation (1 - 2q)^t.
Chains flipping(int chains, int draws, double q, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Chains out(static_cast<size_t>(chains));
  for (auto& c : out) {
    double x = u(gen) < 0.5;
    for (int t = 0; t < draws; ++t) {
      if (u(gen) < q) x = 1 - x;
      c.push_back(x);
    }
  }
  return out;
}

BinarySeriesStats stream(const Chains& chains, size_t first = 0, size_t count = SIZE_MAX) {
  count = std::min(count, chains.size() - first);
  const int64_t n = int64_t(chains[0].size());
  BinarySeriesStats stats(1, n);
  for (int64_t t = 0; t < n; ++t) {
    stats.begin_observation(int(count));
    for (size_t c = 0; c < count; ++c)
      if (chains[first + c][size_t(t)] > 0.5) stats.add(int(c), 0);
    stats.end_observation();
  }
  return stats;
}

double tau_ar1(double rho) { return (1 + rho) / (1 - rho); }

}  // namespace

TEST(Diagnose, IndependentDrawsHaveEssNearTheirCountAndRhatNearOne) {
  const Chains chains = ar1(4, 2000, 0.0, 1);
  const Diagnostic d = diagnose(chains);
  EXPECT_NEAR(d.ess, 8000, 0.15 * 8000);
  EXPECT_NEAR(d.ess_tail, 8000, 0.25 * 8000);
  EXPECT_LT(d.rhat, 1.01);
  EXPECT_GT(d.rhat, 0.99);
  EXPECT_NEAR(d.mcse, 1 / std::sqrt(8000.0), 0.15 / std::sqrt(8000.0));
}

// ESS = N / tau with tau = 19 at rho = 0.9; Geyer's estimate has a relative error of about
// sqrt(2 (4 tau + 1) / N) ~ 5 % here, so 20 % is four of them.
TEST(Diagnose, Ar1EssIsTheDrawsOverTheIntegratedTime) {
  const double rho = 0.9;
  const Chains chains = ar1(4, 20000, rho, 2);
  const Diagnostic d = diagnose(chains);
  const double expected = 80000 / tau_ar1(rho);
  EXPECT_NEAR(d.ess, expected, 0.2 * expected);
  const double sd = 1 / std::sqrt(1 - rho * rho);
  EXPECT_NEAR(d.mcse, sd / std::sqrt(expected), 0.2 * sd / std::sqrt(expected));
  EXPECT_LT(d.rhat, 1.01);
}

TEST(Diagnose, ChainsApartInLocationOrScaleRaiseRhat) {
  EXPECT_GT(diagnose(ar1(4, 1000, 0.0, 3, {0, 0, 0, 0.5})).rhat, 1.01);
  // Equal means, one chain three times as wide: only the folded (tail) R-hat can see it.
  const Diagnostic wide = diagnose(ar1(4, 1000, 0.0, 4, {}, {1, 1, 1, 3}));
  EXPECT_GT(wide.rhat, 1.01);
  EXPECT_LT(diagnose(ar1(4, 1000, 0.0, 4)).rhat, 1.01);
}

TEST(Diagnose, ConstantTracesAndShortChains) {
  const Diagnostic d = diagnose(Chains(3, std::vector<double>(10, 2.5)));
  EXPECT_EQ(d.mean, 2.5);
  EXPECT_EQ(d.mcse, 0);
  EXPECT_TRUE(std::isnan(d.rhat));
  EXPECT_TRUE(std::isnan(d.ess));
  EXPECT_EQ(error_of([] { diagnose(Chains(2, std::vector<double>(3, 0.0))); }),
            "diagnostics: need at least 4 draws per chain, got 3");
  EXPECT_EQ(error_of([] { diagnose({{1, 2, 3, 4}, {1, 2, 3}}); }), "diagnostics: chains of 4 and 3 draws");
}

// For 0/1 series the streamed split R-hat is the rank-normalised one exactly; even and odd lengths
// (the middle draw of an odd chain is in neither half).
TEST(BinarySeriesStats, RhatEqualsTheRankNormalisedOne) {
  for (int draws : {1000, 1001}) {
    const Chains chains = flipping(6, draws, 0.05, uint64_t(draws));
    EXPECT_NEAR(stream(chains).at(0).rhat, diagnose(chains).rhat, 1e-9) << draws;
  }
}

// tau = (1 + rho) / (1 - rho) = 19 at q = 0.05. Batches of 100 (sqrt of 10,000) carry a bias of
// about 2 rho / ((1 - rho)^2 b tau) ~ 10 % and a spread of sqrt(2 / 800) ~ 5 %.
TEST(BinarySeriesStats, BatchMeansEssMatchesTheMarkovChain) {
  const Chains chains = flipping(8, 10000, 0.05, 7);
  const Diagnostic d = stream(chains).at(0);
  const double expected = 80000 / tau_ar1(1 - 2 * 0.05);
  EXPECT_NEAR(d.ess, expected, 0.25 * expected);
  EXPECT_NEAR(d.mcse, 0.5 / std::sqrt(expected), 0.25 * 0.5 / std::sqrt(expected));
  EXPECT_LT(d.rhat, 1.01);
  EXPECT_NEAR(d.ess, diagnose(chains).ess, 0.25 * expected);
}

TEST(BinarySeriesStats, StuckAndConstantChains) {
  Chains stuck(4, std::vector<double>(100, 0.0));
  stuck[1].assign(100, 1.0);
  stuck[3].assign(100, 1.0);
  EXPECT_TRUE(std::isinf(stream(stuck).at(0).rhat));
  const Diagnostic constant = stream(Chains(4, std::vector<double>(100, 1.0))).at(0);
  EXPECT_EQ(constant.mean, 1.0);
  EXPECT_EQ(constant.mcse, 0.0);
  EXPECT_TRUE(std::isnan(constant.rhat));
}

TEST(BinarySeriesStats, RunsOverDisjointChainsMergeExactly) {
  const Chains chains = flipping(8, 501, 0.2, 9);
  BinarySeriesStats part = stream(chains, 0, 3);
  part.merge(stream(chains, 3));
  const Diagnostic merged = part.at(0), whole = stream(chains).at(0);
  EXPECT_EQ(merged.rhat, whole.rhat);
  EXPECT_EQ(merged.ess, whole.ess);
  EXPECT_EQ(merged.mcse, whole.mcse);
  EXPECT_EQ(error_of([&] { part.merge(stream(flipping(2, 500, 0.2, 1))); }),
            "merge: the diagnostics cover different entries or observation counts");
}

// The standard errors a run reports are its actual errors: over 40 runs of a coupled model (tau of
// up to about 150 observations), (estimate - exact) / MCSE of every marginal and pair moment has a mean
// square near 1. The runs are independent, so even with the statistics of one run correlated the
// pooled mean square is known to within about 25 %; standard errors off by a factor of 1.5 either
// way (say, ignoring part of the autocorrelation) fall outside [0.6, 1.6].
TEST(SampleDiagnostics, StandardErrorsMatchTheErrorsAgainstEnumeration) {
  const auto model = std::make_shared<const Model>(test_models::random_pairwise(14, 1.0, 0.4, 31).model);
  const api::ExactResult exact = api::exact(model);
  double sum = 0, count = 0, tau_max = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    api::SampleOptions o;
    o.chains = 8, o.schedule = {200, 2000, 1}, o.seed = seed;
    const api::SampleResult r = api::sample(model, o);
    const auto diagnostics = r.diagnostics();
    for (size_t i = 0; i < model->size(); ++i) {
      const double z = (r.marginals[i][1] - exact.marginals[i][1]) / double(diagnostics["marginals"]["mcse"][i]);
      sum += z * z, ++count;
      tau_max = std::max(tau_max, double(r.draws) / double(diagnostics["marginals"]["ess"][i]));
    }
    for (size_t p = 0; p < r.pair_moments.size(); ++p) {
      const double z = (r.pair_moments[p] - exact.pair_moments[p]) / double(diagnostics["pair_moments"]["mcse"][p]);
      sum += z * z, ++count;
    }
  }
  EXPECT_GT(tau_max, 10) << "the model mixes too fast for the test to see a missing autocorrelation";
  const double mean_square = sum / count;
  EXPECT_GT(mean_square, 0.6);
  EXPECT_LT(mean_square, 1.6);
}

// A cold spin glass: each chain freezes into a state of its own.
TEST(SampleDiagnostics, ChainsFrozenApartAreWarnedAbout) {
  api::SampleOptions o;
  o.chains = 8, o.schedule = {20, 100, 1}, o.seed = 3;
  const api::SampleResult r = api::sample(api::with_overrides(api::load("grid:12:G8"), 3.0, {}), o);
  const auto warnings = r.warnings();
  ASSERT_GE(warnings.size(), 2u);
  EXPECT_TRUE(warnings[0].starts_with("R-hat ")) << warnings[0];
  EXPECT_TRUE(warnings[0].ends_with("for the energy, above 1.01: the chains disagree; sample longer")) << warnings[0];
  auto about_marginals = [](const std::string& w) { return w.find("of 144 marginals)") != std::string::npos; };
  EXPECT_TRUE(std::any_of(warnings.begin(), warnings.end(), about_marginals)) << warnings[1];
  EXPECT_GT(double(r.diagnostics()["worst"]["marginals"]["rhat"]["value"]), 1.5);
}

TEST(SampleDiagnostics, ChainRangesMergeIntoTheWholeRunsDiagnostics) {
  const auto model = api::with_overrides(api::load("grid:10:G8"), 0.3, {});
  api::SampleOptions o;
  o.chains = 12, o.schedule = {10, 50, 2}, o.seed = 4;
  const auto whole = api::sample(model, o).diagnostics();
  o.chains = 5;
  api::SampleResult part = api::sample(model, o);
  o.chains = 7, o.first_chain = 5;
  part.merge(api::sample(model, o));
  const auto merged = part.diagnostics();
  EXPECT_EQ(merged["marginals"], whole["marginals"]);
  EXPECT_EQ(merged["pair_moments"], whole["pair_moments"]);
  EXPECT_NEAR(double(merged["energy"]["ess"]), double(whole["energy"]["ess"]), 1e-9 * double(whole["energy"]["ess"]));
}

TEST(SampleDiagnostics, CategoricalMarginalsGetOneListPerNodeAndShortRunsNone) {
  const auto model = std::make_shared<const Model>(test_models::random_potts(6, 3, 0.5, 2).model);
  api::SampleOptions o;
  o.chains = 4, o.schedule = {10, 40, 1};
  const auto d = api::sample(model, o).diagnostics();
  ASSERT_EQ(d["marginals"]["ess"].size(), 6u);
  EXPECT_EQ(d["marginals"]["ess"][0].size(), 3u);
  o.schedule = {10, 3, 1};
  EXPECT_TRUE(api::sample(model, o).diagnostics().empty());
}
