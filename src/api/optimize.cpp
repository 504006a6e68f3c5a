#include "api/optimize.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <memory>

#include "graph/graph_io.hpp"
#include "graph/model_io.hpp"
#include "hw/chip.hpp"
#include "opt/energy.hpp"
#include "opt/formats.hpp"
#include "util/files.hpp"

namespace tsu::api {

namespace {

using nlohmann::json;

// An Ising edge list's (or JSON model's) couplings as edge weights; biases have no Max-Cut meaning.
WeightedGraph graph_of_model(const Model& m, const std::string& path) {
  WeightedGraph g;
  g.name = instance_name(path);
  g.nodes = int32_t(m.size());
  for (const auto& grp : m.groups) {
    if (grp.n_cat != 0 || grp.n_spin != 2)
      throw Error(fmt::format("{}: Max-Cut needs a graph: only couplings \"i j w\" (no biases, no other factors)", path));
    for (size_t f = 0; f < grp.count(); ++f) g.edges.push_back({grp.spins_of(f)[0], grp.spins_of(f)[1], grp.table_of(f)[0]});
  }
  return g;
}

// Max-Cut: rudy when the first line is "n m", else a tsu model file (Ising edge list or JSON).
WeightedGraph read_maxcut_graph(const std::string& path) {
  const std::string text = read_file(path);
  TextLines lines(text, path);
  if (lines.next() && lines.fields().size() == 2 && lines.fields()[0].find_first_not_of("0123456789") == std::string::npos)
    return parse_rudy(text, path);
  return graph_of_model(load_model(path), path);
}

// Colouring: DIMACS .col when the file starts with a "c" or "p" line, else rudy.
WeightedGraph read_coloring_graph(const std::string& path) {
  const std::string text = read_file(path);
  TextLines lines(text, path);
  const bool dimacs = lines.next() && (lines.fields()[0] == "c" || lines.fields()[0] == "p");
  return dimacs ? parse_dimacs_col(text, path) : parse_rudy(text, path);
}

opt::Problem load_qubo_or_ising(const std::string& path) {
  const std::string text = read_file(path);
  if (opt::looks_like_qubo(text)) return opt::qubo_problem(opt::parse_qubo(text, path));
  opt::Problem p = opt::ising_problem(load_model(path));
  p.name = instance_name(path);  // as for every other kind: best-known look-ups and the .sol name use the file's stem
  return p;
}

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// The best-known value of the instance: from options.best_known, else best-known.csv beside the
// file when there is one (the G-set folder has it).
std::optional<opt::BestKnown> lookup_best_known(const OptimizeOptions& options, const std::string& file,
                                                const opt::Problem& p) {
  std::string csv = options.best_known;
  if (csv.empty()) {
    const auto beside = std::filesystem::path(file).parent_path() / "best-known.csv";
    if (!std::filesystem::exists(beside)) return std::nullopt;
    csv = beside.string();
  }
  return opt::read_best_known(csv, p.name);
}

// target: a value, or "P%" of the best-known value (maximisation only), rounded up to a whole number
// since the G-set objectives are integers.
std::optional<double> resolve_target(const OptimizeOptions& options, const opt::Problem& p,
                                     const std::optional<opt::BestKnown>& bks) {
  if (!options.target) return std::nullopt;
  std::string text = *options.target;
  const bool percent = !text.empty() && text.back() == '%';
  if (percent) text.pop_back();
  double v = 0;
  try {
    size_t used = 0;
    v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v)) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw Error(fmt::format("--target: expected a number or a percentage such as 99.9%, got \"{}\"", *options.target));
  }
  if (!percent) return v;
  if (!p.maximise) throw Error("--target: a percentage needs a maximisation problem (maxcut)");
  if (!bks) throw Error(fmt::format("--target {}: no best-known value for {} (see --best-known)", *options.target, p.name));
  return std::ceil(bks->value * v / 100.0 - 1e-9);
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

// Options as run, for the report.
json options_json(const OptimizeOptions& options, const opt::SolverOptions& o) {
  json doc = {{"solver", options.method},    {"chains", o.chains},          {"sweeps", o.sweeps},
              {"schedule", options.schedule}, {"beta_start", o.beta_start},  {"beta_end", o.beta_end},
              {"runs", o.runs},              {"time_limit_s", o.time_limit}, {"seed", o.seed},
              {"threads", o.threads},        {"backend", o.backend},         {"device", options.device}};
  if (o.method == opt::Method::Tempering)
    doc.update({{"replicas", o.replicas}, {"exchange_every", o.exchange_every}, {"adapt_fraction", o.adapt_fraction}});
  if (o.bits) doc["bits"] = o.bits;
  return doc;
}

json runs_json(const opt::SolveResult& r) {
  json runs = json::array();
  for (const auto& run : r.runs)
    runs.push_back({{"reached", run.reached}, {"seconds", run.seconds}, {"batches", run.batches},
                    {"sweeps", run.sweeps}, {"best", run.best}});
  return runs;
}

// The solver's options with the method, schedule and target of `options`.
opt::SolverOptions solver_options(const OptimizeOptions& options, const opt::Problem& p,
                                  const std::optional<opt::BestKnown>& bks) {
  opt::SolverOptions o = options.solver;
  o.target = resolve_target(options, p, bks);
  o.method = opt::parse_method(options.method);
  if (options.schedule != "linear" && options.schedule != "geometric")
    throw Error(fmt::format("--schedule: expected linear or geometric, got \"{}\"", options.schedule));
  o.schedule = options.schedule == "linear" ? BetaSchedule::Kind::Linear : BetaSchedule::Kind::Geometric;
  return o;
}

json solve_json(const opt::SolveResult& r, const std::optional<opt::BestKnown>& bks, std::optional<double> target) {
  json doc = {{"backend", r.backend},         {"chains", r.chains},
              {"blocks", r.colours},          {"best", r.best_value},
              {"batches", r.batches},         {"hits", r.hits},
              {"batch_seconds", r.batch_seconds}, {"setup_seconds", r.setup_seconds},
              {"observe_seconds", r.observe_seconds}, {"total_seconds", r.total_seconds},
              {"runs", runs_json(r)}};
  if (bks && bks->value != 0) doc["best_over_best_known"] = r.best_value / bks->value;
  if (target) {
    std::vector<double> times;
    for (const auto& run : r.runs)
      if (run.reached) times.push_back(run.seconds);
    doc["target"] = *target;
    doc["time_to_target"] = {{"runs_reached", times.size()}, {"median_s", number_or_null(median(times))}};
    doc["p_success"] = r.success_probability();
    doc["tts99_s"] = number_or_null(r.tts99());
  }
  if (!r.ladder.empty()) doc["pt"] = {{"ladder", r.ladder}, {"acceptance", r.acceptance}};
  return doc;
}

}  // namespace

