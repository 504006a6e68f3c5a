#include "ml/optim.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numbers>

#include "graph/model.hpp"

namespace tsu::ml {

void adam_step(const AdamConfig& config, AdamState& state, std::span<double> theta, std::span<const double> grad,
               double lr) {
  if (grad.size() != theta.size()) throw Error("adam: gradient and parameters differ in size");
  if (state.m.empty()) {
    state.m.assign(theta.size(), 0.0);
    state.v.assign(theta.size(), 0.0);
  }
  ++state.t;
  const double c1 = 1.0 - std::pow(config.b1, double(state.t)), c2 = 1.0 - std::pow(config.b2, double(state.t));
  for (size_t k = 0; k < theta.size(); ++k) {
    state.m[k] = config.b1 * state.m[k] + (1.0 - config.b1) * grad[k];
    state.v[k] = config.b2 * state.v[k] + (1.0 - config.b2) * grad[k] * grad[k];
    const double step = (state.m[k] / c1) / (std::sqrt(state.v[k] / c2) + config.eps);
    theta[k] -= lr * (step + config.weight_decay * theta[k]);
  }
}

double cosine_learning_rate(double lr, double alpha, int64_t step, int64_t decay_steps) {
  if (decay_steps <= 0) return lr;
  const double progress = double(std::min(step, decay_steps)) / double(decay_steps);
  return lr * ((1.0 - alpha) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress)) + alpha);
}

AcpVariant parse_acp_variant(const std::string& name) {
  if (name == "replication") return AcpVariant::Replication;
  if (name == "paper") return AcpVariant::Paper;
  throw Error(fmt::format("acp.variant: unknown \"{}\" (expected replication or paper)", name));
}

std::string acp_variant_name(AcpVariant v) { return v == AcpVariant::Replication ? "replication" : "paper"; }

void acp_update(const AcpConfig& config, AcpState& state, double a) {
  const double thr = config.threshold;
  double lambda = std::max(state.lambda, config.lambda_min);
  if (config.variant == AcpVariant::Replication) {
    if (a < thr)
      lambda *= 0.6 + 0.2 * a / thr;
    else if (a > state.previous)
      lambda *= a < 1.8 * thr ? 1.2 : 1.5;
    else
      lambda *= 0.95;
  } else {
    if (a < thr)
      lambda *= 1.0 - config.delta;
    else if (a > state.previous)
      lambda *= 1.0 + config.delta;
  }
  state.lambda = lambda < config.lambda_min ? 0.0 : lambda;
  state.previous = a;
}

}  // namespace tsu::ml
