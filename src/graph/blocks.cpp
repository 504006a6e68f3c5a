#include "graph/blocks.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <queue>
#include <tuple>

namespace tsu {

namespace {

// Gathers factor f's members into `out`, checking that each is a node of the model.
void factor_members(const Model& model, size_t gi, size_t f, std::vector<int32_t>& out) {
  const auto& g = model.groups[gi];
  out.clear();
  auto s = g.spins_of(f);
  auto c = g.cats_of(f);
  out.insert(out.end(), s.begin(), s.end());
  out.insert(out.end(), c.begin(), c.end());
  for (int32_t v : out)
    if (v < 0 || size_t(v) >= model.size())
      throw Error(fmt::format("factors[{}] entry {}: node index {} is out of range (model has {} nodes)", gi, f, v,
                              model.size()));
}

// Calls visit(gi, f, members) for every factor of the model.
template <class Visit>
void for_each_factor(const Model& model, Visit visit) {
  std::vector<int32_t> members;
  for (size_t gi = 0; gi < model.groups.size(); ++gi)
    for (size_t f = 0, n = model.groups[gi].count(); f < n; ++f) {
      factor_members(model, gi, f, members);
      visit(gi, f, members);
    }
}

std::vector<uint8_t> checked_mask(const Model& model, std::vector<uint8_t> clamped) {
  if (clamped.empty()) clamped.assign(model.size(), 0);
  if (clamped.size() != model.size())
    throw Error(fmt::format("layout: clamped mask has {} entries but the model has {} nodes", clamped.size(),
                            model.size()));
  return clamped;
}

std::vector<uint8_t> model_clamp_mask(const Model& model) {
  std::vector<uint8_t> mask(model.size());
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = model.is_clamped(i);
  return mask;
}

// DSATUR state: for each free node, the sorted distinct colours of its coloured neighbours.
class Dsatur {
 public:
  Dsatur(const std::vector<std::vector<int32_t>>& adjacency, const std::vector<uint8_t>& clamped)
      : adj_(adjacency), clamped_(clamped), colour_(adjacency.size(), -1), seen_(adjacency.size()),
        free_degree_(adjacency.size(), 0) {
    for (size_t v = 0; v < adj_.size(); ++v) {
      if (clamped_[v]) continue;
      for (int32_t u : adj_[v]) free_degree_[v] += !clamped_[u];
      queue_.push({0, free_degree_[v], -int32_t(v)});
    }
  }

  // Colours every free node; returns the colour per node (-1 for clamped ones).
  std::vector<int> run() {
    while (!queue_.empty()) {
      auto [sat, degree, neg_v] = queue_.top();
      queue_.pop();
      int32_t v = -neg_v;
      if (colour_[v] >= 0 || sat != int(seen_[v].size())) continue;  // stale entry
      assign(v, smallest_missing(seen_[v]));
    }
    return colour_;
  }

 private:
  using Entry = std::tuple<int, int, int32_t>;  // saturation, free degree, -node (ties go to the lower id)

  static int smallest_missing(const std::vector<int>& sorted) {
    int c = 0;
    while (c < int(sorted.size()) && sorted[c] == c) ++c;
    return c;
  }

  void assign(int32_t v, int c) {
    colour_[v] = c;
    for (int32_t u : adj_[v]) {
      if (clamped_[u] || colour_[u] >= 0) continue;
      auto& seen = seen_[u];
      auto it = std::lower_bound(seen.begin(), seen.end(), c);
      if (it != seen.end() && *it == c) continue;
      seen.insert(it, c);
      queue_.push({int(seen.size()), free_degree_[u], -u});
    }
  }

