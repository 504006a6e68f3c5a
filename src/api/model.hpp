// Models for the API: loading a file or a topology spec, building one from arrays, the
// tsu-model-v1 JSON form, overriding beta and clamps, and the sampling blocks. Every model is handed
// out as a shared_ptr to a const Model, so that whatever keeps it (a result, a Python object) can
// never dangle.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "graph/blocks.hpp"
#include "graph/model.hpp"

namespace tsu::api {

using ModelPtr = std::shared_ptr<const Model>;
using Blocks = std::vector<std::vector<int32_t>>;

// Where a model comes from: a file (tsu-model-v1 JSON, or an Ising edge list) or a topology spec
// ("grid:70:G12", "rr:1000:3") with Gaussian weights.
struct ModelSource {
  std::string source;
  double j_sigma = 1.0;        // spec models only
  double h_sigma = 0.0;        // spec models only
  uint64_t model_seed = 0;     // spec models only
  std::optional<double> beta;  // overrides the model's beta
};

// Errors name the file and the field or line, or the option (--j-sigma, --beta) that is wrong.
ModelPtr load(const ModelSource& source);
ModelPtr load(const std::string& path_or_spec);

// A tsu-model-v1 document (errors are prefixed with `source_name`), and back.
ModelPtr from_json(const std::string& text, const std::string& source_name = "model");
std::string to_json(const Model& model);

// An Ising model P(s) ~ exp(beta * (sum_i h_i s_i + sum_e w_e s_a s_b)) on h.size() spins; one
// weight per edge. Errors name the edge or weight that is out of range or not finite.
ModelPtr ising(std::span<const double> h, std::span<const std::pair<int32_t, int32_t>> edges,
               std::span<const double> weights, double beta = 1.0, const std::string& name = "ising");

// The model with beta replaced (when given) and these nodes clamped as well (node, value): a spin
// takes -1/+1, a categorical 0..K-1. The model itself is shared, never changed.
ModelPtr with_overrides(const ModelPtr& model, std::optional<double> beta,
                        const std::vector<std::pair<int32_t, int>>& clamp = {});

// The model with its weights on a B-bit grid, one scale per model (graph/quantize.hpp). Error
// "--bits: must be between 2 and 16, got B" otherwise.
struct Quantized {
  ModelPtr model;
  double scale = 1;
  int bits = 0;
  double max_error = 0;
};
Quantized quantize(const ModelPtr& model, int bits);

// Per node: 1 where the model clamps the node.
std::vector<uint8_t> clamp_mask(const Model& model);

// {"blocks": [[node, ...], ...]} from a file; errors name the file and the entry.
Blocks load_blocks_file(const std::string& path);

// The layout a run uses: the given blocks (validated against the model's clamps), else the model's
// own blocks, else a DSATUR colouring. Errors are prefixed with `context` (the blocks' file, or the
// model's).
Layout layout_for(const Model& model, const std::optional<Blocks>& blocks, const std::string& context);

}  // namespace tsu::api
