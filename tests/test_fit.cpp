// Fitting models to data (ml/fit): the statistics against the factor sum, exact gradients against
// finite differences of the exact NLL, sampled gradients against exact ones within their sampling
// error, and recovery of a known model from data drawn exactly from it.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "error_of.hpp"
#include "ml/fit.hpp"
#include "random_models.hpp"
#include "sample/exact.hpp"
#include "sample/program.hpp"
#include "sample/rng.hpp"

using namespace tsu;
using namespace tsu::ml;
using namespace tsu::test_models;

namespace {

std::vector<uint8_t> none_fixed(const Model& m) { return std::vector<uint8_t>(m.size(), 0); }

// `rows` rows of the first `visible` nodes of states drawn exactly from the model (inverse CDF).
FitData exact_draws(const Model& m, int visible, size_t rows, uint64_t seed) {
  const auto p = exact_distribution(m, none_fixed(m), m.beta);
  std::vector<double> cdf(p.size());
  std::partial_sum(p.begin(), p.end(), cdf.begin());
  Xoshiro128p rng = chain_stream(seed, 0);
  FitData data{visible, {}};
  for (size_t r = 0; r < rows; ++r) {
    const double u = double(rng.next()) / 4294967296.0 * cdf.back();
    size_t index = size_t(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
    index = std::min(index, p.size() - 1);
    for (int i = 0; i < visible; ++i) {  // mixed radix, lowest node fastest
      data.rows.push_back(State(index % size_t(m.nodes[i].states)));
      index /= size_t(m.nodes[i].states);
    }
  }
  return data;
}

// An RBM: `v` visible and `h` hidden spins, every visible-hidden coupling and every bias.
Model small_rbm(int v, int h, double sd, uint64_t seed) {
  Rng rng(seed);
  Model m;
  m.add_spin_nodes(v + h);
  for (int i = 0; i < v + h; ++i) m.add_bias(i, rng.normal(sd));
  for (int i = 0; i < v; ++i)
    for (int j = v; j < v + h; ++j) m.add_coupling(i, j, rng.normal(sd));
  return m;
}

// Every bias and every pair of n spins.
Model all_pairs(int n, double sd, uint64_t seed) {
  Rng rng(seed);
  Model m;
  m.add_spin_nodes(n);
  for (int i = 0; i < n; ++i) m.add_bias(i, rng.normal(sd));
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) m.add_coupling(i, j, rng.normal(sd));
  return m;
}

std::vector<size_t> all_rows(const FitData& d) {
  std::vector<size_t> rows(d.count());
  std::iota(rows.begin(), rows.end(), size_t(0));
  return rows;
}

// The covariance of the statistics under the model, by enumeration.
std::vector<std::vector<double>> statistic_covariance(const Model& m) {
  const auto p = exact_distribution(m, none_fixed(m), m.beta);
  const size_t k = weight_count(m);
  std::vector<double> mean(k, 0.0);
  std::vector<std::vector<double>> second(k, std::vector<double>(k, 0.0));
  std::vector<State> x(m.size(), 0);
  for (size_t index = 0; index < p.size(); ++index) {
    for (size_t i = 0, rest = index; i < m.size(); ++i, rest /= 2) x[i] = State(rest % 2);
    std::vector<double> phi(k, 0.0);
    add_statistics(m, x, 1.0, phi);
    for (size_t a = 0; a < k; ++a) {
      mean[a] += p[index] * phi[a];
      for (size_t b = 0; b < k; ++b) second[a][b] += p[index] * phi[a] * phi[b];
    }
  }
  for (size_t a = 0; a < k; ++a)
    for (size_t b = 0; b < k; ++b) second[a][b] -= mean[a] * mean[b];
  return second;
}

// Per statistic, the mean over the rows of its variance given the row (the latent nodes enumerated).
std::vector<double> mean_conditional_variance(const Model& m, const FitData& data) {
  const size_t k = weight_count(m), latent = m.size() - size_t(data.visible);
  std::vector<double> out(k, 0.0);
  std::vector<State> x(m.size(), 0);
  for (size_t r = 0; r < data.count(); ++r) {
    std::copy(data.row(r).begin(), data.row(r).end(), x.begin());
    std::vector<double> weight(size_t(1) << latent), mean(k, 0.0), second(k, 0.0);
    std::vector<std::vector<double>> phis(weight.size(), std::vector<double>(k, 0.0));
    double z = 0;
    for (size_t h = 0; h < weight.size(); ++h) {
      for (size_t j = 0; j < latent; ++j) x[size_t(data.visible) + j] = State((h >> j) & 1);
      z += weight[h] = std::exp(m.beta * factor_sum(m, x));
      add_statistics(m, x, 1.0, phis[h]);
    }
    for (size_t h = 0; h < weight.size(); ++h)
      for (size_t a = 0; a < k; ++a) {
        mean[a] += weight[h] / z * phis[h][a];
        second[a] += weight[h] / z * phis[h][a] * phis[h][a];
      }
    for (size_t a = 0; a < k; ++a) out[a] += (second[a] - mean[a] * mean[a]) / double(data.count());
  }
  return out;
}

// The diagonal of the inverse of a symmetric positive definite matrix (Gauss-Jordan).
std::vector<double> inverse_diagonal(std::vector<std::vector<double>> a) {
  const size_t n = a.size();
  std::vector<std::vector<double>> inv(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; ++i) inv[i][i] = 1;
  for (size_t c = 0; c < n; ++c) {
    const double pivot = a[c][c];
    for (size_t j = 0; j < n; ++j) a[c][j] /= pivot, inv[c][j] /= pivot;
    for (size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r][c];
      for (size_t j = 0; j < n; ++j) a[r][j] -= f * a[c][j], inv[r][j] -= f * inv[c][j];
    }
  }
  std::vector<double> d(n);
  for (size_t i = 0; i < n; ++i) d[i] = inv[i][i];
  return d;
}

}  // namespace

