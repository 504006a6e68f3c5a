#include "api/model.hpp"
#include "util/json.hpp"

#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "graph/model_io.hpp"
#include "graph/quantize.hpp"
#include "graph/topology.hpp"
#include "util/files.hpp"

namespace tsu::api {

namespace {

void check_sigma(double sigma, const char* option) {
  if (!(sigma >= 0) || !std::isfinite(sigma)) throw Error(fmt::format("{}: must be finite and >= 0", option));
}

void check_beta(double beta, const char* option) {
  if (!std::isfinite(beta) || beta < 0) throw Error(fmt::format("{}: must be finite and >= 0, got {}", option, beta));
  if (const auto problem = magnitude_problem(beta); !problem.empty()) throw Error(fmt::format("{}: {}", option, problem));
}

// The state code of a clamp value: -1/+1 for a spin, 0..K-1 for a categorical.
State clamp_code(const Model& model, int32_t node, int value) {
  if (node < 0 || size_t(node) >= model.size())
    throw Error(fmt::format("clamp: node {} is out of range (the model has {} nodes)", node, model.size()));
  const NodeKind& kind = model.nodes[size_t(node)];
  if (kind.is_spin()) {
    if (value != -1 && value != 1) throw Error(fmt::format("clamp: spin node {} needs -1 or +1, got {}", node, value));
    return spin_code(value);
  }
  if (value < 0 || value >= kind.states)
    throw Error(fmt::format("clamp: categorical node {} needs 0..{}, got {}", node, kind.states - 1, value));
  return State(value);
}

}  // namespace

ModelPtr load(const ModelSource& source) {
  check_sigma(source.j_sigma, "--j-sigma");
  check_sigma(source.h_sigma, "--h-sigma");
  auto spec = model_from_spec(source.source, source.j_sigma, source.h_sigma, source.model_seed);
  Model model = spec ? std::move(*spec) : load_model(source.source);
  if (source.beta) {
    check_beta(*source.beta, "--beta");
    model.beta = *source.beta;
  }
  return std::make_shared<const Model>(std::move(model));
}

ModelPtr load(const std::string& path_or_spec) { return load(ModelSource{path_or_spec}); }

ModelPtr from_json(const std::string& text, const std::string& source_name) {
  return std::make_shared<const Model>(parse_model_json(text, source_name));
}

std::string to_json(const Model& model) { return model_to_json(model); }

ModelPtr ising(std::span<const double> h, std::span<const std::pair<int32_t, int32_t>> edges,
               std::span<const double> weights, double beta, const std::string& name) {
  if (edges.size() != weights.size())
    throw Error(fmt::format("ising: {} edges but {} weights (one weight per edge)", edges.size(), weights.size()));
  check_beta(beta, "beta");
  Model m;
  m.name = name;
  m.beta = beta;
  m.add_spin_nodes(int(h.size()));
  for (size_t i = 0; i < h.size(); ++i) {
    if (!std::isfinite(h[i])) throw Error(fmt::format("ising: h[{}] is not finite", i));
    if (h[i] != 0) m.add_bias(int(i), h[i]);
  }
  for (size_t e = 0; e < edges.size(); ++e) {
    const auto [a, b] = edges[e];
    if (a < 0 || b < 0 || size_t(a) >= h.size() || size_t(b) >= h.size() || a == b)
      throw Error(fmt::format("ising: edges[{}] = ({}, {}) must join two different nodes of 0..{}", e, a, b,
                              int64_t(h.size()) - 1));
    if (!std::isfinite(weights[e])) throw Error(fmt::format("ising: weights[{}] is not finite", e));
    m.add_coupling(a, b, weights[e]);
  }
  m.validate();
  return std::make_shared<const Model>(std::move(m));
}

ModelPtr with_overrides(const ModelPtr& model, std::optional<double> beta,
                        const std::vector<std::pair<int32_t, int>>& clamp) {
  if (!beta && clamp.empty()) return model;
  Model m = *model;
  if (beta) {
    check_beta(*beta, "beta");
    m.beta = *beta;
  }
  if (!clamp.empty()) {
    m.clamp.resize(m.size());
    for (const auto& [node, value] : clamp) m.clamp[size_t(node)] = clamp_code(m, node, value);
  }
  return std::make_shared<const Model>(std::move(m));
}

Quantized quantize(const ModelPtr& model, int bits) {
  check_bits(bits, "--bits");
  QuantizedModel q = tsu::quantize(*model, bits);
  return {std::make_shared<const Model>(std::move(q.model)), q.scale, q.bits, q.max_error};
}

std::vector<uint8_t> clamp_mask(const Model& model) {
  std::vector<uint8_t> mask(model.size());
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = model.is_clamped(i);
  return mask;
}

Blocks load_blocks_file(const std::string& path) {
  const nlohmann::json doc = read_json_file(path);
  if (!doc.is_object() || !doc.contains("blocks"))
    throw Error(fmt::format("{}: expected an object with a field \"blocks\": [[node, ...], ...]", path));
  for (const auto& [key, value] : doc.items())
    if (key != "blocks") throw Error(fmt::format("{}: {}: unknown field (a blocks file holds only \"blocks\")", path, key));
  const auto& list = doc["blocks"];
  if (!list.is_array() || list.empty()) throw Error(fmt::format("{}: blocks: must be a non-empty list of lists", path));
  Blocks blocks(list.size());
  for (size_t b = 0; b < list.size(); ++b) {
    if (!list[b].is_array()) throw Error(fmt::format("{}: blocks[{}]: must be a list of node indices", path, b));
    for (size_t k = 0; k < list[b].size(); ++k) {
      const auto& v = list[b][k];
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > INT32_MAX)
        throw Error(fmt::format("{}: blocks[{}][{}]: must be a node index, got {}", path, b, k, v.dump()));
      blocks[b].push_back(v.get<int32_t>());
    }
  }
  return blocks;
}

Layout layout_for(const Model& model, const std::optional<Blocks>& blocks, const std::string& context) {
  return with_context(context, [&] {
    return blocks ? make_layout(model, clamp_mask(model), *blocks) : default_layout(model);
  });
}

}  // namespace tsu::api
