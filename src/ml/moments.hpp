// The statistics a DTM step is trained on: spin moments of the grid sites and edges, averaged over
// the chains and observations of one sampling phase, and the gradients made from them.
//
// Energy convention (replication, Eq. 10 with each edge once): E = -beta (sum_e J_e s_a s_b +
// sum_i h_i s_i), s = +-1. For the conditional NLL -ln P(x^{t-1} | x^t):
//   dL/dJ_e = -beta (<s_a s_b>_pos - <s_a s_b>_neg),   dL/dh_i = -beta (<s_i>_pos - <s_i>_neg),
// with the positive phase clamping data and input, the negative phase the input only.
// The total-correlation penalty (KL to the product of the chain's own marginals, Appendix H) has
// the gradient E_d[dE] - E_p[dE] with d the mean-field product: -beta (m_a m_b - <s_a s_b>) for a
// coupling, where m_i is chain's mean of s_i, and exactly 0 for a bias.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/topology.hpp"
#include "sample/engine.hpp"

namespace tsu::ml {

struct PhaseMoments {
  std::vector<double> site;        // <s_i> per site
  std::vector<double> edge;        // <s_a s_b> per edge
  std::vector<double> mean_field;  // per edge, the chain average of m_a m_b (m = one chain's mean); may be empty
};

// Accumulates PhaseMoments over every observation of a run. Sites are nodes 0..sites-1 of the
// state batch; other nodes (inputs) are ignored. Chains are packed 64 to a word per site, so an
// edge's moment costs a few XOR-popcounts per observation.
class MomentObserver : public Observer {
 public:
  // `edges` must outlive the observer.
  MomentObserver(int sites, const std::vector<Edge>& edges, bool with_mean_field);
  void observe(const StateBatch& states, int64_t index) override;
  // The backend's own bit planes: no repacking, and the mean-field counts are kept per bit.
  bool reads_packed() const override { return true; }
  void observe_packed(const PackedStates& states, int64_t index) override;
  PhaseMoments moments() const;  // Error before any observation

 private:
  void start(int chains, int nodes);
  void count(const uint64_t* packed, int words);  // site and edge counts of one observation
  void add_to_planes(const uint64_t* bits, size_t slots);  // the packed path's per-bit counts
  std::vector<int32_t> chain_counts_from_bits() const;

  int sites_;
  const std::vector<Edge>& edges_;
  bool with_mean_field_;
  int chains_ = 0;
  int64_t observations_ = 0;
  std::vector<uint64_t> packed_;     // [site * words + word]: this observation's spins by chain
  std::vector<int64_t> site_up_;     // [site] count of s = +1
  std::vector<int64_t> edge_agree_;  // [edge] sum over chains of s_a s_b
  std::vector<int32_t> chain_up_;    // [chain * sites + site] count of s = +1 (mean field, StateBatch path)
  // The same per bit of the packed path, as vertical binary counters: bit b of up_planes_[p][slot]
  // is bit p of the count of (slot = site * words + word, bit b). An observation adds in a few
  // word operations per plane instead of 64 additions.
  std::vector<std::vector<uint64_t>> up_planes_;
  std::vector<uint64_t> carry_;
  std::vector<int32_t> chain_of_bit_;  // the packed path's bit -> chain map
};

// The parameter vector of a step: edge weights first, then site biases; gradients share the layout.
struct Gradient {
  std::vector<double> values;
};

// Gradient of the conditional NLL (see above).
Gradient nll_gradient(const PhaseMoments& positive, const PhaseMoments& negative, double beta);
// Gradient of the total-correlation penalty from negative-phase moments (needs mean_field).
Gradient tc_gradient(const PhaseMoments& negative, double beta);
// a += scale * b
void add_scaled(Gradient& a, const Gradient& b, double scale);

}  // namespace tsu::ml
