// tsu compare: the DTM on a TSU against neural generators on a GPU, at matched quality
// (docs/compare.md). Parses the options, calls api::compare (which loads the neural baselines'
// library) and prints the summary.
#include <cmath>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/neural.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "interrupt.hpp"
#include "progress.hpp"

namespace tsu::cli {

namespace {

struct CompareArgs {
  api::CompareOptions options;
  std::vector<std::string> extras;  // --extra specs
  bool quiet = false;
};

// "38.4 [36.1, 40.9]", or the value alone when it has no interval.
std::string with_interval(double value, const std::optional<ml::Interval>& ci, const char* spec = "{:.3g}") {
  const std::string v = fmt::format(fmt::runtime(spec), value);
  if (!ci) return v;
  return fmt::format("{} [{}, {}]", v, fmt::format(fmt::runtime(spec), ci->lo), fmt::format(fmt::runtime(spec), ci->hi));
}

void print_summary(const cost::CompareRun& run) {
  fmt::print("\nverdict:\n");
  for (const std::string& line : cost::verdict(run)) fmt::print("  {}\n", line);
  fmt::print("\n{:<22} {:<10} {:>22} {:>6} {:>6} {:>12} {:>12}\n", "model", "family", "FD [95 % CI]", "prec",
             "recall", "J/sample", "$/1M");
  for (const cost::CompareModel& m : run.models)
    fmt::print("{:<22} {:<10} {:>22} {:>6.3f} {:>6.3f} {:>12.3g} {:>12.3g}{}\n", m.name, m.family,
               with_interval(m.quality.fd, m.quality.fd_ci, "{:.4g}"), m.quality.precision.value_or(NAN),
               m.quality.recall.value_or(NAN), m.energy.primary, m.usd_per_million.total_usd,
               cost::failed(m.quality) ? "  failed" : "");
  fmt::print("\nenergy at the DTM's quality (family / DTM, primary bound):\n");
  for (const cost::MatchedRatio& r : cost::matched_ratios(run)) {
    if (r.bound != "primary") continue;
    if (r.ratio)
      fmt::print("  {:<22} vs {:<10} {:>24}x   ({})\n", r.reference, r.family, with_interval(*r.ratio, r.ratio_ci),
                 r.note);
    else if (r.limit)
      fmt::print("  {:<22} vs {:<10} {:>2} {:>21.3g}x   (at FD {:.4g}; {})\n", r.reference, r.family,
                 r.limit->kind == "at_least" ? ">=" : "<=", r.limit->value, r.limit->at_fd, r.note);
    else
      fmt::print("  {:<22} vs {:<10} {:>24}    ({})\n", r.reference, r.family, "-", r.note);
  }
}

void run_compare(CompareArgs& args) {
  api::CompareOptions& o = args.options;
  for (const std::string& spec : args.extras) o.extras.push_back(api::parse_extra_model(spec));
  prepare_out_dir(o.out);
  o.progress = step_progress(!args.quiet && stderr_is_terminal());
  o.log = [quiet = args.quiet](const std::string& line) {
    if (!quiet) fmt::print("{}\n", line);
    stop_if_interrupted();
  };
  const api::CompareResult r = api::compare(o);
  if (args.quiet) return;
  print_summary(r.run);
  fmt::print("\nwrote {}, {} and {}\n", r.files.json, r.files.png, r.files.html);
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  auto& o = args->options;
  auto* cmd = app.add_subcommand(
      "compare", "DTM on a TSU vs VAE/GAN/diffusion on a GPU: quality, energy, latency, dollars at matched quality");
  cmd->footer(
      "Example: tsu compare --scale demo --out out/compare   (see docs/compare.md)\n"
      "Scales: tiny (seconds; tests), demo (minutes), full (the paper's sizes: hours to days on 2 cores).");
  cmd->add_option("--scale", o.scale, "tiny, demo or full")->capture_default_str();
  cmd->add_option("--out", o.out, "Output folder (runs resume from it)")->required();
  cmd->add_option("--dtm", o.dtm, "A trained DTM run folder (tsu dtm train --out DIR) instead of training one");
  cmd->add_option("--families", o.families, "Baselines to run: vae, gan, diffusion, bernoulli, mixture")
      ->delimiter(',')
      ->check(CLI::IsMember(api::kBaselineFamilies))
      ->capture_default_str();
  cmd->add_option("--extra", args->extras,
                  "Your own model: NAME=SAMPLES.npy:FLOPS:BYTES[:WEIGHT_BYTES] per sample (repeatable; the samples "
                  "are [n, 28, 28] or [n, 784], floats in [0, 1] or integers 0/1)");
  cmd->add_option("--cache", o.cache, "Classifier cache folder (default $TSU_CACHE or ~/.cache/tsu)");
  cmd->add_option("--device", o.device, "TSU device preset or tsu-device-v1 file")->capture_default_str();
  cmd->add_option("--gpu", o.gpu, "GPU preset: h100, b200, a100, rtx3090")->capture_default_str();
  cmd->add_option("--precision", o.precision, "GPU peak used: fp32, tf32, bf16, fp8")->capture_default_str();
  cmd->add_option("--batch", o.batch, "Samples a GPU generates together")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--samples", o.samples, "Samples per model (0 = the scale's; a multiple of 10)");
  cmd->add_option("--seed", o.seed, "Seed of generation and of the metric's reference")->capture_default_str();
  cmd->add_option("--bootstrap", o.bootstrap, "Bootstrap replicates behind every interval (0 = none)")
      ->check(at_least(0))
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "Threads (0 = every core)")->check(at_least(0));
  cmd->add_flag("--quiet", args->quiet, "Print nothing but errors");
  cmd->callback([args] { run_compare(*args); });
}

}  // namespace tsu::cli
