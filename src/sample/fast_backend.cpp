// The vectorised CPU backend for pairwise spin models: 64 chains per tile in bit-packed words and
// SIMD lanes, tiles spread over threads; up to 32 chains run alone instead, with cached fields.
// A quantized model (EngineOptions::bits) runs in tiles only, with the exact integer rule.
// Each chain consumes its own stream exactly as the reference backend does, and tiles never
// interact, so the samples do not depend on the number of threads.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <fmt/format.h>

#include "sample/backends.hpp"
#include "sample/fast_kernels.hpp"
#include "sample/quantized_kernels.hpp"

namespace tsu {
namespace {

// Up to this many chains, lone chains (about 0.9 flips/ns each on Zen 4) beat a tile at most half
// full (about 1.9 flips/ns for 64 lanes).
constexpr int kLoneChainLimit = 32;
// A lone tile is split over threads only when each thread gets this many positions per block on
// average: below, the barrier after every block costs more than the work it shares.
constexpr int kMinSplitPositions = 256;

class FastBackend final : public Backend {
 public:
  FastBackend(const CompiledModel& cm, const Layout& layout, const EngineOptions& opt)
      : program_(fast::compile_sweep_program(*cm.model, layout)),
        chains_(opt.chains),
        nodes_(int(cm.size())),
        threads_(resolve_threads(opt.threads)),
        beta_factors_(size_t(opt.chains), 1.0) {
    const int64_t per_part = program_.positions() / std::max<int64_t>(1, int64_t(program_.block_end.size()) * threads_);
    const bool splittable = TSU_FAST_AVX512 && threads_ > 1 && per_part >= kMinSplitPositions;
    if (opt.bits > 0) {
      quantized_ = std::make_unique<fast::QuantizedProgram>(fast::compile_quantized_program(*cm.model, layout, opt.bits));
      for (int c = 0; c < chains_ && chains_ <= kLoneChainLimit; ++c) {
        lone_.push_back(fast::make_lone_chain(nodes_, int(opt.first_chain) + c, opt.seed));
        fast::refresh_quantized_fields(*quantized_, lone_.back());
        lone_ties_.push_back({fast::tie_key(opt.seed, uint64_t(opt.first_chain + c)), 0});
      }
      for (int first = 0; first < chains_ && chains_ > kLoneChainLimit; first += fast::kTileChains) {
        tiles_.push_back(fast::make_tile(nodes_, int(opt.first_chain) + first, opt.seed));
        ties_.push_back(fast::make_tie_state(int(opt.first_chain) + first, opt.seed));
      }
      if (splittable && tiles_.size() == 1 && quantized_->vector_fields)
        quantized_split_ = std::make_unique<fast::QuantizedSplit>(fast::make_quantized_split(*quantized_, threads_));
    } else if (chains_ <= kLoneChainLimit) {
      sweep_jump_ = std::make_unique<fast::StreamJump>(program_.positions());
      for (int c = 0; c < chains_; ++c) {
        lone_.push_back(fast::make_lone_chain(nodes_, int(opt.first_chain) + c, opt.seed));
        fast::refresh_fields(program_, lone_.back());
      }
      if (splittable && chains_ == 1) lone_split_ = std::make_unique<fast::LoneSplit>(fast::make_lone_split(program_, threads_));
    } else {
      for (int first = 0; first < chains_; first += fast::kTileChains)
        tiles_.push_back(fast::make_tile(nodes_, int(opt.first_chain) + first, opt.seed));
      if (splittable && tiles_.size() == 1)
        split_ = std::make_unique<fast::TileSplit>(fast::make_tile_split(program_, threads_));
    }
  }

  std::string name() const override { return "fast"; }

