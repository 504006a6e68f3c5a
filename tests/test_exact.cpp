#include <gtest/gtest.h>

#include <cmath>

#include "random_models.hpp"
#include "sample/exact.hpp"
#include "sample/observers.hpp"

using namespace tsu;
using namespace tsu::test_models;

namespace {

// log cosh without overflow for large arguments.
double log_cosh(double x) { return std::abs(x) + std::log1p(std::exp(-2 * std::abs(x))) - std::log(2.0); }

// The obvious enumeration: decode every index into a full state and evaluate the whole factor sum.
struct Naive {
  double log_z = 0;
  std::vector<std::vector<double>> marginals;
  std::vector<double> pairs;
  std::vector<double> factors;  // E[phi_k] per weight
  double mean_energy = 0;
  std::vector<double> distribution;
};

// The model with weight k raised by 1: the factor sum is linear in each weight, so its change is
// phi_k, found without the statistic's own code.
std::vector<Model> unit_steps(const Model& m) {
  std::vector<Model> out;
  for (size_t g = 0; g < m.groups.size(); ++g)
    for (size_t k = 0; k < m.groups[g].weights.size(); ++k) {
      out.push_back(m);
      out.back().groups[g].weights[k] += 1;
    }
  return out;
}

Naive naive_enumeration(const Model& m, const std::vector<uint8_t>& clamped,
                        const std::vector<std::pair<int32_t, int32_t>>& pairs, double beta) {
  std::vector<int32_t> free;
  std::vector<State> state(m.size(), 0);
  size_t total = 1;
  for (size_t i = 0; i < m.size(); ++i) {
    if (clamped[i]) {
      state[i] = m.is_clamped(i) ? *m.clamp[i] : 0;
    } else {
      free.push_back(int32_t(i));
      total *= size_t(m.nodes[i].states);
    }
  }
  std::vector<std::vector<State>> states(total);
  std::vector<double> exponent(total);
  for (size_t index = 0; index < total; ++index) {
    size_t rest = index;
    for (int32_t v : free) {
      state[v] = State(rest % size_t(m.nodes[v].states));
      rest /= size_t(m.nodes[v].states);
    }
    states[index] = state;
    exponent[index] = beta * factor_sum(m, state);
  }
  const double top = *std::max_element(exponent.begin(), exponent.end());
  Naive r;
  double z = 0;
  for (double e : exponent) z += std::exp(e - top);
  r.log_z = top + std::log(z);
  r.marginals.resize(m.size());
  for (size_t i = 0; i < m.size(); ++i) r.marginals[i].assign(size_t(m.nodes[i].states), 0.0);
  r.pairs.assign(pairs.size(), 0.0);
  const auto steps = unit_steps(m);
  r.factors.assign(steps.size(), 0.0);
  for (size_t index = 0; index < total; ++index) {
    const double p = std::exp(exponent[index] - top) / z;
    r.distribution.push_back(p);
    for (size_t i = 0; i < m.size(); ++i) r.marginals[i][states[index][i]] += p;
    for (size_t k = 0; k < pairs.size(); ++k)
      r.pairs[k] += p * spin_value(states[index][pairs[k].first]) * spin_value(states[index][pairs[k].second]);
    r.mean_energy += p * -exponent[index];
    const double sum = factor_sum(m, states[index]);
    for (size_t k = 0; k < steps.size(); ++k) r.factors[k] += p * (factor_sum(steps[k], states[index]) - sum);
  }
  return r;
}

void expect_matches_naive(const Model& m, const std::vector<uint8_t>& clamped,
                          const std::vector<std::pair<int32_t, int32_t>>& pairs, double beta) {
  const auto naive = naive_enumeration(m, clamped, pairs, beta);
  const auto exact = exact_moments(m, clamped, pairs, beta);
  EXPECT_NEAR(exact.log_z, naive.log_z, 1e-9 * std::max(1.0, std::abs(naive.log_z)));
  EXPECT_NEAR(exact.mean_energy, naive.mean_energy, 1e-9 * std::max(1.0, std::abs(naive.mean_energy)));
  ASSERT_EQ(exact.marginals.size(), m.size());
  for (size_t i = 0; i < m.size(); ++i) {
    ASSERT_EQ(exact.marginals[i].size(), size_t(m.nodes[i].states));
    for (size_t k = 0; k < exact.marginals[i].size(); ++k)
      EXPECT_NEAR(exact.marginals[i][k], naive.marginals[i][k], 1e-11) << "node " << i << " state " << k;
  }
  ASSERT_EQ(exact.pair_moments.size(), pairs.size());
  for (size_t k = 0; k < pairs.size(); ++k) EXPECT_NEAR(exact.pair_moments[k], naive.pairs[k], 1e-11) << "pair " << k;
  ASSERT_EQ(exact.factor_moments.size(), naive.factors.size());
  for (size_t k = 0; k < naive.factors.size(); ++k)
    EXPECT_NEAR(exact.factor_moments[k], naive.factors[k], 1e-10) << factor_moment_name(m, k);
  const auto dist = exact_distribution(m, clamped, beta);
  ASSERT_EQ(dist.size(), naive.distribution.size());
  for (size_t k = 0; k < dist.size(); ++k) ASSERT_NEAR(dist[k], naive.distribution[k], 1e-12) << "configuration " << k;
}

std::vector<uint8_t> mask(size_t n, std::initializer_list<int> clamped_nodes) {
  std::vector<uint8_t> m(n, 0);
  for (int i : clamped_nodes) m[size_t(i)] = 1;
  return m;
}

}  // namespace

