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
#include "sample/observers.hpp"

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

// Chains of -1/0/+1 that keep their value, or with probability q draw a fresh one uniformly:
// stationary mean 0 and variance 2/3, lag-t autocorrelation (1 - q)^t. `offset` chains start at +1
// and resample from {0, +1} only, so that they sit apart from the others.
Chains resampling(int chains, int draws, double q, uint64_t seed, int offset = 0) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Chains out(static_cast<size_t>(chains));
  for (int c = 0; c < chains; ++c) {
    const bool apart = c < offset;
    auto fresh = [&] { return apart ? double(gen() % 2) : double(int(gen() % 3) - 1); };
    double x = apart ? 1.0 : fresh();
    for (int t = 0; t < draws; ++t) {
      if (u(gen) < q) x = fresh();
      out[size_t(c)].push_back(x);
    }
  }
  return out;
}

// Split R-hat (Vehtari et al. 2021, equations 3-4) of the values themselves, not rank-normalised.
double split_rhat_of_values(const Chains& chains) {
  std::vector<std::vector<double>> halves;
  for (const auto& c : chains) {
    const size_t half = c.size() / 2;
    halves.emplace_back(c.begin(), c.begin() + std::ptrdiff_t(half));
    halves.emplace_back(c.end() - std::ptrdiff_t(half), c.end());
  }
  const double n = double(halves[0].size()), m = double(halves.size());
  std::vector<double> means;
  double within = 0;
  for (const auto& h : halves) {
    double mean = 0, squares = 0;
    for (double x : h) mean += x / n;
    for (double x : h) squares += (x - mean) * (x - mean);
    means.push_back(mean);
    within += squares / (n - 1) / m;
  }
  double grand = 0, between = 0;
  for (double x : means) grand += x / m;
  for (double x : means) between += (x - grand) * (x - grand) / (m - 1);
  return std::sqrt(((n - 1) / n * within + between) / within);
}