opt::Problem load_problem(const std::string& kind, const std::string& file, int colours) {
  if (kind == "maxcut") return opt::maxcut_problem(read_maxcut_graph(file));
  if (kind == "color") return opt::coloring_problem(read_coloring_graph(file), colours);
  if (kind == "sat") return opt::sat_problem(opt::read_cnf(file));
  if (kind == "qubo") return load_qubo_or_ising(file);
  throw Error(fmt::format("problem: expected maxcut, color, sat or qubo, got \"{}\"", kind));
}

OptimizeOptions optimize_defaults(const std::string& kind) {
  OptimizeOptions o;
  opt::SolverOptions& s = o.solver;
  if (kind == "maxcut") {
    // Tuned on G-set (weights 1 and -1): geometric annealing from beta 0.25 to 3 over 2000 sweeps
    // reaches 13,358 of 13,359 on G22 in 97 % of 64-chain batches; from beta 0.1 a quarter of the
    // sweeps stay near random, a start at 0.3 or more is too cold, and a colder end (5) spends the
    // last sweeps frozen.
    s.sweeps = 2000, s.beta_start = 0.25, s.beta_end = 3.0;
  } else if (kind == "color") {
    // A conflict costs 1, so beta 3 still breaks one in twenty proper edges per sweep: annealing on
    // to beta 10 colours the planted 3-colourable graph in every 16-chain batch of 200 sweeps, beta
    // 3 rarely. The target is a proper colouring.
    s.chains = 16, s.sweeps = 200, s.beta_start = 1.0, s.beta_end = 10.0;
    o.target = "0";
  } else if (kind == "sat") {
    // An unsatisfied clause costs 1: on random 3-SAT at ratio 4.0 short, cold anneals win, beta 2 to
    // 20 over 200 sweeps solves 200 variables in ten of eleven 16-chain batches (beta 0.1 to 3 over
    // 1000 sweeps: in none of 25). The target is every clause satisfied.
    s.chains = 16, s.sweeps = 200, s.beta_start = 2.0, s.beta_end = 20.0;
    o.target = "0";
  } else if (kind != "qubo") {
    throw Error(fmt::format("problem: expected maxcut, color, sat or qubo, got \"{}\"", kind));
  }
  return o;
}

