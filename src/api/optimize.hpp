// Optimisation through the API: a problem read from its file (Max-Cut, colouring, SAT, QUBO or any
// tsu model), solved on the sampler (simulated annealing or parallel tempering, on any backend or
// the simulated TSU) with its report (best value, best-known ratio, time-to-target, TTS99, energy
// on the TSU), the solution written and read back, and a solution file checked. `tsu maxcut|color|
// sat|qubo` and Python's tsu.optimize are thin wrappers of these calls.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "opt/problems.hpp"
#include "opt/solve.hpp"

namespace tsu::api {

// The problem kinds: maxcut (rudy, or an Ising edge list / model of couplings), color (DIMACS .col
// or rudy, with `colours` colours), sat (DIMACS CNF), qubo (QUBO text, or any tsu model file).
opt::Problem load_problem(const std::string& kind, const std::string& file, int colours = 0);

struct OptimizeOptions {
  opt::SolverOptions solver;          // its method, schedule and target are set from the fields below
  std::string method = "sa";          // sa or pt
  std::string schedule = "geometric"; // SA: linear or geometric
  std::string device = "paper";       // the TSU of the energy figures (and of backend "chip")
  std::optional<std::string> target;  // a value, or "P%" of the best-known value (maximisation)
  std::string best_known;             // CSV of best-known values; "" = best-known.csv beside the file, if any
  std::string solution;               // where the best solution goes; "" = out/INSTANCE.sol
};

// The tuned defaults of each kind (docs/optimization.md, "Choosing the defaults").
OptimizeOptions optimize_defaults(const std::string& kind);

struct OptimizeResult {
  nlohmann::json report;    // problem, options, best value, runs, time to target, TSU energy: the CLI's --json
  std::vector<int> solution;  // the best solution's values, as written to report["solution_file"]
};

// Solves the problem read from `file` (the best-known look-up is beside it) and writes its solution.
OptimizeResult optimize(const opt::Problem& problem, const std::string& file, const OptimizeOptions& options);

// Reads `solution_path` and evaluates it on the problem: {problem..., value, target, reached}.
nlohmann::json verify_solution(const opt::Problem& problem, const std::string& file, const std::string& solution_path,
                               const OptimizeOptions& options);

}  // namespace tsu::api
