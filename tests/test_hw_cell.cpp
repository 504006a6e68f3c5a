// The p-bit cell: its closed-form transition is the exact solution of the two-state master equation,
// and a telegraph signal simulated from exponential dwell times has the closed-form stationary
// probability and autocorrelation exp(-t / tau).
#include <gtest/gtest.h>

#include <cmath>

#include "hw/cell.hpp"

using namespace tsu::hw;

namespace {

TEST(HwCell, TransitionSolvesTheMasterEquation) {
  const double tau = 100e-9, p = 0.3, dt = 37e-9;
  // dP1/dt = (p - P1) / tau (rates p/tau up, (1 - p)/tau down), integrated in tiny Euler steps.
  for (int x : {0, 1}) {
    double p1 = x;
    const int steps = 200000;
    for (int k = 0; k < steps; ++k) p1 += (p - p1) / tau * (dt / steps);
    EXPECT_NEAR(pbit_transition(p, x, dt, tau), p1, 1e-6) << "from " << x;
  }
  EXPECT_DOUBLE_EQ(pbit_probability(0.05, 0.0388, 0.2), 1 / (1 + std::exp(-(0.05 / 0.0388 - 0.2))));
}

TEST(HwCell, TelegraphSignalHasTheStationaryProbabilityAndTau) {
  const double tau = 100e-9, dt = 20e-9;
  const int64_t n = 400000;
  const double rho = std::exp(-dt / tau);
  for (double p : {0.2, 0.7}) {
    const auto trace = telegraph_trace(p, tau, dt, n, 5);
    double ones = 0;
    for (uint8_t v : trace) ones += v;
    // Reads every dt form a Markov chain with lag-one correlation rho: N_eff = n (1 - rho) / (1 + rho).
    const double n_eff = double(n) * (1 - rho) / (1 + rho);
    EXPECT_NEAR(ones / double(n), p, 5 * std::sqrt(p * (1 - p) / n_eff)) << "p " << p;
    const auto acf = autocorrelation(trace, 10);
    for (int lag = 1; lag <= 10; ++lag) {
      // Standard error of a sample autocorrelation: about sqrt((1 + rho^2) / ((1 - rho^2) n)) = 0.004.
      EXPECT_NEAR(acf[lag], std::pow(rho, lag), 0.02) << "p " << p << " lag " << lag;
    }
    EXPECT_GT(std::abs(acf[5] - std::exp(-5 * dt / (1.5 * tau))), 0.05);  // a 50 % error in tau shows
  }
}

}  // namespace
