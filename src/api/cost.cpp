#include "api/cost.hpp"
#include "util/json.hpp"

#include <fmt/format.h>
#include <string_view>

#include "cost/asic.hpp"
#include "cost/gpu.hpp"
#include "cost/infer.hpp"
#include "cost/llm.hpp"
#include "util/error.hpp"

namespace tsu::api {

namespace {

using namespace tsu::cost;

constexpr const char* kGiven = " (command line)";
constexpr const char* kConfigPrefix = "config ";

// tsu::Error for an InputError, naming the option or the config key that set the field.
[[noreturn]] void rethrow(const std::string& calculator, const InputError& e, const Sources& sources) {
  const std::string detail = std::string(e.what()).substr(e.field.size() + 2);
  const auto it = sources.find(e.field);
  const std::string source = it == sources.end() ? "" : it->second;
  if (source.starts_with(kConfigPrefix))
    throw Error(fmt::format("cost {}: {}: \"{}\": {}", calculator, source.substr(std::string_view(kConfigPrefix).size()),
                            e.field, detail));
  if (source.starts_with("required: "))  // never given: say so, not "nan is not finite"
    throw Error(fmt::format("cost {}: {} is required ({}; or in a --config file as \"{}\")", calculator,
                            option_name(e.field), source.substr(10), e.field));
  const bool user_set = source.ends_with(kGiven);
  throw Error(fmt::format("cost {}: {}: {}{}", calculator, option_name(e.field), detail,
                          user_set || source.empty() ? "" : " (default from: " + source + ")"));
}

// The config first, then the single values, each recorded as the source of what it sets.
void apply_overrides(const std::vector<Field>& fields, const CostOptions& o, Sources& sources) {
  if (!o.config.empty()) {
    try {
      apply_json(fields, read_json_file(o.config), sources, kConfigPrefix + o.config);
    } catch (const InputError& e) {
      throw Error(fmt::format("cost {}: {}: {}", o.calculator, o.config, e.what()));
    }
  }
  for (const auto& [key, value] : o.values) {
    bool known = false;
    for (const Field& f : fields) {
      if (f.key != key) continue;
      *f.value = value;
      sources[key] = option_name(key) + kGiven;
      known = true;
    }
    if (!known) throw Error(fmt::format("cost {}: no input \"{}\"", o.calculator, key));
  }
}

std::string preset_or(const CostOptions& o, const char* fallback) { return o.preset.empty() ? fallback : o.preset; }

Report llm(const CostOptions& o, Sources& sources) {
  const LlmPreset& preset = llm_preset(preset_or(o, "today"));
  LlmInputs in = preset.inputs;
  sources = preset.sources;
  apply_overrides(llm_fields(in), o, sources);
  return llm_report(preset, in, sources);
}

Report infer(const CostOptions& o, Sources& sources) {
  const ModelSpec& model = model_spec(o.model);
  const GpuSpec& gpu = gpu_spec(o.gpu);
  InferInputs in = infer_inputs(model, gpu, 1, sources);
  apply_overrides(infer_fields(in), o, sources);
  if (in.bytes_per_param != 1) {  // the GPU's peak depends on the operand width
    in = infer_inputs(model, gpu, in.bytes_per_param, sources);
    apply_overrides(infer_fields(in), o, sources);
  }
  return infer_report(model.name + " on " + gpu.name, in, sources);
}

Report asic(const CostOptions& o, Sources& sources) {
  const AsicTask& task = asic_task(preset_or(o, "llama8b-token"));
  const std::vector<std::string> platforms = o.platforms.empty() ? task.platforms : o.platforms;
  AsicInputs in = task.inputs;
  sources = task.sources;
  apply_overrides(asic_fields(in, {"gpu", "asic", "tsu"}), o, sources);
  return asic_report(task, in, platforms, sources);
}

Report gpu(const CostOptions& o, Sources& sources) {
  const GpuPreset& preset = gpu_preset(preset_or(o, "h100"));
  GpuInputs in = gpu_inputs(preset, parse_precision(o.precision), sources);
  apply_overrides(gpu_fields(in), o, sources);
  return gpu_report(preset.name + " " + o.precision, in, sources);
}

[[noreturn]] void unknown_calculator(const std::string& name) {
  throw Error(fmt::format("cost: expected llm, infer, asic or gpu, got \"{}\"", name));
}

}  // namespace

Report cost(const CostOptions& options) {
  Sources sources;
  try {
    if (options.calculator == "llm") return llm(options, sources);
    if (options.calculator == "infer") return infer(options, sources);
    if (options.calculator == "asic") return asic(options, sources);
    if (options.calculator == "gpu") return gpu(options, sources);
  } catch (const InputError& e) {
    rethrow(options.calculator, e, sources);
  }
  unknown_calculator(options.calculator);
}

std::vector<CostField> cost_fields(const std::string& calculator) {
  std::vector<Field> fields;
  LlmInputs llm{};
  InferInputs infer{};
  AsicInputs asic{};
  GpuInputs gpu{};
  if (calculator == "llm") fields = llm_fields(llm);
  else if (calculator == "infer") fields = infer_fields(infer);
  else if (calculator == "asic") fields = asic_fields(asic, {"gpu", "asic", "tsu"});
  else if (calculator == "gpu") fields = gpu_fields(gpu);
  else unknown_calculator(calculator);
  std::vector<CostField> out;
  for (const Field& f : fields) out.push_back({f.key, f.unit, f.help});
  return out;
}

nlohmann::json cost_presets() {
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
  for (const ModelSpec& m : model_specs()) models.push_back({{"name", m.name}, {"params", m.params}, {"source", m.source}});
  for (const AsicTask& t : asic_tasks())
    tasks.push_back({{"name", t.name}, {"summary", t.summary}, {"platforms", t.platforms}, {"sources", t.sources}});
  for (const GpuPreset& g : gpu_presets())
    generators.push_back({{"name", g.name}, {"summary", g.summary},
                          {"peak_flops", {{"fp32", g.fp32}, {"tf32", g.tf32}, {"bf16", g.bf16}}},
                          {"bandwidth", g.bandwidth}, {"power_w", g.power_w}, {"card_usd", g.card_usd},
                          {"sources", g.sources}});
  return {{"llm", llm}, {"gpus", gpus}, {"models", models}, {"asic_tasks", tasks}, {"gpu_presets", generators}};
}

}  // namespace tsu::api
