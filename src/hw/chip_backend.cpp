// The chip as an engine backend: clocked block updates with latched outputs, or asynchronous cells
// (see chip.hpp for the physics). Every chain owns its streams (sweep, read-out, drift), so samples do
// not depend on the number of threads.
#include <cmath>
#include <fmt/format.h>

#include "hw/cell.hpp"
#include "hw/chip.hpp"
#include "hw/energy.hpp"
#include "sample/backends.hpp"
#include "sample/rng.hpp"

namespace tsu::hw {

namespace {


struct ChainCounters {
  int64_t updates = 0, toggles = 0;
  double e_updates = 0, e_toggles = 0;
};

class ChipBackendImpl final : public ChipBackend {
 public:
  ChipBackendImpl(const Chip& chip, const Layout& layout, const EngineOptions& opt)
      : chip_(chip), cm_(chip.program()), layout_(layout), threads_(resolve_threads(opt.threads)) {
    const Device& d = chip.device();
    const auto& opts = chip.options();
    const int nodes = int(cm_.size());
    if (opt.chains < 1) throw Error(fmt::format("chains: must be >= 1, got {}", opt.chains));
    if (layout.clamped.size() != size_t(nodes)) throw Error("chip: the layout does not belong to the chip's model");
    latched_ = internal_ = before_ = StateBatch(opt.chains, nodes);
    beta_factors_.assign(size_t(opt.chains), 1.0);
    for (const auto& block : layout.blocks) free_.insert(free_.end(), block.begin(), block.end());
    for (int c = 0; c < opt.chains; ++c) {
      const auto chain = uint64_t(opt.first_chain + c);
      sweep_rng_.push_back(chain_stream(opt.seed, chain));
      read_rng_.push_back(chain_stream(derive(opt.seed, Purpose::Readout), chain, Stream::Aux));
      drift_rng_.push_back(chain_stream(derive(opt.seed, Purpose::Drift), chain, Stream::Aux));
    }
    counters_.resize(size_t(opt.chains));
    const size_t states = size_t(chip.state_index(size_t(nodes)));
    drift_sigma_ = opts.drift ? d.drift_sigma : 0.0;
    drift_.assign(size_t(opt.chains), std::vector<double>(states, 0.0));
    if (drift_sigma_ > 0)
      for (int c = 0; c < opt.chains; ++c)
        for (double& x : drift_[c]) x = drift_sigma_ * normal(drift_rng_[c]);
    held_.assign(size_t(opt.chains), std::vector<double>(states, 0.0));
    held_ready_.assign(size_t(opt.chains), 0);
    read_error_ = opts.readout ? d.readout_error : 0.0;

    async_ = opts.mode == ChipMode::Async;
    phase_ = d.clock_period;
    sweep_time_ = double(layout.blocks.size()) * phase_;
    const double delay = opts.bias_delay ? std::min(d.tau_bias, phase_) : 0.0;
    redraw_any_ = 1.0 - keep_probability(phase_, d.tau);
    redraw_late_ = 1.0 - keep_probability(phase_ - delay, d.tau);
    // A redraw in the last (phase - delay) of every phase is then certain for any 24-bit uniform:
    // only the latching block needs drawing, as in ideal block Gibbs.
    fresh_only_ = keep_probability(phase_ - delay, d.tau) < 0x1p-24;
    redraw_rate_ = 1.0 / d.tau;
    refresh_rate_ = opts.bias_delay && d.tau_bias > 0 ? 1.0 / d.tau_bias : 0.0;

    const int colours = async_ ? 0 : int(layout.blocks.size());
    e_update_.resize(size_t(nodes));
    e_toggle_.resize(size_t(nodes));
    for (int i = 0; i < nodes; ++i) {
      e_update_[i] = cell_energy(d, chip.degree(i), chip.wire_length(i), colours, 0.0).total();
      e_toggle_[i] = toggle_energy(d, chip.wire_length(i));
    }
  }

  std::string name() const override { return async_ ? "chip-async" : "chip-clocked"; }

  void sweeps(int64_t count, const BetaSchedule& beta, int64_t first_sweep) override {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (int c = 0; c < latched_.chains; ++c) {
      std::vector<double> scratch(kMaxCategories);
      for (int64_t k = 0; k < count; ++k) {
        const double b = beta.at(first_sweep + k) * beta_factors_[c];
        if (async_)
          async_sweep(c, b, scratch);
        else
          clocked_sweep(c, b, scratch);
        drift_step(c);
      }
    }
    sweeps_ += count;
  }

