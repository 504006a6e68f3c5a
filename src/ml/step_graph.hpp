// The Boltzmann machine of one DTM step (arXiv:2510.23972, Sec. II; replication
// annealing_graph_ising.py): an L x L grid joined by a G8..G24 connection rule, visible nodes at
// random sites of one checkerboard colour, latent nodes everywhere else, and, when the step has an
// input, one clamped input node per visible node coupled to it with the fixed weight J_t:
//   E = -beta * ( sum_edges J_e s_a s_b + sum_sites h_i s_i + J_t sum_v s_{visible v} s_{input v} ).
// Node ids: site = row * L + col, then the input nodes (visible v's input is sites() + v).
// Trainable: J_e on the grid edges and h_i on every site. The input coupling is fixed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "graph/blocks.hpp"
#include "graph/topology.hpp"
#include "sample/engine.hpp"

namespace tsu::ml {

struct GridSpec {
  int side = 70;
  std::string rule = "G12";  // the replication's offsets; "G12-paper" for the paper's Table II
  bool torus = true;
};

class StepGraph {
 public:
  // Places `visible` nodes uniformly at random among the colour-0 sites ((row + col) even), drawn
  // from `placement_seed`. input_coupling = 0 means the step has no input (the noisiest step).
  StepGraph(const GridSpec& grid, int visible, double input_coupling, uint64_t placement_seed);

  int side() const { return side_; }
  int sites() const { return side_ * side_; }
  int visible() const { return int(visible_sites_.size()); }
  bool has_input() const { return input_coupling_ > 0; }
  int inputs() const { return has_input() ? visible() : 0; }
  int nodes() const { return sites() + inputs(); }
  int input_node(int v) const { return sites() + v; }
  double input_coupling() const { return input_coupling_; }
  const std::vector<int32_t>& visible_sites() const { return visible_sites_; }
  const std::vector<Edge>& edges() const { return edges_; }
  int colour(int site) const { return (site / side_ + site % side_) % 2; }

  // The model with these parameters (weights per edge, biases per site).
  std::shared_ptr<const Model> model(std::span<const double> weights, std::span<const double> biases,
                                     double beta) const;
  // Chains started from the biases alone, P(s_i = +1) = sigmoid(beta h_i) (the replication's
  // "Hinton init"; the engine's InitKind::Hinton is sigmoid(2 beta h)), one Init stream per chain.
  // Inputs start at 0: callers set them (and any clamped sites) before sampling.
  StateBatch initial_states(std::span<const double> biases, double beta, int chains, uint64_t seed) const;

  // Free = every site except the given visible variables; the inputs are always clamped. Two
  // blocks: the free sites of colour 0, then those of colour 1.
  Layout layout(std::span<const int> clamped_visible) const;
  // Positive phase: every visible variable clamped. Negative phase: none.
  const Layout& positive_layout() const { return positive_; }
  const Layout& negative_layout() const { return negative_; }

 private:
  int side_;
  double input_coupling_;
  std::vector<Edge> edges_;
  std::vector<int32_t> visible_sites_;
  Layout positive_, negative_;
};

}  // namespace tsu::ml