  void sweeps(int64_t count, const BetaSchedule& beta, int64_t first_sweep) override {
    if (!split_ && !lone_split_ && !quantized_split_) return parallel_sweeps(count, beta, first_sweep);
    // A split tile (or chain) pays only while every thread has a core to itself: on a busy machine the barrier
    // after each block can wait for a whole time slice. Both ways give the same samples, so the
    // backend times both, runs the faster, and re-times the slower every kRetry calls. A way is
    // trusted once kEvidence seconds of it were timed: a few sweeps of a small model take
    // microseconds, where one thread wake-up would decide.
    constexpr int64_t kRetry = 16;
    int64_t done = 0;
    const bool unsure = timing_[0].seconds < kEvidence || timing_[1].seconds < kEvidence;
    if (unsure || ++calls_ % kRetry == 0) {
      const bool way = unsure ? timing_[1].seconds <= timing_[0].seconds : !split_is_faster();
      const int64_t probe = probe_sweeps(way);  // sized from the old timing, before it is dropped
      if (!unsure) timing_[way] = {};           // re-timed from scratch: the machine's load may have changed
      done = std::min(count, probe);
      timed_sweeps(way, done, beta, first_sweep);
    }
    if (done < count) timed_sweeps(split_is_faster(), count - done, beta, first_sweep + done);
  }

  void get_states(StateBatch& out) const override {
    out = StateBatch(chains_, nodes_);
    for (int c = 0; c < chains_; ++c) {
      auto state = out.chain(c);
      if (!lone_.empty()) {
        std::copy_n(lone_[c].spin.begin(), nodes_, state.begin());
        continue;
      }
      const auto& words = tiles_[c / fast::kTileChains].words;
      const int bit = fast::ChainTile::bit_of_lane(c % fast::kTileChains);
      for (int i = 0; i < nodes_; ++i) state[i] = State(words[i] >> bit & 1);
    }
  }

  bool get_packed_states(PackedStates& out) const override {
    if (tiles_.empty()) return false;  // lone chains hold bytes
    const int words = int(tiles_.size());
    if (out.chains != chains_ || out.chain_of_bit.size() != size_t(words) * 64) {
      out.chain_of_bit.assign(size_t(words) * 64, -1);
      for (int c = 0; c < chains_; ++c)
        out.chain_of_bit[size_t(c / fast::kTileChains) * 64 + size_t(fast::ChainTile::bit_of_lane(c % fast::kTileChains))] = c;
    }
    out.chains = chains_, out.nodes = nodes_, out.words = words;
    out.bits.resize(size_t(nodes_) * size_t(words));
    for (int t = 0; t < words; ++t) {
      const uint64_t used = tile_lane_bits(t);
      const uint64_t* w = tiles_[t].words.data();
      for (int i = 0; i < nodes_; ++i) out.bits[size_t(i) * size_t(words) + size_t(t)] = w[i] & used;
    }
    return true;
  }

  void set_beta_factors(std::span<const double> factors) override {
    validate_beta_factors(factors, chains_);
    beta_factors_.assign(factors.begin(), factors.end());
    for (int c = 0; c < chains_ && lone_.empty(); ++c) {
      const int lane = c % fast::kTileChains;
      tiles_[c / fast::kTileChains].beta_factor[lane / 16][lane % 16] = float(factors[c]);
    }
  }

  void set_states(const StateBatch& in) override {
    if (in.chains != chains_ || in.nodes != nodes_)
      throw Error(fmt::format("set_states: batch of {} chains x {} nodes, backend has {} x {}", in.chains, in.nodes,
                              chains_, nodes_));
    for (int c = 0; c < chains_; ++c) {
      auto state = in.chain(c);
      if (!lone_.empty()) {
        for (int i = 0; i < nodes_; ++i) lone_[c].spin[i] = state[i] != 0;
        if (quantized_)
          fast::refresh_quantized_fields(*quantized_, lone_[c]);
        else
          fast::refresh_fields(program_, lone_[c]);
        continue;
      }
      auto& words = tiles_[c / fast::kTileChains].words;
      const uint64_t mask = uint64_t(1) << fast::ChainTile::bit_of_lane(c % fast::kTileChains);
      for (int i = 0; i < nodes_; ++i) words[i] = state[i] ? words[i] | mask : words[i] & ~mask;
    }
  }

