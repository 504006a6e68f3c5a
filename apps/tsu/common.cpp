#include "common.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>

namespace tsu::cli {

CLI::Validator at_least(int64_t least) {
  auto check = [least](const std::string& text) -> std::string {
    int64_t value = 0;
    if (!CLI::detail::lexical_cast(text, value)) return fmt::format("expected an integer, got {}", text);
    return value >= least ? "" : fmt::format("must be >= {}, got {}", least, text);
  };
  return CLI::Validator(check, fmt::format(">={}", least));
}

void add_schedule_options(CLI::App& cmd, Schedule& schedule) {
  cmd.add_option("--warmup", schedule.warmup, "Sweeps before the first observation")
      ->capture_default_str()
      ->check(at_least(0));
  cmd.add_option("--samples", schedule.samples, "Observations per chain")->capture_default_str()->check(at_least(1));
  cmd.add_option("--every", schedule.every, "Sweeps between observations")->capture_default_str()->check(at_least(1));
}

void add_model_options(CLI::App& cmd, ModelArgs& args, bool with_beta) {
  cmd.add_option("MODEL", args.source,
                 "Model file (tsu-model-v1 JSON or Ising edge list), or a topology spec: grid:L:RULE[:open|:torus] "
                 "(RULE = G8..G24), rr:N:DEGREE")
      ->required();
  cmd.add_option("--j-sigma", args.j_sigma, "Spec models: standard deviation of the Gaussian couplings")
      ->capture_default_str();
  cmd.add_option("--h-sigma", args.h_sigma, "Spec models: standard deviation of the Gaussian biases")
      ->capture_default_str();
  cmd.add_option("--model-seed", args.model_seed, "Spec models: seed of the graph and its weights")
      ->capture_default_str();
  if (with_beta) cmd.add_option("--beta", args.beta, "Inverse temperature (default: the model's own beta)");
}

Model load_model_arg(const ModelArgs& args) { return *api::load(args); }

void print_marginals(const Model& model, const std::vector<std::vector<double>>& marginals, int count) {
  for (size_t i = 0; i < std::min(marginals.size(), size_t(std::max(count, 0))); ++i) {
    const auto& p = marginals[i];
    const char* clamped = model.is_clamped(i) ? "  (clamped)" : "";
    if (model.nodes[i].is_spin())
      fmt::print("  node {:>5}  P(s=+1) = {:.4f}{}\n", i, p[1], clamped);
    else
      fmt::print("  node {:>5}  P(k)    = {:.4f}{}\n", i, fmt::join(p, " "), clamped);
  }
}

std::filesystem::path prepare_out_dir(const std::string& dir) {
  return with_context("--out", [&] { return prepare_dir(dir); });
}

}  // namespace tsu::cli
