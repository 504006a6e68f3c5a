// tsu logz: log Z of any model by annealed importance sampling, beside enumeration when the model
// is small, and the NLL of data rows under it (api/logz.hpp).
#include <filesystem>
#include <fmt/format.h>
#include <memory>

#include "api/logz.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "progress.hpp"

namespace tsu::cli {

namespace {

struct LogZArgs {
  ModelArgs model;
  api::LogZOptions options;
  std::string out;
  bool quiet = false;
};

void print_result(const api::LogZResult& r) {
  const auto& a = r.ais;
  fmt::print("log Z = {:.6f} +- {:.4f} (AIS: {} chains x {} steps, {:.0f} effective chains, {:.2f} s); thermodynamic "
             "integration {:.6f}\n",
             a.log_z, a.standard_error, r.options.chains, r.options.steps, a.effective_chains, a.seconds, a.ti_log_z);
  if (r.exact_log_z)
    fmt::print("exact log Z = {:.6f} (enumeration): AIS is {:.2f} standard errors off\n", *r.exact_log_z,
               (a.log_z - *r.exact_log_z) / a.standard_error);
  if (r.rows > 0)
    fmt::print("NLL of the {} data rows: {:.4f} +- {:.4f} nats per row\n", r.rows, r.nll, r.nll_standard_error);
}

void run_logz(LogZArgs& args) {
  const auto model = api::load(args.model);
  Progress progress(!args.quiet && stderr_is_terminal(), double(model->free_count()) * args.options.ais.chains);
  args.options.progress = [&](int64_t done, int64_t total) { progress.update(done, total); };
  const api::LogZResult r = api::log_z(model, args.options);
  progress.finish();
  if (!args.out.empty()) {
    const auto dir = prepare_out_dir(args.out);
    write_file_atomic((dir / "logz.json").string(), r.to_json().dump(2) + "\n");
  }
  if (!args.quiet) print_result(r);
}

}  // namespace

void add_logz_command(CLI::App& app) {
  auto args = std::make_shared<LogZArgs>();
  AisOptions& ais = args->options.ais;
  auto* cmd = app.add_subcommand(
      "logz", "log Z by annealed importance sampling (with its standard error; enumeration beside it when small), and "
              "the NLL of data rows");
  cmd->footer(
      "Examples:\n"
      "  tsu logz grid:5:G8:open --j-sigma 0.5 --chains 500 --steps 1000\n"
      "  tsu logz out/rbm-trouser/model.json --data fashion-mnist-test:1 --chains 200 --steps 2000");
  add_model_options(*cmd, args->model);
  cmd->add_option("--chains", ais.chains, "Independent AIS chains")->capture_default_str()->check(at_least(2));
  cmd->add_option("--steps", ais.steps, "Rungs of the linear beta ladder, one sweep each")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--seed", ais.seed, "Seed of the chains (results do not depend on --threads)")->capture_default_str();
  cmd->add_option("--threads", ais.threads, "Worker threads (0 = every core)")->capture_default_str()->check(at_least(0));
  cmd->add_option("--backend", ais.backend, "Sampling backend")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "reference", "fast"}));
  cmd->add_option("--data", args->options.data,
                  "Rows to score (as tsu train takes them: FILE.npy, fashion-mnist[-test]:CLASS[:POOL]); the model's "
                  "nodes after their columns are latent and summed in closed form (no factor may join two of them)");
  cmd->add_option("--out", args->out, "Folder for logz.json");
  cmd->add_flag("--quiet", args->quiet, "No progress line and no summary");
  cmd->callback([args] { run_logz(*args); });
}

}  // namespace tsu::cli
