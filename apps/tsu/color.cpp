// tsu color: graph colouring with K colours as a Potts model (categorical nodes), solved on the
// sampler; the target is a proper colouring (0 conflicts).
#include <fmt/format.h>
#include <memory>

#include "commands.hpp"
#include "util/files.hpp"
#include "graph/graph_io.hpp"
#include "optimize.hpp"

namespace tsu::cli {

namespace {

// DIMACS .col when the file starts with a "c" or "p" line, else rudy.
WeightedGraph read_coloring_graph(const std::string& path) {
  const std::string text = read_file(path);
  TextLines lines(text, path);
  const bool dimacs = lines.next() && (lines.fields()[0] == "c" || lines.fields()[0] == "p");
  return dimacs ? parse_dimacs_col(text, path) : parse_rudy(text, path);
}

}  // namespace

void add_color_command(CLI::App& app) {
  auto args = std::make_shared<OptimizeArgs>();
  auto colours = std::make_shared<int>(0);
  auto* cmd = app.add_subcommand("color", "Colour a graph with K colours (Potts model) on the sampler");
  cmd->footer(
      "FILE: DIMACS .col (\"p edge n m\", \"e i j\") or rudy (\"n m\", \"i j w\"; weights ignored).\n"
      "Example: tsu color myciel5.col --colors 6 --runs 10 --time-limit 5");
  cmd->add_option("FILE", args->file, "Graph file")->required();
  cmd->add_option("--colors", *colours, "Number of colours K")->required()->check(CLI::Range(1, kMaxCategories));
  // Before registering, so that --help shows the defaults that run. A conflict costs 1, so beta 3
  // still breaks one in twenty proper edges per sweep: annealing on to beta 10 colours the planted
  // 3-colourable graph of docs/optimization.md in every 16-chain batch of 200 sweeps, beta 3 rarely.
  args->solver.chains = 16;
  args->solver.sweeps = 200;
  args->solver.beta_start = 1.0;
  args->solver.beta_end = 10.0;
  add_optimize_options(*cmd, *args, "0");
  cmd->callback([args, colours] {
    run_optimize(*args, [&] { return opt::coloring_problem(read_coloring_graph(args->file), *colours); });
  });
}

}  // namespace tsu::cli