TEST(Exact, OpenChainMatchesClosedForm) {
  const std::vector<double> j = {0.7, -0.4, 1.1, 0.25, -1.3, 0.9, 0.5, -0.05, 2.0, 0.6, -0.8};
  const Model m = open_chain(j);
  const double beta = 0.8;
  std::vector<std::pair<int32_t, int32_t>> pairs = two_spin_pairs(m);
  pairs.emplace_back(2, 5);  // correlations multiply along the chain
  const auto r = exact_moments(m, {}, pairs, beta);

  double log_z = double(m.size()) * std::log(2.0), energy = 0;
  for (double w : j) {
    log_z += log_cosh(beta * w);
    energy -= beta * w * std::tanh(beta * w);
  }
  EXPECT_NEAR(r.log_z, log_z, 1e-12);
  EXPECT_NEAR(r.mean_energy, energy, 1e-12);
  for (size_t b = 0; b < j.size(); ++b) EXPECT_NEAR(r.pair_moments[b], std::tanh(beta * j[b]), 1e-12);
  EXPECT_NEAR(r.pair_moments.back(), std::tanh(beta * j[2]) * std::tanh(beta * j[3]) * std::tanh(beta * j[4]), 1e-12);
  for (const auto& p : r.marginals) EXPECT_NEAR(p[1], 0.5, 1e-12);
}

TEST(Exact, ClampedChainEndPolarisesTheChain) {
  const std::vector<double> j = {0.9, -0.6, 0.4, 1.2, 0.3};
  const double beta = 1.3;
  Model m = open_chain(j);
  m.clamp.assign(m.size(), std::nullopt);
  m.clamp[0] = State(1);  // s0 = +1
  const auto up = exact_moments(m, mask(m.size(), {0}), two_spin_pairs(m), beta);
  double log_z = double(m.size() - 1) * std::log(2.0), magnetisation = 1;
  EXPECT_EQ(up.marginals[0], (std::vector<double>{0, 1}));
  for (size_t k = 0; k < j.size(); ++k) {
    log_z += log_cosh(beta * j[k]);
    magnetisation *= std::tanh(beta * j[k]);
    EXPECT_NEAR(up.marginals[k + 1][1] - up.marginals[k + 1][0], magnetisation, 1e-12) << "node " << k + 1;
    EXPECT_NEAR(up.pair_moments[k], std::tanh(beta * j[k]), 1e-12);
  }
  EXPECT_NEAR(up.log_z, log_z, 1e-12);

  // A node clamped by the mask alone, without a model clamp, is held at state 0 (s = -1).
  const Model unclamped = open_chain(j);
  const auto down = exact_moments(unclamped, mask(m.size(), {0}), {}, beta);
  EXPECT_EQ(down.marginals[0], (std::vector<double>{1, 0}));
  EXPECT_NEAR(down.marginals.back()[1] - down.marginals.back()[0], -magnetisation, 1e-12);
  EXPECT_NEAR(down.log_z, log_z, 1e-12);
}

TEST(Exact, MixedModelsMatchNaiveEnumeration) {
  auto mixed = random_mixed(0.8, 11);
  expect_matches_naive(mixed.model, mask(8, {}), {{0, 1}, {1, 3}, {2, 2}}, 0.9);
  mixed.model.clamp.assign(8, std::nullopt);
  mixed.model.clamp[1] = State(0);
  mixed.model.clamp[5] = State(2);
  expect_matches_naive(mixed.model, mask(8, {1, 5}), {{0, 1}, {1, 3}}, 1.7);

  auto ragged = ragged_mixed(5);
  expect_matches_naive(ragged.model, mask(8, {5, 7}), {{0, 2}, {1, 3}}, 1.0);
  expect_matches_naive(random_potts(6, 4, 0.7, 3).model, mask(6, {}), {}, 1.2);
  expect_matches_naive(random_third_order(9, 0.6, 8).model, mask(9, {4}), {{0, 1}, {3, 8}}, 0.7);
}

