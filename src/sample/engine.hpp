// The block-Gibbs engine: many independent chains, a schedule, beta annealing, initialisation and
// observers, over interchangeable backends (scalar reference, vectorised CPU; later CUDA, MPI).
//
// Update rule shared by every backend, so that all of them sample one distribution and consume one
// random stream per chain: a sweep visits the layout's blocks in order; within a block every node
// is updated from the state before the block, in block order, with one uniform u per node:
//   spin:         s = +1 if u < sigmoid(2 * beta * field), else -1;
//   categorical:  the first k with u < cumulative softmax(beta * logits)[k].
#pragma once

#include "graph/blocks.hpp"
#include "sample/program.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tsu {

// The update rule's two draws, shared by every scalar backend (and the chip model) so that they
// consume a uniform identically. `logits` is scratch.
State draw_spin(double field, double beta, float u);
State draw_softmax(std::span<double> logits, double beta, float u);

// Chain-major states: chain c's node i is data[c * nodes + i].
struct StateBatch {
  int chains = 0;
  int nodes = 0;
  std::vector<State> data;

  StateBatch() = default;
  StateBatch(int chains_, int nodes_) : chains(chains_), nodes(nodes_), data(size_t(chains_) * nodes_) {}
  std::span<State> chain(int c) { return {data.data() + size_t(c) * nodes, size_t(nodes)}; }
  std::span<const State> chain(int c) const { return {data.data() + size_t(c) * nodes, size_t(nodes)}; }
};

// Binary states as bit planes, for backends that hold them so: bit b of word w of node i is the
// state (1 = spin +1) of chain chain_of_bit[w * 64 + b], or 0 where that entry is -1 (an unused bit).
// Observers that only count over chains read them without unpacking every chain's bytes.
struct PackedStates {
  int chains = 0;
  int nodes = 0;
  int words = 0;                       // per node
  std::vector<uint64_t> bits;          // [node * words + w]
  std::vector<int32_t> chain_of_bit;   // [w * 64 + b]
};

// THRML's semantics: `warmup` sweeps, one observation, then (samples - 1) times `every` sweeps and
// an observation. Total sweeps = warmup + (samples - 1) * every.
struct Schedule {
  int64_t warmup = 100;
  int64_t samples = 1000;
  int64_t every = 1;
  int64_t total_sweeps() const { return warmup + (samples > 0 ? samples - 1 : 0) * every; }
  void validate() const;  // throws Error naming the bad field
};

// beta as a function of the sweep index: constant, or annealed from `start` to `end` over `sweeps`
// sweeps (linearly or geometrically), then held at `end`.
struct BetaSchedule {
  enum class Kind { Constant, Linear, Geometric };
  Kind kind = Kind::Constant;
  double start = 1.0;
  double end = 1.0;
  int64_t sweeps = 1;

  static BetaSchedule constant(double beta) { return {Kind::Constant, beta, beta, 1}; }
  double at(int64_t sweep) const;
  void validate() const;
};

struct EngineOptions {
  int chains = 1;
  uint64_t seed = 0;
  int threads = 0;               // 0 = all available
  std::string backend = "auto";  // a registry name, or "auto": the preferred one that takes the model
  // Chain c of this run draws the streams of chain first_chain + c, so that runs over disjoint chain
  // ranges (processes, machines) together sample exactly what one run over all of them would.
  int64_t first_chain = 0;
  // B > 0: the model's weights lie on the B-bit grid of quantize() (graph/quantize.hpp), and the
  // fast backend samples that grid exactly with its quantized kernels (sample/quantized_kernels.hpp).
  // Other backends sample the same weights with the fp32 rule.
  int bits = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Runs `count` sweeps; sweep k (counted from `first_sweep`) uses beta.at(first_sweep + k).
  virtual void sweeps(int64_t count, const BetaSchedule& beta, int64_t first_sweep) = 0;
  // Full states, clamped nodes included. set_states also sets the clamped values of every chain.
  virtual void get_states(StateBatch& out) const = 0;
  virtual void set_states(const StateBatch& in) = 0;
  // Per-chain temperatures (parallel tempering, restarts at several temperatures): chain c's sweep
  // k then runs at beta.at(k) * factors[c]. One factor per chain, each finite and >= 0; all 1 until
  // set. Throws Error otherwise.
  virtual void set_beta_factors(std::span<const double> factors) = 0;
  // The states as bit planes when the backend holds them so (the fast backend's 64-chain tiles);
  // false, leaving `out` alone, otherwise.
  virtual bool get_packed_states(PackedStates&) const { return false; }
};

// Checks factors for set_beta_factors: `chains` entries, finite, >= 0.
void validate_beta_factors(std::span<const double> factors, int chains);

using BackendFactory =
    std::function<std::unique_ptr<Backend>(const CompiledModel&, const Layout&, const EngineOptions&)>;

// One way to sample, by name: the models it takes, and how much "auto" prefers it.
struct BackendEntry {
  std::string name;
  int priority = 0;                                 // "auto" takes the highest that supports the model
  std::function<bool(const Model&)> supports;       // empty = every model
  BackendFactory make;
};

// The backends a run can choose from. A new backend (GPU, continuous variables, remote) is an
// entry added to a registry, with no change to the engine; a caller passes its registry where it
// makes backends, or uses the built-in one.
class BackendRegistry {
 public:
  // "reference" (every model) and "fast" (pairwise spin models, preferred by "auto").
  static const BackendRegistry& builtin();
  // Error when the name is taken or is "auto".
  BackendRegistry& add(BackendEntry entry);
  // opt.backend by name (Error naming the choices when unknown, or when it does not take the model),
  // or for "auto" the preferred entry that supports the model.
  std::unique_ptr<Backend> make(const CompiledModel& cm, const Layout& layout, const EngineOptions& opt) const;
  std::vector<std::string> names() const;

 private:
  std::vector<BackendEntry> entries_;
};

std::unique_ptr<Backend> make_backend(const CompiledModel& cm, const Layout& layout, const EngineOptions& opt,
                                      const BackendRegistry& registry = BackendRegistry::builtin());

// Initial states. Clamped nodes take the model's clamp value (or 0 if it has none); free nodes are
//   uniform:  independent uniform draws;
//   hinton:   each node from its own unary terms alone, P(s=+1) = sigmoid(2 beta h);
// using the chain's Init stream.
enum class InitKind { Uniform, Hinton };
StateBatch initial_states(const CompiledModel& cm, const Layout& layout, int chains, uint64_t seed, InitKind kind,
                          double beta, int64_t first_chain = 0);

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void observe(const StateBatch& states, int64_t index) = 0;
  // An observer that can read bit planes gets them instead of a StateBatch whenever every observer
  // of the run can and the backend has them. Both calls must record the same thing.
  virtual bool reads_packed() const { return false; }
  virtual void observe_packed(const PackedStates&, int64_t) {}
};

// Called after every chunk of sweeps with (sweeps done, total sweeps).
using ProgressFn = std::function<void(int64_t, int64_t)>;

// Runs the schedule on the backend's current states, calling every observer at each observation.
void run(Backend& backend, const Schedule& schedule, const BetaSchedule& beta, std::span<Observer* const> observers,
         const ProgressFn& progress = {});

}  // namespace tsu
