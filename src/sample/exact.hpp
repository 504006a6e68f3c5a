// Exact answers by enumerating every configuration of the free nodes: the partition function,
// marginals, spin-pair and factor moments, mean energy and the full distribution. The ground truth that the
// samplers are tested against, and a library feature for small models.
#pragma once

#include "graph/model.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace tsu {

struct ExactResult {
  double log_z = 0;                             // log of the sum over free configurations of exp(beta * factor_sum)
  std::vector<std::vector<double>> marginals;   // [node][state]; clamped nodes are one-hot at their clamp
  std::vector<double> pair_moments;             // E[s_i s_j], aligned with the requested pairs
  std::vector<double> factor_moments;           // E[phi_k] per weight k, in flat-weight order (graph/model.hpp)
  double mean_energy = 0;                       // E[-beta * factor_sum]
};

constexpr double kMaxExactStates = 1 << 24;

// Enumerates every state of the free nodes (clamped[i] = 1: node i fixed at model.clamp[i], or 0 when
// the model has no clamp for it; an empty mask clamps nothing). P(x) ~ exp(beta * factor_sum(x)).
// Throws Error when the free nodes have more than kMaxExactStates configurations, when the mask
// does not match the model, or when a pair names a node out of range or a categorical node.
ExactResult exact_moments(const Model& m, const std::vector<uint8_t>& clamped,
                          const std::vector<std::pair<int32_t, int32_t>>& pairs, double beta);

// Probabilities of every free configuration, mixed radix over the free nodes in ascending order,
// lowest node fastest: index = sum over free nodes of state * (product of the K of the free nodes
// before it).
std::vector<double> exact_distribution(const Model& m, const std::vector<uint8_t>& clamped, double beta);

}  // namespace tsu
