// tsu sat: k-SAT from a DIMACS CNF file, each clause's "unsatisfied" indicator expanded into spin
// factors of every order; the target is 0 unsatisfied clauses.
#include <memory>

#include "commands.hpp"
#include "optimize.hpp"

namespace tsu::cli {

void add_sat_command(CLI::App& app) {
  auto args = std::make_shared<OptimizeArgs>();
  auto* cmd = app.add_subcommand("sat", "Satisfy a DIMACS CNF formula on the sampler (higher-order spin factors)");
  cmd->footer("Example: tsu sat uf50-01.cnf --runs 20 --time-limit 5   (solution: one 0/1 truth value per variable)");
  cmd->add_option("FILE", args->file, "DIMACS CNF file (\"p cnf VARIABLES CLAUSES\", clauses ended by 0)")->required();
  add_optimize_options(*cmd, *args, "sat");
  cmd->callback([args] { run_optimize(*args); });
}

}  // namespace tsu::cli