TEST(Exact, DenseSpinModelMatchesNaiveEnumeration) {
  // 16 spins, all 120 pairs coupled: every Gray step touches many factors.
  Rng rng(21);
  Model m;
  m.add_spin_nodes(16);
  for (int i = 0; i < 16; ++i) {
    m.add_bias(i, rng.normal(0.5));
    for (int k = i + 1; k < 16; ++k) m.add_coupling(i, k, rng.normal(0.3));
  }
  expect_matches_naive(m, mask(16, {}), two_spin_pairs(m), 1.0);
}

TEST(Exact, HugeWeightsStayFinite) {
  // Exponents spanning thousands: the running shift must keep every sum finite and exact.
  const std::vector<double> j(9, 300.0);
  const auto chain = exact_moments(open_chain(j), {}, {{0, 9}}, 2.0);
  EXPECT_NEAR(chain.log_z, 10 * std::log(2.0) + 9 * log_cosh(600.0), 1e-9);
  EXPECT_NEAR(chain.pair_moments[0], 1.0, 1e-12);
  EXPECT_NEAR(chain.mean_energy, -2.0 * 9 * 300.0, 1e-9);

  Model biased;
  biased.add_spin_nodes(12);
  for (int i = 0; i < 12; ++i) biased.add_bias(i, 400.0 + i);
  const auto r = exact_moments(biased, {}, {}, 1.5);
  double log_z = 0;
  for (int i = 0; i < 12; ++i) log_z += std::log(2.0) + log_cosh(1.5 * (400.0 + i));
  EXPECT_NEAR(r.log_z, log_z, 1e-9);
  for (const auto& p : r.marginals) EXPECT_NEAR(p[1], 1.0, 1e-15);
}

TEST(Exact, BetaZeroIsUniform) {
  const auto t = random_mixed(1.0, 2);
  const auto r = exact_moments(t.model, {}, {{0, 1}}, 0.0);
  EXPECT_NEAR(r.log_z, 4 * std::log(2.0) + 4 * std::log(3.0), 1e-12);
  for (size_t i = 0; i < 8; ++i)
    for (double p : r.marginals[i]) EXPECT_NEAR(p, 1.0 / t.model.nodes[i].states, 1e-12);
  EXPECT_NEAR(r.pair_moments[0], 0.0, 1e-12);
  EXPECT_EQ(r.mean_energy, 0.0);
}

TEST(Exact, FullyClampedModelHasOneConfiguration) {
  Model m = open_chain({0.5, -0.5});
  m.clamp = {State(1), State(1), State(0)};
  const auto r = exact_moments(m, mask(3, {0, 1, 2}), {{0, 1}, {1, 2}}, 2.0);
  EXPECT_NEAR(r.log_z, 2.0 * (0.5 + 0.5), 1e-12);
  EXPECT_EQ(r.pair_moments, (std::vector<double>{1, -1}));
  EXPECT_EQ(exact_distribution(m, mask(3, {0, 1, 2}), 2.0), std::vector<double>{1.0});
}

TEST(Exact, RefusesTooManyConfigurations) {
  const Model chain = open_chain(std::vector<double>(24, 0.1));  // 25 spins
  try {
    exact_moments(chain, {}, {}, 1.0);
    FAIL() << "25 free spins were enumerated";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exact: 25 free nodes have"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("configurations, more than the limit of 16,777,216;"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(exact_distribution(chain, {}, 1.0), Error);
  Model potts;
  potts.add_categorical_nodes(9, 7);  // 7^9 = 40M
  EXPECT_THROW(exact_moments(potts, {}, {}, 1.0), Error);
  // Only free nodes count: 9 of the 25 spins clamped leave 2^16 configurations.
  EXPECT_NO_THROW(exact_moments(chain, mask(25, {0, 3, 6, 9, 12, 15, 18, 21, 24}), {}, 1.0));
}

TEST(Exact, RejectsBadArguments) {
  const auto t = random_mixed(1.0, 2);
  EXPECT_THROW(exact_moments(t.model, std::vector<uint8_t>(3, 0), {}, 1.0), Error);
  EXPECT_THROW(exact_moments(t.model, {}, {{0, 5}}, 1.0), Error);   // node 5 is categorical
  EXPECT_THROW(exact_moments(t.model, {}, {{0, 99}}, 1.0), Error);  // out of range
  EXPECT_THROW(exact_moments(t.model, {}, {}, std::nan("")), Error);
  Model bad = t.model;
  bad.groups[0].weights.push_back(1.0);  // a dangling weight
  EXPECT_THROW(exact_moments(bad, {}, {}, 1.0), Error);
}