TEST(FitStatistics, WeightedByTheWeightsTheySumToTheFactorSum) {
  const Model m = random_mixed(0.7, 3).model;
  Rng rng(5);
  std::vector<State> x(m.size());
  for (int trial = 0; trial < 50; ++trial) {
    for (size_t i = 0; i < m.size(); ++i) x[i] = State(rng.below(m.nodes[i].states));
    std::vector<double> phi(weight_count(m), 0.0);
    add_statistics(m, x, 1.0, phi);
    const auto w = flat_weights(m);
    EXPECT_NEAR(std::inner_product(w.begin(), w.end(), phi.begin(), 0.0), factor_sum(m, x), 1e-12);
  }
}

TEST(FitStatistics, BatchMeansAgreeWithTheTermByTermSums) {
  const Model m = random_mixed(0.7, 3).model;
  Rng rng(6);
  StateBatch states(130, int(m.size()));  // three words of chains, the last one partial
  std::vector<double> want(weight_count(m), 0.0);
  for (int c = 0; c < states.chains; ++c) {
    for (size_t i = 0; i < m.size(); ++i) states.chain(c)[i] = State(rng.below(m.nodes[i].states));
    add_statistics(m, states.chain(c), 1.0 / states.chains, want);
  }
  const auto got = mean_statistics(m, states);
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(got[k], want[k], 1e-12) << "weight " << k;
}

TEST(FitStatistics, EnumerationAgreesWithTheExactEngine) {
  const Model m = random_mixed(0.7, 4).model;
  const auto e = enumerate_statistics(m, none_fixed(m), std::vector<State>(m.size(), 0));
  const auto exact = exact_moments(m, none_fixed(m), {}, m.beta);
  EXPECT_NEAR(e.log_z, exact.log_z, 1e-10);
  // A bias's statistic is s_i: its mean is P(+1) - P(-1).
  const auto& biases = m.groups[0];
  ASSERT_EQ(biases.n_spin, 1);
  for (size_t f = 0; f < biases.count(); ++f) {
    const int i = biases.spins[f];
    EXPECT_NEAR(e.mean[f], exact.marginals[i][1] - exact.marginals[i][0], 1e-10);
  }
}

TEST(FitStatistics, LatentSumInClosedFormEqualsEnumeration) {
  Model m = small_rbm(5, 3, 0.7, 13);
  const int cat = m.add_categorical_nodes(1, 3);  // a categorical latent node too
  add_factor(m, {1}, {cat}, {0.4, -0.3, 0.9});
  add_factor(m, {}, {cat}, {0.2, 0.0, -0.5});
  m.beta = 0.9;
  const CompiledModel cm = compile(std::make_shared<const Model>(m));
  const auto fixed = std::vector<uint8_t>{1, 1, 1, 1, 1, 0, 0, 0, 0};
  Rng rng(2);
  for (int trial = 0; trial < 10; ++trial) {
    std::vector<State> x(m.size(), 0);
    for (int i = 0; i < 5; ++i) x[i] = State(rng.below(2));
    const double want = enumerate_statistics(m, fixed, x, false).log_z;
    EXPECT_NEAR(latent_log_sum(cm, std::span<const State>(x.data(), 5)), want, 1e-10);
  }
  Model joined = small_rbm(3, 2, 0.5, 1);
  joined.add_coupling(3, 4, 0.2);
  const CompiledModel cj = compile(std::make_shared<const Model>(joined));
  EXPECT_EQ(error_of([&] { latent_log_sum(cj, std::vector<State>(3, 0)); }),
            "latent nodes 3 and 4 share a factor of group 1: the latent sum has no closed form");
}

