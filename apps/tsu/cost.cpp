// tsu cost llm|infer|asic|gpu|list: the back-of-the-envelope energy and cost models, with every input
// shown beside its source (src/cost). Presets fill the inputs; --config FILE.json and --KEY options
// override any of them.
#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/cost.hpp"
#include "commands.hpp"
#include "cost/asic.hpp"
#include "cost/gpu.hpp"
#include "cost/infer.hpp"
#include "cost/llm.hpp"

namespace tsu::cli {

namespace {

using namespace tsu::cost;

struct CostArgs {
  api::CostOptions options;
  bool json = false;
};

void add_field_options(CLI::App& cmd, const std::shared_ptr<CostArgs>& args) {
  for (const api::CostField& f : api::cost_fields(args->options.calculator)) {
    const std::string help = f.help + (f.unit.empty() ? "" : " [" + f.unit + "]");
    cmd.add_option_function<double>(option_name(f.key), [args, key = f.key](const double& v) { args->options.values[key] = v; },
                                    help);
  }
}

void add_output_options(CLI::App& cmd, const std::shared_ptr<CostArgs>& args) {
  cmd.add_option("--config", args->options.config, "JSON file {\"key\": number, ...} overriding the preset's inputs");
  cmd.add_flag("--json", args->json, "Print JSON instead of a table");
}

void run_cost(const CostArgs& args) {
  const Report report = api::cost(args.options);
  fmt::print("{}", args.json ? to_json(report).dump(2) + "\n" : format_table(report));
}

std::shared_ptr<CostArgs> cost_args(const std::string& calculator) {
  auto args = std::make_shared<CostArgs>();
  args->options.calculator = calculator;
  return args;
}

void print_presets_table() {
  fmt::print("tsu cost llm --preset NAME\n");
  for (const LlmPreset& p : llm_presets()) fmt::print("  {:<10} {}\n  {:<10} {}\n", p.name, p.summary, "", p.claim);
  fmt::print("tsu cost infer --gpu NAME\n");
  for (const GpuSpec& g : gpu_specs()) fmt::print("  {:<10} {}\n  {:<10} {}\n", g.name, g.summary, "", g.source);
  fmt::print("tsu cost infer --model NAME\n");
  for (const ModelSpec& m : model_specs()) fmt::print("  {:<10} {:.4g} parameters: {}\n", m.name, m.params, m.source);
  fmt::print("tsu cost asic --task NAME\n");
  for (const AsicTask& t : asic_tasks()) fmt::print("  {:<13} {}\n", t.name, t.summary);
  fmt::print("tsu cost gpu --preset NAME --precision fp32|tf32|bf16|fp8\n");
  for (const GpuPreset& g : gpu_presets()) {
    fmt::print("  {:<10} {}: {:.4g} / {:.4g} / {:.4g} FLOP/s, {:.4g} B/s, {:g} W, ${:g}\n", g.name, g.summary, g.fp32,
               g.tf32, g.bf16, g.bandwidth, g.power_w, g.card_usd);
    for (const auto& [key, source] : g.sources) fmt::print("  {:<10}   {}: {}\n", "", key, source);
  }
  fmt::print("Each command prints every input with its source; H&C = ../shared/reference/hardware-and-cost.md.\n");
}

}  // namespace

void add_cost_command(CLI::App& app) {
  auto* cost = app.add_subcommand("cost", "Energy and cost calculators (LLM at scale, GPU roofline, ASIC vs GPU vs TSU, GPU generators)");
  cost->require_subcommand(1);
  cost->footer("Every input can be overridden with --KEY VALUE or --config FILE.json; see docs/cost.md.");

  auto llm = cost_args("llm");
  llm->options.preset = "today";
  auto* llm_cmd = cost->add_subcommand("llm", "Energy of LLM use at scale: E = 2 P N M eps, as power and grid share");
  llm_cmd->add_option("--preset", llm->options.preset, "Scenario: today, assistant, video, arc-agi, expert")
      ->capture_default_str();
  add_field_options(*llm_cmd, llm);
  add_output_options(*llm_cmd, llm);
  llm_cmd->callback([llm] { run_cost(*llm); });

  auto infer = cost_args("infer");
  auto* infer_cmd = cost->add_subcommand("infer", "Roofline of transformer decoding on one GPU");
  infer_cmd->add_option("--model", infer->options.model, "Model: llama-70b, llama-8b, llama-405b")->capture_default_str();
  infer_cmd->add_option("--gpu", infer->options.gpu, "GPU: h100, b200, a100, rtx3090")->capture_default_str();
  add_field_options(*infer_cmd, infer);
  add_output_options(*infer_cmd, infer);
  infer_cmd->callback([infer] { run_cost(*infer); });

  auto asic = cost_args("asic");
  asic->options.preset = "llama8b-token";
  auto* asic_cmd = cost->add_subcommand("asic", "Dollars and energy per task: GPU vs hardwired ASIC vs TSU, break-even");
  asic_cmd->add_option("--task", asic->options.preset, "Task: llama8b-token, fmnist-sample")->capture_default_str();
  asic_cmd->add_option("--platforms", asic->options.platforms, "Platforms to compare, e.g. gpu,asic,tsu (default: the task's)")
      ->delimiter(',');
  add_field_options(*asic_cmd, asic);
  add_output_options(*asic_cmd, asic);
  asic_cmd->callback([asic] { run_cost(*asic); });

  auto gpu = cost_args("gpu");
  gpu->options.preset = "h100";
  auto* gpu_cmd = cost->add_subcommand(
      "gpu", "Energy per generated sample on a GPU: ideal and roofline bounds, latency, dollars per million");
  gpu_cmd->add_option("--preset", gpu->options.preset, "GPU: h100, b200, a100, rtx3090")->capture_default_str();
  gpu_cmd->add_option("--precision", gpu->options.precision, "Peak used: fp32, tf32, bf16 (= fp16), fp8 (H100, B200)")->capture_default_str();
  add_field_options(*gpu_cmd, gpu);
  add_output_options(*gpu_cmd, gpu);
  gpu_cmd->callback([gpu] { run_cost(*gpu); });

  auto list_json = std::make_shared<bool>(false);
  auto* list_cmd = cost->add_subcommand("list", "List the presets with their sources");
  list_cmd->add_flag("--json", *list_json, "Print JSON instead of a table");
  list_cmd->callback([list_json] {
    if (*list_json) fmt::print("{}\n", api::cost_presets().dump(2));
    else print_presets_table();
  });
}

}  // namespace tsu::cli
