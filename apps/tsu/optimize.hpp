// What tsu maxcut, color, sat and qubo share: the solver options, the run with its report (best
// value, best-known ratio, time-to-target, TTS99, energy-to-solution on the simulated TSU), the
// solution file (read back and verified against the parsed problem) and --verify.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "opt/problems.hpp"
#include "opt/solve.hpp"

namespace tsu::cli {

struct OptimizeArgs {
  std::string file;
  opt::SolverOptions solver;
  std::string schedule = "geometric";
  std::string method = "sa";
  std::string backend = "auto";
  std::string device = "paper";
  std::optional<std::string> target;  // a value, or "P%" of the best-known value
  std::string best_known;             // CSV; default: best-known.csv beside FILE
  std::string solution;               // default: INSTANCE.sol
  std::string out;                    // JSON result file
  std::string verify;                 // a solution file to check instead of solving
  bool json = false;
};

// Registers FILE and every solver and report option on `cmd`; `default_target` fills --target.
void add_optimize_options(CLI::App& cmd, OptimizeArgs& args, const std::optional<std::string>& default_target = {});

// Solves (or verifies --verify) the problem that `load` builds from args.file, and reports.
void run_optimize(const OptimizeArgs& args, const std::function<opt::Problem()>& load);

}  // namespace tsu::cli