TEST(FitGradient, ExactGradientIsTheDerivativeOfTheExactNll) {
  Model m = random_mixed(0.6, 7).model;
  m.beta = 0.8;
  const FitData data = exact_draws(random_mixed(0.6, 8).model, 6, 40, 1);  // nodes 6 and 7 latent
  FitConfig config;
  config.method = FitMethod::Exact;
  FitState st = start_fit(m, config);
  const auto g = nll_gradient(st, config, data, all_rows(data), 0);
  auto w = flat_weights(m);
  const double h = 1e-5;
  for (size_t k = 0; k < w.size(); ++k) {
    Model plus = m, minus = m;
    auto wp = w, wm = w;
    wp[k] += h, wm[k] -= h;
    set_flat_weights(plus, wp);
    set_flat_weights(minus, wm);
    const double fd = (exact_nll(plus, data) - exact_nll(minus, data)) / (2 * h);
    EXPECT_NEAR(g[k], fd, 1e-6) << "weight " << k;
  }
}

// CD-k and PCD with many sweeps sample both phases of the exact gradient: every entry within its
// sampling error, judged by the exact variances of the statistics.
class SampledGradient : public ::testing::TestWithParam<FitMethod> {};

TEST_P(SampledGradient, AgreesWithTheExactOneWithinItsSamplingError) {
  const Model m = small_rbm(5, 3, 0.5, 11);
  const FitData data = exact_draws(small_rbm(5, 3, 0.5, 12), 5, 4000, 2);
  FitConfig exact;
  exact.method = FitMethod::Exact;
  FitState exact_state = start_fit(m, exact);
  const auto want = nll_gradient(exact_state, exact, data, all_rows(data), 0);
  FitConfig config;
  config.method = GetParam();
  config.k = 30;
  config.chains = 4000;  // PCD's chains; CD runs one per row
  FitState st = start_fit(m, config);
  const auto got = nll_gradient(st, config, data, all_rows(data), 9);
  // The sampling variance of each entry: the statistic's variance under the model over the 4000
  // negative chains, plus its variance given each row over the 4000 positive draws.
  const auto negative = statistic_covariance(m);
  const auto positive = mean_conditional_variance(m, data);
  double sum_z2 = 0;
  for (size_t k = 0; k < want.size(); ++k) {
    const double sd = m.beta * std::sqrt((negative[k][k] + positive[k]) / 4000.0);
    const double z = (got[k] - want[k]) / sd;
    EXPECT_LT(std::abs(z), 5.0) << "weight " << k << ": " << got[k] << " vs " << want[k];
    sum_z2 += z * z;
  }
  // The mean square z of 23 entries is 1 in expectation; an exact copy or a biased phase is not.
  RecordProperty("mean_z2", std::to_string(sum_z2 / double(want.size())));
  EXPECT_LT(sum_z2 / double(want.size()), 2.2);
  EXPECT_GT(sum_z2 / double(want.size()), 0.25);
}

INSTANTIATE_TEST_SUITE_P(Methods, SampledGradient, ::testing::Values(FitMethod::CD, FitMethod::PCD),
                         [](const auto& info) { return fit_method_name(info.param); });

