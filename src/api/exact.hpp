// Exact answers through the API: the moments and log Z of a small model by enumeration, in the
// layout of a sampling result (the CLI's `tsu exact`, Python's tsu.exact).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api/model.hpp"

namespace tsu::api {

struct ExactResult {
  ModelPtr model;
  std::vector<std::vector<double>> marginals;      // clamped nodes are one-hot at their clamp
  std::vector<std::pair<int32_t, int32_t>> pairs;
  std::vector<double> pair_moments;
  std::vector<double> factor_moments;  // E[phi_k] per weight k, flat-weight order (graph/model.hpp)
  double log_z = 0;
  double energy_mean = 0;
  std::string model_name;

  // The moments.json document of `tsu exact`.
  nlohmann::json to_json() const;
};

// Enumerates the free nodes (at most 2^24 configurations); the model's clamps and beta apply.
ExactResult exact(const ModelPtr& model, const std::string& model_name = "");

// Writes DIR/moments.json, creating DIR; returns the path written.
std::vector<std::string> save(const ExactResult& result, const std::string& dir);

}  // namespace tsu::api
