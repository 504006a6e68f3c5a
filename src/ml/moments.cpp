#include "ml/moments.hpp"

#include <bit>
#include <fmt/format.h>

namespace tsu::ml {

MomentObserver::MomentObserver(int sites, const std::vector<Edge>& edges, bool with_mean_field)
    : sites_(sites), edges_(edges), with_mean_field_(with_mean_field) {}

void MomentObserver::start(int chains, int nodes) {
  if (nodes < sites_) throw Error(fmt::format("moments: states have {} nodes, fewer than the {} sites", nodes, sites_));
  if (observations_ > 0) {
    if (chains != chains_) throw Error(fmt::format("moments: {} chains observed after {}", chains, chains_));
    return;
  }
  chains_ = chains;
  site_up_.assign(size_t(sites_), 0);
  edge_agree_.assign(edges_.size(), 0);
}

void MomentObserver::count(const uint64_t* packed, int words) {
  for (int i = 0; i < sites_; ++i) {
    const uint64_t* w = packed + size_t(i) * size_t(words);
    for (int k = 0; k < words; ++k) site_up_[size_t(i)] += std::popcount(w[k]);
  }
  for (size_t e = 0; e < edges_.size(); ++e) {
    const uint64_t* a = packed + size_t(edges_[e].a) * size_t(words);
    const uint64_t* b = packed + size_t(edges_[e].b) * size_t(words);
    int differ = 0;
    for (int k = 0; k < words; ++k) differ += std::popcount(a[k] ^ b[k]);
    edge_agree_[e] += chains_ - 2 * differ;
  }
  ++observations_;
}

void MomentObserver::observe(const StateBatch& states, int64_t) {
  if (!chain_of_bit_.empty()) throw Error("moments: one run observed both packed and unpacked states");
  start(states.chains, states.nodes);
  if (with_mean_field_ && chain_up_.empty()) chain_up_.assign(size_t(chains_) * size_t(sites_), 0);
  const int words = (chains_ + 63) / 64;
  packed_.assign(size_t(sites_) * size_t(words), 0);
  for (int c = 0; c < chains_; ++c) {
    const auto state = states.chain(c);
    const int shift = c % 64;
    uint64_t* column = packed_.data() + c / 64;
    for (int i = 0; i < sites_; ++i) column[size_t(i) * size_t(words)] |= uint64_t(state[size_t(i)] & 1) << shift;
    if (with_mean_field_) {
      int32_t* up = chain_up_.data() + size_t(c) * size_t(sites_);
      for (int i = 0; i < sites_; ++i) up[i] += state[size_t(i)];
    }
  }
  count(packed_.data(), words);
}

void MomentObserver::add_to_planes(const uint64_t* bits, size_t slots) {
  carry_.assign(bits, bits + slots);
  for (size_t p = 0;; ++p) {
    if (p == up_planes_.size()) up_planes_.emplace_back(slots, 0);
    uint64_t* plane = up_planes_[p].data();
    uint64_t any = 0;
    for (size_t slot = 0; slot < slots; ++slot) {
      const uint64_t next = plane[slot] & carry_[slot];
      plane[slot] ^= carry_[slot];
      carry_[slot] = next;
      any |= next;
    }
    if (!any) return;
  }
}

void MomentObserver::observe_packed(const PackedStates& states, int64_t) {
  if (!chain_up_.empty()) throw Error("moments: one run observed both packed and unpacked states");
  start(states.chains, states.nodes);
  if (with_mean_field_) {
    if (chain_of_bit_.empty())
      chain_of_bit_ = states.chain_of_bit;
    else if (chain_of_bit_ != states.chain_of_bit)
      throw Error("moments: the chains moved between bits from one observation to the next");
    add_to_planes(states.bits.data(), size_t(sites_) * size_t(states.words));
  }
  count(states.bits.data(), states.words);
}

// The vertical counters rearranged as chain_up_ ([chain * sites + site]), so both paths sum in chain order.
std::vector<int32_t> MomentObserver::chain_counts_from_bits() const {
  std::vector<int32_t> counts(size_t(chains_) * size_t(sites_), 0);
  const size_t words = chain_of_bit_.size() / 64;
  for (size_t bit = 0; bit < chain_of_bit_.size(); ++bit) {
    const int32_t c = chain_of_bit_[bit];
    if (c < 0) continue;
    for (int i = 0; i < sites_; ++i) {
      const size_t slot = size_t(i) * words + bit / 64;
      int32_t n = 0;
      for (size_t p = 0; p < up_planes_.size(); ++p) n |= int32_t(up_planes_[p][slot] >> (bit % 64) & 1) << p;
      counts[size_t(c) * size_t(sites_) + size_t(i)] = n;
    }
  }
  return counts;
}

PhaseMoments MomentObserver::moments() const {
  if (observations_ == 0) throw Error("moments: nothing was observed");
  const double samples = double(chains_) * double(observations_);
  PhaseMoments m;
  m.site.resize(size_t(sites_));
  for (int i = 0; i < sites_; ++i) m.site[size_t(i)] = 2.0 * double(site_up_[size_t(i)]) / samples - 1.0;
  m.edge.resize(edges_.size());
  for (size_t e = 0; e < edges_.size(); ++e) m.edge[e] = double(edge_agree_[e]) / samples;
  if (!with_mean_field_) return m;
  m.mean_field.assign(edges_.size(), 0.0);
  const std::vector<int32_t> per_chain = chain_of_bit_.empty() ? std::vector<int32_t>() : chain_counts_from_bits();
  const std::vector<int32_t>& counts = chain_of_bit_.empty() ? chain_up_ : per_chain;
  std::vector<double> mean(static_cast<size_t>(sites_));
  for (int c = 0; c < chains_; ++c) {
    const int32_t* up = counts.data() + size_t(c) * size_t(sites_);
    for (int i = 0; i < sites_; ++i) mean[size_t(i)] = 2.0 * double(up[i]) / double(observations_) - 1.0;
    for (size_t e = 0; e < edges_.size(); ++e) m.mean_field[e] += mean[size_t(edges_[e].a)] * mean[size_t(edges_[e].b)];
  }
  for (double& v : m.mean_field) v /= double(chains_);
  return m;
}

Gradient nll_gradient(const PhaseMoments& positive, const PhaseMoments& negative, double beta) {
  if (positive.edge.size() != negative.edge.size() || positive.site.size() != negative.site.size())
    throw Error("gradient: the two phases have different sizes");
  Gradient g;
  g.values.reserve(positive.edge.size() + positive.site.size());
  for (size_t e = 0; e < positive.edge.size(); ++e) g.values.push_back(-beta * (positive.edge[e] - negative.edge[e]));
  for (size_t i = 0; i < positive.site.size(); ++i) g.values.push_back(-beta * (positive.site[i] - negative.site[i]));
  return g;
}

Gradient tc_gradient(const PhaseMoments& negative, double beta) {
  if (negative.mean_field.size() != negative.edge.size())
    throw Error("total-correlation gradient: the negative phase was sampled without mean-field moments");
  Gradient g;
  g.values.assign(negative.edge.size() + negative.site.size(), 0.0);  // the biases' part is exactly zero
  for (size_t e = 0; e < negative.edge.size(); ++e) g.values[e] = -beta * (negative.mean_field[e] - negative.edge[e]);
  return g;
}

void add_scaled(Gradient& a, const Gradient& b, double scale) {
  if (a.values.size() != b.values.size()) throw Error("gradient: sizes differ");
  for (size_t k = 0; k < a.values.size(); ++k) a.values[k] += scale * b.values[k];
}

}  // namespace tsu::ml
