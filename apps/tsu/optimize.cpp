#include "optimize.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>

#include "common.hpp"
#include "hw/chip.hpp"
#include "opt/energy.hpp"
#include "opt/formats.hpp"

namespace tsu::cli {

namespace {

using nlohmann::json;

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// The best-known value of the instance: from --best-known, else best-known.csv beside the file
// when there is one (the G-set folder has it).
std::optional<opt::BestKnown> lookup_best_known(const OptimizeArgs& args, const opt::Problem& p) {
  std::string csv = args.best_known;
  if (csv.empty()) {
    const auto beside = std::filesystem::path(args.file).parent_path() / "best-known.csv";
    if (!std::filesystem::exists(beside)) return std::nullopt;
    csv = beside.string();
  }
  return opt::read_best_known(csv, p.name);
}

// --target: a value, or "P%" of the best-known value (maximisation only), rounded up to a whole
// number since the G-set objectives are integers.
std::optional<double> resolve_target(const OptimizeArgs& args, const opt::Problem& p,
                                     const std::optional<opt::BestKnown>& bks) {
  if (!args.target) return std::nullopt;
  std::string text = *args.target;
  const bool percent = !text.empty() && text.back() == '%';
  if (percent) text.pop_back();
  double v = 0;
  try {
    size_t used = 0;
    v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v)) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw Error(fmt::format("--target: expected a number or a percentage such as 99.9%, got \"{}\"", *args.target));
  }
  if (!percent) return v;
  if (!p.maximise) throw Error("--target: a percentage needs a maximisation problem (maxcut)");
  if (!bks) throw Error(fmt::format("--target {}: no best-known value for {} (see --best-known)", *args.target, p.name));
  return std::ceil(bks->value * v / 100.0 - 1e-9);
}

