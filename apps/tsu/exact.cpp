// tsu exact: the moments of a small model by enumerating every free configuration, in the same
// moments.json layout as `tsu sample`, plus log Z.
#include <fmt/format.h>
#include <memory>

#include "api/exact.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace tsu::cli {

namespace {

struct ExactArgs {
  ModelArgs model;
  std::string out;
  bool quiet = false;
  int show = 0;
};

void run_exact(const ExactArgs& args) {
  const auto model = api::load(args.model);
  const api::ExactResult r = api::exact(model, args.model.source);
  const auto written = api::save(r, prepare_out_dir(args.out).string());
  if (!args.quiet)
    fmt::print("exact: {} nodes ({} free), log Z = {:.10g}, mean energy {:.10g}; wrote {}\n", model->size(),
               model->free_count(), r.log_z, r.energy_mean, written[0]);
  print_marginals(*model, r.marginals, args.show);
}

}  // namespace

void add_exact_command(CLI::App& app) {
  auto args = std::make_shared<ExactArgs>();
  auto* cmd = app.add_subcommand(
      "exact", "Exact moments by enumeration (small models: at most 2^24 free configurations); writes DIR/moments.json");
  cmd->footer("Example: tsu exact examples/small.json --out out/small-exact");
  add_model_options(*cmd, args->model);
  cmd->add_option("--out", args->out, "Output folder (created if missing)")->required();
  cmd->add_option("--show", args->show, "Print the marginals of the first N nodes")->check(at_least(0));
  cmd->add_flag("--quiet", args->quiet, "No summary");
  cmd->callback([args] { run_exact(*args); });
}

}  // namespace tsu::cli
