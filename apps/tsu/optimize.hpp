// What tsu maxcut, color, sat and qubo share: the solver and report options, and the run through
// api::optimize (or api::verify_solution for --verify) with its printed report.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "api/optimize.hpp"

namespace tsu::cli {

struct OptimizeArgs {
  std::string kind;  // maxcut, color, sat or qubo
  std::string file;
  int colours = 0;   // color only
  api::OptimizeOptions options;
  std::string out;     // JSON result file
  std::string verify;  // a solution file to check instead of solving
  bool json = false;
};

// Registers FILE and every solver and report option on `cmd`, with the defaults of `kind`.
void add_optimize_options(CLI::App& cmd, OptimizeArgs& args, const std::string& kind);

// Solves (or verifies --verify) the problem of args.file, and reports.
void run_optimize(const OptimizeArgs& args);

}  // namespace tsu::cli
