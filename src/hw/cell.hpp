// One stochastic cell (p-bit or p-dit): a continuous-time Markov process that, at rate 1/tau, redraws
// its state from the distribution its bias sets (DTM §3.2, H&C §2.5(1)). For a p-bit this is the
// two-state telegraph process with rates p/tau (0 -> 1) and (1 - p)/tau (1 -> 0): stationary
// P(1) = p = sigmoid(V_b / V_s - phi) and autocorrelation exp(-t / tau). Over a time dt the state is
// kept with probability exp(-dt / tau) and is otherwise a fresh draw, so
//   P(x(t + dt) = 1 | x(t)) = p + (x(t) - p) exp(-dt / tau)
// exactly: the chip advances its cells by this closed form, not by small time steps.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "sample/rng.hpp"

namespace tsu::hw {

inline double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// P(1) of a p-bit at bias voltage v_b.
inline double pbit_probability(double v_b, double v_s, double phi) { return sigmoid(v_b / v_s - phi); }

// Probability that no redraw happens within dt.
inline double keep_probability(double dt, double tau) { return std::exp(-dt / tau); }

// The closed-form transition above.
inline double pbit_transition(double p, int x, double dt, double tau) { return p + (x - p) * keep_probability(dt, tau); }

// Uniform in (0, 1) with 53 random bits, and a standard normal (Box-Muller), from a chain stream.
inline double open_uniform(Xoshiro128p& rng) {
  const uint64_t bits = (uint64_t(rng.next()) << 21) ^ uint64_t(rng.next() >> 11);
  return (double(bits) + 0.5) * 0x1p-53;
}
inline double normal(Xoshiro128p& rng) {
  const double r = std::sqrt(-2.0 * std::log(open_uniform(rng)));
  return r * std::cos(2.0 * std::numbers::pi * open_uniform(rng));
}

// A p-bit's output read every dt for n reads, simulated as a physical telegraph signal: exponential
// dwell times of mean tau / (1 - p) in state 1 and tau / p in state 0, starting from stationarity.
// Independent of the closed form, so tests can check one against the other.
std::vector<uint8_t> telegraph_trace(double p, double tau, double dt, int64_t n, uint64_t seed);

// Normalised autocorrelation of a 0/1 series at lags 0..max_lag.
std::vector<double> autocorrelation(const std::vector<uint8_t>& x, int max_lag);

}  // namespace tsu::hw
