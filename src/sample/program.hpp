// A model compiled once into flat arrays: for every node, the factors it belongs to and its slot in
// each. Layouts (blocks and clamps) are applied at run time, so one compiled model serves any number
// of free/clamped layouts (e.g. the positive and negative phases of training).
#pragma once

#include "graph/blocks.hpp"
#include "graph/model.hpp"

#include <memory>
#include <vector>

namespace tsu {

struct Incidence {
  int32_t group;
  int32_t slot;    // position among the factor's spins (slot < n_spin) or cats (slot - n_spin)
  int64_t factor;
};

struct CompiledModel {
  std::shared_ptr<const Model> model;
  std::vector<int64_t> offsets;     // [nodes + 1] into incidence
  std::vector<Incidence> incidence; // grouped by node

  size_t size() const { return model->size(); }
  std::span<const Incidence> incidence_of(size_t node) const {
    return {incidence.data() + offsets[node], size_t(offsets[node + 1] - offsets[node])};
  }
};

CompiledModel compile(std::shared_ptr<const Model> model);

// Biases and two-spin couplings only: what the fast kernels sample.
bool is_pairwise_spin(const Model& model);

// The conditional field of spin `node` (without beta):  P(s = +1 | rest) = sigmoid(2 * beta * field).
double spin_field(const CompiledModel& cm, size_t node, std::span<const State> state);
// The conditional logits of categorical `node` (without beta): P(c = k | rest) ~ exp(beta * logits[k]).
void categorical_logits(const CompiledModel& cm, size_t node, std::span<const State> state, std::span<double> logits);

}  // namespace tsu
