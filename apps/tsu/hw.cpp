// tsu hw energy|run|calibrate|study: the TSU hardware model (src/hw). Devices are presets (paper, z1,
// ideal) or tsu-device-v1 JSON files.
#include <filesystem>
#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/hw.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace tsu::cli {

namespace {

struct EnergyArgs {
  api::EnergyOptions options;
  bool json = false;
};

void run_energy(const EnergyArgs& args) {
  const api::EnergyResult r = api::hw_energy(args.options);
  if (args.json)
    fmt::print("{}\n", r.to_json().dump(1));
  else
    fmt::print("{}", r.table());
}

void add_energy(CLI::App& hw_cmd) {
  auto args = std::make_shared<EnergyArgs>();
  auto* cmd = hw_cmd.add_subcommand("energy", "Energy, time, power and area per sample on a TSU array (DTM §3.4)");
  cmd->footer("Example:\n  tsu hw energy --device paper --grid 70 --rule G12 --sweeps 250 --steps 8 --json");
  cmd->add_option("--device", args->options.device, "Device preset (paper, z1, ideal) or tsu-device-v1 JSON file")
      ->capture_default_str();
  cmd->add_option("--grid", args->options.grid, "Array side L (default: the device's)")->check(CLI::Range(1, 46340));
  cmd->add_option("--rule", args->options.rule, "Connection rule G8..G24, G12-paper, G16-paper, Z1 (default: the device's)");
  cmd->add_option("--sweeps", args->options.work.sweeps, "K: sweeps per step")->capture_default_str()->check(at_least(1));
  cmd->add_option("--steps", args->options.work.steps, "T: steps per sample (denoising steps)")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--data-nodes", args->options.work.data_nodes, "N_data: nodes written and read per step (default: every cell)")
      ->check(at_least(0));
  cmd->add_option("--colours", args->options.colours, "Clock phases per sweep")->capture_default_str()->check(at_least(1));
  cmd->add_flag("--json", args->json, "Print JSON instead of a table");
  cmd->callback([args] { run_energy(*args); });
}

// --- tsu hw run / calibrate: a model on the simulated chip ---

using ChipArgs = api::ChipSettings;

struct RunArgs {
  ModelArgs model;
  api::HwRunOptions options;
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
  if (chip.contains("stale_fraction") && double(chip["stale_fraction"]) > 0.01)
    fmt::print("note: each latched sample keeps {:.0f}% of the cell's state before its phase (clock period {:.2g} "
               "tau), which weakens the correlations; calibration cannot correct that, a longer clock period can\n",
               100 * double(chip["stale_fraction"]), double(chip["clock_period_tau"]));
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

void run_chip(RunArgs& args) {
  const auto model = api::load(args.model);
  args.options.model_name = args.model.source;
  const api::HwRunResult r = api::hw_run(model, args.options);
  if (!args.out.empty()) write_file_atomic(prepare_out_dir(args.out) / "hw.json", r.report.dump(1) + "\n");
  if (args.json) {
    fmt::print("{}\n", r.report.dump(1));
    return;
  }
  print_run(r.report);
  print_marginals(*model, r.marginals, args.show);
}

void add_run(CLI::App& hw_cmd) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = hw_cmd.add_subcommand("run", "Sample a model on the simulated chip; report statistics and energy");
  cmd->footer(
      "Examples:\n"
      "  tsu hw run examples/small.json --device paper --compare\n"
      "  tsu hw run grid:70:G12:open --device paper --chains 8 --samples 100 --json");
  add_model_options(*cmd, args->model);
  add_chip_options(*cmd, args->options.chip);
  cmd->add_option("--chains", args->options.chains, "Independent chains (each one array run)")
      ->capture_default_str()
      ->check(at_least(1));
  add_schedule_options(*cmd, args->options.schedule);
  cmd->add_option("--seed", args->options.seed, "Seed of the chip's dynamics (the device's seed draws its mismatch)")
      ->capture_default_str();
  cmd->add_option("--threads", args->options.threads, "Worker threads (0 = every core)")->capture_default_str()->check(at_least(0));
  cmd->add_flag("--compare", args->options.compare, "Also run the ideal engine (and exact enumeration when small) side by side");
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
  const auto model = api::load(args.model);
  const nlohmann::json c = api::hw_calibrate(model, args.chip);
  if (args.json) {
    fmt::print("{}\n", c.dump(1));
    return;
  }
  fmt::print("calibrated {} cells with {} read-out samples per bias level ({} levels)\n", model->size(),
             int64_t(c["samples_per_point"]), 5);
  fmt::print("|P_chip - P_ideal| before: mean {:.4f}, max {:.4f}\n", double(c["before_mean"]), double(c["before_max"]));
  fmt::print("|P_chip - P_ideal| after:  mean {:.4f}, max {:.4f}  (literature: ~0.05 per site, H&C §1.3)\n",
             double(c["after_mean"]), double(c["after_max"]));
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

void run_studies(api::HwStudyOptions options) {
  options.study_done = [&](const std::string& name, const hw::Table& table) {
    const auto file = (std::filesystem::path(options.out) / name).string();
    fmt::print("{}: wrote {}.csv and {}.png\n{}", name, file, file, table.csv());
    std::fflush(stdout);
  };
  api::hw_study(options);
}

void add_study(CLI::App& hw_cmd) {
  auto args = std::make_shared<api::HwStudyOptions>();
  auto* cmd = hw_cmd.add_subcommand("study", "Accuracy of the chip against exact answers as hardware parameters vary");
  cmd->footer("Example:\n  tsu hw study mismatch dac clock async calibration pbit transfer --out docs/hardware");
  cmd->add_option("STUDY", args->names, "mismatch, dac, clock, async, calibration, pbit, transfer")
      ->required()
      ->check(CLI::IsMember(hw::study_names()));
  cmd->add_option("--device", args->device, "Device preset or file (the base of every point)")->capture_default_str();
  cmd->add_option("--model", args->model, "Model file or spec (default: 4 x 4 open G8 grid, J ~ N(0, 0.6), h ~ N(0, 0.3))");
  cmd->add_option("--chains", args->study.chains, "Chains per point")->capture_default_str()->check(at_least(1));
  cmd->add_option("--samples", args->study.schedule.samples, "Observations per chain")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--instances", args->study.instances, "Chip instances averaged per mismatch point")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--calibration-samples", args->study.calibration_samples, "Read-out samples per calibration level")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--seed", args->study.seed, "Seed of the sampling runs")->capture_default_str();
  cmd->add_option("--threads", args->study.threads, "Worker threads (0 = every core)")->check(at_least(0));
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
