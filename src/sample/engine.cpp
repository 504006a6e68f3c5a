#include "sample/engine.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sample/backends.hpp"
#include "sample/rng.hpp"

namespace tsu {

void Schedule::validate() const {
  if (warmup < 0) throw Error(fmt::format("warmup: must be >= 0, got {}", warmup));
  if (samples < 1) throw Error(fmt::format("samples: must be >= 1, got {}", samples));
  if (every < 1) throw Error(fmt::format("every: must be >= 1, got {}", every));
}

double BetaSchedule::at(int64_t sweep) const {
  if (kind == Kind::Constant || sweep >= sweeps - 1) return kind == Kind::Constant ? start : end;
  const double t = double(sweep) / double(sweeps - 1);
  if (kind == Kind::Linear) return start + (end - start) * t;
  return start * std::pow(end / start, t);
}

void BetaSchedule::validate() const {
  if (!std::isfinite(start) || !std::isfinite(end)) throw Error("beta: must be finite");
  for (const double b : {start, end})
    if (const auto problem = magnitude_problem(b); !problem.empty()) throw Error("beta: " + problem);
  if (start < 0 || end < 0) throw Error("beta: must be >= 0");
  if (kind == Kind::Geometric && (start <= 0 || end <= 0)) throw Error("beta: a geometric schedule needs beta > 0");
  if (sweeps < 1) throw Error("beta schedule: needs at least one sweep");
}

void validate_beta_factors(std::span<const double> factors, int chains) {
  if (factors.size() != size_t(chains))
    throw Error(fmt::format("beta factors: {} given for {} chains", factors.size(), chains));
  for (size_t c = 0; c < factors.size(); ++c)
    if (!std::isfinite(factors[c]) || factors[c] < 0 || factors[c] > kMaxMagnitude)
      throw Error(fmt::format("beta factors: chain {} has {}, expected a number in [0, {:g}]", c, factors[c], kMaxMagnitude));
}

State draw_spin(double field, double beta, float u) {
  const double p_up = 1.0 / (1.0 + std::exp(-2.0 * beta * field));
  return u < p_up ? 1 : 0;
}

// Inverse CDF of softmax(beta * logits).
State draw_softmax(std::span<double> logits, double beta, float u) {
  double top = -INFINITY;
  for (double& l : logits) top = std::max(top, l *= beta);
  double total = 0;
  for (double& l : logits) total += (l = std::exp(l - top));
  double cumulative = 0;
  const double target = double(u) * total;
  for (size_t k = 0; k + 1 < logits.size(); ++k) {
    cumulative += logits[k];
    if (target < cumulative) return State(k);
  }
  return State(logits.size() - 1);
}

const BackendRegistry& BackendRegistry::builtin() {
  static const BackendRegistry registry = [] {
    BackendRegistry r;
    r.add({"reference", 0, {}, &make_reference_backend});
    r.add({"fast", 10, &is_pairwise_spin, &make_fast_backend});
    return r;
  }();
  return registry;
}

BackendRegistry& BackendRegistry::add(BackendEntry entry) {
  const auto& names_now = names();
  if (entry.name == "auto" || std::find(names_now.begin(), names_now.end(), entry.name) != names_now.end())
    throw Error(fmt::format("backend registry: the name \"{}\" is taken", entry.name));
  entries_.push_back(std::move(entry));
  return *this;
}

std::vector<std::string> BackendRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.name);
  return out;
}

std::unique_ptr<Backend> BackendRegistry::make(const CompiledModel& cm, const Layout& layout,
                                               const EngineOptions& opt) const {
  const Model& m = *cm.model;
  auto takes = [&](const BackendEntry& e) { return !e.supports || e.supports(m); };
  const BackendEntry* chosen = nullptr;
  for (const auto& e : entries_) {
    if (opt.backend == "auto" ? takes(e) && (!chosen || e.priority > chosen->priority) : e.name == opt.backend)
      chosen = &e;
  }
  if (!chosen && opt.backend != "auto")
    throw Error(fmt::format("backend: unknown backend \"{}\" (expected auto, {})", opt.backend, fmt::join(names(), ", ")));
  if (!chosen) throw Error("backend: no backend takes this model");
  return chosen->make(cm, layout, opt);
}

