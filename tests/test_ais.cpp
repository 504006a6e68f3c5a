// Annealed importance sampling (sample/ais): log Z against enumeration within its own standard
// error, on spin, higher-order, categorical and clamped models up to 24 free variables; error bars
// calibrated over many seeds; and a model 5 % off in beta told apart.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "error_of.hpp"
#include "random_models.hpp"
#include "sample/ais.hpp"
#include "sample/exact.hpp"

using namespace tsu;
using namespace tsu::test_models;

namespace {

AisResult ais_of(const Model& m, int chains, int64_t steps, uint64_t seed, std::vector<uint8_t> clamped = {}) {
  if (clamped.empty()) clamped.assign(m.size(), 0);
  const CompiledModel cm = compile(std::make_shared<const Model>(m));
  AisOptions o;
  o.chains = chains;
  o.steps = steps;
  o.seed = seed;
  return annealed_log_z(cm, make_layout(m, clamped), o);
}

double exact_log_z(const Model& m, std::vector<uint8_t> clamped = {}) {
  if (clamped.empty()) clamped.assign(m.size(), 0);
  return exact_moments(m, clamped, {}, m.beta).log_z;
}

struct Case {
  std::string name;
  Model model;
};

class AisAgreement : public ::testing::TestWithParam<int> {};

Case test_case(int k) {
  switch (k) {
    case 0: return {"pairwise16", random_pairwise(16, 0.6, 0.3, 1).model};
    case 1: return {"third_order12", random_third_order(12, 0.6, 2).model};
    case 2: return {"potts3_8", random_potts(8, 3, 0.6, 3).model};
    default: return {"mixed", random_mixed(0.6, 4).model};
  }
}

}  // namespace

TEST_P(AisAgreement, LogZAgreesWithEnumerationWithinFiveStandardErrors) {
  const Case c = test_case(GetParam());
  const double exact = exact_log_z(c.model);
  const AisResult r = ais_of(c.model, 400, 400, 7);
  EXPECT_LT(std::abs(r.log_z - exact), 5 * r.standard_error) << c.name << ": " << r.log_z << " vs " << exact;
  EXPECT_LT(r.standard_error, 0.05) << c.name;
  EXPECT_GT(r.effective_chains, 100) << c.name;
  EXPECT_LT(std::abs(r.ti_log_z - exact), 0.1) << c.name << ": TI " << r.ti_log_z;
}

INSTANTIATE_TEST_SUITE_P(Models, AisAgreement, ::testing::Range(0, 4),
                         [](const auto& info) { return test_case(info.param).name; });

TEST(Ais, TwentyFourFreeVariablesAndClampedNodes) {
  Model m = random_pairwise(26, 0.4, 0.3, 5).model;
  m.clamp.assign(m.size(), std::nullopt);
  m.clamp[3] = 1;
  std::vector<uint8_t> clamped(m.size(), 0);
  clamped[3] = clamped[7] = 1;  // node 3 at its clamp +1, node 7 at code 0 (-1)
  const double exact = exact_log_z(m, clamped);
  const AisResult r = ais_of(m, 500, 500, 8, clamped);
  EXPECT_NEAR(r.log_z0, 24 * std::log(2.0), 1e-12);
  EXPECT_LT(std::abs(r.log_z - exact), 5 * r.standard_error) << r.log_z << " vs " << exact;
  EXPECT_LT(r.standard_error, 0.05);
}

// Over 30 seeds the squared errors in units of the reported standard error average near 1; and the
// same bound tells apart a model whose beta is 5 % off.
TEST(Ais, StandardErrorsAreCalibratedAndTellAWrongModelApart) {
  const Model m = random_pairwise(12, 0.6, 0.3, 6).model;
  const double exact = exact_log_z(m);
  double sum_z2 = 0;
  const int runs = 30;
  for (int seed = 0; seed < runs; ++seed) {
    const AisResult r = ais_of(m, 200, 100, uint64_t(seed) + 100);
    sum_z2 += std::pow((r.log_z - exact) / r.standard_error, 2);
  }
  RecordProperty("mean_z2", std::to_string(sum_z2 / runs));
  EXPECT_GT(sum_z2 / runs, 0.4);
  EXPECT_LT(sum_z2 / runs, 2.0);
  Model wrong = m;
  wrong.beta *= 1.05;
  const AisResult r = ais_of(wrong, 400, 400, 9);
  EXPECT_GT(std::abs(r.log_z - exact), 5 * r.standard_error);
}

TEST(Ais, OptionsAreChecked) {
  const Model m = random_pairwise(4, 0.5, 0.3, 1).model;
  EXPECT_EQ(error_of([&] { ais_of(m, 1, 10, 0); }), "chains: must be at least 2, got 1");
  EXPECT_EQ(error_of([&] { ais_of(m, 10, 0, 0); }), "steps: must be at least 1, got 0");
}
