// tsu color: graph colouring with K colours as a Potts model (categorical nodes), solved on the
// sampler; the target is a proper colouring (0 conflicts).
#include <memory>

#include "commands.hpp"
#include "graph/model.hpp"
#include "optimize.hpp"

namespace tsu::cli {

void add_color_command(CLI::App& app) {
  auto args = std::make_shared<OptimizeArgs>();
  auto* cmd = app.add_subcommand("color", "Colour a graph with K colours (Potts model) on the sampler");
  cmd->footer(
      "FILE: DIMACS .col (\"p edge n m\", \"e i j\") or rudy (\"n m\", \"i j w\"; weights ignored).\n"
      "Example: tsu color myciel5.col --colors 6 --runs 10 --time-limit 5");
  cmd->add_option("FILE", args->file, "Graph file")->required();
  cmd->add_option("--colors", args->colours, "Number of colours K")->required()->check(CLI::Range(1, kMaxCategories));
  add_optimize_options(*cmd, *args, "color");
  cmd->callback([args] { run_optimize(*args); });
}

}  // namespace tsu::cli