  const std::vector<std::vector<int32_t>>& adj_;
  const std::vector<uint8_t>& clamped_;
  std::vector<int> colour_;
  std::vector<std::vector<int>> seen_;
  std::vector<int> free_degree_;
  std::priority_queue<Entry> queue_;
};

// block_of[v] = index of the block holding v, or -1; checks indices, clamps, duplicates and emptiness.
std::vector<int32_t> block_membership(const Model& model, const Layout& layout) {
  std::vector<int32_t> block_of(model.size(), -1);
  for (size_t b = 0; b < layout.blocks.size(); ++b) {
    if (layout.blocks[b].empty()) throw Error(fmt::format("blocks[{}]: block is empty", b));
    for (int32_t v : layout.blocks[b]) {
      if (v < 0 || size_t(v) >= model.size())
        throw Error(fmt::format("blocks[{}]: node {} is out of range (model has {} nodes)", b, v, model.size()));
      if (layout.clamped[v]) throw Error(fmt::format("blocks[{}]: node {} is clamped", b, v));
      if (block_of[v] == int32_t(b)) throw Error(fmt::format("blocks[{}]: node {} appears twice", b, v));
      if (block_of[v] >= 0)
        throw Error(fmt::format("blocks[{}]: node {} is already in blocks[{}]", b, v, block_of[v]));
      block_of[v] = int32_t(b);
    }
  }
  for (size_t v = 0; v < model.size(); ++v)
    if (!layout.clamped[v] && block_of[v] < 0) throw Error(fmt::format("blocks: free node {} is in no block", v));
  return block_of;
}

}  // namespace

size_t Layout::free_count() const { return size_t(std::count(clamped.begin(), clamped.end(), uint8_t(0))); }

std::vector<std::vector<int32_t>> interaction_graph(const Model& model) {
  std::vector<size_t> capacity(model.size(), 0);
  for_each_factor(model, [&](size_t, size_t, const std::vector<int32_t>& members) {
    for (int32_t v : members) capacity[v] += members.size() - 1;
  });
  std::vector<std::vector<int32_t>> adjacency(model.size());
  for (size_t v = 0; v < model.size(); ++v) adjacency[v].reserve(capacity[v]);
  for_each_factor(model, [&](size_t, size_t, const std::vector<int32_t>& members) {
    for (int32_t v : members)
      for (int32_t u : members)
        if (u != v) adjacency[v].push_back(u);
  });
  for (auto& neighbours : adjacency) {
    std::sort(neighbours.begin(), neighbours.end());
    neighbours.erase(std::unique(neighbours.begin(), neighbours.end()), neighbours.end());
  }
  return adjacency;
}

std::vector<std::vector<int32_t>> color_blocks(const Model& model, const std::vector<uint8_t>& clamped) {
  auto mask = checked_mask(model, clamped);
  auto colour = Dsatur(interaction_graph(model), mask).run();
  int colours = colour.empty() ? 0 : *std::max_element(colour.begin(), colour.end()) + 1;
  std::vector<std::vector<int32_t>> blocks(static_cast<size_t>(colours));
  for (size_t v = 0; v < colour.size(); ++v)
    if (colour[v] >= 0) blocks[colour[v]].push_back(int32_t(v));
  std::stable_sort(blocks.begin(), blocks.end(), [](const auto& x, const auto& y) { return x.size() > y.size(); });
  return blocks;
}

void validate_blocks(const Model& model, const Layout& layout) {
  if (layout.clamped.size() != model.size())
    throw Error(fmt::format("layout: clamped mask has {} entries but the model has {} nodes", layout.clamped.size(),
                            model.size()));
  auto block_of = block_membership(model, layout);
  for_each_factor(model, [&](size_t gi, size_t f, const std::vector<int32_t>& members) {
    for (size_t i = 0; i < members.size(); ++i)
      for (size_t j = i + 1; j < members.size(); ++j) {
        int32_t a = members[i], b = members[j];
        if (a != b && block_of[a] >= 0 && block_of[a] == block_of[b])
          throw Error(fmt::format("blocks[{}]: nodes {} and {} share a factor (factors[{}] entry {}), so they "
                                  "cannot be updated together",
                                  block_of[a], std::min(a, b), std::max(a, b), gi, f));
      }
  });
}

Layout default_layout(const Model& model) { return make_layout(model, model_clamp_mask(model), model.blocks); }

Layout make_layout(const Model& model, std::vector<uint8_t> clamped, std::vector<std::vector<int32_t>> blocks) {
  Layout layout;
  layout.clamped = checked_mask(model, std::move(clamped));
  if (blocks.empty()) {
    layout.blocks = color_blocks(model, layout.clamped);
  } else {
    layout.blocks = std::move(blocks);
    validate_blocks(model, layout);
  }
  return layout;
}

}  // namespace tsu
