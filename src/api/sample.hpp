// Sampling through the API: options in, a result out. The CLI's `tsu sample` and the Python
// package's tsu.sample are thin wrappers of this call, and a result's to_json() is moments.json.
//
// Results hold averages together with the number of draws behind them, so that runs over disjoint
// sets of chains (other seeds, other processes) merge into one result exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/model.hpp"
#include "sample/diagnostics.hpp"
#include "sample/engine.hpp"
#include "sample/npy.hpp"

namespace tsu::api {

// Beta annealed over the warmup sweeps, from `beta_start` to the model's beta.
struct Anneal {
  std::string kind = "linear";  // "linear" or "geometric"
  double beta_start = 0.1;
};

struct SampleOptions {
  int chains = 64;
  Schedule schedule{100, 1000, 1};
  uint64_t seed = 0;
  int threads = 0;                  // 0 = every core; the samples do not depend on it
  int64_t first_chain = 0;          // this run's chains are chains first_chain.. of the seed's: runs over
                                    // disjoint ranges merge into exactly the run over all of them
  std::string backend = "auto";     // "auto", "reference", "fast"
  int bits = 0;                     // 2..16: sample the model quantized to B-bit weights (api::quantize);
                                    // 0 = as given
  std::string init = "uniform";     // "uniform", "hinton", or a .npy file of initial states
  std::optional<NpyArray> init_states;  // initial states given directly (overrides `init`)
  std::optional<Blocks> blocks;     // else the model's blocks, else DSATUR
  std::string blocks_source = "blocks";  // names the blocks in errors (a file, or "blocks")
  std::optional<Anneal> anneal;
  // Parallel tempering (sample/tempering.hpp): K >= 2 replicas of every chain on a geometric ladder
  // of beta factors from `tempering_lowest` to 1, or the given ladder; the cold replicas are observed.
  int tempering = 0;
  double tempering_lowest = 0.1;
  std::vector<double> tempering_ladder;
  int64_t tempering_every = 1;  // sweeps between swap rounds
  // The most memory the factor moments' streamed diagnostics may take, in bytes (12 per chain and
  // weight); beyond it they are skipped and the result says so. tsu's own default (an assumption):
  // a tenth of the 24 GiB of the machines it is developed on.
  double factor_diagnostics_bytes = 2.4e9;
  std::vector<std::string> autocorr;  // statistics: "energy", "magnetization"
  bool save_samples = false;
  std::string model_name;           // what run.model reports; "" = the model's own name
  ProgressFn progress;              // (sweeps done, total) after every chunk; may throw Interrupted
};

struct Autocorrelation {
  std::string name;
  double tau_int_observations = 0;  // Sokal's windowed estimate, in observations
  double tau_int_sweeps = 0;        // the same in sweeps: x the schedule's `every`
  std::vector<double> acf;          // lags 0..20 observations
  Diagnostic diagnostic;            // of the statistic's mean (NaN with fewer than 4 observations)
};

// What a run's MCMC diagnostics are computed from (sample/diagnostics.hpp): streamed per marginal
// entry and weight, and the energy's traces. Empty with fewer than 4 observations per chain.
// Runs over disjoint chains merge into exactly the data of the run over all of them.
struct DiagnosticData {
  BinarySeriesStats marginals;              // entries as MarginalObserver::diagnostics() has them
  BinarySeriesStats factors;                // as FactorMomentObserver::diagnostics() has them
  std::vector<std::vector<double>> energy;  // [chain][observation]
  std::string factors_skipped;              // why `factors` is empty (too much memory), else ""
};

struct RunFacts {
  std::string model;
  int chains = 0;
  Schedule schedule;
  double beta = 1;
  uint64_t seed = 0;
  int64_t first_chain = 0;
  int threads = 0;
  std::string backend;
  size_t blocks = 0;
  int64_t sweeps = 0;
  double seconds = 0;
  double observe_seconds = 0;
  double flips_per_ns = 0;
  std::vector<double> ladder;      // tempering's beta factors (empty: none) and the swap rate of each neighbour pair
  std::vector<double> swap_rates;
  int64_t swap_every = 1;
  int bits = 0;                // the quantization sampled (0: none) and its step and largest rounding error
  double scale = 0;
  double quantization_error = 0;
};

struct SampleResult {
  ModelPtr model;
  std::vector<std::vector<double>> marginals;      // [node][state]; a spin has {P(-1), P(+1)}
  std::vector<std::pair<int32_t, int32_t>> pairs;  // the model's two-spin factors, in file order
  std::vector<double> pair_moments;                // E[s_i s_j], aligned with pairs
  std::vector<double> factor_moments;              // E[phi_k] per weight k, flat-weight order (graph/model.hpp)
  double energy_mean = 0;
  double energy_std = 0;
  int64_t draws = 0;                               // chains x observations behind the averages
  std::vector<Autocorrelation> autocorr;
  DiagnosticData diagnostic_data;
  RunFacts run;
  std::optional<NpyArray> samples;  // [observations, chains, nodes]: spins -1/+1, categoricals 0..K-1

  // The moments.json document of `tsu sample`.
  nlohmann::json to_json() const;
  // Its "diagnostics" section: MCSE, ESS and R-hat of the energy, every marginal and every factor
  // moment (the pair moments among them once more), and the worst of each; null where a statistic is constant (no information) or R-hat
  // infinite. An empty object with fewer than 4 observations.
  nlohmann::json diagnostics() const;
  // One line per kind of trouble (R-hat above 1.01, ESS below 400, an autocorrelation time too
  // long for its window), naming the worst statistic; the front ends print them as warnings.
  std::vector<std::string> warnings() const;
  // Folds in a run of the same model and schedule over other chains (another seed, or the next
  // first_chain range of the same seed): averages weighted by their
  // draws, samples concatenated along the chain axis, run facts summed. Autocorrelations, which
  // cannot be merged from their summaries, are dropped. Error when the runs do not match.
  void merge(const SampleResult& other);
};

// With options.bits, the model is quantized first and the result (model, moments, energy) is the
// quantized model's: what `tsu quantize` writes, so `tsu exact` of that file checks the run.
SampleResult sample(const ModelPtr& model, const SampleOptions& options);

// Writes DIR/moments.json (and DIR/samples.npy when the result holds samples, else removes the
// samples.npy of an earlier run), creating DIR; returns the paths written. Errors name the folder or
// file.
std::vector<std::string> save(const SampleResult& result, const std::string& dir);

}  // namespace tsu::api
