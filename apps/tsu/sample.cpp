// tsu sample: block-Gibbs sampling of a model with many chains; writes DIR/moments.json (marginals,
// spin-pair moments, energy, optional autocorrelation, run facts) and optionally DIR/samples.npy.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "progress.hpp"
#include "sample/backends.hpp"
#include "sample/npy.hpp"
#include "sample/observers.hpp"

namespace tsu::cli {

namespace {

constexpr int64_t kAcfLags = 20;  // lags of the autocorrelation function written to moments.json

struct SampleArgs {
  ModelArgs model;
  int chains = 64;
  Schedule schedule{100, 1000, 1};
  uint64_t seed = 0;
  int threads = 0;
  std::string out;
  bool save_samples = false;
  std::string backend = "auto";
  std::string init = "uniform";
  std::string blocks = "auto";
  std::string anneal;
  std::optional<double> beta_start;
  std::vector<std::string> autocorr;
  bool quiet = false;
  int show = 0;
};

std::vector<std::vector<int32_t>> read_blocks_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: invalid JSON: {}", path, e.what()));
  }
  if (!doc.is_object() || !doc.contains("blocks"))
    throw Error(fmt::format("{}: expected an object with a field \"blocks\": [[node, ...], ...]", path));
  const auto& list = doc["blocks"];
  if (!list.is_array() || list.empty()) throw Error(fmt::format("{}: blocks: must be a non-empty list of lists", path));
  std::vector<std::vector<int32_t>> blocks(list.size());
  for (size_t b = 0; b < list.size(); ++b) {
    if (!list[b].is_array()) throw Error(fmt::format("{}: blocks[{}]: must be a list of node indices", path, b));
    for (size_t k = 0; k < list[b].size(); ++k) {
      const auto& v = list[b][k];
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > INT32_MAX)
        throw Error(fmt::format("{}: blocks[{}][{}]: must be a node index, got {}", path, b, k, v.dump()));
      blocks[b].push_back(v.get<int32_t>());
    }
  }
  return blocks;
}

// `model_source` names the model in errors about its own "blocks".
Layout choose_layout(const Model& model, const std::string& model_source, const std::string& blocks_arg) {
  if (blocks_arg == "auto") return with_context(model_source, [&] { return default_layout(model); });
  auto blocks = read_blocks_file(blocks_arg);
  return with_context(blocks_arg, [&] { return make_layout(model, clamp_mask(model), std::move(blocks)); });
}

// The value stored at flat index k of an int8/int16 array.
int npy_int_at(const NpyArray& a, size_t k) {
  if (a.dtype == "|i1") return int(reinterpret_cast<const int8_t*>(a.bytes.data())[k]);
  int16_t v;
  std::memcpy(&v, a.bytes.data() + 2 * k, 2);
  return v;
}

// Initial states from FILE.npy: [chains, nodes] or [nodes] (every chain), spins as -1/+1 and
// categoricals as 0..K-1. Clamped nodes keep their clamp whatever the file says.
StateBatch read_init_file(const std::string& path, const Model& model, const StateBatch& clamped_base,
                          const Layout& layout) {
  const NpyArray a = read_npy(path);
  if (a.dtype != "|i1" && a.dtype != "<i2")
    throw Error(fmt::format("{}: dtype {} is not supported (expected int8 or int16)", path, a.dtype));
  const size_t nodes = model.size(), chains = size_t(clamped_base.chains);
  const bool broadcast = a.shape.size() == 1 && a.shape[0] == nodes;
  if (!broadcast && !(a.shape.size() == 2 && a.shape[0] == chains && a.shape[1] == nodes))
    throw Error(fmt::format("{}: shape ({}) does not match [chains, nodes] = [{}, {}] or [nodes] = [{}]", path,
                            fmt::join(a.shape, ", "), chains, nodes, nodes));
  StateBatch batch = clamped_base;
  for (size_t c = 0; c < chains; ++c)
    for (size_t i = 0; i < nodes; ++i) {
      if (layout.clamped[i]) continue;
      const int v = npy_int_at(a, broadcast ? i : c * nodes + i);
      const auto& kind = model.nodes[i];
      if (kind.is_spin() && v != -1 && v != 1)
        throw Error(fmt::format("{}: [{}, {}]: spin node {} needs -1 or +1, got {}", path, c, i, i, v));
      if (!kind.is_spin() && (v < 0 || v >= kind.states))
        throw Error(fmt::format("{}: [{}, {}]: categorical node {} needs 0..{}, got {}", path, c, i, i,
                                kind.states - 1, v));
      batch.chain(int(c))[i] = kind.is_spin() ? spin_code(v) : State(v);
    }
  return batch;
}

