// tsu sat: k-SAT from a DIMACS CNF file, each clause's "unsatisfied" indicator expanded into spin
// factors of every order; the target is 0 unsatisfied clauses.
#include <memory>

#include "commands.hpp"
#include "opt/formats.hpp"
#include "optimize.hpp"

namespace tsu::cli {

void add_sat_command(CLI::App& app) {
  auto args = std::make_shared<OptimizeArgs>();
  auto* cmd = app.add_subcommand("sat", "Satisfy a DIMACS CNF formula on the sampler (higher-order spin factors)");
  cmd->footer("Example: tsu sat uf50-01.cnf --runs 20 --time-limit 5   (solution: one 0/1 truth value per variable)");
  cmd->add_option("FILE", args->file, "DIMACS CNF file (\"p cnf VARIABLES CLAUSES\", clauses ended by 0)")->required();
  // Before registering, so that --help shows the defaults that run. An unsatisfied clause costs 1:
  // on random 3-SAT at ratio 4.0 (docs/optimization.md) short, cold anneals win, beta 2 to 20 over
  // 200 sweeps solves 200 variables in ten of eleven 16-chain batches (beta 0.1 to 3 over 1000
  // sweeps: in none of 25).
  args->solver.chains = 16;
  args->solver.sweeps = 200;
  args->solver.beta_start = 2.0;
  args->solver.beta_end = 20.0;
  add_optimize_options(*cmd, *args, "0");
  cmd->callback([args] { run_optimize(*args, [&] { return opt::sat_problem(opt::read_cnf(args->file)); }); });
}

}  // namespace tsu::cli