 private:
  // Tiles (or lone chains) spread over the threads, without synchronisation.
  void parallel_sweeps(int64_t count, const BetaSchedule& beta, int64_t first_sweep) {
    if (quantized_) return quantized_sweeps(count, beta, first_sweep);
    const int units = int(lone_.empty() ? tiles_.size() : lone_.size());
#pragma omp parallel for schedule(static, 1) num_threads(std::min(threads_, units))
    for (int u = 0; u < units; ++u) {
      if (!lone_.empty()) {
        run_lone_chain(lone_[u], beta_factors_[u], count, beta, first_sweep);
        continue;
      }
      for (int64_t k = 0; k < count; ++k) fast::sweep_tile(program_, tiles_[u], beta.at(first_sweep + k));
    }
  }

  struct WayTiming {
    double seconds = 0;  // timed sweeps of this way, summed
    int64_t sweeps = 0;
    double per_sweep() const { return sweeps ? seconds / double(sweeps) : 0; }
  };
  static constexpr double kEvidence = 2e-3;

  // The bits of tile t's words that belong to chains (a last tile may be partly empty).
  uint64_t tile_lane_bits(int t) const {
    uint64_t bits = 0;
    for (int lane = 0; lane < std::min(fast::kTileChains, chains_ - t * fast::kTileChains); ++lane)
      bits |= uint64_t(1) << fast::ChainTile::bit_of_lane(lane);
    return bits;
  }

  bool split_is_faster() const {
    return timing_[0].sweeps == 0 || (timing_[1].sweeps != 0 && timing_[1].per_sweep() < timing_[0].per_sweep());
  }

  // Enough sweeps to time `split`'s way for kEvidence seconds, as far as its timing so far tells.
  int64_t probe_sweeps(bool split) const {
    constexpr int64_t kProbe = 3;
    const double per_sweep = timing_[split].per_sweep();
    return per_sweep > 0 ? std::max<int64_t>(kProbe, int64_t(kEvidence / per_sweep) + 1) : kProbe;
  }

  // Runs and times `count` sweeps one way; the first sweep ever run each way (thread start-up,
  // first touch of the data) is left out of the timing.
  void timed_sweeps(bool split, int64_t count, const BetaSchedule& beta, int64_t first_sweep) {
    auto run = [&](int64_t n, int64_t first) {
      if (split)
        split_sweeps(n, beta, first);
      else
        parallel_sweeps(n, beta, first);
    };
    if (!warmed_up_[split] && count > 0) {
      run(1, first_sweep++);
      --count;
      warmed_up_[split] = true;
    }
    const auto start = std::chrono::steady_clock::now();
    run(count, first_sweep);
    WayTiming& t = timing_[split];
    t.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    t.sweeps += count;
    if (t.seconds > 64 * kEvidence && t.sweeps > 1) t = {t.seconds / 2, t.sweeps / 2};  // forget old timings
  }

  // One tile or lone chain on every thread (see fast::TileSplit, fast::LoneSplit).
  void split_sweeps(int64_t count, const BetaSchedule& beta, int64_t first_sweep) {
    if (lone_split_) return split_lone_sweeps(count, beta, first_sweep);
    if (quantized_split_) return split_quantized_sweeps(count, beta, first_sweep);
    std::vector<double> betas(static_cast<size_t>(count));
    for (int64_t k = 0; k < count; ++k) betas[k] = beta.at(first_sweep + k);
    auto& tile = tiles_[0];
    auto& start = split_->block_start;
    for (int v = 0; v < fast::kTileVectors; ++v)
      for (int w = 0; w < 4; ++w) std::copy_n(tile.rng[v][w], 16, start[0][v][w].begin());
#pragma omp parallel num_threads(split_->parts)
    fast::sweep_tile_part(program_, *split_, tile, betas, omp_get_thread_num(), omp_get_num_threads());
    const auto& end = start[count * int64_t(program_.block_end.size()) % 2];
    for (int v = 0; v < fast::kTileVectors; ++v)
      for (int w = 0; w < 4; ++w) std::copy_n(end[v][w].begin(), 16, tile.rng[v][w]);
  }

