// tsu cost llm|infer|asic|gpu|list: the back-of-the-envelope energy and cost models, with every input
// shown beside its source (src/cost). Presets fill the inputs; --config FILE.json and --KEY options
// override any of them.
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "commands.hpp"
#include "cost/asic.hpp"
#include "cost/gpu.hpp"
#include "cost/infer.hpp"
#include "cost/llm.hpp"
#include "graph/model.hpp"

namespace tsu::cli {

namespace {

using namespace tsu::cost;

constexpr const char* kCommandLine = " (command line)";
constexpr const char* kConfigPrefix = "config ";

struct CostArgs {
  std::string preset;                 // llm: scenario; asic: task
  std::string model = "llama-70b";    // infer
  std::string gpu = "h100";           // infer, gpu
  std::string precision = "fp32";     // gpu
  std::vector<std::string> platforms; // asic; empty = the task's own
  std::string config;
  bool json = false;
  std::map<std::string, double> values;  // --KEY options given, by field key
};

// tsu::Error for an InputError, naming the option or the config key that set the field.
[[noreturn]] void rethrow(const std::string& command, const InputError& e, const Sources& sources) {
  const std::string detail = std::string(e.what()).substr(e.field.size() + 2);
  const auto it = sources.find(e.field);
  const std::string source = it == sources.end() ? "" : it->second;
  if (source.starts_with(kConfigPrefix))
    throw Error(fmt::format("cost {}: {}: \"{}\": {}", command, source.substr(std::string_view(kConfigPrefix).size()), e.field, detail));
  const bool user_set = source.ends_with(kCommandLine);
  throw Error(fmt::format("cost {}: {}: {}{}", command, option_name(e.field), detail,
                          user_set || source.empty() ? "" : " (default from: " + source + ")"));
}

nlohmann::json read_config(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw Error(fmt::format("{}: cannot open the config file", path));
  try {
    return nlohmann::json::parse(file);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
}

// --config first, then the --KEY options, each recorded as the source of what it sets.
void apply_overrides(const std::string& command, const std::vector<Field>& fields, const CostArgs& args,
                     Sources& sources) {
  if (!args.config.empty()) {
    try {
      apply_json(fields, read_config(args.config), sources, kConfigPrefix + args.config);
    } catch (const InputError& e) {
      throw Error(fmt::format("cost {}: {}: {}", command, args.config, e.what()));
    }
  }
  for (const auto& [key, value] : args.values) {
    for (const Field& f : fields) {
      if (f.key != key) continue;
      *f.value = value;
      sources[key] = option_name(key) + kCommandLine;
    }
  }
}

void add_field_options(CLI::App& cmd, const std::vector<Field>& fields, const std::shared_ptr<CostArgs>& args) {
  for (const Field& f : fields) {
    const std::string help = f.help + (f.unit.empty() ? "" : " [" + f.unit + "]");
    cmd.add_option_function<double>(option_name(f.key), [args, key = f.key](const double& v) { args->values[key] = v; },
                                    help);
  }
}

void add_output_options(CLI::App& cmd, const std::shared_ptr<CostArgs>& args) {
  cmd.add_option("--config", args->config, "JSON file {\"key\": number, ...} overriding the preset's inputs");
  cmd.add_flag("--json", args->json, "Print JSON instead of a table");
}

void print_report(const Report& report, bool json) {
  fmt::print("{}", json ? to_json(report).dump(2) + "\n" : format_table(report));
}

void run_llm(const CostArgs& args) {
  Sources sources;
  try {
    const LlmPreset& preset = llm_preset(args.preset);
    LlmInputs in = preset.inputs;
    sources = preset.sources;
    apply_overrides("llm", llm_fields(in), args, sources);
    print_report(llm_report(preset, in, sources), args.json);
  } catch (const InputError& e) {
    rethrow("llm", e, sources);
  }
}

void run_infer(const CostArgs& args) {
  Sources sources;
  try {
    const ModelSpec& model = model_spec(args.model);
    const GpuSpec& gpu = gpu_spec(args.gpu);
    InferInputs in = infer_inputs(model, gpu, 1, sources);
    apply_overrides("infer", infer_fields(in), args, sources);
    if (in.bytes_per_param != 1) {  // the GPU's peak depends on the operand width
      in = infer_inputs(model, gpu, in.bytes_per_param, sources);
      apply_overrides("infer", infer_fields(in), args, sources);
    }
    print_report(infer_report(model.name + " on " + gpu.name, in, sources), args.json);
  } catch (const InputError& e) {
    rethrow("infer", e, sources);
  }
}

void run_asic(const CostArgs& args) {
  Sources sources;
  try {
    const AsicTask& task = asic_task(args.preset);
    const std::vector<std::string> platforms = args.platforms.empty() ? task.platforms : args.platforms;
    AsicInputs in = task.inputs;
    sources = task.sources;
    apply_overrides("asic", asic_fields(in, {"gpu", "asic", "tsu"}), args, sources);
    print_report(asic_report(task, in, platforms, sources), args.json);
  } catch (const InputError& e) {
    rethrow("asic", e, sources);
  }
}

void run_gpu(const CostArgs& args) {
  Sources sources;
  try {
    const GpuPreset& gpu = gpu_preset(args.gpu);
    GpuInputs in = gpu_inputs(gpu, parse_precision(args.precision), sources);
    apply_overrides("gpu", gpu_fields(in), args, sources);
    print_report(gpu_report(gpu.name + " " + args.precision, in, sources), args.json);
  } catch (const InputError& e) {
    rethrow("gpu", e, sources);
  }
}

nlohmann::json presets_json() {
  nlohmann::json llm = nlohmann::json::array(), gpus = nlohmann::json::array(), models = nlohmann::json::array(),
                 tasks = nlohmann::json::array(), generators = nlohmann::json::array();
  for (const LlmPreset& p : llm_presets())
    llm.push_back({{"name", p.name}, {"summary", p.summary}, {"claim", p.claim}, {"sources", p.sources}});
  for (const GpuSpec& g : gpu_specs()) {
    nlohmann::json peaks = nlohmann::json::object();
    for (const GpuPeak& p : g.peaks) peaks[p.precision] = p.flops;
    gpus.push_back({{"name", g.name}, {"summary", g.summary}, {"bandwidth", g.bandwidth}, {"tdp_w", g.tdp_w},
                    {"memory_bytes", g.memory_bytes}, {"peak_flops", peaks}, {"source", g.source}});
  }
  for (const ModelSpec& m : model_specs())
    models.push_back({{"name", m.name}, {"params", m.params}, {"source", m.source}});
  for (const AsicTask& t : asic_tasks())
    tasks.push_back({{"name", t.name}, {"summary", t.summary}, {"platforms", t.platforms}, {"sources", t.sources}});
  for (const GpuPreset& g : gpu_presets())
    generators.push_back({{"name", g.name}, {"summary", g.summary},
                          {"peak_flops", {{"fp32", g.fp32}, {"tf32", g.tf32}, {"bf16", g.bf16}}},
                          {"bandwidth", g.bandwidth}, {"power_w", g.power_w}, {"card_usd", g.card_usd},
                          {"sources", g.sources}});
  return {{"llm", llm}, {"gpus", gpus}, {"models", models}, {"asic_tasks", tasks}, {"gpu_presets", generators}};
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
  fmt::print("tsu cost gpu --preset NAME --precision fp32|tf32|bf16\n");
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

  auto llm = std::make_shared<CostArgs>();
  llm->preset = "today";
  auto* llm_cmd = cost->add_subcommand("llm", "Energy of LLM use at scale: E = 2 P N M eps, as power and grid share");
  llm_cmd->add_option("--preset", llm->preset, "Scenario: today, assistant, video, arc-agi, expert")
      ->capture_default_str();
  LlmInputs llm_sample{};
  add_field_options(*llm_cmd, llm_fields(llm_sample), llm);
  add_output_options(*llm_cmd, llm);
  llm_cmd->callback([llm] { run_llm(*llm); });

  auto infer = std::make_shared<CostArgs>();
  auto* infer_cmd = cost->add_subcommand("infer", "Roofline of transformer decoding on one GPU");
  infer_cmd->add_option("--model", infer->model, "Model: llama-70b, llama-8b, llama-405b")->capture_default_str();
  infer_cmd->add_option("--gpu", infer->gpu, "GPU: h100, b200, a100, rtx3090")->capture_default_str();
  InferInputs infer_sample{};
  add_field_options(*infer_cmd, infer_fields(infer_sample), infer);
  add_output_options(*infer_cmd, infer);
  infer_cmd->callback([infer] { run_infer(*infer); });

  auto asic = std::make_shared<CostArgs>();
  asic->preset = "llama8b-token";
  auto* asic_cmd = cost->add_subcommand("asic", "Dollars and energy per task: GPU vs hardwired ASIC vs TSU, break-even");
  asic_cmd->add_option("--task", asic->preset, "Task: llama8b-token, fmnist-sample")->capture_default_str();
  asic_cmd->add_option("--platforms", asic->platforms, "Platforms to compare, e.g. gpu,asic,tsu (default: the task's)")
      ->delimiter(',');
  AsicInputs asic_sample{};
  add_field_options(*asic_cmd, asic_fields(asic_sample, {"gpu", "asic", "tsu"}), asic);
  add_output_options(*asic_cmd, asic);
  asic_cmd->callback([asic] { run_asic(*asic); });

  auto gpu = std::make_shared<CostArgs>();
  auto* gpu_cmd = cost->add_subcommand(
      "gpu", "Energy per generated sample on a GPU: ideal and roofline bounds, latency, dollars per million");
  gpu_cmd->add_option("--preset", gpu->gpu, "GPU: h100, b200, a100, rtx3090")->capture_default_str();
  gpu_cmd->add_option("--precision", gpu->precision, "Peak used: fp32, tf32, bf16 (= fp16)")->capture_default_str();
  GpuInputs gpu_sample{};
  add_field_options(*gpu_cmd, gpu_fields(gpu_sample), gpu);
  add_output_options(*gpu_cmd, gpu);
  gpu_cmd->callback([gpu] { run_gpu(*gpu); });

  auto list_json = std::make_shared<bool>(false);
  auto* list_cmd = cost->add_subcommand("list", "List the presets with their sources");
  list_cmd->add_flag("--json", *list_json, "Print JSON instead of a table");
  list_cmd->callback([list_json] {
    if (*list_json) fmt::print("{}\n", presets_json().dump(2));
    else print_presets_table();
  });
}

}  // namespace tsu::cli
