// tsu qubo: minimise a QUBO (text "qubo N" + "i j Q" lines, 0-based) or find a low-energy state of
// any tsu model (tsu-model-v1 JSON or Ising edge list): the generic optimisation entry point.
#include <memory>

#include "commands.hpp"
#include "util/files.hpp"
#include "graph/graph_io.hpp"
#include "graph/model_io.hpp"
#include "opt/formats.hpp"
#include "optimize.hpp"

namespace tsu::cli {

namespace {

opt::Problem load_qubo_or_ising(const std::string& path) {
  const std::string text = read_file(path);
  if (opt::looks_like_qubo(text)) return opt::qubo_problem(opt::parse_qubo(text, path));
  opt::Problem p = opt::ising_problem(load_model(path));
  p.name = instance_name(path);  // as for every other kind: best-known look-ups and the .sol name use the file's stem
  return p;
}

}  // namespace

void add_qubo_command(CLI::App& app) {
  auto args = std::make_shared<OptimizeArgs>();
  auto* cmd = app.add_subcommand("qubo", "Minimise a QUBO, or the energy of any tsu model, on the sampler");
  cmd->footer(
      "FILE: QUBO text (\"qubo N\", then \"i j Q\" lines, 0-based; minimises sum Q_ij x_i x_j, x in {0,1}), or a\n"
      "tsu-model-v1 JSON / Ising edge list (minimises E = -sum of factor terms at beta 1).\n"
      "Example: tsu qubo ../shared/data/graphs/pegasus14_gauss.txt --runs 4 --sweeps 2000");
  cmd->add_option("FILE", args->file, "QUBO or model file")->required();
  add_optimize_options(*cmd, *args);
  cmd->callback([args] { run_optimize(*args, [&] { return load_qubo_or_ising(args->file); }); });
}

}  // namespace tsu::cli