// Data drawn exactly from a known model, fitted by exact gradients: the fit matches the data's
// moments (the maximum-likelihood condition), and its weights lie within 5 standard errors of the
// truth, from the inverse Fisher information over the data size.
TEST(FitRecovery, ExactFitRecoversTheWeightsWithinTheirStandardErrors) {
  const Model truth = all_pairs(5, 0.5, 21);
  const size_t rows = 20000;
  const FitData data = exact_draws(truth, 5, rows, 3);
  Model start = truth;
  set_flat_weights(start, std::vector<double>(weight_count(truth), 0.0));
  FitConfig config;
  config.method = FitMethod::Exact;
  config.batch = int(rows);
  config.epochs = 400;
  config.learning_rate = 0.05;
  config.lr_floor = 0.01;
  config.validate(start, data);
  FitState st = start_fit(start, config);
  for (int e = 0; e < config.epochs; ++e) fit_epoch(st, config, data);
  const auto gradient = nll_gradient(st, config, data, all_rows(data), 0);
  // The data's moments matched to a tenth of their standard error 1/sqrt(rows) = 0.007.
  for (double g : gradient) EXPECT_LT(std::abs(g), 7e-4);
  const auto variance = inverse_diagonal(statistic_covariance(truth));
  const auto fitted = flat_weights(st.model), true_w = flat_weights(truth);
  double sum_z2 = 0;
  for (size_t k = 0; k < fitted.size(); ++k) {
    const double se = std::sqrt(variance[k] / double(rows)) / truth.beta;
    const double z = (fitted[k] - true_w[k]) / se;
    EXPECT_LT(std::abs(z), 5.0) << "weight " << k << ": " << fitted[k] << " vs " << true_w[k];
    sum_z2 += z * z;
  }
  // A chi-square with 15 degrees of freedom: 5..30 holds with probability above 0.99.
  RecordProperty("sum_z2", std::to_string(sum_z2));
  EXPECT_GT(sum_z2, 5.0);
  EXPECT_LT(sum_z2, 30.0);
  EXPECT_LT(st.history.back().nll, st.history.front().nll);
}

// PCD reaches nearly the likelihood of the exact fit, on a model with latent units.
TEST(FitRecovery, PcdFitOfAnRbmComesCloseToTheExactLikelihood) {
  const Model truth = small_rbm(6, 2, 0.8, 31);
  const FitData data = exact_draws(truth, 6, 6000, 4);
  FitConfig config;
  config.method = FitMethod::PCD;
  config.batch = 200;
  config.chains = 200;
  config.epochs = 15;
  config.learning_rate = 0.05;
  config.seed = 5;
  Model start = small_rbm(6, 2, 0.05, 32);
  FitState st = start_fit(start, config);
  for (int e = 0; e < config.epochs; ++e) fit_epoch(st, config, data);
  const double truth_nll = exact_nll(truth, data), start_nll = exact_nll(start, data);
  const double nll = st.history.back().nll;
  EXPECT_LT(nll, truth_nll + 0.02) << "start " << start_nll << ", truth " << truth_nll;
  RecordProperty("nll", std::to_string(nll) + " truth " + std::to_string(truth_nll) + " start " + std::to_string(start_nll));
  EXPECT_GT(start_nll - nll, 0.05);
  EXPECT_TRUE(std::isfinite(st.history.back().reconstruction));
}

TEST(FitDeterminism, SameSeedSameWeightsWhateverTheThreadCount) {
  const Model m = small_rbm(6, 3, 0.3, 41);
  const FitData data = exact_draws(m, 6, 512, 5);
  FitConfig config;
  config.batch = 64;
  config.chains = 128;
  config.epochs = 2;
  auto fit = [&](int threads) {
    config.threads = threads;
    FitState st = start_fit(m, config);
    for (int e = 0; e < config.epochs; ++e) fit_epoch(st, config, data);
    return flat_weights(st.model);
  };
  EXPECT_EQ(fit(1), fit(2));
}

TEST(FitConfigErrors, NameTheField) {
  const Model m = small_rbm(4, 2, 0.3, 1);
  const FitData data = exact_draws(m, 4, 50, 1);
  auto error = [&](auto change) {
    FitConfig c;
    c.batch = 10;
    change(c);
    return error_of([&] { c.validate(m, data); });
  };
  EXPECT_EQ(error([](FitConfig& c) { c.k = 0; }), "k: must be at least 1, got 0");
  EXPECT_EQ(error([](FitConfig& c) { c.batch = 51; }), "batch: 51 rows per batch, but the data has only 50");
  EXPECT_EQ(error([](FitConfig& c) { c.optimizer = "rmsprop"; }),
            "optimizer: unknown \"rmsprop\" (expected adam or sgd)");
  EXPECT_EQ(error([](FitConfig& c) { c.learning_rate = 0; }), "learning_rate: must be a positive number, got 0");
  EXPECT_EQ(error([](FitConfig&) {}), "(no error)");
  FitData bad = data;
  bad.rows[7] = 2;
  FitConfig c;
  c.batch = 10;
  EXPECT_EQ(error_of([&] { c.validate(m, bad); }), "data: row 1, node 3: state 2 out of range 0..1");
  c.method = FitMethod::Exact;
  EXPECT_EQ(error_of([&] { c.validate(small_rbm(20, 10, 0.1, 1), FitData{20, std::vector<State>(20 * 50, 0)}); }),
            "method: exact needs 1.07e+09 configurations per batch, more than the limit of 4194304; use cd or pcd");
}
