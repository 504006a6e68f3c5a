#include "api/sample.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <memory>

#include "api/states.hpp"
#include "sample/backends.hpp"
#include "sample/observers.hpp"
#include "sample/tempering.hpp"
#include "util/files.hpp"

namespace tsu::api {

namespace {

constexpr int64_t kAcfLags = 20;  // lags of the autocorrelation function a result keeps

// [chains, nodes], [nodes] (every chain), or [chains, d1, d2, ...] with d1*d2*... = nodes (images).
bool is_broadcast_shape(const NpyArray& a, const std::string& source, size_t chains, size_t nodes) {
  if (a.shape.size() == 1 && a.shape[0] == nodes) return true;
  size_t per_chain = 1;
  for (size_t d = 1; d < a.shape.size(); ++d) per_chain *= a.shape[d];
  if (a.shape.size() < 2 || a.shape[0] != chains || per_chain != nodes)
    throw Error(fmt::format("{}: shape ({}) does not match [chains, nodes] = [{}, {}] or [nodes] = [{}]", source,
                            fmt::join(a.shape, ", "), chains, nodes, nodes));
  return false;
}

// Initial states from an integer array (see is_broadcast_shape and api/states.hpp). Clamped nodes
// keep their clamp whatever the array says. Errors are prefixed with `source` (the file, or
// "init_states").
StateBatch states_from_array(const NpyArray& a, const std::string& source, const Model& model,
                             const StateBatch& clamped_base, const Layout& layout) {
  require_integer_array(a, source);
  const size_t nodes = model.size(), chains = size_t(clamped_base.chains);
  const bool broadcast = is_broadcast_shape(a, source, chains, nodes);
  StateBatch batch = clamped_base;
  for (size_t c = 0; c < chains; ++c)
    for (size_t i = 0; i < nodes; ++i)
      if (!layout.clamped[i])
        batch.chain(int(c))[i] = state_code(a, broadcast ? i : c * nodes + i, model.nodes[i], source, c, i);
  return batch;
}

StateBatch choose_init(const SampleOptions& o, const CompiledModel& cm, const Layout& layout, double beta) {
  const bool hinton = o.init == "hinton";
  if (!o.init_states && (o.init == "uniform" || hinton))
    return initial_states(cm, layout, o.chains, o.seed, hinton ? InitKind::Hinton : InitKind::Uniform, beta,
                          o.first_chain);
  if (!o.init_states && !o.init.ends_with(".npy"))
    throw Error(fmt::format("init: must be uniform, hinton or a FILE.npy of initial states, got \"{}\"", o.init));
  // A uniform batch supplies the clamped values; the array supplies every free node.
  const auto base = initial_states(cm, layout, o.chains, o.seed, InitKind::Uniform, beta, o.first_chain);
  if (o.init_states) return states_from_array(*o.init_states, "init_states", *cm.model, base, layout);
  return states_from_array(read_npy(o.init), o.init, *cm.model, base, layout);
}

// Annealing runs over the warmup sweeps, from beta_start to the model's beta.
BetaSchedule choose_beta(const SampleOptions& o, double beta) {
  if (!o.anneal) return BetaSchedule::constant(beta);
  if (o.anneal->kind != "linear" && o.anneal->kind != "geometric")
    throw Error(fmt::format("anneal: kind must be linear or geometric, got {}", o.anneal->kind));
  const auto kind = o.anneal->kind == "linear" ? BetaSchedule::Kind::Linear : BetaSchedule::Kind::Geometric;
  BetaSchedule schedule{kind, o.anneal->beta_start, beta, std::max<int64_t>(o.schedule.warmup, 1)};
  with_context("--anneal", [&] { schedule.validate(); });
  return schedule;
}

// What the engine does not check itself (make_backend checks chains, threads and first_chain).
// The ladder of a tempered run (empty without tempering); Error naming the option otherwise.
std::vector<double> tempering_ladder(const SampleOptions& o) {
  if (!o.tempering_ladder.empty()) {
    validate_ladder(o.tempering_ladder);
    return o.tempering_ladder;
  }
  return o.tempering == 0 ? std::vector<double>{} : geometric_ladder(o.tempering, o.tempering_lowest);
}

// The run's backend: the engine's, or tempered replicas of it (then `tempered` points at it).
std::unique_ptr<Backend> make_run_backend(const SampleOptions& o, const CompiledModel& cm, const Layout& layout,
                                          const std::vector<double>& ladder, TemperedBackend*& tempered) {
  if (ladder.empty()) return make_backend(cm, layout, {o.chains, o.seed, o.threads, o.backend, o.first_chain, o.bits});
  const int replicas = int(ladder.size());
  auto inner = make_backend(cm, layout, {o.chains * replicas, o.seed, o.threads, o.backend, o.first_chain * replicas, o.bits});
  auto backend = std::make_unique<TemperedBackend>(std::move(inner), *cm.model, ladder, o.chains, o.seed, o.first_chain,
                                                   o.tempering_every, o.threads);
  tempered = backend.get();
  return backend;
}

void validate(const SampleOptions& o) {
  o.schedule.validate();
  for (const auto& name : o.autocorr)
    if (name != "energy" && name != "magnetization")
      throw Error(fmt::format("--autocorr: unknown statistic {} (energy, magnetization)", name));
  if (!o.autocorr.empty() && o.schedule.samples < 2)
    throw Error("--autocorr: needs at least 2 observations (--samples >= 2)");
  if (o.tempering != 0 || !o.tempering_ladder.empty()) (void)tempering_ladder(o);
}

std::string factors_skipped(double bytes, double limit) {
  return fmt::format("factor moment (and pair moment) diagnostics skipped: they would take {:.3g} GB, more than the "
                     "{:.3g} GB allowed (SampleOptions::factor_diagnostics_bytes); sample fewer chains per run and "
                     "merge the runs",
                     bytes / 1e9, limit / 1e9);
}

// Everything a run records. The energy's autocorrelation is read off the energy observer's traces
// after the run instead of being computed twice.
struct Recorders {
  Recorders(const Model& model, const SampleOptions& o)
      : marginals(model), factors(model), energy(model, model.beta, o.threads),
        factor_diagnostics_bytes(BinarySeriesStats::bytes(weight_count(model), o.chains)) {
    marginals.track_diagnostics(o.schedule.samples);
    if (factor_diagnostics_bytes <= o.factor_diagnostics_bytes) factors.track_diagnostics(o.schedule.samples);
    all = {&marginals, &factors, &energy};
    if (o.save_samples) all.push_back(&samples);
    for (const auto& name : o.autocorr) {
      if (name == "energy") {
        autocorr.push_back(std::make_unique<AutocorrelationObserver>(name));
        continue;
      }
      auto statistic = with_context("--autocorr " + name, [&] { return magnetization_statistic(model); });
      autocorr.push_back(
          std::make_unique<AutocorrelationObserver>(name, std::move(statistic), magnetization_packed_statistic(model)));
      all.push_back(autocorr.back().get());
    }
  }

