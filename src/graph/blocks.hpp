// Sampling blocks: which nodes are free, and how the free nodes are grouped into blocks that can be
// updated in parallel. A block is valid only if it is an independent set of the factor graph (no
// factor holds two of its nodes): otherwise block Gibbs samples the wrong distribution.
#pragma once

#include "graph/model.hpp"

#include <vector>

namespace tsu {

struct Layout {
  std::vector<std::vector<int32_t>> blocks;  // free nodes, in sweep order
  std::vector<uint8_t> clamped;              // per node: 1 if its state is held fixed
  size_t free_count() const;
};

// For every node, the nodes that share at least one factor with it (sorted, no duplicates).
std::vector<std::vector<int32_t>> interaction_graph(const Model& model);

// Colours the free nodes greedily (DSATUR) and returns one block per colour, largest first.
std::vector<std::vector<int32_t>> color_blocks(const Model& model, const std::vector<uint8_t>& clamped);

// Checks that the blocks partition the free nodes and that each is an independent set. Throws
// Error naming the block, the nodes and the factor that joins them.
void validate_blocks(const Model& model, const Layout& layout);

// The model's own clamps and blocks (coloured automatically when it has none), validated.
Layout default_layout(const Model& model);
// A layout with the given clamped mask; blocks are coloured unless given.
Layout make_layout(const Model& model, std::vector<uint8_t> clamped,
                   std::vector<std::vector<int32_t>> blocks = {});

}  // namespace tsu