std::string percent_of(double v, const std::optional<opt::BestKnown>& bks) {
  if (!bks || bks->value == 0) return "";
  return fmt::format(" = {:.3f} % of best-known {:g} ({})", 100.0 * v / bks->value, bks->value, bks->source);
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

json problem_json(const opt::Problem& p, const std::optional<opt::BestKnown>& bks) {
  json doc = {{"problem", p.kind}, {"instance", p.name}, {"nodes", p.model->size()}, {"objective", p.value_name},
              {"maximise", p.maximise}};
  if (bks) doc["best_known"] = {{"value", bks->value}, {"source", bks->source}};
  return doc;
}

// Reads a solution file back and evaluates it on the parsed problem.
double verified_value(const opt::Problem& p, const std::string& path) {
  const auto [lo, hi] = opt::solution_range(p);
  const auto values = opt::read_solution(path, p.model->size(), lo, hi);
  const auto state = with_context(path, [&] { return opt::state_of_solution(p, values); });
  return p.value(state);
}

void run_verify(const OptimizeArgs& args, const opt::Problem& p) {
  const auto bks = lookup_best_known(args, p);
  const double v = verified_value(p, args.verify);
  const auto target = resolve_target(args, p, bks);
  json doc = problem_json(p, bks);
  doc["solution_file"] = args.verify;
  doc["value"] = v;
  if (target) doc["target"] = *target, doc["reached"] = p.reaches(v, *target);
  if (!args.out.empty()) write_file_atomic(args.out, doc.dump(1) + "\n");
  if (args.json) return fmt::print("{}\n", doc.dump(1));
  fmt::print("{}: {} {:g}{}\n", args.verify, p.value_name, v, percent_of(v, bks));
  if (target) fmt::print("target {:g}: {}\n", *target, p.reaches(v, *target) ? "reached" : "not reached");
}

// Options as run, for the JSON result.
json options_json(const OptimizeArgs& args, const opt::SolverOptions& o) {
  json doc = {{"solver", args.method},  {"chains", o.chains},         {"sweeps", o.sweeps},
              {"schedule", args.schedule}, {"beta_start", o.beta_start}, {"beta_end", o.beta_end},
              {"runs", o.runs},           {"time_limit_s", o.time_limit}, {"seed", o.seed},
              {"threads", o.threads},     {"backend", args.backend},      {"device", args.device}};
  if (o.method == opt::Method::Tempering)
    doc.update({{"replicas", o.replicas}, {"exchange_every", o.exchange_every}, {"adapt_fraction", o.adapt_fraction}});
  return doc;
}

json runs_json(const opt::SolveResult& r) {
  json runs = json::array();
  for (const auto& run : r.runs)
    runs.push_back({{"reached", run.reached}, {"seconds", run.seconds}, {"batches", run.batches},
                    {"sweeps", run.sweeps}, {"best", run.best}});
  return runs;
}

void print_report(const opt::Problem& p, const opt::SolveResult& r, const json& doc,
                  const std::optional<opt::BestKnown>& bks, std::optional<double> target) {
  fmt::print("{} ({}): {} nodes; {} backend, {} chains, {} blocks; setup {:.3f} s\n", p.name, p.kind, p.model->size(),
             r.backend, r.chains, r.colours, r.setup_seconds);
  fmt::print("best {} {:g}{}\n", p.value_name, r.best_value, percent_of(r.best_value, bks));
  if (target) {
    const auto& t = doc["time_to_target"];
    fmt::print("target {:g}: reached in {} of {} runs; time to target median {} s (time limit {:g} s per run)\n",
               *target, int(t["runs_reached"]), r.runs.size(),
               t["median_s"].is_null() ? "-" : fmt::format("{:.4f}", double(t["median_s"])),
               double(doc["options"]["time_limit_s"]));
    fmt::print("batches {} of {:.4f} s, {} reached the target: p = {:.3f}, TTS99 = {} s\n", r.batches, r.batch_seconds,
               r.hits, r.success_probability(), std::isfinite(r.tts99()) ? fmt::format("{:.4f}", r.tts99()) : "inf");
  } else {
    fmt::print("{} batches of {:.4f} s ({} runs; no --target, so no time-to-target)\n", r.batches, r.batch_seconds,
               r.runs.size());
  }
  fmt::print("observation (reading states, objectives): {:.3f} s of {:.3f} s\n", r.observe_seconds, r.total_seconds);
  if (!r.ladder.empty()) {
    std::string rungs, rates;
    for (double b : r.ladder) rungs += fmt::format(" {:.3g}", b);
    for (double a : r.acceptance) rates += fmt::format(" {:.2f}", a);
    fmt::print("PT ladder (beta):{}\nPT acceptance:{}\n", rungs, rates);
  }
  const auto& tsu = doc["tsu"];
  fmt::print("TSU [{}]: {:.3g} J per cell update (degree {:.3g}, {} clock phases); {:.3g} J per batch", std::string(tsu["device"]),
             double(tsu["energy_per_update_J"]), double(tsu["degree"]), int(tsu["colours"]), double(tsu["batch_energy_J"]));
  if (target)
    fmt::print("; energy to target {} J, E99 {} J",
               tsu["energy_to_target_J"].is_null() ? "-" : fmt::format("{:.3g}", double(tsu["energy_to_target_J"])),
               tsu["e99_J"].is_null() ? "inf" : fmt::format("{:.3g}", double(tsu["e99_J"])));
  fmt::print("\n");
  if (doc.contains("chip_account"))
    fmt::print("simulated chip: {:.3g} J measured over the whole solve\n", double(doc["chip_account"]["energy_J"]));
}

void run_solve(const OptimizeArgs& args, const opt::Problem& p) {
  const auto bks = lookup_best_known(args, p);
  opt::SolverOptions o = args.solver;
  o.target = resolve_target(args, p, bks);
  o.method = opt::parse_method(args.method);
  if (args.schedule != "linear" && args.schedule != "geometric")
    throw Error(fmt::format("--schedule: expected linear or geometric, got \"{}\"", args.schedule));
  o.schedule = args.schedule == "linear" ? BetaSchedule::Kind::Linear : BetaSchedule::Kind::Geometric;
  const hw::Device device = with_context("--device " + args.device, [&] { return hw::load_device(args.device); });
  std::unique_ptr<hw::Chip> chip;
  std::optional<hw::ChipAccount> account;
  if (args.backend == "chip") {
    chip = std::make_unique<hw::Chip>(*p.model, device);
    o.make_backend = [&](const CompiledModel&, const Layout& layout, const EngineOptions& eo) {
      return std::unique_ptr<Backend>(hw::make_chip_backend(*chip, layout, eo));
    };
    // The backend (and its account) dies with the solve.
    o.on_finish = [&](const Backend& b) { account = dynamic_cast<const hw::ChipBackend&>(b).account(); };
  } else {
    o.backend = args.backend;
  }
  const opt::SolveResult r = opt::solve(p, o);

  json doc = problem_json(p, bks);
  doc["options"] = options_json(args, o);
  doc.update({{"backend", r.backend}, {"chains", r.chains}, {"blocks", r.colours}, {"best", r.best_value},
              {"batches", r.batches}, {"hits", r.hits}, {"batch_seconds", r.batch_seconds},
              {"setup_seconds", r.setup_seconds}, {"observe_seconds", r.observe_seconds},
              {"total_seconds", r.total_seconds}, {"runs", runs_json(r)}});
  if (bks && bks->value != 0) doc["best_over_best_known"] = r.best_value / bks->value;
  if (o.target) {
    std::vector<double> times;
    for (const auto& run : r.runs)
      if (run.reached) times.push_back(run.seconds);
    doc["target"] = *o.target;
    doc["time_to_target"] = {{"runs_reached", times.size()}, {"median_s", number_or_null(median(times))}};
    doc["p_success"] = r.success_probability();
    doc["tts99_s"] = number_or_null(r.tts99());
  }
  if (!r.ladder.empty()) doc["pt"] = {{"ladder", r.ladder}, {"acceptance", r.acceptance}};
  doc["tsu"] = opt::tsu_cost_json(opt::tsu_cost(p, device, r, o.sweeps));
  if (account) {
    const auto& a = *account;
    doc["chip_account"] = {{"energy_J", a.total()}, {"updates", a.updates}, {"toggles", a.toggles},
                           {"chip_seconds_per_chain", a.seconds}};
  }
  // By default under out/, so that runs from the checkout leave nothing beside the sources.
  const std::string solution = args.solution.empty() ? "out/" + p.name + ".sol" : args.solution;
  prepare_parent(solution);
  opt::write_solution(solution, opt::solution_values(p, r.best_state),
                      fmt::format("tsu {} {}: {} {:g}", p.kind, p.name, p.value_name, r.best_value));
  const double checked = verified_value(p, solution);
  if (checked != r.best_value)
    throw std::runtime_error(fmt::format("{}: reads back as {} {:g}, expected {:g}", solution, p.value_name, checked, r.best_value));
  doc["solution_file"] = solution;
  doc["verified_value"] = checked;
  if (!args.out.empty()) write_file_atomic(args.out, doc.dump(1) + "\n");
  if (args.json) return fmt::print("{}\n", doc.dump(1));
  print_report(p, r, doc, bks, o.target);
  fmt::print("solution: {} (read back and verified: {} {:g})\n", solution, p.value_name, checked);
  if (!args.out.empty()) fmt::print("result: {}\n", args.out);
}

}  // namespace

