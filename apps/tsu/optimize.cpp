#include "optimize.hpp"

#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>

#include "common.hpp"
#include "util/files.hpp"

namespace tsu::cli {

namespace {

using nlohmann::json;

std::string percent_of(double v, const json& report) {
  if (!report.contains("best_known") || double(report["best_known"]["value"]) == 0) return "";
  const double best = report["best_known"]["value"];
  return fmt::format(" = {:.3f} % of best-known {:g} ({})", 100.0 * v / best, best, std::string(report["best_known"]["source"]));
}

std::string seconds_or(const json& v, const char* none) { return v.is_null() ? none : fmt::format("{:.4f}", double(v)); }

void print_report(const json& r) {
  const std::string objective = r["objective"];
  fmt::print("{} ({}): {} nodes; {} backend, {} chains, {} blocks; setup {:.3f} s\n", std::string(r["instance"]),
             std::string(r["problem"]), int64_t(r["nodes"]), std::string(r["backend"]), int(r["chains"]), int(r["blocks"]),
             double(r["setup_seconds"]));
  fmt::print("best {} {:g}{}\n", objective, double(r["best"]), percent_of(r["best"], r));
  const bool target = r.contains("target");
  if (target) {
    const auto& t = r["time_to_target"];
    fmt::print("target {:g}: reached in {} of {} runs; time to target median {} s (time limit {:g} s per run)\n",
               double(r["target"]), int(t["runs_reached"]), r["runs"].size(), seconds_or(t["median_s"], "-"),
               double(r["options"]["time_limit_s"]));
    fmt::print("batches {} of {:.4f} s, {} reached the target: p = {:.3f}, TTS99 = {} s\n", int64_t(r["batches"]),
               double(r["batch_seconds"]), int64_t(r["hits"]), double(r["p_success"]), seconds_or(r["tts99_s"], "inf"));
  } else {
    fmt::print("{} batches of {:.4f} s ({} runs; no --target, so no time-to-target)\n", int64_t(r["batches"]),
               double(r["batch_seconds"]), r["runs"].size());
  }
  fmt::print("observation (reading states, objectives): {:.3f} s of {:.3f} s\n", double(r["observe_seconds"]),
             double(r["total_seconds"]));
  if (r.contains("pt")) {
    std::string rungs, rates;
    for (double b : r["pt"]["ladder"]) rungs += fmt::format(" {:.3g}", b);
    for (double a : r["pt"]["acceptance"]) rates += fmt::format(" {:.2f}", a);
    fmt::print("PT ladder (beta):{}\nPT acceptance:{}\n", rungs, rates);
  }
  const auto& tsu = r["tsu"];
  fmt::print("TSU [{}]: {:.3g} J per cell update (degree {:.3g}, {} clock phases); {:.3g} J per batch", std::string(tsu["device"]),
             double(tsu["energy_per_update_J"]), double(tsu["degree"]), int(tsu["colours"]), double(tsu["batch_energy_J"]));
  if (target)
    fmt::print("; energy to target {} J, E99 {} J",
               tsu["energy_to_target_J"].is_null() ? "-" : fmt::format("{:.3g}", double(tsu["energy_to_target_J"])),
               tsu["e99_J"].is_null() ? "inf" : fmt::format("{:.3g}", double(tsu["e99_J"])));
  fmt::print("\n");
  if (r.contains("chip_account"))
    fmt::print("simulated chip: {:.3g} J measured over the whole solve\n", double(r["chip_account"]["energy_J"]));
  fmt::print("solution: {} (read back and verified: {} {:g})\n", std::string(r["solution_file"]), objective,
             double(r["verified_value"]));
}

void print_verified(const json& r) {
  fmt::print("{}: {} {:g}{}\n", std::string(r["solution_file"]), std::string(r["objective"]), double(r["value"]),
             percent_of(r["value"], r));
  if (r.contains("target")) fmt::print("target {:g}: {}\n", double(r["target"]), r["reached"] ? "reached" : "not reached");
}

}  // namespace

void add_optimize_options(CLI::App& cmd, OptimizeArgs& a, const std::string& kind) {
  a.kind = kind;
  a.options = api::optimize_defaults(kind);
  auto& o = a.options.solver;
  cmd.add_option("--time-limit", o.time_limit, "Seconds per run (with a time limit, results depend on timing)")
      ->capture_default_str();
  cmd.add_option("--target", a.options.target, "Value to reach, or P% of the best-known value (maxcut)")->capture_default_str();
  cmd.add_option("--runs", o.runs, "Independent runs (time-to-target statistics)")->capture_default_str()->check(at_least(1));
  cmd.add_option("--chains", o.chains, "Restarts (SA) or replicas (PT) side by side")->capture_default_str()->check(at_least(1));
  cmd.add_option("--sweeps", o.sweeps, "Sweeps per batch")->capture_default_str()->check(at_least(1));
  cmd.add_option("--beta-start", o.beta_start, "SA: first beta; PT: hottest rung")->capture_default_str();
  cmd.add_option("--beta-end", o.beta_end, "SA: last beta; PT: coldest rung")->capture_default_str();
  cmd.add_option("--schedule", a.options.schedule, "SA beta schedule: linear or geometric")->capture_default_str();
  cmd.add_option("--solver", a.options.method, "sa (simulated annealing) or pt (parallel tempering)")->capture_default_str();
  cmd.add_option("--replicas", o.replicas, "PT: temperatures per ladder")->capture_default_str()->check(at_least(2));
  cmd.add_option("--exchange-every", o.exchange_every, "PT: sweeps between replica exchanges")
      ->capture_default_str()
      ->check(at_least(1));
  cmd.add_option("--seed", o.seed, "Seed of every random stream")->capture_default_str();
  cmd.add_option("--threads", o.threads, "Threads (0 = all)")->capture_default_str()->check(at_least(0));
  cmd.add_option("--backend", o.backend, "auto, reference, fast, or chip (the simulated TSU of --device)")
      ->capture_default_str();
  cmd.add_option("--bits", o.bits,
                 "Sample the model quantized to B bits (2-16) with the exact quantized kernels (0 = fp32)");
  cmd.add_option("--device", a.options.device, "TSU device for the energy figures: preset (paper, z1, ideal) or JSON file")
      ->capture_default_str();
  cmd.add_option("--best-known", a.options.best_known, "CSV of best-known values (default: best-known.csv beside FILE)");
  cmd.add_option("--solution", a.options.solution, "Write the best solution here (default: out/INSTANCE.sol)");
  cmd.add_option("--out", a.out, "Write the JSON result here");
  cmd.add_flag("--json", a.json, "Print the JSON result instead of the report");
  cmd.add_option("--verify", a.verify, "Check this solution file against FILE instead of solving");
}

void run_optimize(const OptimizeArgs& args) {
  const opt::Problem p = api::load_problem(args.kind, args.file, args.colours);
  const json report = args.verify.empty() ? api::optimize(p, args.file, args.options).report
                                          : api::verify_solution(p, args.file, args.verify, args.options);
  if (!args.out.empty()) write_file_atomic(args.out, report.dump(1) + "\n");
  if (args.json) return fmt::print("{}\n", report.dump(1));
  args.verify.empty() ? print_report(report) : print_verified(report);
  if (!args.out.empty()) fmt::print("result: {}\n", args.out);
}

}  // namespace tsu::cli