StateBatch choose_init(const SampleArgs& args, const CompiledModel& cm, const Layout& layout, double beta) {
  const bool hinton = args.init == "hinton";
  if (args.init == "uniform" || hinton)
    return initial_states(cm, layout, args.chains, args.seed, hinton ? InitKind::Hinton : InitKind::Uniform, beta);
  // A uniform batch supplies the clamped values; the file supplies every free node.
  auto base = initial_states(cm, layout, args.chains, args.seed, InitKind::Uniform, beta);
  return read_init_file(args.init, *cm.model, base, layout);
}

// Annealing runs over the warmup sweeps, from --beta-start to the model's beta.
BetaSchedule choose_beta(const SampleArgs& args, double beta) {
  if (args.anneal.empty()) return BetaSchedule::constant(beta);
  const auto kind = args.anneal == "linear" ? BetaSchedule::Kind::Linear : BetaSchedule::Kind::Geometric;
  BetaSchedule schedule{kind, *args.beta_start, beta, std::max<int64_t>(args.schedule.warmup, 1)};
  with_context("--anneal", [&] { schedule.validate(); });
  return schedule;
}

// Everything a run records, and the moments.json document it makes (without the "run" facts).
struct Recorders {
  Recorders(const Model& model, const SampleArgs& args)
      : marginals(model), pairs(model, two_spin_pairs(model)), energy(model, model.beta) {
    all = {&marginals, &pairs, &energy};
    if (args.save_samples) all.push_back(&samples);
    for (const auto& name : args.autocorr) {
      auto statistic = with_context("--autocorr " + name, [&] {
        return name == "energy" ? energy_statistic(model, model.beta) : magnetization_statistic(model);
      });
      autocorr.push_back(std::make_unique<AutocorrelationObserver>(name, std::move(statistic)));
      all.push_back(autocorr.back().get());
    }
  }

  nlohmann::json moments(const Model& model) const {
    nlohmann::json doc = moments_json(model, marginals.marginals(), pairs.moments());
    doc["energy"] = {{"mean", energy.mean()}, {"std", std::sqrt(energy.variance())}};
    for (const auto& a : autocorr)
      with_context("--autocorr " + a->name(), [&] {
        doc["autocorrelation"][a->name()] = {{"tau_int", a->integrated_time()}, {"acf", a->autocorrelation(kAcfLags)}};
      });
    return doc;
  }

  MarginalObserver marginals;
  PairMomentObserver pairs;
  EnergyObserver energy;
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
  double seconds() const { return seconds_; }

 private:
  std::span<Observer* const> targets_;
  double seconds_ = 0;
};

void print_summary(const nlohmann::json& doc, size_t nodes, const std::string& written) {
  const auto& run = doc["run"];
  fmt::print("sampled {} nodes x {} chains, {} sweeps in {:.3f} s ({:.3f} s observing): {:.3g} flips/ns ({} backend, "
             "{} threads)\n",
             nodes, int(run["chains"]), int64_t(run["sweeps"]), double(run["seconds"]), double(run["observe_seconds"]),
             double(run["flips_per_ns"]), std::string(run["backend"]), int(run["threads"]));
  fmt::print("energy {:.6g} +- {:.3g} (std); wrote {}\n", double(doc["energy"]["mean"]), double(doc["energy"]["std"]),
             written);
}

