// tsu maxcut: Max-Cut of a G-set (rudy) file or an Ising edge list, as the spin model with factors
// -w_ij s_i s_j (the fast backend's case); reports cut / best-known, time-to-target and TTS99.
#include <memory>

#include "commands.hpp"
#include "optimize.hpp"

namespace tsu::cli {

void add_maxcut_command(CLI::App& app) {
  auto args = std::make_shared<OptimizeArgs>();
  auto* cmd = app.add_subcommand("maxcut", "Max-Cut of a G-set (rudy) graph or Ising edge list on the sampler");
  cmd->footer(
      "FILE: rudy (\"n m\", then \"i j w\", 1-based) or an Ising edge list (name line, \"i j w\", 0-based).\n"
      "Examples:\n"
      "  tsu maxcut ../shared/data/gset/G22.txt --target 13358 --runs 100 --threads 2\n"
      "  tsu maxcut ../shared/data/gset/G22.txt --target 99.9% --runs 100\n"
      "  tsu maxcut ../shared/data/gset/G22.txt --verify out/G22.sol");
  cmd->add_option("FILE", args->file, "Graph file")->required();
  add_optimize_options(*cmd, *args, "maxcut");
  cmd->callback([args] { run_optimize(*args); });
}

}  // namespace tsu::cli
