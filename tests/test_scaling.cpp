// The scaling curve's power-law fit: exact recovery, the t quantiles against closed forms, and the
// prediction interval's coverage of a new observation over many simulated curves.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "ml/scaling.hpp"
#include "util/error.hpp"

using namespace tsu;
using namespace tsu::ml;

TEST(Scaling, StudentQuantilesMatchTheClosedFormsAndTables) {
  for (double level : {0.5, 0.9, 0.95, 0.99}) {
    EXPECT_NEAR(student_t_quantile(1, level), std::tan(std::numbers::pi * level / 2), 1e-9);  // Cauchy
    EXPECT_NEAR(student_t_quantile(2, level), level * std::sqrt(2 / (1 - level * level)), 1e-9);
  }
  // Two-sided 95 % points (any t table): dof 3, 5, 10, 30.
  EXPECT_NEAR(student_t_quantile(3, 0.95), 3.182446, 1e-5);
  EXPECT_NEAR(student_t_quantile(5, 0.95), 2.570582, 1e-5);
  EXPECT_NEAR(student_t_quantile(10, 0.95), 2.228139, 1e-5);
  EXPECT_NEAR(student_t_quantile(30, 0.90), 1.697261, 1e-5);
  EXPECT_THROW(student_t_quantile(0, 0.9), Error);
  EXPECT_THROW(student_t_quantile(3, 1.0), Error);
}

TEST(Scaling, AnExactPowerLawIsRecovered) {
  const std::vector<double> x{1e9, 3e9, 1e10, 4e10};
  std::vector<double> y;
  for (double v : x) y.push_back(5e4 * std::pow(v, -0.3));
  const PowerLawFit f = fit_power_law(x, y);
  EXPECT_NEAR(f.b, -0.3, 1e-12);
  EXPECT_NEAR(std::exp(f.log_a), 5e4, 1e-6);
  EXPECT_NEAR(f.residual_sd, 0, 1e-9);
  const PowerLawPrediction p = predict(f, 1e14, 0.9);
  EXPECT_NEAR(p.value, 5e4 * std::pow(1e14, -0.3), 1e-9 * p.value);
  EXPECT_THROW(fit_power_law({1, 2}, {3, 4}), Error);
  EXPECT_THROW(fit_power_law({1, 1, 1}, {3, 4, 5}), Error);
  EXPECT_THROW(fit_power_law({1, 2, 3}, {3, 0, 5}), Error);
}

// Five points with log-normal noise, and a new observation far outside them: the 90 % interval
// covers it 90 % of the time (2,000 curves: SE 0.0067, tolerance 4 SE). A normal quantile in place
// of t(3) would cover about 80 %, and dropping the extrapolation term far less.
TEST(Scaling, ThePredictionIntervalCoversANewObservationAtItsLevel) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 0.2);
  const std::vector<double> x{1e10, 2e10, 4e10, 8e10, 1.6e11};
  const double x_new = 1e13;
  auto observe = [&](double v) { return 300 * std::pow(v, -0.15) * std::exp(noise(rng)); };
  const int curves = 2000;
  int covered = 0, slope_covered = 0;
  const double t90 = student_t_quantile(3, 0.9);
  for (int c = 0; c < curves; ++c) {
    std::vector<double> y;
    for (double v : x) y.push_back(observe(v));
    const PowerLawFit f = fit_power_law(x, y);
    const PowerLawPrediction p = predict(f, x_new, 0.9);
    const double truth = observe(x_new);
    covered += p.low <= truth && truth <= p.high;
    slope_covered += std::abs(f.b + 0.15) <= t90 * f.se_b;
  }
  EXPECT_NEAR(double(covered) / curves, 0.9, 4 * std::sqrt(0.09 / curves));
  EXPECT_NEAR(double(slope_covered) / curves, 0.9, 4 * std::sqrt(0.09 / curves));
}