  void finish() {
    const auto& traces = energy.traces();
    for (auto& a : autocorr) {
      if (a->name() != "energy") continue;
      std::vector<double> values(traces.size());
      for (size_t t = 0; !traces.empty() && t < traces[0].size(); ++t) {
        for (size_t c = 0; c < traces.size(); ++c) values[c] = traces[c][t];
        a->observe_values(values);
      }
    }
  }

  MarginalObserver marginals;
  FactorMomentObserver factors;
  EnergyObserver energy;
  double factor_diagnostics_bytes;
  SampleRecorder samples;
  std::vector<std::unique_ptr<AutocorrelationObserver>> autocorr;
  std::vector<Observer*> all;
};

// Forwards each observation to the recorders and times them, so that throughput can be stated
// for the sweeps alone.
class TimedObservers final : public Observer {
 public:
  explicit TimedObservers(std::span<Observer* const> targets) : targets_(targets) {}
  void observe(const StateBatch& states, int64_t index) override {
    const auto start = std::chrono::steady_clock::now();
    for (auto* o : targets_) o->observe(states, index);
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  bool reads_packed() const override {
    return std::all_of(targets_.begin(), targets_.end(), [](const Observer* o) { return o->reads_packed(); });
  }
  void observe_packed(const PackedStates& states, int64_t index) override {
    const auto start = std::chrono::steady_clock::now();
    for (auto* o : targets_) o->observe_packed(states, index);
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  double seconds() const { return seconds_; }

 private:
  std::span<Observer* const> targets_;
  double seconds_ = 0;
};

bool diagnosable(const std::vector<std::vector<double>>& traces) {
  return !traces.empty() && int64_t(traces[0].size()) >= kMinDiagnosedDraws;
}

std::vector<Autocorrelation> autocorrelations(const Recorders& rec, int64_t every) {
  std::vector<Autocorrelation> out;
  for (const auto& a : rec.autocorr)
    with_context("--autocorr " + a->name(), [&] {
      const double tau = a->integrated_time();
      Autocorrelation result{a->name(), tau, tau * double(every), a->autocorrelation(kAcfLags), {}};
      if (diagnosable(a->series())) result.diagnostic = diagnose(a->series());
      out.push_back(std::move(result));
    });
  return out;
}

// Every diagnosed statistic of one kind (the energy, an --autocorr statistic, the marginals, the
// factor moments, the pair moments among them), each named for messages.
struct DiagnosedGroup {
  std::string kind;
  std::vector<Diagnostic> stats;
  std::function<std::string(size_t)> name;  // of stats[k]
  bool per_entry = false;  // one statistic per marginal entry or weight, else a single scalar
  bool warned = true;      // false: its statistics are warned of in another group
};

std::string json_key(const DiagnosedGroup& g) {
  std::string key = g.kind;
  std::replace(key.begin(), key.end(), ' ', '_');
  return key;
}

DiagnosedGroup scalar_diagnostics(const std::string& kind, const Diagnostic& d) {
  return {kind, {d}, [kind](size_t) { return "the " + kind; }, false};
}

DiagnosedGroup marginal_diagnostics(const ModelPtr& model, const BinarySeriesStats& data) {
  DiagnosedGroup g{"marginals", {}, {}, true};
  std::vector<std::pair<size_t, int>> entries;  // (node, state) of each statistic
  for (size_t i = 0; i < model->size(); ++i) {
    if (model->nodes[i].is_spin()) entries.emplace_back(i, 1);
    else
      for (int k = 0; k < model->nodes[i].states; ++k) entries.emplace_back(i, k);
  }
  for (size_t e = 0; e < entries.size(); ++e) g.stats.push_back(data.at(e));
  g.name = [model, entries](size_t e) {
    const auto [node, state] = entries[e];
    return model->nodes[node].is_spin() ? fmt::format("P(node {} = +1)", node)
                                        : fmt::format("P(node {} = {})", node, state);
  };
  return g;
}

DiagnosedGroup factor_diagnostics(const ModelPtr& model, const BinarySeriesStats& data) {
  return {"factor moments", factor_moment_diagnostics(*model, data),
          [model](size_t k) { return factor_moment_name(*model, k); }, true};
}

DiagnosedGroup pair_diagnostics(const ModelPtr& model, const DiagnosedGroup& factors) {
  DiagnosedGroup g{"pair moments", {}, {}, true, false};
  const auto weights = two_spin_weights(*model);
  for (size_t k : weights) g.stats.push_back(factors.stats[k]);
  g.name = [model, weights](size_t p) { return factor_moment_name(*model, weights[p]); };
  return g;
}

std::vector<DiagnosedGroup> diagnosed_groups(const SampleResult& r) {
  const DiagnosticData& data = r.diagnostic_data;
  if (!diagnosable(data.energy)) return {};
  std::vector<DiagnosedGroup> groups{scalar_diagnostics("energy", diagnose(data.energy))};
  for (const auto& a : r.autocorr)
    if (a.name != "energy" && !std::isnan(a.diagnostic.ess)) groups.push_back(scalar_diagnostics(a.name, a.diagnostic));
  groups.push_back(marginal_diagnostics(r.model, data.marginals));
  if (!data.factors.enabled()) return groups;
  groups.push_back(factor_diagnostics(r.model, data.factors));
  groups.push_back(pair_diagnostics(r.model, groups.back()));
  return groups;
}

nlohmann::json diagnostic_json(const Diagnostic& d) {
  return {{"mcse", d.mcse}, {"ess", d.ess}, {"ess_tail", d.ess_tail}, {"rhat", d.rhat}};
}

// Per entry lists; a categorical node's marginal entries are one list per node, like its marginal.
nlohmann::json entry_lists(const Model& model, const DiagnosedGroup& g) {
  std::vector<size_t> sizes(g.stats.size(), 1);
  if (g.kind == "marginals") {
    sizes.clear();
    for (const auto& node : model.nodes) sizes.push_back(node.is_spin() ? 1 : size_t(node.states));
  }
  auto mcse = nlohmann::json::array(), ess = nlohmann::json::array(), rhat = nlohmann::json::array();
  size_t k = 0;
  for (size_t count : sizes) {
    auto m = nlohmann::json::array(), e = nlohmann::json::array(), r = nlohmann::json::array();
    for (size_t j = k; j < k + count; ++j) {
      m.push_back(g.stats[j].mcse);
      e.push_back(g.stats[j].ess);
      r.push_back(g.stats[j].rhat);
    }
    mcse.push_back(count == 1 ? m[0] : m);
    ess.push_back(count == 1 ? e[0] : e);
    rhat.push_back(count == 1 ? r[0] : r);
    k += count;
  }
  return {{"mcse", mcse}, {"ess", ess}, {"rhat", rhat}};
}

// Per factor group {"mcse", "ess", "rhat"}, each shaped as the group's moments in factor_moments.
nlohmann::json factor_entry_lists(const Model& model, const DiagnosedGroup& g) {
  std::vector<double> fields[3];
  for (const auto& d : g.stats) {
    fields[0].push_back(d.mcse);
    fields[1].push_back(d.ess);
    fields[2].push_back(d.rhat);
  }
  auto out = nlohmann::json::array();
  for (size_t group = 0; group < model.groups.size(); ++group) out.push_back(nlohmann::json::object());
  const char* names[] = {"mcse", "ess", "rhat"};
  for (size_t k = 0; k < 3; ++k) {
    const auto shaped = factor_moments_json(model, fields[k]);
    for (size_t group = 0; group < shaped.size(); ++group) out[group][names[k]] = shaped[group]["moments"];
  }
  return out;
}

// The statistic of a group with the highest R-hat (an infinite one first) and the one with the
// lowest ESS, with how many miss the limits of diagnostics.hpp.
struct Worst {
  size_t rhat = SIZE_MAX, ess = SIZE_MAX;
  size_t rhat_over = 0, ess_under = 0, diagnosed = 0;
};

Worst worst_of(const DiagnosedGroup& g) {
  Worst w;
  for (size_t k = 0; k < g.stats.size(); ++k) {
    const Diagnostic& d = g.stats[k];
    if (std::isnan(d.rhat) && std::isnan(d.ess)) continue;  // constant
    ++w.diagnosed;
    if (d.rhat > kRhatLimit) ++w.rhat_over;
    if (d.ess < kEssMinimum) ++w.ess_under;
    if (!std::isnan(d.rhat) && (w.rhat == SIZE_MAX || d.rhat > g.stats[w.rhat].rhat)) w.rhat = k;
    if (!std::isnan(d.ess) && (w.ess == SIZE_MAX || d.ess < g.stats[w.ess].ess)) w.ess = k;
  }
  return w;
}

// The draw-weighted mean of two averages.
double weighted(double a, int64_t na, double b, int64_t nb) {
  return (a * double(na) + b * double(nb)) / double(na + nb);
}

// Concatenates two [observations, chains, nodes] arrays along the chain axis.
NpyArray concat_chains(const NpyArray& a, const NpyArray& b) {
  if (a.dtype != b.dtype || a.shape.size() != 3 || b.shape.size() != 3 || a.shape[0] != b.shape[0] ||
      a.shape[2] != b.shape[2])
    throw Error("merge: the sample arrays differ in dtype, observations or nodes");
  const size_t item = npy_itemsize(a.dtype);
  const size_t row_a = a.shape[1] * a.shape[2] * item, row_b = b.shape[1] * b.shape[2] * item;
  NpyArray out{a.dtype, {a.shape[0], a.shape[1] + b.shape[1], a.shape[2]}, {}};
  out.bytes.reserve(a.bytes.size() + b.bytes.size());
  for (size_t t = 0; t < a.shape[0]; ++t) {
    out.bytes.insert(out.bytes.end(), a.bytes.begin() + std::ptrdiff_t(t * row_a),
                     a.bytes.begin() + std::ptrdiff_t((t + 1) * row_a));
    out.bytes.insert(out.bytes.end(), b.bytes.begin() + std::ptrdiff_t(t * row_b),
                     b.bytes.begin() + std::ptrdiff_t((t + 1) * row_b));
  }
  return out;
}

void merge_diagnostic_data(DiagnosticData& into, const DiagnosticData& other) {
  if (into.energy.empty() != other.energy.empty()) throw Error("merge: only one of the results holds diagnostics");
  if (into.energy.empty()) return;
  into.marginals.merge(other.marginals);
  if (into.factors_skipped.empty() && other.factors_skipped.empty()) {
    into.factors.merge(other.factors);
  } else {  // one run's are missing, so the merged run has none
    into.factors = BinarySeriesStats();
    if (into.factors_skipped.empty()) into.factors_skipped = other.factors_skipped;
  }
  into.energy.insert(into.energy.end(), other.energy.begin(), other.energy.end());
}

}  // namespace

SampleResult sample(const ModelPtr& given, const SampleOptions& options) {
  validate(options);
  const Quantized quantized = options.bits ? quantize(given, options.bits) : Quantized{given, 0, 0, 0};
  const ModelPtr& model = quantized.model;
  const std::string name = options.model_name.empty() ? model->name : options.model_name;
  const Layout layout = layout_for(*model, options.blocks, options.blocks ? options.blocks_source : name);
  const CompiledModel cm = compile(model);
  const BetaSchedule beta_schedule = choose_beta(options, model->beta);
  const std::vector<double> ladder = tempering_ladder(options);
  TemperedBackend* tempered = nullptr;
  auto backend = make_run_backend(options, cm, layout, ladder, tempered);
  backend->set_states(choose_init(options, cm, layout, beta_schedule.at(0)));

  Recorders rec(*model, options);
  TimedObservers timed(rec.all);
  Observer* observers[] = {&timed};
  const auto start = std::chrono::steady_clock::now();
  run(*backend, options.schedule, beta_schedule, observers, options.progress);
  rec.finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  SampleResult r;
  r.model = model;
  r.marginals = rec.marginals.marginals();
  r.pairs = two_spin_pairs(*model);
  r.factor_moments = rec.factors.moments();
  r.pair_moments = two_spin_moments(*model, r.factor_moments);
  r.energy_mean = rec.energy.mean();
  r.energy_std = std::sqrt(rec.energy.variance());
  r.draws = int64_t(options.chains) * options.schedule.samples;
  r.autocorr = autocorrelations(rec, options.schedule.every);
  if (diagnosable(rec.energy.traces()))
    r.diagnostic_data = {rec.marginals.diagnostics(), rec.factors.diagnostics(), rec.energy.traces(),
                         rec.factors.diagnostics().enabled() ? "" : factors_skipped(rec.factor_diagnostics_bytes,
                                                                                     options.factor_diagnostics_bytes)};
  if (options.save_samples) r.samples = rec.samples.to_npy(*model);

  const double flips_per_sweep = double(layout.free_count()) * options.chains * double(std::max<size_t>(ladder.size(), 1));
  const double sweep_seconds = std::max(seconds - timed.seconds(), 0.0);
  RunFacts& f = r.run;
  f.model = name, f.chains = options.chains, f.schedule = options.schedule, f.beta = model->beta;
  f.seed = options.seed, f.first_chain = options.first_chain, f.threads = resolve_threads(options.threads);
  f.backend = backend->name(), f.blocks = layout.blocks.size(), f.sweeps = options.schedule.total_sweeps();
  f.seconds = seconds, f.observe_seconds = timed.seconds();
  f.flips_per_ns = sweep_seconds > 0 ? flips_per_sweep * double(f.sweeps) / (sweep_seconds * 1e9) : 0.0;
  f.bits = quantized.bits, f.scale = quantized.scale, f.quantization_error = quantized.max_error;
  f.ladder = ladder;
  f.swap_every = options.tempering_every;
  if (tempered) f.swap_rates = tempered->swap_rates();
  return r;
}

nlohmann::json SampleResult::to_json() const {
  nlohmann::json doc = moments_json(*model, marginals, pair_moments);
  doc["factor_moments"] = factor_moments_json(*model, factor_moments);
  doc["energy"] = {{"mean", energy_mean}, {"std", energy_std}};
  for (const auto& a : autocorr) {
    auto& entry = doc["autocorrelation"][a.name];
    entry = {{"tau_int_sweeps", a.tau_int_sweeps}, {"tau_int_observations", a.tau_int_observations},
             {"acf", a.acf}, {"acf_lag_sweeps", run.schedule.every}};
    if (!std::isnan(a.diagnostic.ess)) entry.update(diagnostic_json(a.diagnostic));
  }
  doc["diagnostics"] = diagnostics();
  doc["run"] = {{"model", run.model},
                {"chains", run.chains},
                {"warmup", run.schedule.warmup},
                {"samples", run.schedule.samples},
                {"every", run.schedule.every},
                {"beta", run.beta},
                {"seed", run.seed},
                {"threads", run.threads},
                {"backend", run.backend},
                {"blocks", run.blocks},
                {"sweeps", run.sweeps},
                {"seconds", run.seconds},
                {"observe_seconds", run.observe_seconds},
                {"flips_per_ns", run.flips_per_ns}};
  if (run.first_chain != 0) doc["run"]["first_chain"] = run.first_chain;  // a range of a larger run
  if (run.bits != 0)
    doc["run"]["quantization"] = {{"bits", run.bits}, {"scale", run.scale}, {"max_error", run.quantization_error}};
  if (!run.ladder.empty())
    doc["run"]["tempering"] = {{"replicas", run.ladder.size()},
                               {"beta_factors", run.ladder},
                               {"swap_every", run.swap_every},
                               {"swap_rates", run.swap_rates}};
  return doc;
}

nlohmann::json SampleResult::diagnostics() const {
  const auto groups = diagnosed_groups(*this);
  auto out = nlohmann::json::object();
  if (groups.empty()) return out;
  out["method"] = fmt::format(
      "Vehtari et al. 2021: split rank-normalised R-hat (bulk and tail) and bulk/tail ESS by Geyer's initial "
      "monotone sequence for the energy; for marginals and factor moments split R-hat (rank-normalised "
      "exactly for their 0/1 indicators, on the values for a factor with spin and categorical members), and "
      "ESS and MCSE by lugsail batch means (Vats and Flegal 2022) with batches of {} observations",
      diagnostic_data.marginals.batch_length());
  out["limits"] = {{"rhat", kRhatLimit}, {"ess", kEssMinimum}};
  if (!diagnostic_data.factors_skipped.empty()) out["factor_moments_skipped"] = diagnostic_data.factors_skipped;
  for (const auto& g : groups) {
    if (g.per_entry)
      out[json_key(g)] = g.kind == "factor moments" ? factor_entry_lists(*model, g) : entry_lists(*model, g);
    else
      out[json_key(g)] = diagnostic_json(g.stats[0]);
  }
  nlohmann::json worst = nlohmann::json::object();
  for (const auto& g : groups) {
    const Worst w = worst_of(g);
    auto& entry = worst[json_key(g)];
    entry = {{"rhat_over_limit", w.rhat_over}, {"ess_under_limit", w.ess_under}, {"diagnosed", w.diagnosed}};
    if (w.rhat != SIZE_MAX) entry["rhat"] = {{"statistic", g.name(w.rhat)}, {"value", g.stats[w.rhat].rhat}};
    if (w.ess != SIZE_MAX) entry["ess"] = {{"statistic", g.name(w.ess)}, {"value", g.stats[w.ess].ess}};
  }
  out["worst"] = worst;
  return out;
}

std::vector<std::string> SampleResult::warnings() const {
  std::vector<std::string> out;
  if (!diagnostic_data.factors_skipped.empty()) out.push_back(diagnostic_data.factors_skipped);
  for (const auto& g : diagnosed_groups(*this)) {
    if (!g.warned) continue;
    const Worst w = worst_of(g);
    auto share = [&](size_t count) {
      return g.per_entry ? fmt::format(" ({} of {} {})", count, w.diagnosed, g.kind) : std::string();
    };
    if (w.rhat_over > 0)
      out.push_back(fmt::format("R-hat {:.4g} for {}, above {}{}: the chains disagree; sample longer",
                                g.stats[w.rhat].rhat, g.name(w.rhat), kRhatLimit, share(w.rhat_over)));
    if (w.ess_under > 0)
      out.push_back(fmt::format("effective sample size {:.0f} for {}, below {}{}: its error bar is wide; sample longer",
                                g.stats[w.ess].ess, g.name(w.ess), kEssMinimum, share(w.ess_under)));
  }
  // Sokal's window needs a series of many autocorrelation times to estimate one.
  constexpr double kTausPerSeries = 50;
  for (const auto& a : autocorr)
    if (a.tau_int_observations * kTausPerSeries > double(run.schedule.samples))
      out.push_back(fmt::format(
          "tau_int of {} is {:.3g} observations ({:.3g} sweeps), more than 1/{} of the {} observed: the estimate is "
          "unreliable; sample longer",
          a.name, a.tau_int_observations, a.tau_int_sweeps, kTausPerSeries, run.schedule.samples));
  return out;
}

void SampleResult::merge(const SampleResult& other) {
  if (model->size() != other.model->size() || marginals.size() != other.marginals.size() ||
      factor_moments.size() != other.factor_moments.size())
    throw Error("merge: the results are of different models");
  if (run.schedule.warmup != other.run.schedule.warmup || run.schedule.samples != other.run.schedule.samples ||
      run.schedule.every != other.run.schedule.every || run.beta != other.run.beta)
    throw Error("merge: the results have different schedules or beta");
  if (run.bits != other.run.bits) throw Error("merge: the results sampled different quantizations");
  if (run.ladder != other.run.ladder) throw Error("merge: the results were tempered on different ladders");
  if (samples.has_value() != other.samples.has_value())
    throw Error("merge: only one of the results holds samples");
  const int64_t n = draws, m = other.draws;
  for (size_t i = 0; i < marginals.size(); ++i)
    for (size_t k = 0; k < marginals[i].size(); ++k)
      marginals[i][k] = weighted(marginals[i][k], n, other.marginals[i][k], m);
  for (size_t p = 0; p < pair_moments.size(); ++p) pair_moments[p] = weighted(pair_moments[p], n, other.pair_moments[p], m);
  for (size_t k = 0; k < factor_moments.size(); ++k)
    factor_moments[k] = weighted(factor_moments[k], n, other.factor_moments[k], m);
  // Pooled variance: the mean of the second moments minus the square of the pooled mean.
  const double mean = weighted(energy_mean, n, other.energy_mean, m);
  const double second = weighted(energy_std * energy_std + energy_mean * energy_mean, n,
                                 other.energy_std * other.energy_std + other.energy_mean * other.energy_mean, m);
  energy_mean = mean;
  energy_std = std::sqrt(std::max(second - mean * mean, 0.0));
  draws = n + m;
  autocorr.clear();
  merge_diagnostic_data(diagnostic_data, other.diagnostic_data);
  if (samples) samples = concat_chains(*samples, *other.samples);
  // Throughput over the sweeps of both runs: flips / ns = flips_per_ns x sweep seconds, summed.
  auto sweep_ns = [](const RunFacts& f) { return std::max(f.seconds - f.observe_seconds, 0.0) * 1e9; };
  const double flips = run.flips_per_ns * sweep_ns(run) + other.run.flips_per_ns * sweep_ns(other.run);
  for (size_t k = 0; k < run.swap_rates.size(); ++k)  // every pair tried equally often per chain
    run.swap_rates[k] = weighted(run.swap_rates[k], run.chains, other.run.swap_rates[k], other.run.chains);
  run.first_chain = std::min(run.first_chain, other.run.first_chain);
  run.chains += other.run.chains;
  run.seconds += other.run.seconds;
  run.observe_seconds += other.run.observe_seconds;
  run.flips_per_ns = sweep_ns(run) > 0 ? flips / sweep_ns(run) : 0.0;
}

std::vector<std::string> save(const SampleResult& result, const std::string& dir) {
  const auto folder = prepare_dir(dir);
  const std::string moments = (folder / "moments.json").string(), samples = (folder / "samples.npy").string();
  // moments.json last, so that a folder never pairs it with the samples of another run.
  if (result.samples) {
    write_npy(samples, *result.samples);
  } else if (std::error_code ec; std::filesystem::remove(samples, ec), ec) {
    throw IoError(fmt::format("{}: cannot remove the samples of an earlier run: {}", samples, ec.message()));
  }
  write_file_atomic(moments, result.to_json().dump(1) + "\n");
  if (!result.samples) return {moments};
  return {moments, samples};
}

}  // namespace tsu::api