std::unique_ptr<Backend> make_backend(const CompiledModel& cm, const Layout& layout, const EngineOptions& opt,
                                      const BackendRegistry& registry) {
  if (opt.chains < 1) throw Error(fmt::format("chains: must be >= 1, got {}", opt.chains));
  if (opt.threads < 0) throw Error(fmt::format("threads: must be >= 0, got {}", opt.threads));
  if (opt.first_chain < 0 || opt.first_chain + opt.chains > INT32_MAX)
    throw Error(fmt::format("first_chain: must be >= 0 and leave room for {} chains, got {}", opt.chains, opt.first_chain));
  return registry.make(cm, layout, opt);
}

// Sum of the unary terms acting on `node`: the field (spin) or logits (categorical) it would have
// with every other node removed.
static void unary_logits(const CompiledModel& cm, size_t node, std::span<double> logits) {
  std::fill(logits.begin(), logits.end(), 0.0);
  for (const auto& inc : cm.incidence_of(node)) {
    const auto& g = cm.model->groups[inc.group];
    if (g.arity() != 1) continue;
    auto table = g.table_of(inc.factor);
    if (g.n_spin == 1) {
      logits[1] += table[0];
      logits[0] -= table[0];
    } else {
      for (size_t k = 0; k < logits.size(); ++k) logits[k] += table[k];
    }
  }
}


StateBatch initial_states(const CompiledModel& cm, const Layout& layout, int chains, uint64_t seed, InitKind kind,
                          double beta, int64_t first_chain) {
  const Model& m = *cm.model;
  StateBatch batch(chains, int(m.size()));
  std::vector<double> logits(kMaxCategories);
  for (int c = 0; c < chains; ++c) {
    auto rng = chain_stream(seed, uint64_t(first_chain + c), Stream::Init);
    auto state = batch.chain(c);
    for (size_t i = 0; i < m.size(); ++i) {
      if (layout.clamped[i]) {
        state[i] = m.is_clamped(i) ? *m.clamp[i] : 0;
        continue;
      }
      std::span<double> l(logits.data(), size_t(m.nodes[i].states));
      if (kind == InitKind::Hinton)
        unary_logits(cm, i, l);
      else
        std::fill(l.begin(), l.end(), 0.0);
      state[i] = draw_softmax(l, beta, rng.uniform());
    }
  }
  return batch;
}

void run(Backend& backend, const Schedule& schedule, const BetaSchedule& beta, std::span<Observer* const> observers,
         const ProgressFn& progress) {
  schedule.validate();
  beta.validate();
  constexpr int64_t kChunk = 256;  // sweeps between progress reports
  const int64_t total = schedule.total_sweeps();
  int64_t done = 0;
  auto advance = [&](int64_t count) {
    while (count > 0) {
      const int64_t step = std::min(count, kChunk);
      backend.sweeps(step, beta, done);
      done += step;
      count -= step;
      if (progress) progress(done, total);
    }
  };
  StateBatch states;
  PackedStates packed;
  const bool all_read_packed =
      std::all_of(observers.begin(), observers.end(), [](const Observer* o) { return o->reads_packed(); });
  auto observe = [&](int64_t index) {
    if (observers.empty()) return;
    if (all_read_packed && backend.get_packed_states(packed)) {
      for (auto* o : observers) o->observe_packed(packed, index);
      return;
    }
    backend.get_states(states);
    for (auto* o : observers) o->observe(states, index);
  };
  advance(schedule.warmup);
  observe(0);
  for (int64_t s = 1; s < schedule.samples; ++s) {
    advance(schedule.every);
    observe(s);
  }
}

}  // namespace tsu
