#include "ml/step_graph.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>

#include "sample/rng.hpp"

namespace tsu::ml {

namespace {

// `count` distinct colour-0 sites, a uniformly random subset in random order (partial Fisher-Yates).
std::vector<int32_t> place_visible(int side, int count, uint64_t seed) {
  std::vector<int32_t> candidates;
  for (int32_t s = 0; s < side * side; ++s)
    if ((s / side + s % side) % 2 == 0) candidates.push_back(s);
  if (count > int(candidates.size()))
    throw Error(
        fmt::format("graph: {} visible nodes do not fit on the {} sites of one colour of a {} x {} grid "
                    "(use a larger side)",
                    count, candidates.size(), side, side));
  uint64_t state = seed;
  for (int k = 0; k < count; ++k) {
    const uint64_t span = candidates.size() - size_t(k);
    std::swap(candidates[size_t(k)], candidates[size_t(k) + size_t(splitmix64(state) % span)]);
  }
  candidates.resize(size_t(count));
  return candidates;
}

}  // namespace

StepGraph::StepGraph(const GridSpec& grid, int visible, double input_coupling, uint64_t placement_seed, Tying tying)
    : side_(grid.side), input_coupling_(input_coupling) {
  if (grid.side < 2) throw Error(fmt::format("graph.side: must be >= 2, got {}", grid.side));
  if (visible < 1) throw Error(fmt::format("graph: needs at least one visible node, got {}", visible));
  if (!(input_coupling >= 0) || !std::isfinite(input_coupling))
    throw Error(fmt::format("graph: input coupling must be finite and >= 0, got {}", input_coupling));
  if (tying.groups < 0 || tying.size < 1 || int64_t(tying.groups) * tying.size > visible)
    throw Error(fmt::format("graph: {} tied groups of {} do not fit in {} visible variables", tying.groups,
                            tying.size, visible));
  edges_ = grid_edges(grid.side, grid_rule(grid.rule), grid.torus);
  visible_sites_ = place_visible(grid.side, visible - tying.groups * (tying.size - 1), placement_seed);
  add_copies(tying);
  std::vector<int> all(size_t(this->visible()));
  std::iota(all.begin(), all.end(), 0);
  positive_ = layout(all);
  negative_ = layout({});
}

// Trials 1..size-1 of every tied group become copies of the group's site: one cell each, with one
// edge per edge of the site. The untied variables keep their own sites.
void StepGraph::add_copies(Tying tying) {
  const int extra = tying.size - 1;
  const auto copy_node = [&](int g, int k) { return sites() + g * extra + k - 1; };  // trial k >= 1 of group g
  std::vector<int32_t> group_of_site(size_t(sites()), -1);
  for (int g = 0; g < tying.groups; ++g) {
    group_of_site[size_t(visible_sites_[size_t(g)])] = g;
    visible_nodes_.push_back(visible_sites_[size_t(g)]);
    for (int k = 1; k <= extra; ++k) {
      visible_nodes_.push_back(copy_node(g, k));
      copy_site_.push_back(visible_sites_[size_t(g)]);
    }
  }
  visible_nodes_.insert(visible_nodes_.end(), visible_sites_.begin() + tying.groups, visible_sites_.end());
  cell_edges_ = edges_;
  cell_edge_weight_.resize(edges_.size());
  std::iota(cell_edge_weight_.begin(), cell_edge_weight_.end(), 0);
  if (extra == 0) return;
  for (size_t e = 0; e < edges_.size(); ++e) {
    const auto [a, b] = edges_[e];
    const int32_t tied = group_of_site[size_t(a)] >= 0 ? a : b, other = tied == a ? b : a;
    const int g = group_of_site[size_t(tied)];
    if (g < 0) continue;
    if (group_of_site[size_t(other)] >= 0)
      throw Error(fmt::format("graph: tied sites {} and {} are neighbours (the rule is not bipartite here)", a, b));
    for (int k = 1; k <= extra; ++k) {
      cell_edges_.push_back({copy_node(g, k), other});
      cell_edge_weight_.push_back(int32_t(e));
    }
  }
}

int StepGraph::colour(int cell) const {
  const int site = site_of(cell);
  return (site / side_ + site % side_) % 2;
}

PhaseMoments StepGraph::tie(PhaseMoments m) const {
  if (m.site.size() != size_t(cells()) || m.edge.size() != cell_edges_.size())
    throw Error(fmt::format("step moments: {} sites and {} edges for {} cells and {} cell edges", m.site.size(),
                            m.edge.size(), cells(), cell_edges_.size()));
  for (size_t j = 0; j < copy_site_.size(); ++j) m.site[size_t(copy_site_[j])] += m.site[size_t(sites()) + j];
  m.site.resize(size_t(sites()));
  auto fold_edges = [&](std::vector<double>& v) {
    for (size_t e = edges_.size(); e < v.size(); ++e) v[size_t(cell_edge_weight_[e])] += v[e];
    v.resize(edges_.size());
  };
  fold_edges(m.edge);
  if (!m.mean_field.empty()) fold_edges(m.mean_field);
  return m;
}

std::shared_ptr<const Model> StepGraph::model(std::span<const double> weights, std::span<const double> biases,
                                              double beta) const {
  if (weights.size() != edges_.size() || biases.size() != size_t(sites()))
    throw Error(fmt::format("step model: {} weights and {} biases for {} edges and {} sites", weights.size(),
                            biases.size(), edges_.size(), sites()));
  auto m = std::make_shared<Model>();
  m->beta = beta;
  m->nodes.assign(size_t(nodes()), NodeKind::spin());
  FactorGroup unary;
  unary.n_spin = 1;
  unary.spins.resize(size_t(cells()));
  std::iota(unary.spins.begin(), unary.spins.end(), 0);
  unary.weights.assign(biases.begin(), biases.end());
  for (int32_t site : copy_site_) unary.weights.push_back(biases[size_t(site)]);
  FactorGroup pairs;
  pairs.n_spin = 2;
  pairs.spins.reserve(2 * (cell_edges_.size() + size_t(inputs())));
  for (size_t e = 0; e < cell_edges_.size(); ++e) {
    pairs.spins.insert(pairs.spins.end(), {cell_edges_[e].a, cell_edges_[e].b});
    pairs.weights.push_back(weights[size_t(cell_edge_weight_[e])]);
  }
  for (int v = 0; v < inputs(); ++v) {
    pairs.spins.insert(pairs.spins.end(), {visible_node(v), input_node(v)});
    pairs.weights.push_back(input_coupling_);
  }
  m->groups = {std::move(unary), std::move(pairs)};
  return m;
}

StateBatch StepGraph::initial_states(std::span<const double> biases, double beta, int chains, uint64_t seed) const {
  std::vector<float> up(static_cast<size_t>(cells()));
  for (int i = 0; i < cells(); ++i) up[size_t(i)] = float(1.0 / (1.0 + std::exp(-beta * biases[size_t(site_of(i))])));
  StateBatch batch(chains, nodes());
  for (int c = 0; c < chains; ++c) {
    auto rng = chain_stream(seed, uint64_t(c), Stream::Init);
    auto state = batch.chain(c);
    for (int i = 0; i < cells(); ++i) state[size_t(i)] = rng.uniform() < up[size_t(i)];
  }
  return batch;
}

Layout StepGraph::layout(std::span<const int> clamped_visible) const {
  std::vector<uint8_t> clamped(size_t(nodes()), 0);
  for (int v = 0; v < inputs(); ++v) clamped[size_t(input_node(v))] = 1;
  for (int v : clamped_visible) clamped[size_t(visible_nodes_.at(size_t(v)))] = 1;
  std::vector<std::vector<int32_t>> blocks(2);
  for (int32_t c = 0; c < cells(); ++c)
    if (!clamped[size_t(c)]) blocks[size_t(colour(c))].push_back(c);
  std::erase_if(blocks, [](const auto& b) { return b.empty(); });
  const std::vector<double> zero_w(edges_.size(), 0.0), zero_h(size_t(sites()), 0.0);
  return make_layout(*model(zero_w, zero_h, 1.0), std::move(clamped), std::move(blocks));
}

}  // namespace tsu::ml
