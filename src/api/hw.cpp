#include "api/hw.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hw/cell.hpp"
#include "hw/study.hpp"
#include "sample/exact.hpp"
#include "sample/observers.hpp"
#include "graph/model_io.hpp"
#include "graph/topology.hpp"
#include "util/files.hpp"
#include "util/plot.hpp"

namespace tsu::api {

namespace {

// The device with --grid and --rule applied, each recorded as its source.
hw::Device device_with_array(const std::string& device, std::optional<int> grid, const std::optional<std::string>& rule) {
  hw::Device d = hw::load_device(device);
  if (grid) {
    d.grid = *grid;
    d.sources["grid"] = "--grid";
  }
  if (rule) {
    d.rule = *rule;
    d.sources["rule"] = "--rule";
  }
  hw::validate_device(d);
  return d;
}

hw::ChipOptions chip_options(const ChipSettings& args) {
  hw::ChipOptions o = args.ideal ? hw::ChipOptions::ideal() : hw::ChipOptions{};
  if (args.mode != "clocked" && args.mode != "async")
    throw Error(fmt::format("--mode: must be clocked or async, got {}", args.mode));
  o.mode = args.mode == "async" ? hw::ChipMode::Async : hw::ChipMode::Clocked;
  const std::pair<const char*, bool hw::ChipOptions::*> switches[] = {
      {"quantize", &hw::ChipOptions::quantize},       {"mismatch", &hw::ChipOptions::mismatch},
      {"temperature", &hw::ChipOptions::temperature}, {"drift", &hw::ChipOptions::drift},
      {"readout", &hw::ChipOptions::readout},         {"bias_delay", &hw::ChipOptions::bias_delay}};
  for (const auto& name : args.off) {
    auto it = std::find_if(std::begin(switches), std::end(switches), [&](const auto& s) { return name == s.first; });
    if (it == std::end(switches))
      throw Error(fmt::format("--off: unknown non-ideality {} (quantize, mismatch, temperature, drift, readout, "
                              "bias_delay)",
                              name));
    o.*(it->second) = false;
  }
  return o;
}

nlohmann::json calibration_json(const hw::Calibration& c) {
  return {{"samples_per_point", c.samples_per_point}, {"before_mean", c.before_mean}, {"before_max", c.before_max},
          {"after_mean", c.after_mean}, {"after_max", c.after_max}};
}

// The number of configurations of the free nodes (enumerable only when small).
double free_configurations(const Model& m, const Layout& layout) {
  double n = 1;
  for (size_t i = 0; i < m.size(); ++i)
    if (!layout.clamped[i]) n *= m.nodes[i].states;
  return n;
}

struct Statistics {
  std::vector<std::vector<double>> marginals;
  std::vector<double> moments;
  double energy_mean = 0, energy_std = 0;
};

// Mean and largest total-variation distance between marginals, and the mean absolute difference of
// the spin-pair moments (null without any).
nlohmann::json distances(const Statistics& s, const std::vector<std::vector<double>>& marginals,
                         const std::vector<double>& moments) {
  double sum = 0, worst = 0, moment = 0;
  for (size_t i = 0; i < marginals.size(); ++i) {
    double tv = 0;
    for (size_t k = 0; k < marginals[i].size(); ++k) tv += 0.5 * std::abs(s.marginals[i][k] - marginals[i][k]);
    sum += tv;
    worst = std::max(worst, tv);
  }
  for (size_t k = 0; k < moments.size(); ++k) moment += std::abs(s.moments[k] - moments[k]) / double(moments.size());
  return {{"mean", sum / double(marginals.size())}, {"max", worst},
          {"moment", moments.empty() ? nlohmann::json() : nlohmann::json(moment)}};
}

Statistics sample_with(Backend& backend, const CompiledModel& cm, const Layout& layout, const HwRunOptions& args) {
  const Model& m = *cm.model;
  backend.set_states(initial_states(cm, layout, args.chains, args.seed, InitKind::Uniform, m.beta));
  MarginalObserver marginals(m);
  PairMomentObserver pairs(m, two_spin_pairs(m));
  EnergyObserver energy(m, m.beta, args.threads);
  std::vector<Observer*> observers = {&marginals, &pairs, &energy};
  run(backend, args.schedule, BetaSchedule::constant(m.beta), observers);
  return {marginals.marginals(), pairs.moments(), energy.mean(), std::sqrt(energy.variance())};
}

nlohmann::json account_json(const hw::ChipAccount& a, const HwRunOptions& args) {
  const double chains = args.chains, observations = chains * double(args.schedule.samples);
  return {{"total_J", a.total()},
          {"per_observation_J", a.total() / observations},
          {"sampling_J", a.e_updates + a.e_toggles},
          {"updates_J", a.e_updates},
          {"toggles_J", a.e_toggles},
          {"read_J", a.e_reads},
          {"write_J", a.e_writes},
          {"updates", a.updates},
          {"toggles", a.toggles},
          {"activity", a.updates > 0 ? double(a.toggles) / double(a.updates) : 0.0},
          {"J_per_update", a.updates > 0 ? (a.e_updates + a.e_toggles) / double(a.updates) : 0.0},
          {"chip_seconds_per_chain", a.seconds},
          {"power_W", a.seconds > 0 ? a.total() / (chains * a.seconds) : 0.0}};
}

}  // namespace

EnergyResult hw_energy(const EnergyOptions& options) {
  const hw::Device d = device_with_array(options.device, options.grid, options.rule);
  const auto shape = hw::grid_shape(d, int(d.grid), d.rule, options.colours);
  return {d, hw::energy_report(d, shape, options.work)};
}

nlohmann::json EnergyResult::to_json() const { return hw::energy_json(report, device); }
std::string EnergyResult::table() const { return hw::format_energy(report, device); }

HwRunResult hw_run(const ModelPtr& model, const HwRunOptions& args) {
  const std::string name = args.model_name.empty() ? model->name : args.model_name;
  const Layout layout = layout_for(*model, std::nullopt, name);
  const CompiledModel cm = compile(model);
  args.schedule.validate();
  hw::Chip chip(*model, hw::load_device(args.chip.device), chip_options(args.chip));
  nlohmann::json chip_doc = {{"device", chip.device().name},
                             {"mode", args.chip.mode},
                             {"cells", model->size()},
                             {"colours", layout.blocks.size()}};
  // A phase of a few tau leaves part of each cell's earlier state in its latched sample: the chain is
  // then no longer block Gibbs, and its correlations are weaker than the model's (no cell calibration
  // can correct that; docs/hardware.md, "Clock phase").
  if (args.chip.mode == "clocked") {
    chip_doc["clock_period_tau"] = chip.device().clock_period / chip.device().tau;
    chip_doc["stale_fraction"] = hw::keep_probability(chip.device().clock_period, chip.device().tau);
  }
  if (args.chip.calibrate > 0) chip_doc["calibration"] = calibration_json(chip.calibrate(args.chip.calibrate, args.chip.calibration_seed, args.threads));
  const EngineOptions options{args.chains, args.seed, args.threads};
  auto backend = hw::make_chip_backend(chip, layout, options);
  const Statistics stats = sample_with(*backend, cm, layout, args);
  nlohmann::json doc = {{"chip", chip_doc}};
  doc["statistics"] = moments_json(*model, stats.marginals, stats.moments);
  doc["statistics"]["energy"] = {{"mean", stats.energy_mean}, {"std", stats.energy_std}};
  doc["energy"] = account_json(backend->account(), args);
  doc["run"] = {{"model", name}, {"chains", args.chains}, {"warmup", args.schedule.warmup},
                {"samples", args.schedule.samples}, {"every", args.schedule.every}, {"seed", args.seed},
                {"sweeps", args.schedule.total_sweeps()}, {"beta", model->beta}};
  if (args.compare) {
    auto ideal = make_backend(cm, layout, options);
    const Statistics reference = sample_with(*ideal, cm, layout, args);
    doc["compare"]["chip_vs_ideal"] = distances(stats, reference.marginals, reference.moments);
    if (free_configurations(*model, layout) <= double(1 << 20)) {
      const auto exact = exact_moments(*model, layout.clamped, {}, model->beta);
      const auto pair_moments = two_spin_moments(*model, exact.factor_moments);
      doc["compare"]["chip_vs_exact"] = distances(stats, exact.marginals, pair_moments);
      doc["compare"]["ideal_vs_exact"] = distances(reference, exact.marginals, pair_moments);
    }
  }
  return {model, stats.marginals, std::move(doc)};
}

nlohmann::json hw_calibrate(const ModelPtr& model, const ChipSettings& chip, int threads) {
  hw::Chip c(*model, hw::load_device(chip.device), chip_options(chip));
  return calibration_json(c.calibrate(std::max<int64_t>(chip.calibrate, 1), chip.calibration_seed, threads));
}

std::vector<hw::Table> hw_study(const HwStudyOptions& options) {
  const hw::Device device = hw::load_device(options.device);
  Model model = hw::study_model();
  if (!options.model.empty()) {
    auto spec = model_from_spec(options.model, 0.6, 0.3, 7);
    model = spec ? std::move(*spec) : load_model(options.model);
  }
  options.study.schedule.validate();
  const auto known = hw::study_names();  // every name checked before the first study runs
  for (const auto& name : options.names)
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw Error(fmt::format("study: unknown study \"{}\" (expected {})", name, fmt::join(known, ", ")));
  const auto dir = prepare_dir(options.out);
  std::vector<hw::Table> tables;
  for (const auto& name : options.names) {
    tables.push_back(hw::run_study(name, model, device, options.study));
    write_file_atomic((dir / (name + ".csv")).string(), tables.back().csv());
    write_plot_png((dir / (name + ".png")).string(), hw::study_plot(name, tables.back()));
    if (options.study_done) options.study_done(name, tables.back());
  }
  return tables;
}

}  // namespace tsu::api
