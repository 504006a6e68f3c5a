#include "sample/fast_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "sample/program.hpp"

namespace tsu::fast {
namespace {

struct Coupling {
  int32_t neighbour;
  double weight;
};

// The couplings of every node as rows (CSR): neighbours ascending, duplicates summed in factor order.
struct PairwiseRows {
  std::vector<double> bias;
  std::vector<size_t> begin;  // [node + 1]
  std::vector<Coupling> couplings;
  std::span<const Coupling> row(int32_t i) const {
    return std::span(couplings).subspan(begin[size_t(i)], begin[size_t(i) + 1] - begin[size_t(i)]);
  }
};

// Sorts each row by neighbour (stably, so duplicates keep their factor order) and sums duplicates.
void merge_rows(PairwiseRows& rows) {
  std::vector<Coupling> merged;
  merged.reserve(rows.couplings.size());
  std::vector<size_t> begin{0};
  for (size_t i = 0; i + 1 < rows.begin.size(); ++i) {
    const auto first = rows.couplings.begin() + std::ptrdiff_t(rows.begin[i]);
    const auto last = rows.couplings.begin() + std::ptrdiff_t(rows.begin[i + 1]);
    std::stable_sort(first, last, [](const Coupling& a, const Coupling& b) { return a.neighbour < b.neighbour; });
    for (auto c = first; c != last; ++c) {
      if (merged.size() == begin.back() || merged.back().neighbour != c->neighbour) merged.push_back({c->neighbour, 0.0});
      merged.back().weight += c->weight;
    }
    begin.push_back(merged.size());
  }
  rows.couplings = std::move(merged);
  rows.begin = std::move(begin);
}

PairwiseRows pairwise_rows(const Model& model) {
  if (!is_pairwise_spin(model))
    throw Error("backend fast: supports pairwise spin models only (spins, factors of one or two spins); "
                "use --backend reference");
  PairwiseRows rows{std::vector<double>(model.size(), 0.0), std::vector<size_t>(model.size() + 1, 0), {}};
  for (const auto& g : model.groups)
    for (size_t f = 0, count = g.count(); f < count && g.n_spin == 2; ++f)
      for (int32_t i : g.spins_of(f)) ++rows.begin[size_t(i) + 1];
  for (size_t i = 0; i < model.size(); ++i) rows.begin[i + 1] += rows.begin[i];
  rows.couplings.resize(rows.begin.back());
  std::vector<size_t> next(rows.begin.begin(), rows.begin.end() - 1);
  for (const auto& g : model.groups)
    for (size_t f = 0, count = g.count(); f < count; ++f) {
      auto s = g.spins_of(f);
      if (g.n_spin == 1) {
        rows.bias[s[0]] += g.weights[f];
      } else {
        rows.couplings[next[size_t(s[0])]++] = {s[1], g.weights[f]};
        rows.couplings[next[size_t(s[1])]++] = {s[0], g.weights[f]};
      }
    }
  merge_rows(rows);
  return rows;
}

// The largest shift k with bound * 2^k <= 2^30 (0 for an isolated node without bias). With bound =
// m 2^e, 0.5 <= m < 1 (frexp), that is 30 - e, or 31 - e when m is exactly 0.5. Model::validate keeps
// the bound finite (kMaxMagnitude).
int fixed_point_shift(double bound) {
  if (bound <= 0) return 0;
  int e = 0;
  const double m = std::frexp(bound, &e);
  return m == 0.5 ? 31 - e : 30 - e;
}

int32_t to_fixed(double x, int k) { return int32_t(std::llround(std::ldexp(x, k))); }

// Appends the groups of one free node (at least one, so that the first table can carry cq): columns,
// slot weights, and subset-sum tables, cq included in every entry of the first.
void append_groups(SweepProgram& p, std::span<const Coupling> row, int k, int32_t cq) {
  std::vector<int32_t> cols;
  std::vector<int32_t> weights;
  for (auto [j, w] : row) {
    cols.push_back(j);
    weights.push_back(to_fixed(2 * w, k));
  }
  const size_t nibbles = std::max<size_t>(1, (cols.size() + 3) / 4);
  const size_t groups = (nibbles + 1) / 2;
  cols.resize(groups * 8, p.nodes);
  weights.resize(groups * 8, 0);
  p.cols.insert(p.cols.end(), cols.begin(), cols.end());
  p.slot_weight.insert(p.slot_weight.end(), weights.begin(), weights.end());
  for (size_t g = 0; g < groups; ++g)
    for (int half = 0; half < 2; ++half)
      for (int bits = 0; bits < 16; ++bits) {
        int32_t sum = g == 0 && half == 0 ? cq : 0;
        for (int b = 0; b < 4; ++b)
          if (bits >> b & 1) sum += weights[g * 8 + half * 4 + b];
        p.tables.push_back(sum);
      }
  p.group_begin.push_back(int32_t(p.cols.size() / 8));
  p.last_half.push_back(nibbles % 2);
}

// For each slot (node i, neighbour j), the weight of the same coupling in j's row, in j's scale:
// what a flip of i adds to j's cached field. 0 where j is clamped or the slot is padding.
void add_reverse_weights(SweepProgram& p) {
  const auto slots_of = [&](int32_t q) {
    return std::span(p.cols).subspan(size_t(p.group_begin[q]) * 8, size_t(p.group_begin[q + 1] - p.group_begin[q]) * 8);
  };
  p.reverse_weight.assign(p.cols.size(), 0);
  for (int32_t q = 0; q < p.positions(); ++q)
    for (int64_t slot = int64_t(p.group_begin[q]) * 8; slot < int64_t(p.group_begin[q + 1]) * 8; ++slot) {
      const int32_t qj = p.slot_position[slot];
      if (qj >= p.positions()) continue;
      // Rows are sorted by neighbour (padding, the dummy node, last), so i is found by bisection.
      const auto cols = slots_of(qj);
      const auto at = std::lower_bound(cols.begin(), cols.end(), p.order[q]);
      p.reverse_weight[slot] = p.slot_weight[size_t(p.group_begin[qj]) * 8 + size_t(at - cols.begin())];
    }
}

}  // namespace

SweepProgram compile_sweep_program(const Model& model, const Layout& layout) {
  const PairwiseRows rows = pairwise_rows(model);
  SweepProgram p;
  p.nodes = int32_t(model.size());
  p.group_begin.push_back(0);
  for (const auto& block : layout.blocks) {
    for (int32_t i : block) {
      double row_sum = 0, abs_sum = 0;
      for (auto [j, w] : rows.row(i)) {
        row_sum += w;
        abs_sum += std::abs(w);
      }
      // Every partial sum of the fixed-point terms is bounded by 2 sum|J| + |h - sum J|.
      const int k = fixed_point_shift(2 * abs_sum + std::abs(rows.bias[i] - row_sum));
      p.order.push_back(i);
      p.cq.push_back(to_fixed(rows.bias[i] - row_sum, k));
      p.shift.push_back(int16_t(k));
      p.exp2_scale.push_back(float(-2 * M_LOG2E * std::ldexp(1.0, -k)));
      append_groups(p, rows.row(i), k, p.cq.back());
    }
    p.block_end.push_back(int32_t(p.order.size()));
  }
  std::vector<int32_t> position(model.size() + 1, p.positions());
  for (int32_t q = 0; q < p.positions(); ++q) position[p.order[q]] = q;
  p.slot_position.reserve(p.cols.size());
  for (int32_t c : p.cols) p.slot_position.push_back(position[c]);
  add_reverse_weights(p);
  return p;
}

ChainTile make_tile(int32_t nodes, int first_chain, uint64_t seed) {
  ChainTile t;
  t.first_chain = first_chain;
  t.words.assign(size_t(nodes) + 1, 0);
  for (int lane = 0; lane < kTileChains; ++lane) {
    const Xoshiro128p r = chain_stream(seed, uint64_t(first_chain + lane));
    for (int w = 0; w < 4; ++w) t.rng[lane / 16][w][lane % 16] = r.s[w];
    t.beta_factor[lane / 16][lane % 16] = 1.0f;
  }
  return t;
}

StreamJump::StreamJump(int64_t steps) : column_(128) {
  for (int bit = 0; bit < 128; ++bit) {
    Xoshiro128p r{};
    r.s[bit / 32] = uint32_t(1) << (bit % 32);
    for (int64_t k = 0; k < steps; ++k) r.next();
    for (int w = 0; w < 4; ++w) column_[bit][w] = r.s[w];
  }
}

Xoshiro128p StreamJump::operator()(const Xoshiro128p& state) const {
  Xoshiro128p out{};
  for (int bit = 0; bit < 128; ++bit) {
    const uint32_t mask = 0u - (state.s[bit / 32] >> (bit % 32) & 1);
    for (int w = 0; w < 4; ++w) out.s[w] ^= column_[bit][w] & mask;
  }
  return out;
}

TileSplit make_tile_split(const SweepProgram& p, int parts) {
  TileSplit split;
  split.parts = parts;
  int32_t begin = 0;
  for (int32_t end : p.block_end) {
    for (int t = 0; t <= parts; ++t) split.bounds.push_back(begin + int32_t(int64_t(end - begin) * t / parts));
    for (int t = 0; t < parts; ++t) split.jumps.emplace_back(split.bounds[split.bounds.size() - parts - 1 + t] - begin);
    begin = end;
  }
  return split;
}

LoneSplit make_lone_split(const SweepProgram& p, int parts) {
  LoneSplit split;
  split.parts = parts;
  int32_t begin = 0;
  for (int32_t end : p.block_end) {
    for (int t = 0; t <= parts; ++t)
      split.bounds.push_back(begin + int32_t(int64_t(end - begin) * t / parts / 16 * 16));
    split.bounds.back() = end;
    begin = end;
  }
  const int32_t vectors = (p.positions() + 15) / 16;
  for (int t = 0; t <= parts; ++t) split.draw_bounds.push_back(int32_t(int64_t(vectors) * t / parts * 16));
  for (int t = 0; t < parts; ++t) split.draw_jumps.emplace_back(split.draw_bounds[t]);
  split.delta.assign(size_t(parts), std::vector<int32_t>(size_t(p.positions()) + 1, 0));
  split.uniforms.resize(size_t(kLoneSweeps) * vectors * 16);
  split.scaled_beta.resize(size_t(vectors) * 16);
  split.scaled_for.assign(size_t(parts), std::numeric_limits<double>::quiet_NaN());
  return split;
}

void fold_deltas(LoneSplit& split, LoneChain& chain) {
  for (auto& delta : split.delta)
    for (size_t q = 0; q < delta.size(); ++q) {
      chain.field[q] += delta[q];
      delta[q] = 0;
    }
}

LoneChain make_lone_chain(int32_t nodes, int chain, uint64_t seed) {
  LoneChain c;
  c.spin.assign(size_t(nodes) + 1, 0);
  c.rng = chain_stream(seed, uint64_t(chain));
  return c;
}

void refresh_fields(const SweepProgram& p, LoneChain& chain) {
  chain.field.assign(size_t(p.positions()) + 1, 0);
  chain.free_spin.resize(size_t(p.positions()));
  for (int32_t q = 0; q < p.positions(); ++q) {
    int32_t f = p.cq[q];
    for (int64_t slot = int64_t(p.group_begin[q]) * 8; slot < int64_t(p.group_begin[q + 1]) * 8; ++slot)
      if (chain.spin[p.cols[slot]]) f += p.slot_weight[slot];
    chain.field[q] = f;
    chain.free_spin[q] = chain.spin[p.order[q]];
  }
}

// 2^t to fp32 accuracy: 2^floor(t) times the polynomial on the fraction, as the vector kernels do.
static float exp2_poly(float t) {
  const float n = std::floor(t);
  const float f = t - n;
  float p = kExp2Poly[5];
  for (int k = 4; k >= 0; --k) p = std::fma(p, f, kExp2Poly[k]);
  return std::ldexp(p, int(std::clamp(n, -1000.0f, 1000.0f)));
}

// s = +1 iff r (1 + 2^t) < 2^24; an infinite 2^t with r = 0 also gives +1, as the exact rule does.
bool draw_up(int32_t field, float scale, uint32_t random) {
  const float r = float(random >> 8);
  const float t = float(field) * scale;
  return !(std::fma(r, exp2_poly(t), r) >= 0x1p24f);
}

#if !TSU_FAST_AVX512

void sweep_tile(const SweepProgram& p, ChainTile& tile, double beta) {
  Xoshiro128p rng[kTileChains];
  for (int lane = 0; lane < kTileChains; ++lane)
    for (int w = 0; w < 4; ++w) rng[lane].s[w] = tile.rng[lane / 16][w][lane % 16];
  for (int32_t q = 0; q < p.positions(); ++q) {
    const float scale = float(beta * p.exp2_scale[q]);
    uint64_t word = 0;
    for (int lane = 0; lane < kTileChains; ++lane) {
      const int bit = ChainTile::bit_of_lane(lane);
      int32_t f = p.cq[q];
      for (int64_t slot = int64_t(p.group_begin[q]) * 8; slot < int64_t(p.group_begin[q + 1]) * 8; ++slot)
        if (tile.words[p.cols[slot]] >> bit & 1) f += p.slot_weight[slot];
      if (draw_up(f, scale * tile.beta_factor[lane / 16][lane % 16], rng[lane].next())) word |= uint64_t(1) << bit;
    }
    tile.words[p.order[q]] = word;
  }
  for (int lane = 0; lane < kTileChains; ++lane)
    for (int w = 0; w < 4; ++w) tile.rng[lane / 16][w][lane % 16] = rng[lane].s[w];
}

void sweep_lone_chain(const SweepProgram& p, const StreamJump&, LoneChain& chain, std::span<const double> betas) {
  for (double beta : betas)
    for (int32_t q = 0; q < p.positions(); ++q) {
      const bool up = draw_up(chain.field[q], float(beta * p.exp2_scale[q]), chain.rng.next());
      if (up == bool(chain.free_spin[q])) continue;
      chain.free_spin[q] = chain.spin[p.order[q]] = up;
      propagate_flip(p, chain.field.data(), q, up);
    }
}

void sweep_tile_part(const SweepProgram&, TileSplit&, ChainTile&, std::span<const double>, int, int) {
  throw Error("sweep_tile_part: needs the AVX-512 kernels");
}

void sweep_lone_chain_part(const SweepProgram&, const StreamJump&, LoneSplit&, LoneChain&, std::span<const double>,
                           int, int) {
  throw Error("sweep_lone_chain_part: needs the AVX-512 kernels");
}

#endif

}  // namespace tsu::fast
