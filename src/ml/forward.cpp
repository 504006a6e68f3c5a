#include "ml/forward.hpp"

#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "graph/model.hpp"

namespace tsu::ml {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

void check_interval(double rate, double dt) {
  if (!(rate > 0) || !std::isfinite(rate)) throw Error(fmt::format("rate: must be finite and > 0, got {}", rate));
  if (!(dt >= 0)) throw Error(fmt::format("time interval: must be >= 0, got {}", dt));
}

}  // namespace

double redraw_probability(double rate, double dt) {
  check_interval(rate, dt);
  return -std::expm1(-rate * dt);
}

double keep_probability(double rate, double dt, int states) {
  check_interval(rate, dt);
  return (1.0 + (states - 1) * std::exp(-rate * dt)) / states;
}

double potts_coupling(double rate, double dt, int states) {
  check_interval(rate, dt);
  const double e = std::exp(-rate * dt);
  if (dt == 0) return kInfinity;
  return std::log1p(states * e / (1.0 - e));  // ln[(1 + (M-1) e) / (1 - e)] = ln[1 + M e / (1 - e)]
}

double input_coupling(double rate, double dt) {
  check_interval(rate, dt);
  if (dt == 0) return kInfinity;
  return -0.5 * std::log(std::tanh(0.5 * rate * dt));
}

ScheduleKind parse_schedule(const std::string& name) {
  if (name == "log") return ScheduleKind::Log;
  if (name == "linear") return ScheduleKind::Linear;
  throw Error(fmt::format("schedule: unknown kind \"{}\" (expected log or linear)", name));
}

std::vector<double> diffusion_times(int steps, ScheduleKind kind, double linear_end) {
  if (steps < 1) throw Error(fmt::format("steps: must be >= 1, got {}", steps));
  if (kind == ScheduleKind::Linear && !(linear_end > 0 && std::isfinite(linear_end)))
    throw Error(fmt::format("linear_end: must be finite and > 0, got {}", linear_end));
  std::vector<double> t(size_t(steps) + 1);
  for (int k = 0; k <= steps; ++k)
    t[size_t(k)] =
        kind == ScheduleKind::Log ? (k == steps ? kInfinity : -std::log1p(-double(k) / steps)) : linear_end * k / steps;
  return t;
}

void noise_bits(std::span<uint8_t> bits, double rate, double dt, Xoshiro128p& rng) {
  const float flip = float(0.5 * redraw_probability(rate, dt));
  for (auto& b : bits)
    if (rng.uniform() < flip) b ^= 1;
}

int noise_category(int value, int states, double rate, double dt, Xoshiro128p& rng) {
  const float redraw = float(redraw_probability(rate, dt));
  if (rng.uniform() >= redraw) return value;
  return std::min(int(rng.uniform() * float(states)), states - 1);
}

}  // namespace tsu::ml