  void get_states(StateBatch& out) const override {
    out = latched_;
    reads_ += int64_t(out.chains) * out.nodes;
    if (read_error_ <= 0) return;
    for (int c = 0; c < out.chains; ++c) {
      auto s = out.chain(c);
      for (int32_t node : free_) {
        if (read_rng_[c].uniform() >= read_error_) continue;
        const int states = cm_.model->nodes[node].states;
        s[node] = State((s[node] + 1 + int(read_rng_[c].uniform() * float(states - 1))) % states);
      }
    }
  }

  void set_states(const StateBatch& in) override {
    if (in.chains != latched_.chains || in.nodes != latched_.nodes)
      throw Error("set_states: batch shape does not match the backend's chains and nodes");
    latched_ = internal_ = before_ = in;
    writes_ += int64_t(in.chains) * in.nodes;
    std::fill(held_ready_.begin(), held_ready_.end(), 0);
  }

  // On the chip a chain's temperature is the gain of its bias DACs.
  void set_beta_factors(std::span<const double> factors) override {
    validate_beta_factors(factors, latched_.chains);
    beta_factors_.assign(factors.begin(), factors.end());
  }

  ChipAccount account() const override {
    const Device& d = chip_.device();
    ChipAccount a;
    a.sweeps = sweeps_;
    a.seconds = double(sweeps_) * sweep_time_;
    for (const auto& k : counters_) {
      a.updates += k.updates;
      a.toggles += k.toggles;
      a.e_updates += k.e_updates;
      a.e_toggles += k.e_toggles;
    }
    a.reads = reads_;
    a.writes = writes_;
    a.e_reads = double(reads_) * d.e_read_node;
    a.e_writes = double(writes_) * d.e_init_node;
    return a;
  }

 private:
  // A fresh draw of `node` from its chip conditional given `state` (the latched outputs).
  State draw(int c, int32_t node, std::span<const State> state, double beta, float u, std::vector<double>& scratch) const {
    const auto& kind = cm_.model->nodes[node];
    const auto drift = std::span<const double>(drift_[c]).subspan(size_t(chip_.state_index(node)), size_t(kind.states));
    if (kind.is_spin()) {
      const double z = 2.0 * beta * spin_field(cm_, node, state);
      const double p_up = 1.0 / (1.0 + std::exp(-chip_.spin_logit(node, z, drift[1])));
      return u < p_up ? 1 : 0;
    }
    std::span<double> l(scratch.data(), size_t(kind.states));
    tsu::categorical_logits(cm_, node, state, l);
    for (double& x : l) x *= beta;
    chip_.categorical_logits(node, l, drift);
    return draw_softmax(l, 1.0, u);
  }

  void latch(int c, int32_t node, State value) {
    auto& k = counters_[c];
    State& out = latched_.chain(c)[node];
    if (out != value) {
      ++k.toggles;
      k.e_toggles += e_toggle_[node];
    }
    out = value;
    ++k.updates;
    k.e_updates += e_update_[node];
  }

  void clocked_sweep(int c, double beta, std::vector<double>& scratch) {
    auto& rng = sweep_rng_[c];
    auto latched = latched_.chain(c), internal = internal_.chain(c), before = before_.chain(c);
    for (const auto& block : layout_.blocks) {
      if (fresh_only_) {
        for (int32_t node : block) latch(c, node, internal[node] = draw(c, node, latched, beta, rng.uniform(), scratch));
        continue;
      }
      // Every cell evolves through the phase: a redraw after the bias has settled uses the latched
      // outputs; one only before it, the outputs before the last latch; none keeps the state.
      for (int32_t node : free_) {
        const float u = rng.uniform();
        if (u < redraw_late_)
          internal[node] = draw(c, node, latched, beta, rng.uniform(), scratch);
        else if (u < redraw_any_)
          internal[node] = draw(c, node, before, beta, rng.uniform(), scratch);
      }
      std::copy(latched.begin(), latched.end(), before.begin());
      for (int32_t node : block) latch(c, node, internal[node]);
    }
  }