  void split_lone_sweeps(int64_t count, const BetaSchedule& beta, int64_t first_sweep) {
    double betas[fast::kLoneSweeps];
    auto& chain = lone_[0];
    for (int64_t done = 0; done < count;) {
      const int n = int(std::min<int64_t>(fast::kLoneSweeps, count - done));
      for (int k = 0; k < n; ++k) betas[k] = beta.at(first_sweep + done + k) * beta_factors_[0];
#pragma omp parallel num_threads(lone_split_->parts)
      fast::sweep_lone_chain_part(program_, *sweep_jump_, *lone_split_, chain, {betas, size_t(n)}, omp_get_thread_num(),
                                  omp_get_num_threads());
      done += n;
    }
    fast::fold_deltas(*lone_split_, chain);
  }

  // The rule at each beta a lane runs, made once per distinct value and kept while the betas repeat
  // (constant or tempered runs); an annealed run's are forgotten in bulk, between chunks only, since
  // a chunk holds pointers to its rules.
  const fast::Thresholds& rule_at(double beta) {
    auto& rule = rules_[beta];
    if (!rule) rule = std::make_unique<fast::Thresholds>(fast::make_thresholds(*quantized_, beta));
    return *rule;
  }
  void forget_rules_if_many() {
    constexpr size_t kKeep = 64;
    if (rules_.size() > kKeep) rules_.clear();
  }

  // Sweeps in chunks: the rules of a chunk's betas are made first, then the tiles (or lone chains)
  // run on the threads.
  void quantized_sweeps(int64_t count, const BetaSchedule& beta, int64_t first_sweep) {
    if (!lone_.empty()) return quantized_lone_sweeps(count, beta, first_sweep);
    constexpr int64_t kChunk = 16;
    std::vector<const fast::Thresholds*> rules;  // [sweep in chunk][chain]
    for (int64_t done = 0; done < count; done += kChunk) {
      const int64_t n = std::min(kChunk, count - done);
      rules.clear();
      forget_rules_if_many();
      for (int64_t k = 0; k < n; ++k)
        for (int c = 0; c < int(tiles_.size()) * fast::kTileChains; ++c)
          rules.push_back(&rule_at(beta.at(first_sweep + done + k) * beta_factors_[size_t(std::min(c, chains_ - 1))]));
      const int units = int(tiles_.size());
#pragma omp parallel for schedule(static, 1) num_threads(std::min(threads_, units))
      for (int t = 0; t < units; ++t)
        for (int64_t k = 0; k < n; ++k) {
          const auto lanes = std::span(rules).subspan(size_t((k * units + t) * fast::kTileChains), fast::kTileChains);
          if (std::all_of(lanes.begin(), lanes.end(), [&](auto r) { return r == lanes[0]; }))
            fast::sweep_quantized_tile(*quantized_, tiles_[t], ties_[t], *lanes[0]);
          else
            fast::sweep_quantized_lanes(*quantized_, tiles_[t], ties_[t], lanes);
        }
    }
  }

