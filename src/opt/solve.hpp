// Solvers on the sampling engine: simulated annealing (SA) and parallel tempering (PT), with many
// restarts run as parallel chains, repeated in independent runs for time-to-target statistics.
//
// A batch is one pass of every chain: SA anneals beta over `sweeps` sweeps from fresh random states;
// PT runs `sweeps` sweeps at a fixed temperature ladder with replica exchange every `exchange_every`
// sweeps. A run repeats batches until the target is reached or the time limit passes (without a
// target, a run is one batch). The sweeps themselves stay in the backend; the solver only reads the
// states at the end of an SA batch or at each PT exchange.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "opt/problems.hpp"
#include "sample/engine.hpp"

namespace tsu::opt {

enum class Method { Annealing, Tempering };
Method parse_method(const std::string& name);  // "sa" or "pt"


struct SolverOptions {
  Method method = Method::Annealing;
  int chains = 128;                // restarts (SA) or replicas x ladders (PT) run side by side
  int64_t sweeps = 1000;           // per batch
  BetaSchedule::Kind schedule = BetaSchedule::Kind::Geometric;  // SA
  double beta_start = 0.1, beta_end = 3.0;  // SA: the schedule's ends; PT: the ladder's ends
  int runs = 1;
  double time_limit = 10.0;        // seconds per run
  std::optional<double> target;    // value to reach (>= when maximising, <= when minimising)
  uint64_t seed = 0;
  int threads = 0;                 // 0 = all available
  std::string backend = "auto";
  // B > 0: the chains sample the model quantized to B bits (graph/quantize.hpp) with the fast
  // backend's exact kernels; values are still the problem's. Integer weights that fit in B bits (a
  // +-1 G-set instance at any B) are sampled as they are.
  int bits = 0;
  BackendFactory make_backend;     // overrides `backend` (e.g. the simulated TSU of src/hw)
  // Called once after the last run, while the backend still exists (it dies with the solve): to
  // read what a backend accumulated, such as the simulated chip's energy account.
  std::function<void(const Backend&)> on_finish;
  // PT only.
  int replicas = 16;               // temperatures per ladder; chains are rounded down to a multiple
  int64_t exchange_every = 20;     // sweeps between exchange rounds
  double adapt_fraction = 0.25;    // share of a run's first batch spent adapting the ladder

  void validate() const;  // Error naming the option
};

struct RunRecord {
  bool reached = false;
  double seconds = 0;        // to the target (reached) or to the end of the run
  int64_t batches = 0;       // started, the reaching one included
  int64_t sweeps = 0;        // per chain, to the target or to the end
  double best = 0;
};

struct SolveResult {
  std::vector<State> best_state;
  double best_value = 0;
  std::vector<RunRecord> runs;
  // Completed batches (each of `sweeps` sweeps) and those whose chains reached the target; a run's
  // batch cut short by the time limit is left out.
  int64_t batches = 0, hits = 0;
  double batch_seconds = 0;        // mean wall time of a completed batch
  double setup_seconds = 0;        // compiling the model, colouring, building the backend
  double observe_seconds = 0;      // reading states and evaluating objectives, all runs
  double total_seconds = 0;        // all runs, setup included
  int64_t chains = 0;              // as run (PT: rounded to whole ladders)
  int64_t free_nodes = 0;
  int colours = 0;                 // sampling blocks (clock phases of a TSU sweep)
  std::string backend;
  // PT: the final ladder of the last run and the mean acceptance of each neighbouring pair.
  std::vector<double> ladder, acceptance;

  double success_probability() const { return batches ? double(hits) / double(batches) : 0.0; }
  // Time to reach the target with 99 % probability by repeating batches; NaN without a target.
  double tts99() const;
  // Node updates of one batch, all chains: free nodes x sweeps x chains.
  int64_t updates_per_batch(int64_t sweeps) const { return free_nodes * sweeps * chains; }
};

// TTS99 = t * ln(0.01) / ln(1 - p): t when p = 1, infinity when p = 0.
double tts99(double seconds_per_try, double p_success);

SolveResult solve(const Problem& problem, const SolverOptions& options);

}  // namespace tsu::opt
