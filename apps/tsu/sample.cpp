// tsu sample: block-Gibbs sampling of a model with many chains; writes DIR/moments.json (marginals,
// spin-pair moments, energy, optional autocorrelation, run facts) and optionally DIR/samples.npy.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <filesystem>
#include <memory>

#include "api/sample.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "progress.hpp"
#include "util/error.hpp"

namespace tsu::cli {

namespace {

struct SampleArgs {
  ModelArgs model;
  api::SampleOptions options;
  std::string out;
  std::string blocks = "auto";
  std::string anneal;
  std::optional<double> beta_start;
  bool quiet = false;
  int show = 0;
};

void print_summary(const api::SampleResult& r, const std::vector<std::string>& written) {
  const auto& run = r.run;
  fmt::print("sampled {} nodes x {} chains, {} sweeps in {:.3f} s ({:.3f} s observing): {:.3g} flips/ns ({} backend, "
             "{} threads)\n",
             r.model->size(), run.chains, run.sweeps, run.seconds, run.observe_seconds, run.flips_per_ns, run.backend,
             run.threads);
  if (run.bits)
    fmt::print("sampled the model quantized to {} bits: step {:.6g}, largest rounding error {:.3g}\n", run.bits,
               run.scale, run.quantization_error);
  if (!run.ladder.empty())
    fmt::print("tempering: {} replicas, beta factors {:.3g}; swap rates {:.3f}\n", run.ladder.size(),
               fmt::join(run.ladder, " "), fmt::join(run.swap_rates, " "));
  fmt::print("energy {:.6g} +- {:.3g} (std); wrote {}\n", r.energy_mean, r.energy_std, fmt::join(written, ", "));
  const auto diagnostics = r.diagnostics();
  if (!diagnostics.contains("energy")) return;
  const auto& e = diagnostics["energy"];
  auto number = [](const nlohmann::json& v) { return v.is_number() ? fmt::format("{:.4g}", double(v)) : "n/a"; };
  fmt::print("energy mean +- {} (MCSE; ESS {}, R-hat {}); every statistic's diagnostics are in moments.json\n",
             number(e["mcse"]), number(e["ess"]), number(e["rhat"]));
}

void run_sample(SampleArgs& args) {
  const auto model = api::load(args.model);
  api::SampleOptions& o = args.options;
  o.model_name = args.model.source;
  if (args.blocks != "auto") {
    o.blocks = api::load_blocks_file(args.blocks);
    o.blocks_source = args.blocks;
  }
  if (!args.anneal.empty()) o.anneal = api::Anneal{args.anneal, *args.beta_start};
  const bool out_existed = std::filesystem::exists(args.out);
  const auto out_dir = prepare_out_dir(args.out);
  const double flips_per_sweep = double(model->free_count()) * o.chains;
  Progress progress(!args.quiet && stderr_is_terminal(), flips_per_sweep);
  o.progress = [&](int64_t done, int64_t total) { progress.update(done, total); };
  const api::SampleResult r = [&] {
    try {
      return api::sample(model, o);
    } catch (const Interrupted&) {
      std::error_code ec;
      if (!out_existed) std::filesystem::remove(out_dir, ec);  // stopped before writing: no empty folder left
      throw;
    }
  }();
  progress.finish();
  const auto written = api::save(r, out_dir.string());
  if (!args.quiet) print_summary(r, written);
  for (const auto& warning : r.warnings()) fmt::print(stderr, "tsu sample: warning: {}\n", warning);
  print_marginals(*model, r.marginals, args.show);
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto args = std::make_shared<SampleArgs>();
  auto* cmd = app.add_subcommand("sample", "Block-Gibbs sampling with many chains; writes DIR/moments.json");
  cmd->footer(
      "Examples:\n"
      "  tsu sample examples/small.json --out out/small\n"
      "  tsu sample grid:70:G12 --chains 128 --samples 200 --every 5 --beta 0.5 --out out/grid --save-samples");
  add_model_options(*cmd, args->model);
  cmd->add_option("--bits", args->options.bits,
                  "Sample the model with every weight rounded to a signed B-bit grid, one step per model (2-16; "
                  "as `tsu quantize` writes it)");
  cmd->add_option("--chains", args->options.chains, "Independent chains")->capture_default_str()->check(at_least(1));
  add_schedule_options(*cmd, args->options.schedule);
  cmd->add_option("--seed", args->options.seed, "Seed of the sampling streams (results do not depend on --threads)")
      ->capture_default_str();
  cmd->add_option("--threads", args->options.threads, "Worker threads (0 = every core)")
      ->capture_default_str()
      ->check(at_least(0));
  cmd->add_option("--out", args->out, "Output folder (created if missing)")->required();
  cmd->add_flag("--save-samples", args->options.save_samples, "Also write DIR/samples.npy, shape [samples, chains, nodes]");
  cmd->add_option("--backend", args->options.backend, "Sampling backend")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "reference", "fast"}));
  cmd->add_option("--init", args->options.init,
                  "Initial states: uniform, hinton (each node from its own biases), or FILE.npy "
                  "(any integer dtype, [chains, nodes], [chains, ...] or [nodes]; spins -1/+1, or 0/1 and 0/255 in "
                  "unsigned arrays; categoricals 0..K-1; clamps win)")
      ->capture_default_str();
  cmd->add_option("--blocks", args->blocks,
                  "auto (the model's blocks, else DSATUR colouring) or FILE.json with {\"blocks\": [[...], ...]}")
      ->capture_default_str();
  auto* anneal = cmd->add_option("--anneal", args->anneal, "Anneal beta over the warmup sweeps: linear or geometric")
                     ->check(CLI::IsMember({"linear", "geometric"}));
  cmd->add_option("--beta-start", args->beta_start, "Beta at the first sweep when annealing")->needs(anneal);
  anneal->needs("--beta-start");
  cmd->add_option("--tempering", args->options.tempering,
                  "Parallel tempering: K replicas of every chain (2-64) on a geometric ladder of beta factors from "
                  "--tempering-lowest to 1; the cold replicas are observed, and the swap rates reported");
  cmd->add_option("--tempering-lowest", args->options.tempering_lowest, "The ladder's lowest beta factor, in (0, 1)")
      ->capture_default_str();
  cmd->add_option("--tempering-every", args->options.tempering_every, "Sweeps between swap rounds")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--tempering-ladder", args->options.tempering_ladder,
                  "The beta factors themselves, ascending to 1 (comma-separated; replaces --tempering)")
      ->delimiter(',');
  cmd->add_option("--autocorr", args->options.autocorr, "Autocorrelation of: energy, magnetization (comma-separated)")
      ->delimiter(',')
      ->check(CLI::IsMember({"energy", "magnetization"}));
  cmd->add_option("--show", args->show, "Print the marginals of the first N nodes")->check(at_least(0));
  cmd->add_flag("--quiet", args->quiet, "No progress line and no summary");
  cmd->callback([args] { run_sample(*args); });
}

}  // namespace tsu::cli
