#include "opt/solve.hpp"

#include "graph/quantize.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "sample/program.hpp"
#include "sample/rng.hpp"
#include "sample/tempering.hpp"

namespace tsu::opt {

Method parse_method(const std::string& name) {
  if (name == "sa") return Method::Annealing;
  if (name == "pt") return Method::Tempering;
  throw Error(fmt::format("solver: unknown solver \"{}\" (expected sa or pt)", name));
}

void SolverOptions::validate() const {
  if (chains < 1) throw Error(fmt::format("chains: must be >= 1, got {}", chains));
  if (sweeps < 1) throw Error(fmt::format("sweeps: must be >= 1, got {}", sweeps));
  if (runs < 1) throw Error(fmt::format("runs: must be >= 1, got {}", runs));
  if (!(time_limit > 0)) throw Error(fmt::format("time-limit: must be > 0 s, got {}", time_limit));
  if (!std::isfinite(beta_start) || !std::isfinite(beta_end) || beta_start <= 0 || beta_end <= 0)
    throw Error(fmt::format("beta: --beta-start and --beta-end must be finite and > 0, got {} and {}", beta_start, beta_end));
  if (target && !std::isfinite(*target)) throw Error("target: must be finite");
  if (bits != 0) check_bits(bits, "--bits");
  if (method == Method::Tempering) {
    if (replicas < 2) throw Error(fmt::format("replicas: must be >= 2, got {}", replicas));
    if (chains < replicas)
      throw Error(fmt::format("chains: parallel tempering needs at least one ladder of {} replicas, got {} chains",
                              replicas, chains));
    if (exchange_every < 1) throw Error(fmt::format("exchange-every: must be >= 1, got {}", exchange_every));
    if (!(adapt_fraction >= 0 && adapt_fraction < 1))
      throw Error(fmt::format("adapt-fraction: must be in [0, 1), got {}", adapt_fraction));
  }
}

double tts99(double seconds_per_try, double p_success) {
  if (p_success <= 0) return std::numeric_limits<double>::infinity();
  if (p_success >= 1) return seconds_per_try;
  return seconds_per_try * std::log(0.01) / std::log1p(-p_success);
}

double SolveResult::tts99() const {
  if (runs.empty() || batches == 0) return std::numeric_limits<double>::quiet_NaN();
  return opt::tts99(batch_seconds, success_probability());
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

uint64_t mix(uint64_t seed, uint64_t a, uint64_t b) {
  uint64_t x = seed ^ (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full);
  return splitmix64(x);
}

// Sweeps between checks of the time limit.
constexpr int64_t kChunk = 128;
// PT: exchange rounds between two adjustments of the ladder while adapting.
constexpr int kAdaptRounds = 8;

// One solve: the compiled model, the backend and the bookkeeping shared by both methods.
class Solver {
 public:
  Solver(const Problem& p, const SolverOptions& o) : p_(p), o_(o) {
    const auto start = Clock::now();
    cm_ = compile(o.bits ? std::make_shared<const Model>(quantize(*p.model, o.bits).model) : p.model);
    layout_ = default_layout(*p.model);
    chains_ = o.method == Method::Tempering ? o.chains / o.replicas * o.replicas : o.chains;
    const EngineOptions eo{chains_, o.seed, o.threads, o.backend, 0, o.bits};
    backend_ = o.make_backend ? o.make_backend(cm_, layout_, eo) : make_backend(cm_, layout_, eo);
    r_.chains = chains_;
    r_.free_nodes = int64_t(layout_.free_count());
    r_.colours = int(layout_.blocks.size());
    r_.backend = backend_->name();
    r_.best_value = p.worst();
    values_.resize(static_cast<size_t>(chains_));
    r_.setup_seconds = seconds_since(start);
  }

  SolveResult run() {
    double batch_time = 0;
    for (int run = 0; run < o_.runs; ++run) {
      RunRecord rec;
      rec.best = p_.worst();
      const auto start = Clock::now();
      while (true) {
        const auto batch_start = Clock::now();
        ++rec.batches;
        const bool complete = o_.method == Method::Annealing ? anneal(run, rec, start) : temper(run, rec, start);
        if (complete) {
          ++r_.batches;
          batch_time += seconds_since(batch_start);
          r_.hits += rec.reached;
        }
        if (rec.reached || !complete || !o_.target || seconds_since(start) >= o_.time_limit) break;
      }
      if (!rec.reached) rec.seconds = seconds_since(start);
      r_.runs.push_back(rec);
    }
    r_.batch_seconds = r_.batches ? batch_time / double(r_.batches) : 0.0;
    if (o_.on_finish) o_.on_finish(*backend_);
    return std::move(r_);
  }

 private:
  // Fresh uniform random states for batch `batch` of run `run` (clamped nodes keep their value).
  // Drawn here from each chain's Init stream: the engine's initial_states evaluates a softmax per
  // node, which costs as much as ten sweeps at this scale.
  void restart(int run, int64_t batch) {
    const Model& m = *p_.model;
    const uint64_t seed = mix(o_.seed, uint64_t(run), uint64_t(batch));
    states_ = StateBatch(chains_, int(m.size()));
    for (int c = 0; c < chains_; ++c) {
      auto rng = chain_stream(seed, uint64_t(c), Stream::Init);
      auto s = states_.chain(c);
      for (size_t i = 0; i < m.size(); ++i)
        s[i] = layout_.clamped[i] ? (m.is_clamped(i) ? *m.clamp[i] : 0)
                                  : State((uint64_t(rng.next()) * uint64_t(m.nodes[i].states)) >> 32);
    }
    backend_->set_states(states_);
  }

  // Reads the states, evaluates every chain, keeps the best; true when the target is reached now.
  bool observe(RunRecord& rec, int64_t sweeps_in_run, Clock::time_point run_start) {
    const auto start = Clock::now();
    backend_->get_states(states_);
    // Serial: about 15 ns per edge and chain, 1-2 % of an SA batch; a parallel loop's barrier costs
    // more than that whenever another process holds a core.
    for (int c = 0; c < chains_; ++c) values_[c] = p_.value(states_.chain(c));
    for (int c = 0; c < chains_; ++c) {
      if (p_.better(values_[c], rec.best)) rec.best = values_[c];
      if (p_.better(values_[c], r_.best_value) || r_.best_state.empty()) {
        r_.best_value = values_[c];
        auto s = states_.chain(c);
        r_.best_state.assign(s.begin(), s.end());
      }
    }
    r_.observe_seconds += seconds_since(start);
    if (rec.reached || !o_.target || !p_.reaches(rec.best, *o_.target)) return false;
    rec.reached = true;
    rec.seconds = seconds_since(run_start);
    rec.sweeps = sweeps_in_run;
    return true;
  }

  bool out_of_time(Clock::time_point run_start) const { return seconds_since(run_start) >= o_.time_limit; }

  // A batch stopped by the time limit after `done` sweeps: its states still compete for the best
  // solution (a time limit shorter than one batch must still leave a solution to write), but the
  // batch does not count toward p_success. Returns false, "incomplete".
  bool cut_short(RunRecord& rec, int64_t done, Clock::time_point run_start) {
    rec.sweeps += done;
    observe(rec, rec.sweeps, run_start);
    return false;
  }

  // SA: anneal every chain from fresh states; false when the time limit cut the batch short.
  bool anneal(int run, RunRecord& rec, Clock::time_point run_start) {
    restart(run, rec.batches);
    const BetaSchedule beta{o_.schedule, o_.beta_start, o_.beta_end, o_.sweeps};
    for (int64_t done = 0; done < o_.sweeps;) {
      if (out_of_time(run_start)) return cut_short(rec, done, run_start);
      const int64_t n = std::min(kChunk, o_.sweeps - done);
      backend_->sweeps(n, beta, done);
      done += n;
    }
    rec.sweeps += o_.sweeps;
    observe(rec, rec.sweeps, run_start);
    return true;
  }

  // PT: ladders of `replicas` temperatures; chain c belongs to ladder c / replicas.
  bool temper(int run, RunRecord& rec, Clock::time_point run_start) {
    const int R = o_.replicas, ladders = chains_ / R;
    if (rec.batches == 1) reset_ladder();
    restart(run, rec.batches);
    // temp_of[c]: the rung chain c runs at; chain_at[l * R + k]: the chain at rung k of ladder l.
    std::vector<int> temp_of(static_cast<size_t>(chains_)), chain_at(static_cast<size_t>(chains_));
    for (int c = 0; c < chains_; ++c) temp_of[c] = c % R, chain_at[c] = c;
    std::vector<Xoshiro128p> rng;
    for (int l = 0; l < ladders; ++l) rng.push_back(chain_stream(mix(o_.seed, uint64_t(run), uint64_t(rec.batches)), uint64_t(l), Stream::Aux));
    std::vector<double> tries(size_t(R - 1), 0.0), accepted(size_t(R - 1), 0.0);
    const int64_t adapt_until = rec.batches == 1 ? int64_t(o_.adapt_fraction * double(o_.sweeps)) : 0;
    const BetaSchedule unit = BetaSchedule::constant(1.0);
    std::vector<double> energy(static_cast<size_t>(chains_));
    int64_t done = 0;
    for (int round = 0; done < o_.sweeps; ++round) {
      if (out_of_time(run_start)) return cut_short(rec, done, run_start);
      set_factors(temp_of);
      const int64_t n = std::min(o_.exchange_every, o_.sweeps - done);
      backend_->sweeps(n, unit, done);
      done += n;
      observe(rec, rec.sweeps + done, run_start);
      if (rec.reached) break;
      for (int c = 0; c < chains_; ++c) energy[c] = p_.energy_scale * values_[c] + p_.energy_offset;
      exchange_replicas(round % 2, ladder_, energy, temp_of, chain_at, rng, tries, accepted);
      if (done < adapt_until && (round + 1) % kAdaptRounds == 0) {
        adapt_ladder(tries, accepted);
        std::fill(tries.begin(), tries.end(), 0.0);
        std::fill(accepted.begin(), accepted.end(), 0.0);
      }
    }
    rec.sweeps += done;
    r_.ladder = ladder_;
    r_.acceptance.resize(tries.size());
    for (size_t k = 0; k < tries.size(); ++k) r_.acceptance[k] = tries[k] > 0 ? accepted[k] / tries[k] : 0.0;
    return true;
  }

  void reset_ladder() {
    const int R = o_.replicas;
    ladder_.resize(size_t(R));
    for (int k = 0; k < R; ++k) ladder_[k] = o_.beta_start * std::pow(o_.beta_end / o_.beta_start, double(k) / (R - 1));
  }

  void set_factors(const std::vector<int>& temp_of) {
    std::vector<double> factors(static_cast<size_t>(chains_));
    for (int c = 0; c < chains_; ++c) factors[c] = ladder_[temp_of[c]];
    backend_->set_beta_factors(factors);
  }

  // Moves the rungs toward equal acceptance: each gap in log beta is scaled by exp(2 (a_k - mean a)) (a
  // gap accepted more often than average widens), then all gaps are rescaled to keep both ends.
  void adapt_ladder(const std::vector<double>& tries, const std::vector<double>& accepted) {
    const size_t gaps = ladder_.size() - 1;
    std::vector<double> rate(gaps), gap(gaps);
    double mean = 0;
    for (size_t k = 0; k < gaps; ++k) mean += rate[k] = tries[k] > 0 ? accepted[k] / tries[k] : 0.0;
    mean /= double(gaps);
    double total = 0;
    for (size_t k = 0; k < gaps; ++k) total += gap[k] = std::log(ladder_[k + 1] / ladder_[k]) * std::exp(2 * (rate[k] - mean));
    const double span = std::log(o_.beta_end / o_.beta_start);
    for (size_t k = 0; k < gaps; ++k) ladder_[k + 1] = ladder_[k] * std::exp(gap[k] * span / total);
  }

  const Problem& p_;
  const SolverOptions& o_;
  CompiledModel cm_;
  Layout layout_;
  int chains_ = 0;
  std::unique_ptr<Backend> backend_;
  StateBatch states_;
  std::vector<double> values_;
  std::vector<double> ladder_;
  SolveResult r_;
};

}  // namespace

SolveResult solve(const Problem& problem, const SolverOptions& options) {
  options.validate();
  const auto start = Clock::now();
  Solver solver(problem, options);
  SolveResult r = solver.run();
  r.total_seconds = seconds_since(start);
  return r;
}

}  // namespace tsu::opt
