// tsu maxcut: Max-Cut of a G-set (rudy) file or an Ising edge list, as the spin model with factors
// -w_ij s_i s_j (the fast backend's case); reports cut / best-known, time-to-target and TTS99.
#include <fmt/format.h>
#include <memory>

#include "commands.hpp"
#include "util/files.hpp"
#include "graph/graph_io.hpp"
#include "graph/model_io.hpp"
#include "optimize.hpp"

namespace tsu::cli {

namespace {

// An Ising edge list's (or JSON model's) couplings as edge weights; biases have no Max-Cut meaning.
WeightedGraph graph_of_model(const Model& m, const std::string& path) {
  WeightedGraph g;
  g.name = instance_name(path);
  g.nodes = int32_t(m.size());
  for (const auto& grp : m.groups) {
    if (grp.n_cat != 0 || grp.n_spin != 2)
      throw Error(fmt::format("{}: Max-Cut needs a graph: only couplings \"i j w\" (no biases, no other factors)", path));
    for (size_t f = 0; f < grp.count(); ++f)
      g.edges.push_back({grp.spins_of(f)[0], grp.spins_of(f)[1], grp.table_of(f)[0]});
  }
  return g;
}

// rudy when the first line is "n m", else a tsu model file (Ising edge list or JSON).
WeightedGraph read_maxcut_graph(const std::string& path) {
  const std::string text = read_file(path);
  TextLines lines(text, path);
  if (lines.next() && lines.fields().size() == 2 && lines.fields()[0].find_first_not_of("0123456789") == std::string::npos)
    return parse_rudy(text, path);
  return graph_of_model(load_model(path), path);
}

}  // namespace

void add_maxcut_command(CLI::App& app) {
  auto args = std::make_shared<OptimizeArgs>();
  auto* cmd = app.add_subcommand("maxcut", "Max-Cut of a G-set (rudy) graph or Ising edge list on the sampler");
  cmd->footer(
      "FILE: rudy (\"n m\", then \"i j w\", 1-based) or an Ising edge list (name line, \"i j w\", 0-based).\n"
      "Examples:\n"
      "  tsu maxcut ../shared/data/gset/G22.txt --target 13358 --runs 100 --threads 2\n"
      "  tsu maxcut ../shared/data/gset/G22.txt --target 99.9% --runs 100\n"
      "  tsu maxcut ../shared/data/gset/G22.txt --verify G22.sol");
  cmd->add_option("FILE", args->file, "Graph file")->required();
  // Tuned on G-set (weights 1 and -1; docs/optimization.md, "Choosing the defaults"): geometric
  // annealing from beta 0.25 to 3 over 2000 sweeps reaches 13,358 of 13,359 on G22 in 97 % of
  // 64-chain batches; from beta 0.1 a quarter of the sweeps stay near random, a start at 0.3 or
  // more is too cold, and a colder end (5) spends the last sweeps frozen.
  args->solver.sweeps = 2000;
  args->solver.beta_start = 0.25;
  args->solver.beta_end = 3.0;
  add_optimize_options(*cmd, *args);
  cmd->callback([args] { run_optimize(*args, [&] { return opt::maxcut_problem(read_maxcut_graph(args->file)); }); });
}

}  // namespace tsu::cli