OptimizeResult optimize(const opt::Problem& p, const std::string& file, const OptimizeOptions& options) {
  const auto bks = lookup_best_known(options, file, p);
  opt::SolverOptions o = solver_options(options, p, bks);
  const hw::Device device = with_context("--device " + options.device, [&] { return hw::load_device(options.device); });
  std::unique_ptr<hw::Chip> chip;
  std::optional<hw::ChipAccount> account;
  if (o.backend == "chip") {
    chip = std::make_unique<hw::Chip>(*p.model, device);
    o.make_backend = [&](const CompiledModel&, const Layout& layout, const EngineOptions& eo) {
      return std::unique_ptr<Backend>(hw::make_chip_backend(*chip, layout, eo));
    };
    // The backend (and its account) dies with the solve.
    o.on_finish = [&](const Backend& b) { account = dynamic_cast<const hw::ChipBackend&>(b).account(); };
  }
  const opt::SolveResult r = opt::solve(p, o);

  json doc = problem_json(p, bks);
  doc["options"] = options_json(options, o);
  doc.update(solve_json(r, bks, o.target));
  doc["tsu"] = opt::tsu_cost_json(opt::tsu_cost(p, device, r, o.sweeps));
  if (account)
    doc["chip_account"] = {{"energy_J", account->total()}, {"updates", account->updates},
                           {"toggles", account->toggles}, {"chip_seconds_per_chain", account->seconds}};
  // By default under out/, so that runs from the checkout leave nothing beside the sources.
  const std::string solution = options.solution.empty() ? "out/" + p.name + ".sol" : options.solution;
  prepare_parent(solution);
  std::vector<int> values = opt::solution_values(p, r.best_state);
  opt::write_solution(solution, values, fmt::format("tsu {} {}: {} {:g}", p.kind, p.name, p.value_name, r.best_value));
  const double checked = verified_value(p, solution);
  if (checked != r.best_value)
    throw std::runtime_error(fmt::format("{}: reads back as {} {:g}, expected {:g}", solution, p.value_name, checked, r.best_value));
  doc["solution_file"] = solution;
  doc["verified_value"] = checked;
  return {std::move(doc), std::move(values)};
}

json verify_solution(const opt::Problem& p, const std::string& file, const std::string& solution_path,
                     const OptimizeOptions& options) {
  const auto bks = lookup_best_known(options, file, p);
  const double v = verified_value(p, solution_path);
  const auto target = resolve_target(options, p, bks);
  json doc = problem_json(p, bks);
  doc["solution_file"] = solution_path;
  doc["value"] = v;
  if (target) doc["target"] = *target, doc["reached"] = p.reaches(v, *target);
  return doc;
}

}  // namespace tsu::api
