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

StepGraph::StepGraph(const GridSpec& grid, int visible, double input_coupling, uint64_t placement_seed)
    : side_(grid.side), input_coupling_(input_coupling) {
  if (grid.side < 2) throw Error(fmt::format("graph.side: must be >= 2, got {}", grid.side));
  if (visible < 1) throw Error(fmt::format("graph: needs at least one visible node, got {}", visible));
  if (!(input_coupling >= 0) || !std::isfinite(input_coupling))
    throw Error(fmt::format("graph: input coupling must be finite and >= 0, got {}", input_coupling));
  edges_ = grid_edges(grid.side, grid_rule(grid.rule), grid.torus);
  visible_sites_ = place_visible(grid.side, visible, placement_seed);
  std::vector<int> all(size_t(this->visible()));
  std::iota(all.begin(), all.end(), 0);
  positive_ = layout(all);
  negative_ = layout({});
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
  unary.spins.resize(size_t(sites()));
  std::iota(unary.spins.begin(), unary.spins.end(), 0);
  unary.weights.assign(biases.begin(), biases.end());
  FactorGroup pairs;
  pairs.n_spin = 2;
  pairs.spins.reserve(2 * (edges_.size() + size_t(inputs())));
  for (const auto& e : edges_) pairs.spins.insert(pairs.spins.end(), {e.a, e.b});
  pairs.weights.assign(weights.begin(), weights.end());
  for (int v = 0; v < inputs(); ++v) {
    pairs.spins.insert(pairs.spins.end(), {visible_sites_[size_t(v)], input_node(v)});
    pairs.weights.push_back(input_coupling_);
  }
  m->groups = {std::move(unary), std::move(pairs)};
  return m;
}

StateBatch StepGraph::initial_states(std::span<const double> biases, double beta, int chains, uint64_t seed) const {
  std::vector<float> up(static_cast<size_t>(sites()));
  for (int i = 0; i < sites(); ++i) up[size_t(i)] = float(1.0 / (1.0 + std::exp(-beta * biases[size_t(i)])));
  StateBatch batch(chains, nodes());
  for (int c = 0; c < chains; ++c) {
    auto rng = chain_stream(seed, uint64_t(c), Stream::Init);
    auto state = batch.chain(c);
    for (int i = 0; i < sites(); ++i) state[size_t(i)] = rng.uniform() < up[size_t(i)];
  }
  return batch;
}

Layout StepGraph::layout(std::span<const int> clamped_visible) const {
  std::vector<uint8_t> clamped(size_t(nodes()), 0);
  for (int v = 0; v < inputs(); ++v) clamped[size_t(input_node(v))] = 1;
  for (int v : clamped_visible) clamped[size_t(visible_sites_.at(size_t(v)))] = 1;
  std::vector<std::vector<int32_t>> blocks(2);
  for (int32_t s = 0; s < sites(); ++s)
    if (!clamped[size_t(s)]) blocks[size_t(colour(s))].push_back(s);
  std::erase_if(blocks, [](const auto& b) { return b.empty(); });
  const std::vector<double> zero_w(edges_.size(), 0.0), zero_h(size_t(sites()), 0.0);
  return make_layout(*model(zero_w, zero_h, 1.0), std::move(clamped), std::move(blocks));
}

}  // namespace tsu::ml