void run_sample(const SampleArgs& args) {
  auto model = std::make_shared<const Model>(load_model_arg(args.model));
  const double beta = model->beta;
  const Layout layout = choose_layout(*model, args.model.source, args.blocks);
  const CompiledModel cm = compile(model);
  const EngineOptions options{args.chains, args.seed, args.threads, parse_backend(args.backend)};
  const BetaSchedule beta_schedule = choose_beta(args, beta);
  args.schedule.validate();
  if (!args.autocorr.empty() && args.schedule.samples < 2)
    throw Error("--autocorr: needs at least 2 observations (--samples >= 2)");
  const auto out_dir = prepare_out_dir(args.out);

  auto backend = make_backend(cm, layout, options);
  backend->set_states(choose_init(args, cm, layout, beta_schedule.at(0)));

  Recorders rec(*model, args);
  const double flips_per_sweep = double(layout.free_count()) * args.chains;
  Progress progress(!args.quiet && stderr_is_terminal(), flips_per_sweep);
  TimedObservers timed(rec.all);
  Observer* observers[] = {&timed};
  const auto start = std::chrono::steady_clock::now();
  run(*backend, args.schedule, beta_schedule, observers,
      [&](int64_t done, int64_t total) { progress.update(done, total); });
  progress.finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double sweep_seconds = std::max(seconds - timed.seconds(), 0.0);
  const int64_t sweeps = args.schedule.total_sweeps();
  const double flips_per_ns = sweep_seconds > 0 ? flips_per_sweep * double(sweeps) / (sweep_seconds * 1e9) : 0.0;

  nlohmann::json doc = rec.moments(*model);
  doc["run"] = {{"model", args.model.source},
                {"chains", args.chains},
                {"warmup", args.schedule.warmup},
                {"samples", args.schedule.samples},
                {"every", args.schedule.every},
                {"beta", beta},
                {"seed", args.seed},
                {"threads", resolve_threads(args.threads)},
                {"backend", backend->name()},
                {"blocks", layout.blocks.size()},
                {"sweeps", sweeps},
                {"seconds", seconds},
                {"observe_seconds", timed.seconds()},
                {"flips_per_ns", flips_per_ns}};
  const auto moments_path = out_dir / "moments.json";
  write_file_atomic(moments_path, doc.dump(1) + "\n");
  std::string written = moments_path.string();
  if (args.save_samples) {
    const auto samples_path = out_dir / "samples.npy";
    rec.samples.save_npy(samples_path.string(), *model);
    written += ", " + samples_path.string();
  }
  if (!args.quiet) print_summary(doc, model->size(), written);
  print_marginals(*model, rec.marginals.marginals(), args.show);
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto args = std::make_shared<SampleArgs>();
  auto* cmd = app.add_subcommand("sample", "Block-Gibbs sampling with many chains; writes DIR/moments.json");
  cmd->footer(
      "Examples:\n"
      "  tsu sample examples/small.json --out out/small\n"
      "  tsu sample grid:70:G12 --chains 128 --samples 200 --every 5 --beta 0.5 --out out/grid --save-samples");
  add_model_options(*cmd, args->model);
  cmd->add_option("--chains", args->chains, "Independent chains")->capture_default_str()->check(at_least(1));
  add_schedule_options(*cmd, args->schedule);
  cmd->add_option("--seed", args->seed, "Seed of the sampling streams (results do not depend on --threads)")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Worker threads (0 = every core)")
      ->capture_default_str()
      ->check(at_least(0));
  cmd->add_option("--out", args->out, "Output folder (created if missing)")->required();
  cmd->add_flag("--save-samples", args->save_samples, "Also write DIR/samples.npy, shape [samples, chains, nodes]");
  cmd->add_option("--backend", args->backend, "Sampling backend")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "reference", "fast"}));
  cmd->add_option("--init", args->init,
                  "Initial states: uniform, hinton (each node from its own biases), or FILE.npy "
                  "(int8/int16 [chains, nodes] or [nodes]; spins -1/+1, categoricals 0..K-1; clamps win)")
      ->capture_default_str();
  cmd->add_option("--blocks", args->blocks,
                  "auto (the model's blocks, else DSATUR colouring) or FILE.json with {\"blocks\": [[...], ...]}")
      ->capture_default_str();
  auto* anneal = cmd->add_option("--anneal", args->anneal, "Anneal beta over the warmup sweeps: linear or geometric")
                     ->check(CLI::IsMember({"linear", "geometric"}));
  cmd->add_option("--beta-start", args->beta_start, "Beta at the first sweep when annealing")->needs(anneal);
  anneal->needs("--beta-start");
  cmd->add_option("--autocorr", args->autocorr, "Autocorrelation of: energy, magnetization (comma-separated)")
      ->delimiter(',')
      ->check(CLI::IsMember({"energy", "magnetization"}));
  cmd->add_option("--show", args->show, "Print the marginals of the first N nodes")->check(at_least(0));
  cmd->add_flag("--quiet", args->quiet, "No progress line and no summary");
  cmd->callback([args] { run_sample(*args); });
}

}  // namespace tsu::cli
