// Small random models for the exact-enumeration and sampling-statistics tests. Every node has a
// class, and factors only join nodes of different classes, so the classes form a valid block
// layout ("hand-made" blocks) besides the automatic colouring.
#pragma once

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "graph/model.hpp"

namespace tsu::test_models {

struct TestModel {
  std::string name;
  Model model;
  std::vector<int> node_class;
};

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  double normal(double sd) { return std::normal_distribution<double>(0.0, sd)(gen_); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(gen_) < p; }
  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(gen_); }
  std::vector<double> normals(size_t n, double sd) {
    std::vector<double> v(n);
    for (double& x : v) x = normal(sd);
    return v;
  }

 private:
  std::mt19937_64 gen_;
};

// Appends one factor to the group of its shape (created on first use).
inline void add_factor(Model& m, std::vector<int32_t> spins, std::vector<int32_t> cats, std::vector<double> table) {
  std::vector<int> dims;
  for (int32_t c : cats) dims.push_back(m.nodes[c].states);
  auto it = std::find_if(m.groups.begin(), m.groups.end(), [&](const FactorGroup& g) {
    return g.n_spin == int(spins.size()) && g.cat_dims == dims;
  });
  if (it == m.groups.end()) {
    FactorGroup g;
    g.n_spin = int(spins.size());
    g.n_cat = int(cats.size());
    g.cat_dims = dims;
    m.groups.push_back(g);
    it = m.groups.end() - 1;
  }
  it->spins.insert(it->spins.end(), spins.begin(), spins.end());
  it->cats.insert(it->cats.end(), cats.begin(), cats.end());
  it->weights.insert(it->weights.end(), table.begin(), table.end());
}

inline std::vector<int> round_robin_classes(size_t n, int classes) {
  std::vector<int> c(n);
  for (size_t i = 0; i < n; ++i) c[i] = int(i) % classes;
  return c;
}

// Spins with Gaussian biases and couplings on a random 3-partite graph.
inline TestModel random_pairwise(int n, double j_sd, double h_sd, uint64_t seed) {
  Rng rng(seed);
  TestModel t{"pairwise", {}, round_robin_classes(size_t(n), 3)};
  t.model.add_spin_nodes(n);
  for (int i = 0; i < n; ++i) t.model.add_bias(i, rng.normal(h_sd));
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (t.node_class[i] != t.node_class[j] && rng.chance(0.5)) t.model.add_coupling(i, j, rng.normal(j_sd));
  return t;
}

// Spins with biases, a few couplings and three-spin factors (one member from each class).
inline TestModel random_third_order(int n, double w_sd, uint64_t seed) {
  Rng rng(seed);
  TestModel t{"third_order", {}, round_robin_classes(size_t(n), 3)};
  t.model.add_spin_nodes(n);
  for (int i = 0; i < n; ++i) t.model.add_bias(i, rng.normal(0.3));
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (t.node_class[i] != t.node_class[j] && rng.chance(0.25)) t.model.add_coupling(i, j, rng.normal(0.4));
  for (int a = 0; a < n; a += 3)
    for (int b = 1; b < n; b += 3)
      for (int c = 2; c < n; c += 3)
        if (rng.chance(0.35)) add_factor(t.model, {a, b, c}, {}, {rng.normal(w_sd)});
  return t;
}

// Potts-like categoricals: unary tables and full K x K pair tables.
inline TestModel random_potts(int n, int k, double w_sd, uint64_t seed) {
  Rng rng(seed);
  TestModel t{"potts" + std::to_string(k), {}, round_robin_classes(size_t(n), 2)};
  t.model.add_categorical_nodes(n, k);
  for (int i = 0; i < n; ++i) add_factor(t.model, {}, {i}, rng.normals(size_t(k), 0.5));
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (t.node_class[i] != t.node_class[j] && rng.chance(0.7))
        add_factor(t.model, {}, {i, j}, rng.normals(size_t(k * k), w_sd));
  return t;
}

// Spins 0..3 and K=3 categoricals 4..7 with every kind of pairwise term: spin-spin, cat-cat and
// spin x cat tables, plus a spin-spin-cat factor.
inline TestModel random_mixed(double w_sd, uint64_t seed) {
  Rng rng(seed);
  TestModel t{"mixed", {}, round_robin_classes(8, 2)};
  t.model.add_spin_nodes(4);
  t.model.add_categorical_nodes(4, 3);
  for (int i = 0; i < 4; ++i) t.model.add_bias(i, rng.normal(0.4));
  for (int i = 4; i < 8; ++i) add_factor(t.model, {}, {i}, rng.normals(3, 0.4));
  for (int i = 0; i < 8; ++i)
    for (int j = i + 1; j < 8; ++j) {
      if (t.node_class[i] == t.node_class[j] || !rng.chance(0.6)) continue;
      if (j < 4)
        t.model.add_coupling(i, j, rng.normal(w_sd));
      else if (i >= 4)
        add_factor(t.model, {}, {i, j}, rng.normals(9, w_sd));
      else
        add_factor(t.model, {i}, {j}, rng.normals(3, w_sd));
    }
  add_factor(t.model, {1, 2}, {7}, rng.normals(3, w_sd));
  t.node_class[7] = 2;  // so that the three members of that factor have different classes
  return t;
}

// THRML's A8 "ragged mixed" factor set, K = 7: spins s0 s1 t0 t1 (nodes 0..3), categoricals
// x0 x1 y0 y1 (nodes 4..7); terms (s0, t0) w1, (s1 | y0, y1) W2, (y0, y1, x0) W3, (t0, t1 | x1) W4.
inline TestModel ragged_mixed(uint64_t seed) {
  Rng rng(seed);
  TestModel t{"ragged", {}, {0, 0, 1, 0, 0, 2, 1, 2}};
  enum { s0, s1, t0, t1, x0, x1, y0, y1 };
  t.model.add_spin_nodes(4);
  t.model.add_categorical_nodes(4, 7);
  t.model.add_coupling(s0, t0, rng.normal(1));
  add_factor(t.model, {s1}, {y0, y1}, rng.normals(49, 1));
  add_factor(t.model, {}, {y0, y1, x0}, rng.normals(343, 1));
  add_factor(t.model, {t0, t1}, {x1}, rng.normals(7, 1));
  return t;
}

// An open chain of spins with couplings j[i] between i and i + 1, no biases.
inline Model open_chain(const std::vector<double>& j) {
  Model m;
  m.add_spin_nodes(int(j.size()) + 1);
  for (size_t i = 0; i < j.size(); ++i) m.add_coupling(int(i), int(i) + 1, j[i]);
  return m;
}

}  // namespace tsu::test_models
