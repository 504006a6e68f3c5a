// tsu qubo: minimise a QUBO (text "qubo N" + "i j Q" lines, 0-based) or find a low-energy state of
// any tsu model (tsu-model-v1 JSON or Ising edge list): the generic optimisation entry point.
#include <memory>

#include "commands.hpp"
#include "optimize.hpp"

namespace tsu::cli {

void add_qubo_command(CLI::App& app) {
  auto args = std::make_shared<OptimizeArgs>();
  auto* cmd = app.add_subcommand("qubo", "Minimise a QUBO, or the energy of any tsu model, on the sampler");
  cmd->footer(
      "FILE: QUBO text (\"qubo N\", then \"i j Q\" lines, 0-based; minimises sum Q_ij x_i x_j, x in {0,1}), or a\n"
      "tsu-model-v1 JSON / Ising edge list (minimises E = -sum of factor terms at beta 1).\n"
      "Example: tsu qubo ../shared/data/graphs/pegasus14_gauss.txt --runs 4 --sweeps 2000");
  cmd->add_option("FILE", args->file, "QUBO or model file")->required();
  add_optimize_options(*cmd, *args, "qubo");
  cmd->callback([args] { run_optimize(*args); });
}

}  // namespace tsu::cli