  // Stores the chip logits of `node` given the current outputs: what its bias network holds.
  void refresh(int c, int32_t node, std::span<const State> state, double beta, std::vector<double>& scratch) {
    const auto& kind = cm_.model->nodes[node];
    const size_t base = size_t(chip_.state_index(node));
    const auto drift = std::span<const double>(drift_[c]).subspan(base, size_t(kind.states));
    if (kind.is_spin()) {
      held_[c][base + 1] = chip_.spin_logit(node, 2.0 * beta * spin_field(cm_, node, state), drift[1]);
      return;
    }
    std::span<double> l(scratch.data(), size_t(kind.states));
    tsu::categorical_logits(cm_, node, state, l);
    for (double& x : l) x *= beta;
    chip_.categorical_logits(node, l, drift);
    std::copy(l.begin(), l.end(), held_[c].begin() + ptrdiff_t(base));
  }

  State draw_held(int c, int32_t node, float u, std::vector<double>& scratch) const {
    const auto& kind = cm_.model->nodes[node];
    const size_t base = size_t(chip_.state_index(node));
    if (kind.is_spin()) return u < 1.0 / (1.0 + std::exp(-held_[c][base + 1])) ? 1 : 0;
    std::span<double> l(scratch.data(), size_t(kind.states));
    std::copy_n(held_[c].begin() + ptrdiff_t(base), kind.states, l.begin());
    return draw_softmax(l, 1.0, u);
  }

  // Gillespie simulation over one sweep's time: redraws at rate 1/tau per cell and, with a bias
  // delay, bias refreshes at rate 1/tau_bias per cell.
  void async_sweep(int c, double beta, std::vector<double>& scratch) {
    auto& rng = sweep_rng_[c];
    auto state = latched_.chain(c);
    if (refresh_rate_ > 0 && !held_ready_[c])
      for (int32_t node : free_) refresh(c, node, state, beta, scratch);
    held_ready_[c] = 1;
    const double per_cell = redraw_rate_ + refresh_rate_;
    const double rate = double(free_.size()) * per_cell;
    for (double t = 0;;) {
      t -= std::log(open_uniform(rng)) / rate;
      if (t >= sweep_time_) break;
      const int32_t node = free_[std::min(free_.size() - 1, size_t(open_uniform(rng) * double(free_.size())))];
      if (refresh_rate_ > 0 && open_uniform(rng) * per_cell >= redraw_rate_) {
        refresh(c, node, state, beta, scratch);
        continue;
      }
      const State v = refresh_rate_ > 0 ? draw_held(c, node, rng.uniform(), scratch)
                                        : draw(c, node, state, beta, rng.uniform(), scratch);
      internal_.chain(c)[node] = v;
      latch(c, node, v);
    }
  }

  // Ornstein-Uhlenbeck step of each cell's offset drift over one sweep.
  void drift_step(int c) {
    if (drift_sigma_ <= 0) return;
    const double a = std::exp(-sweep_time_ / chip_.device().drift_time);
    const double s = drift_sigma_ * std::sqrt(1 - a * a);
    for (double& x : drift_[c]) x = a * x + s * normal(drift_rng_[c]);
  }

  const Chip& chip_;
  const CompiledModel& cm_;
  Layout layout_;
  int threads_;
  StateBatch latched_, internal_, before_;  // outputs, cell states, outputs before the last latch
  std::vector<double> beta_factors_;
  std::vector<int32_t> free_;
  std::vector<Xoshiro128p> sweep_rng_, drift_rng_;
  mutable std::vector<Xoshiro128p> read_rng_;
  std::vector<std::vector<double>> drift_, held_;  // [chain][cell state]
  std::vector<ChainCounters> counters_;
  std::vector<double> e_update_, e_toggle_;
  double drift_sigma_ = 0, read_error_ = 0;
  std::vector<uint8_t> held_ready_;  // per chain: held_ is computed
  bool async_ = false, fresh_only_ = false;
  double phase_ = 0, sweep_time_ = 0, redraw_any_ = 0, redraw_late_ = 0, redraw_rate_ = 0, refresh_rate_ = 0;
  int64_t sweeps_ = 0, writes_ = 0;
  mutable int64_t reads_ = 0;
};

}  // namespace

std::unique_ptr<ChipBackend> make_chip_backend(const Chip& chip, const Layout& layout, const EngineOptions& opt) {
  return std::make_unique<ChipBackendImpl>(chip, layout, opt);
}

}  // namespace tsu::hw
