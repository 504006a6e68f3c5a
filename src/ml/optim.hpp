// Optimisation of DTM steps: Adam with a cosine-decayed learning rate (optax semantics, as the
// replication uses), and the adaptive correlation penalty (ACP) controller that sets the strength
// of the total-correlation penalty from the measured long-lag autocorrelation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tsu::ml {

struct AdamConfig {
  double b1 = 0.9;
  double b2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;  // decoupled (AdamW-style) decay per step, times the learning rate
};

struct AdamState {
  std::vector<double> m, v;  // first and second moments, one per parameter
  int64_t t = 0;             // steps taken
};

// One Adam step: theta -= lr * (mhat / (sqrt(vhat) + eps) + weight_decay * theta).
void adam_step(const AdamConfig& config, AdamState& state, std::span<double> theta, std::span<const double> grad,
               double lr);

// optax.cosine_decay_schedule: lr * ((1 - alpha) * (1 + cos(pi * min(step, decay) / decay)) / 2 + alpha);
// constant lr when decay_steps = 0.
double cosine_learning_rate(double lr, double alpha, int64_t step, int64_t decay_steps);

// ACP (Appendix H.2 of the paper; utils.adapt_param of the replication). Once per epoch and step,
// with the measured autocorrelation `a` and the previous one `p`:
//   replication (default): lambda <- max(lambda, lambda_min); then
//       a < thr:  lambda *= 0.6 + 0.2 a / thr
//       a > p:    lambda *= 1.2 if a < 1.8 thr, else 1.5
//       else:     lambda *= 0.95
//     and lambda <- 0 if it fell below lambda_min.
//   paper: lambda <- max(lambda, lambda_min); then
//       a < thr:  lambda *= 1 - delta;   a <= p: unchanged;   else lambda *= 1 + delta
//     and lambda <- 0 if it fell below lambda_min.
enum class AcpVariant { Replication, Paper };
AcpVariant parse_acp_variant(const std::string& name);  // "replication" or "paper"
std::string acp_variant_name(AcpVariant v);

struct AcpConfig {
  bool enabled = false;
  AcpVariant variant = AcpVariant::Replication;
  double threshold = 0.016;  // thr (replication) or epsilon_ACP (paper)
  double lambda_min = 0.001;
  double delta = 0.2;  // paper variant only
};

struct AcpState {
  double lambda = 0;    // the penalty strength used in the next epoch
  double previous = 0;  // the last measured autocorrelation (0 before the first)
};

void acp_update(const AcpConfig& config, AcpState& state, double autocorrelation);

}  // namespace tsu::ml
