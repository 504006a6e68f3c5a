// tsu hw energy|run|calibrate|study: the TSU hardware model (src/hw). Devices are presets (paper, z1,
// ideal) or tsu-device-v1 JSON files.
#include <cmath>
#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands.hpp"
#include "common.hpp"
#include "graph/model_io.hpp"
#include "graph/topology.hpp"
#include "hw/chip.hpp"
#include "hw/energy.hpp"
#include "hw/study.hpp"
#include "sample/exact.hpp"
#include "sample/observers.hpp"

namespace tsu::cli {

namespace {

struct EnergyArgs {
  std::string device = "paper";
  std::optional<int> grid;
  std::optional<std::string> rule;
  hw::Workload work{250, 1, -1};
  int colours = 2;
  bool json = false;
};

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

void run_energy(const EnergyArgs& args) {
  const hw::Device d = device_with_array(args.device, args.grid, args.rule);
  const auto shape = hw::grid_shape(d, int(d.grid), d.rule, args.colours);
  const auto report = hw::energy_report(d, shape, args.work);
  if (args.json)
    fmt::print("{}\n", hw::energy_json(report, d).dump(1));
  else
    fmt::print("{}", hw::format_energy(report, d));
}

void add_energy(CLI::App& hw_cmd) {
  auto args = std::make_shared<EnergyArgs>();
  auto* cmd = hw_cmd.add_subcommand("energy", "Energy, time, power and area per sample on a TSU array (DTM §3.4)");
  cmd->footer("Example:\n  tsu hw energy --device paper --grid 70 --rule G12 --sweeps 250 --steps 8 --json");
  cmd->add_option("--device", args->device, "Device preset (paper, z1, ideal) or tsu-device-v1 JSON file")
      ->capture_default_str();
  cmd->add_option("--grid", args->grid, "Array side L (default: the device's)")->check(CLI::Range(1, 46340));
  cmd->add_option("--rule", args->rule, "Connection rule G8..G24, G12-paper, G16-paper, Z1 (default: the device's)");
  cmd->add_option("--sweeps", args->work.sweeps, "K: sweeps per step")->capture_default_str()->check(at_least(1));
  cmd->add_option("--steps", args->work.steps, "T: steps per sample (denoising steps)")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--data-nodes", args->work.data_nodes, "N_data: nodes written and read per step (default: every cell)")
      ->check(at_least(0));
  cmd->add_option("--colours", args->colours, "Clock phases per sweep")->capture_default_str()->check(at_least(1));
  cmd->add_flag("--json", args->json, "Print JSON instead of a table");
  cmd->callback([args] { run_energy(*args); });
}

// --- tsu hw run / calibrate: a model on the simulated chip ---

struct ChipArgs {
  std::string device = "paper";
  std::string mode = "clocked";
  std::vector<std::string> off;  // non-idealities switched off
  bool ideal = false;
  int64_t calibrate = 0;  // samples per calibration point; 0 = no calibration
  uint64_t calibration_seed = 1;
};

struct RunArgs {
  ModelArgs model;
  ChipArgs chip;
  int chains = 64;
  Schedule schedule{100, 1000, 1};
  uint64_t seed = 0;
  int threads = 0;
  bool compare = false;
  bool json = false;
  int show = 0;
  std::string out;
};

void add_chip_options(CLI::App& cmd, ChipArgs& args) {
  cmd.add_option("--device", args.device, "Device preset (paper, z1, ideal) or tsu-device-v1 JSON file")
      ->capture_default_str();
  cmd.add_option("--mode", args.mode, "clocked (colour phases, latched outputs) or async (clock-free cells)")
      ->capture_default_str()
      ->check(CLI::IsMember({"clocked", "async"}));
  cmd.add_option("--off", args.off, "Switch non-idealities off: quantize,mismatch,temperature,drift,readout,bias_delay")
      ->delimiter(',')
      ->check(CLI::IsMember({"quantize", "mismatch", "temperature", "drift", "readout", "bias_delay"}));
  cmd.add_flag("--ideal", args.ideal, "Switch every non-ideality off (the clock and tau still act)");
  cmd.add_option("--calibrate", args.calibrate, "Calibrate first, with N read-out samples per bias level (0 = no)")
      ->capture_default_str()
      ->check(at_least(0));
  cmd.add_option("--calibration-seed", args.calibration_seed, "Seed of the calibration measurements")
      ->capture_default_str();
}

hw::ChipOptions chip_options(const ChipArgs& args) {
  hw::ChipOptions o = args.ideal ? hw::ChipOptions::ideal() : hw::ChipOptions{};
  o.mode = args.mode == "async" ? hw::ChipMode::Async : hw::ChipMode::Clocked;
  for (const auto& name : args.off) {
    if (name == "quantize") o.quantize = false;
    if (name == "mismatch") o.mismatch = false;
    if (name == "temperature") o.temperature = false;
    if (name == "drift") o.drift = false;
    if (name == "readout") o.readout = false;
    if (name == "bias_delay") o.bias_delay = false;
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

Statistics sample_with(Backend& backend, const CompiledModel& cm, const Layout& layout, const RunArgs& args) {
  const Model& m = *cm.model;
  backend.set_states(initial_states(cm, layout, args.chains, args.seed, InitKind::Uniform, m.beta));
  MarginalObserver marginals(m);
  PairMomentObserver pairs(m, two_spin_pairs(m));
  EnergyObserver energy(m, m.beta);
  std::vector<Observer*> observers = {&marginals, &pairs, &energy};
  run(backend, args.schedule, BetaSchedule::constant(m.beta), observers);
  return {marginals.marginals(), pairs.moments(), energy.mean(), std::sqrt(energy.variance())};
}

nlohmann::json account_json(const hw::ChipAccount& a, const RunArgs& args) {
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

void print_run(const nlohmann::json& doc) {
  const auto& chip = doc["chip"];
  const auto& e = doc["energy"];
  fmt::print("chip [{}], {} mode: {} cells, {} colours, {} chains x {} sweeps ({:.4g} s of chip time per chain)\n",
             std::string(chip["device"]), std::string(chip["mode"]), int64_t(chip["cells"]), int(chip["colours"]),
             int(doc["run"]["chains"]), int64_t(doc["run"]["sweeps"]), double(e["chip_seconds_per_chain"]));
  if (chip.contains("calibration"))
    fmt::print("calibration: |P_chip - P| {:.4f} -> {:.4f} (mean over cells), max {:.4f} -> {:.4f}\n",
               double(chip["calibration"]["before_mean"]), double(chip["calibration"]["after_mean"]),
               double(chip["calibration"]["before_max"]), double(chip["calibration"]["after_max"]));
  fmt::print("model energy E(x) {:.6g} +- {:.3g} (std)\n", double(doc["statistics"]["energy"]["mean"]),
             double(doc["statistics"]["energy"]["std"]));
  fmt::print("spent {:.4g} J: {:.4g} J sampling ({:.4g} J per update, activity {:.3f}), {:.4g} J read-out, {:.4g} J "
             "writes; {:.4g} J per observation; {:.4g} W per array\n",
             double(e["total_J"]), double(e["sampling_J"]), double(e["J_per_update"]), double(e["activity"]),
             double(e["read_J"]), double(e["write_J"]), double(e["per_observation_J"]), double(e["power_W"]));
  if (!doc.contains("compare")) return;
  const auto& c = doc["compare"];
  auto line = [&](const char* what, const nlohmann::json& d) {
    fmt::print("{:<22} marginal TV mean {:.4f}, max {:.4f}", what, double(d["mean"]), double(d["max"]));
    if (!d["moment"].is_null()) fmt::print("; spin-pair moments mean |diff| {:.4f}", double(d["moment"]));
    fmt::print("\n");
  };
  line("chip vs ideal engine:", c["chip_vs_ideal"]);
  if (!c.contains("chip_vs_exact")) return;
  line("chip vs exact:", c["chip_vs_exact"]);
  line("ideal engine vs exact:", c["ideal_vs_exact"]);
}

void run_chip(const RunArgs& args) {
  auto model = std::make_shared<const Model>(load_model_arg(args.model));
  const Layout layout = with_context(args.model.source, [&] { return default_layout(*model); });
  const CompiledModel cm = compile(model);
  args.schedule.validate();
  hw::Chip chip(*model, hw::load_device(args.chip.device), chip_options(args.chip));
  nlohmann::json chip_doc = {{"device", chip.device().name},
                             {"mode", args.chip.mode},
                             {"cells", model->size()},
                             {"colours", layout.blocks.size()}};
  if (args.chip.calibrate > 0) chip_doc["calibration"] = calibration_json(chip.calibrate(args.chip.calibrate, args.chip.calibration_seed));
  const EngineOptions options{args.chains, args.seed, args.threads};
  auto backend = hw::make_chip_backend(chip, layout, options);
  const Statistics stats = sample_with(*backend, cm, layout, args);
  nlohmann::json doc = {{"chip", chip_doc}};
  doc["statistics"] = moments_json(*model, stats.marginals, stats.moments);
  doc["statistics"]["energy"] = {{"mean", stats.energy_mean}, {"std", stats.energy_std}};
  doc["energy"] = account_json(backend->account(), args);
  doc["run"] = {{"model", args.model.source}, {"chains", args.chains}, {"warmup", args.schedule.warmup},
                {"samples", args.schedule.samples}, {"every", args.schedule.every}, {"seed", args.seed},
                {"sweeps", args.schedule.total_sweeps()}, {"beta", model->beta}};
  if (args.compare) {
    auto ideal = make_backend(cm, layout, options);
    const Statistics reference = sample_with(*ideal, cm, layout, args);
    doc["compare"]["chip_vs_ideal"] = distances(stats, reference.marginals, reference.moments);
    if (free_configurations(*model, layout) <= double(1 << 20)) {
      const auto exact = exact_moments(*model, layout.clamped, two_spin_pairs(*model), model->beta);
      doc["compare"]["chip_vs_exact"] = distances(stats, exact.marginals, exact.pair_moments);
      doc["compare"]["ideal_vs_exact"] = distances(reference, exact.marginals, exact.pair_moments);
    }
  }
  if (!args.out.empty()) write_file_atomic(prepare_out_dir(args.out) / "hw.json", doc.dump(1) + "\n");
  if (args.json) {
    fmt::print("{}\n", doc.dump(1));
    return;
  }
  print_run(doc);
  print_marginals(*model, stats.marginals, args.show);
}

void add_run(CLI::App& hw_cmd) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = hw_cmd.add_subcommand("run", "Sample a model on the simulated chip; report statistics and energy");
  cmd->footer(
      "Examples:\n"
      "  tsu hw run examples/small.json --device paper --compare\n"
      "  tsu hw run grid:70:G12:open --device paper --chains 8 --samples 100 --json");
  add_model_options(*cmd, args->model);
  add_chip_options(*cmd, args->chip);
  cmd->add_option("--chains", args->chains, "Independent chains (each one array run)")
      ->capture_default_str()
      ->check(at_least(1));
  add_schedule_options(*cmd, args->schedule);
  cmd->add_option("--seed", args->seed, "Seed of the chip's dynamics (the device's seed draws its mismatch)")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Worker threads (0 = every core)")->capture_default_str()->check(at_least(0));
  cmd->add_flag("--compare", args->compare, "Also run the ideal engine (and exact enumeration when small) side by side");
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->add_option("--out", args->out, "Also write DIR/hw.json");
  cmd->add_option("--show", args->show, "Print the marginals of the first N nodes")->check(at_least(0));
  cmd->callback([args] { run_chip(*args); });
}

struct CalibrateArgs {
  ModelArgs model;
  ChipArgs chip;
  bool json = false;
};

void run_calibrate(const CalibrateArgs& args) {
  const Model model = load_model_arg(args.model);
  hw::Chip chip(model, hw::load_device(args.chip.device), chip_options(args.chip));
  const hw::Calibration c = chip.calibrate(std::max<int64_t>(args.chip.calibrate, 1), args.chip.calibration_seed);
  if (args.json) {
    fmt::print("{}\n", calibration_json(c).dump(1));
    return;
  }
  fmt::print("calibrated {} cells with {} read-out samples per bias level ({} levels)\n", model.size(),
             c.samples_per_point, 5);
  fmt::print("|P_chip - P_ideal| before: mean {:.4f}, max {:.4f}\n", c.before_mean, c.before_max);
  fmt::print("|P_chip - P_ideal| after:  mean {:.4f}, max {:.4f}  (literature: ~0.05 per site, H&C §1.3)\n",
             c.after_mean, c.after_max);
}

void add_calibrate(CLI::App& hw_cmd) {
  auto args = std::make_shared<CalibrateArgs>();
  args->chip.calibrate = 1000;
  auto* cmd = hw_cmd.add_subcommand("calibrate", "Calibrate every cell of a chip and report the residual error");
  cmd->footer("Example:\n  tsu hw calibrate grid:20:G8 --device examples/devices/mismatched.json --calibrate 2000");
  add_model_options(*cmd, args->model, false);
  add_chip_options(*cmd, args->chip);
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args] { run_calibrate(*args); });
}

// --- tsu hw study ---

struct StudyArgs {
  std::vector<std::string> names;
  std::string device = "paper";
  std::string model;
  hw::StudyOptions options;
  std::string out;
};

void run_studies(const StudyArgs& args) {
  const hw::Device device = hw::load_device(args.device);
  Model model = hw::study_model();
  if (!args.model.empty()) {
    auto spec = model_from_spec(args.model, 0.6, 0.3, 7);
    model = spec ? std::move(*spec) : load_model(args.model);
  }
  args.options.schedule.validate();
  const auto dir = prepare_out_dir(args.out);
  for (const auto& name : args.names) {
    const hw::Table table = hw::run_study(name, model, device, args.options);
    write_file_atomic(dir / (name + ".csv"), table.csv());
    hw::write_plot_png((dir / (name + ".png")).string(), hw::study_plot(name, table));
    fmt::print("{}: wrote {} and {}\n{}", name, (dir / (name + ".csv")).string(), (dir / (name + ".png")).string(),
               table.csv());
  }
}

void add_study(CLI::App& hw_cmd) {
  auto args = std::make_shared<StudyArgs>();
  auto* cmd = hw_cmd.add_subcommand("study", "Accuracy of the chip against exact answers as hardware parameters vary");
  cmd->footer("Example:\n  tsu hw study mismatch dac clock async calibration pbit transfer --out docs/hardware");
  cmd->add_option("STUDY", args->names, "mismatch, dac, clock, async, calibration, pbit, transfer")
      ->required()
      ->check(CLI::IsMember(hw::study_names()));
  cmd->add_option("--device", args->device, "Device preset or file (the base of every point)")->capture_default_str();
  cmd->add_option("--model", args->model, "Model file or spec (default: 4 x 4 open G8 grid, J ~ N(0, 0.6), h ~ N(0, 0.3))");
  cmd->add_option("--chains", args->options.chains, "Chains per point")->capture_default_str()->check(at_least(1));
  cmd->add_option("--samples", args->options.schedule.samples, "Observations per chain")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--instances", args->options.instances, "Chip instances averaged per mismatch point")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--calibration-samples", args->options.calibration_samples, "Read-out samples per calibration level")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--seed", args->options.seed, "Seed of the sampling runs")->capture_default_str();
  cmd->add_option("--threads", args->options.threads, "Worker threads (0 = every core)")->check(at_least(0));
  cmd->add_option("--out", args->out, "Output folder for STUDY.csv and STUDY.png")->required();
  cmd->callback([args] { run_studies(*args); });
}

}  // namespace

void add_hw_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("hw", "TSU hardware model: energy accounting and sampling on a simulated chip");
  cmd->require_subcommand(1);
  add_energy(*cmd);
  add_run(*cmd);
  add_calibrate(*cmd);
  add_study(*cmd);
}

}  // namespace tsu::cli
