// The discrete energy-based model: nodes, factor groups, clamps and blocks.
//
// Every factor has the one form  w[c_1..c_C] * s_1 * ... * s_S  (a weight, indexed by the states of
// its categorical members, times the product of its spin members). The energy is
//   E(x) = -beta * sum over all factors of that term,   P(x) ~ exp(-E(x)).
// Factors of one shape are stored together in a FactorGroup, as flat arrays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace tsu {

// A node's state is one byte: a spin is 0 (s = -1) or 1 (s = +1); a categorical node holds 0..K-1.
using State = uint8_t;
inline int spin_value(State code) { return 2 * int(code) - 1; }
inline State spin_code(int s) { return s > 0 ? 1 : 0; }

constexpr int kMaxCategories = 256;

// The largest |weight| and |beta| a model may hold (tsu's own bound, not from the literature). A
// conditional is already 0 or 1 in double precision once 2 beta |field| passes about 745, so no useful
// model comes near it; the bound keeps every field, energy and sum of them over 1e8 nodes finite
// (beta * weight * count < 1e300), so that no backend, kernel or enumeration meets an overflow.
constexpr double kMaxMagnitude = 1e100;
// "" when |x| <= kMaxMagnitude, else why not (for an error naming the field).
std::string magnitude_problem(double x);

struct NodeKind {
  enum class Type : uint8_t { Spin, Categorical };
  Type type = Type::Spin;
  int states = 2;  // K; 2 for a spin

  static NodeKind spin() { return {Type::Spin, 2}; }
  static NodeKind categorical(int k) { return {Type::Categorical, k}; }
  bool is_spin() const { return type == Type::Spin; }
  bool operator==(const NodeKind&) const = default;
};

// A batch of factors of one shape: `n_spin` spin members and `n_cat` categorical members each,
// with categorical slot j ranging over `cat_dims[j]` states.
struct FactorGroup {
  int n_spin = 0;
  int n_cat = 0;
  std::vector<int> cat_dims;      // [n_cat]
  std::vector<int32_t> spins;     // [count * n_spin], factor-major
  std::vector<int32_t> cats;      // [count * n_cat], factor-major
  std::vector<double> weights;    // [count * table_size()], row-major over the categorical slots

  size_t table_size() const {
    size_t n = 1;
    for (int k : cat_dims) n *= size_t(k);
    return n;
  }
  size_t count() const { return weights.size() / table_size(); }
  int arity() const { return n_spin + n_cat; }
  std::span<const int32_t> spins_of(size_t f) const { return {spins.data() + f * n_spin, size_t(n_spin)}; }
  std::span<const int32_t> cats_of(size_t f) const { return {cats.data() + f * n_cat, size_t(n_cat)}; }
  std::span<const double> table_of(size_t f) const {
    return {weights.data() + f * table_size(), table_size()};
  }
  // Row-major offset of a tuple of categorical states within one factor's table.
  size_t table_offset(std::span<const State> cat_states) const;
};

struct Model {
  std::string name;
  double beta = 1.0;
  std::vector<NodeKind> nodes;
  std::vector<FactorGroup> groups;
  std::vector<std::optional<State>> clamp;  // per node; empty vector = nothing clamped
  std::vector<std::vector<int32_t>> blocks; // optional user blocks; empty = colour automatically

  size_t size() const { return nodes.size(); }
  bool is_clamped(size_t i) const { return i < clamp.size() && clamp[i].has_value(); }
  size_t free_count() const;

  // Builder helpers. Nodes are appended and the index of the first new node is returned; biases
  // and couplings go to the first pure-spin group of their order (created on first use).
  int add_spin_nodes(int n);
  int add_categorical_nodes(int n, int k);
  FactorGroup& spin_group(int order);
  void add_bias(int i, double h);
  void add_coupling(int i, int j, double w);

  // Throws Error naming the group and factor when an index, table shape or weight is invalid.
  void validate() const;
};

// -beta * sum of factor terms, evaluated at one full state (one code per node).
double energy(const Model& model, std::span<const State> state);
// The same without beta: the sum of factor terms (the "score").
double factor_sum(const Model& model, std::span<const State> state);

// Evaluates one factor's term  w[cats] * prod(spins)  at a full state.
double factor_term(const FactorGroup& g, size_t f, std::span<const State> state);

// A factor's statistic: the derivative of its term with respect to its weights, [cats = t] * prod(spins).
// At a state it is nonzero at one entry t of the factor's table, where it is +1 or -1 (always +1
// without spin members). Its mean over the model is the factor's moment, the gradient's half.
struct FactorStatistic {
  size_t entry;  // within the factor's table (0 without categorical members)
  int sign;      // +1 or -1
};
FactorStatistic factor_statistic(const FactorGroup& g, size_t f, std::span<const State> state);

// The model's weights in one flat vector: group by group, factor by factor, each factor's table in
// row-major order; factor moments, training statistics and gradients share this layout.
size_t weight_count(const Model& model);
std::vector<double> flat_weights(const Model& model);
void set_flat_weights(Model& model, std::span<const double> weights);  // Error on a size mismatch

// sums[k] += scale * phi_k(state) for every weight k (phi: the factor statistics), of all groups or
// of one group's weights.
void add_group_statistics(const FactorGroup& g, std::span<const State> state, double scale, std::span<double> sums);
void add_statistics(const Model& model, std::span<const State> state, double scale, std::span<double> sums);

}  // namespace tsu