// Values > 0.5 are added, values < -0.5 subtracted (0/1 series and -1/0/1 series alike).
BinarySeriesStats stream(const Chains& chains, size_t first = 0, size_t count = SIZE_MAX) {
  count = std::min(count, chains.size() - first);
  const int64_t n = int64_t(chains[0].size());
  BinarySeriesStats stats(1, n);
  for (int64_t t = 0; t < n; ++t) {
    stats.begin_observation(int(count));
    for (size_t c = 0; c < count; ++c)
      if (const double x = chains[first + c][size_t(t)]; x > 0.5)
        stats.add(int(c), 0);
      else if (x < -0.5)
        stats.subtract(int(c), 0);
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

// A factor with spin and categorical members has a -1/0/+1 statistic: its streamed R-hat is the
// split R-hat of the values (two chains apart raise it well above 1.01), and the ESS and MCSE are
// those of the Markov chain: tau = (1 + rho) / (1 - rho) = 9 at rho = 0.8.
TEST(BinarySeriesStats, TernarySeriesHaveTheSplitRhatAndEssOfTheirValues) {
  for (int offset : {0, 2}) {
    const Chains chains = resampling(8, 1001, 0.2, 3, offset);
    const Diagnostic d = stream(chains).at(0);
    EXPECT_NEAR(d.rhat, split_rhat_of_values(chains), 1e-12) << offset;
    if (offset > 0) EXPECT_GT(d.rhat, 1.02);
  }
  const Chains chains = resampling(8, 10000, 0.2, 5);
  const Diagnostic d = stream(chains).at(0);
  const double expected = 80000 / tau_ar1(0.8);
  EXPECT_NEAR(d.ess, expected, 0.2 * expected);
  EXPECT_NEAR(d.mcse, std::sqrt(2.0 / 3 / expected), 0.2 * std::sqrt(2.0 / 3 / expected));
  EXPECT_NEAR(d.mean, 0, 4 * d.mcse);
  EXPECT_LT(d.rhat, 1.01);
  const Diagnostic minus = stream(Chains(3, std::vector<double>(100, -1.0))).at(0);
  EXPECT_EQ(minus.mean, -1);
  EXPECT_TRUE(std::isnan(minus.rhat));
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
// Every factor moment of models with every kind of factor (spin biases and couplings, categorical
// tables, spin x categorical and spin-spin-categorical factors, a three-categorical table of 343
// entries) is within its standard error of enumeration: over 6 runs of each model, (estimate -
// exact) / MCSE has a mean square in [0.5, 2] (measured: 1.22 and 1.02). Against the moments of the
// model at a beta 20 % higher the same estimates have a mean square above 3 (measured: 70 and 4.1).
TEST(SampleDiagnostics, FactorMomentsOfEveryGroupMatchEnumerationWithinTheirErrors) {
  for (const auto& t : {test_models::random_mixed(0.8, 11), test_models::ragged_mixed(5)}) {
    const Model& m = t.model;
    const auto model = std::make_shared<const Model>(m);
    const auto exact = api::exact(model).factor_moments;
    Model hotter = m;
    hotter.beta *= 1.2;
    const auto wrong = api::exact(std::make_shared<const Model>(hotter)).factor_moments;
    double sum = 0, wrong_sum = 0, count = 0;
    for (uint64_t seed = 0; seed < 6; ++seed) {
      api::SampleOptions o;
      o.chains = 16, o.schedule = {100, 1500, 1}, o.seed = seed;
      const api::SampleResult r = api::sample(model, o);
      ASSERT_EQ(r.factor_moments.size(), exact.size());
      const auto mcse = factor_moment_diagnostics(m, r.diagnostic_data.factors);
      for (size_t k = 0; k < exact.size(); ++k) {
        if (!(mcse[k].mcse > 0)) continue;  // never or always seen: no spread to measure against
        const double z = (r.factor_moments[k] - exact[k]) / mcse[k].mcse, zw = (r.factor_moments[k] - wrong[k]) / mcse[k].mcse;
        sum += z * z, wrong_sum += zw * zw, ++count;
      }
    }
    EXPECT_GT(count, 100);
    EXPECT_GT(sum / count, 0.5) << t.name;
    EXPECT_LT(sum / count, 2.0) << t.name;
    EXPECT_GT(wrong_sum / count, 3.0) << t.name;
  }
}

TEST(SampleDiagnostics, FactorMomentsInMomentsJsonHaveTheShapeOfTheirGroups) {
  const auto model = std::make_shared<const Model>(test_models::ragged_mixed(5).model);
  api::SampleOptions o;
  o.chains = 4, o.schedule = {10, 40, 1};
  const api::SampleResult r = api::sample(model, o);
  const auto doc = r.to_json(), d = r.diagnostics();
  ASSERT_EQ(doc["factor_moments"].size(), model->groups.size());
  for (size_t g = 0; g < model->groups.size(); ++g) {
    const FactorGroup& group = model->groups[g];
    EXPECT_EQ(doc["factor_moments"][g]["spins"], group.n_spin);
    EXPECT_EQ(doc["factor_moments"][g]["categories"], group.cat_dims);
    ASSERT_EQ(doc["factor_moments"][g]["moments"].size(), group.count());
    EXPECT_EQ(d["factor_moments"][g]["mcse"].size(), group.count());
    if (group.table_size() > 1) EXPECT_EQ(doc["factor_moments"][g]["moments"][0].size(), group.table_size());
  }
  EXPECT_EQ(d["pair_moments"]["mcse"].size(), 1u);
  // A categorical table's entries of one factor are probabilities that sum to 1.
  double total = 0;
  for (double p : doc["factor_moments"][2]["moments"][0]) total += p;
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_EQ(factor_moment_name(*model, 1), "E[[x_6 = 0, x_7 = 0] s_1]");

  o.factor_diagnostics_bytes = 100;
  const api::SampleResult skipped = api::sample(model, o);
  EXPECT_TRUE(skipped.diagnostics()["factor_moments_skipped"].get<std::string>().starts_with(
      "factor moment (and pair moment) diagnostics skipped: they would take"));
  EXPECT_FALSE(skipped.diagnostics().contains("factor_moments"));
  EXPECT_TRUE(skipped.warnings().at(0).starts_with("factor moment (and pair moment) diagnostics skipped"))
      << skipped.warnings().at(0);
  // Merged with a run that has them, the result has none, and says why.
  o.factor_diagnostics_bytes = 2.4e9;
  o.first_chain = 4;
  api::SampleResult merged = skipped;
  merged.merge(api::sample(model, o));
  EXPECT_TRUE(merged.diagnostics().contains("factor_moments_skipped"));
  EXPECT_FALSE(merged.diagnostics()["marginals"].empty());
  EXPECT_FALSE(skipped.diagnostics()["marginals"].empty());
}

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