  // The single tile over the threads (fast::QuantizedSplit), while all its lanes share one beta.
  void split_quantized_sweeps(int64_t count, const BetaSchedule& beta, int64_t first_sweep) {
    const auto factors = std::span(beta_factors_).first(size_t(std::min(chains_, fast::kTileChains)));
    if (std::adjacent_find(factors.begin(), factors.end(), std::not_equal_to<>()) != factors.end())
      return quantized_sweeps(count, beta, first_sweep);
    constexpr int64_t kChunk = 16;
    auto& tile = tiles_[0];
    auto& split = *quantized_split_;
    std::vector<const fast::Thresholds*> rules;  // [sweep in chunk]
    for (int64_t done = 0; done < count; done += kChunk) {
      const int64_t n = std::min(kChunk, count - done);
      rules.clear();
      forget_rules_if_many();
      for (int64_t k = 0; k < n; ++k) rules.push_back(&rule_at(beta.at(first_sweep + done + k) * factors[0]));
      std::copy_n(&tile.rng[0][0][0], sizeof(tile.rng) / sizeof(uint32_t), &split.sweep_start[0][0][0][0]);
#pragma omp parallel num_threads(split.parts)
      fast::sweep_quantized_tile_part(*quantized_, split, tile, ties_[0], rules, omp_get_thread_num(), omp_get_num_threads());
      std::copy_n(&split.sweep_start[n % 2][0][0][0], sizeof(tile.rng) / sizeof(uint32_t), &tile.rng[0][0][0]);
      ties_[0].sweeps += n;
    }
  }

  void quantized_lone_sweeps(int64_t count, const BetaSchedule& beta, int64_t first_sweep) {
    constexpr int64_t kChunk = 16;
    std::vector<const fast::Thresholds*> rules;  // [sweep in chunk][chain]
    for (int64_t done = 0; done < count; done += kChunk) {
      const int64_t n = std::min(kChunk, count - done);
      rules.clear();
      forget_rules_if_many();
      for (int64_t k = 0; k < n; ++k)
        for (int c = 0; c < chains_; ++c) rules.push_back(&rule_at(beta.at(first_sweep + done + k) * beta_factors_[size_t(c)]));
#pragma omp parallel for schedule(static, 1) num_threads(std::min(threads_, chains_))
      for (int c = 0; c < chains_; ++c)
        for (int64_t k = 0; k < n; ++k)
          fast::sweep_quantized_lone(*quantized_, lone_[c], lone_ties_[c], *rules[size_t(k * chains_ + c)]);
    }
  }

  void run_lone_chain(fast::LoneChain& chain, double beta_factor, int64_t count, const BetaSchedule& beta,
                      int64_t first_sweep) const {
    double betas[fast::kLoneSweeps];
    for (int64_t done = 0; done < count;) {
      const int n = int(std::min<int64_t>(fast::kLoneSweeps, count - done));
      for (int k = 0; k < n; ++k) betas[k] = beta.at(first_sweep + done + k) * beta_factor;
      fast::sweep_lone_chain(program_, *sweep_jump_, chain, {betas, size_t(n)});
      done += n;
    }
  }

  fast::SweepProgram program_;
  std::unique_ptr<fast::QuantizedProgram> quantized_;
  std::unique_ptr<fast::QuantizedSplit> quantized_split_;
  std::vector<fast::TieState> ties_;  // [tile], quantized runs
  std::vector<fast::LoneTies> lone_ties_;  // [chain], quantized lone chains
  std::map<double, std::unique_ptr<fast::Thresholds>> rules_;
  std::unique_ptr<fast::StreamJump> sweep_jump_;
  std::unique_ptr<fast::TileSplit> split_;
  std::unique_ptr<fast::LoneSplit> lone_split_;
  WayTiming timing_[2];  // [split]
  bool warmed_up_[2] = {false, false};
  int64_t calls_ = 0;
  int chains_;
  int nodes_;
  int threads_;
  std::vector<double> beta_factors_;
  std::vector<fast::ChainTile> tiles_;
  std::vector<fast::LoneChain> lone_;
};

}  // namespace

std::unique_ptr<Backend> make_fast_backend(const CompiledModel& cm, const Layout& layout, const EngineOptions& opt) {
  if (opt.chains < 1) throw Error(fmt::format("chains: must be >= 1, got {}", opt.chains));
  return std::make_unique<FastBackend>(cm, layout, opt);
}

}  // namespace tsu
