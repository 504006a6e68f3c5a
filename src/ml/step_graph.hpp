// The Boltzmann machine of one DTM step (arXiv:2510.23972, Sec. II; replication
// annealing_graph_ising.py): an L x L grid joined by a G8..G24 connection rule, visible nodes at
// random sites of one checkerboard colour, latent nodes everywhere else, and, when the step has an
// input, one clamped input node per visible node coupled to it with the fixed weight J_t:
//   E = -beta * ( sum_edges J_e s_a s_b + sum_sites h_i s_i + J_t sum_v s_{visible v} s_{input v} ).
// Node ids: site = row * L + col, then the tied copies (below), then the input nodes (visible v's
// input is input_node(v)). Trainable: J_e on the grid edges and h_i on every site. The input
// coupling is fixed.
//
// Tied grey-level trials (the paper's binomial units, Appendix I; the replication unties them): a
// pixel's n trials share one site. Trial 0 is the site itself; trials 1..n-1 are extra "copy" cells
// off the grid with the site's neighbours, the same edge weights and the same bias, so that given
// the neighbours the pixel's count is Binomial(n, p). Each trial still couples to its own input.
// Energies quadratic in one pixel's count (all-to-all couplings among its trials, Appendix I) are
// left out, as in the paper's research code, whose tied units are a true binomial.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "graph/blocks.hpp"
#include "graph/topology.hpp"
#include "ml/moments.hpp"
#include "sample/engine.hpp"

namespace tsu::ml {

struct GridSpec {
  int side = 70;
  std::string rule = "G12";  // the replication's offsets; "G12-paper" for the paper's Table II
  bool torus = true;
};

// Which visible variables share a site: the first groups * size, in consecutive runs of `size`.
struct Tying {
  int groups = 0;
  int size = 1;
};

class StepGraph {
 public:
  // Places the visible variables' sites uniformly at random among the colour-0 sites ((row + col)
  // even), drawn from `placement_seed`. input_coupling = 0 means the step has no input (the
  // noisiest step).
  StepGraph(const GridSpec& grid, int visible, double input_coupling, uint64_t placement_seed, Tying tying = {});

  int side() const { return side_; }
  int sites() const { return side_ * side_; }
  int cells() const { return sites() + int(copy_site_.size()); }  // sites and tied copies: every sampled node
  int visible() const { return int(visible_nodes_.size()); }
  bool has_input() const { return input_coupling_ > 0; }
  int inputs() const { return has_input() ? visible() : 0; }
  int nodes() const { return cells() + inputs(); }
  int input_node(int v) const { return cells() + v; }
  int visible_node(int v) const { return visible_nodes_[size_t(v)]; }
  double input_coupling() const { return input_coupling_; }
  const std::vector<int32_t>& visible_sites() const { return visible_sites_; }  // one per site, in placement order
  const std::vector<int32_t>& visible_nodes() const { return visible_nodes_; }  // one per visible variable
  const std::vector<Edge>& edges() const { return edges_; }                     // the grid's: one weight each
  // The grid edges, then one edge per copy and neighbour of its site, carrying that grid edge's weight.
  const std::vector<Edge>& cell_edges() const { return cell_edges_; }
  int colour(int cell) const;

  // Moments over the cells and cell edges summed onto the parameters they share (sites and grid
  // edges): the gradient of a tied parameter is the sum over its copies. Untied: unchanged.
  PhaseMoments tie(PhaseMoments cell_moments) const;

  // The model with these parameters (weights per edge, biases per site).
  std::shared_ptr<const Model> model(std::span<const double> weights, std::span<const double> biases,
                                     double beta) const;
  // Chains started from the biases alone (copies from their site's), P(s_i = +1) = sigmoid(beta h_i) (the replication's
  // "Hinton init"; the engine's InitKind::Hinton is sigmoid(2 beta h)), one Init stream per chain.
  // Inputs start at 0: callers set them (and any clamped sites) before sampling.
  StateBatch initial_states(std::span<const double> biases, double beta, int chains, uint64_t seed) const;

  // Free = every cell except the given visible variables; the inputs are always clamped. Two
  // blocks: the free sites of colour 0, then those of colour 1.
  Layout layout(std::span<const int> clamped_visible) const;
  // Positive phase: every visible variable clamped. Negative phase: none.
  const Layout& positive_layout() const { return positive_; }
  const Layout& negative_layout() const { return negative_; }

 private:
  void add_copies(Tying tying);
  int site_of(int cell) const { return cell < sites() ? cell : copy_site_[size_t(cell - sites())]; }

  int side_;
  double input_coupling_;
  std::vector<Edge> edges_, cell_edges_;
  std::vector<int32_t> cell_edge_weight_;  // [cell edge] its grid edge
  std::vector<int32_t> copy_site_;         // [copy] its site
  std::vector<int32_t> visible_sites_, visible_nodes_;
  Layout positive_, negative_;
};

}  // namespace tsu::ml