void add_optimize_options(CLI::App& cmd, OptimizeArgs& a, const std::optional<std::string>& default_target) {
  auto& o = a.solver;
  a.target = default_target;
  cmd.add_option("--time-limit", o.time_limit, "Seconds per run (with a time limit, results depend on timing)")
      ->capture_default_str();
  cmd.add_option("--target", a.target, "Value to reach, or P% of the best-known value (maxcut)")->capture_default_str();
  cmd.add_option("--runs", o.runs, "Independent runs (time-to-target statistics)")->capture_default_str()->check(at_least(1));
  cmd.add_option("--chains", o.chains, "Restarts (SA) or replicas (PT) side by side")->capture_default_str()->check(at_least(1));
  cmd.add_option("--sweeps", o.sweeps, "Sweeps per batch")->capture_default_str()->check(at_least(1));
  cmd.add_option("--beta-start", o.beta_start, "SA: first beta; PT: hottest rung")->capture_default_str();
  cmd.add_option("--beta-end", o.beta_end, "SA: last beta; PT: coldest rung")->capture_default_str();
  cmd.add_option("--schedule", a.schedule, "SA beta schedule: linear or geometric")->capture_default_str();
  cmd.add_option("--solver", a.method, "sa (simulated annealing) or pt (parallel tempering)")->capture_default_str();
  cmd.add_option("--replicas", o.replicas, "PT: temperatures per ladder")->capture_default_str()->check(at_least(2));
  cmd.add_option("--exchange-every", o.exchange_every, "PT: sweeps between replica exchanges")
      ->capture_default_str()
      ->check(at_least(1));
  cmd.add_option("--seed", o.seed, "Seed of every random stream")->capture_default_str();
  cmd.add_option("--threads", o.threads, "Threads (0 = all)")->capture_default_str()->check(at_least(0));
  cmd.add_option("--backend", a.backend, "auto, reference, fast, or chip (the simulated TSU of --device)")
      ->capture_default_str();
  cmd.add_option("--device", a.device, "TSU device for the energy figures: preset (paper, z1, ideal) or JSON file")
      ->capture_default_str();
  cmd.add_option("--best-known", a.best_known, "CSV of best-known values (default: best-known.csv beside FILE)");
  cmd.add_option("--solution", a.solution, "Write the best solution here (default: out/INSTANCE.sol)");
  cmd.add_option("--out", a.out, "Write the JSON result here");
  cmd.add_flag("--json", a.json, "Print the JSON result instead of the report");
  cmd.add_option("--verify", a.verify, "Check this solution file against FILE instead of solving");
}

void run_optimize(const OptimizeArgs& args, const std::function<opt::Problem()>& load) {
  const opt::Problem p = load();
  if (args.verify.empty())
    run_solve(args, p);
  else
    run_verify(args, p);
}

}  // namespace tsu::cli
