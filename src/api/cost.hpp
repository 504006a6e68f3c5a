// The energy and cost calculators through the API: LLM use at scale, GPU roofline inference, GPU vs
// ASIC vs TSU per task, and energy per generated sample on a GPU. A preset fills every input with its
// source; a JSON config and single values override any of them, each recorded as the new source.
// `tsu cost llm|infer|asic|gpu|list` and Python's tsu.cost wrap these calls.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cost/fields.hpp"

namespace tsu::api {

struct CostOptions {
  std::string calculator;              // llm, infer, asic or gpu
  std::string preset;                  // llm: scenario, asic: task, gpu: GPU; "" = today, llama8b-token, h100
  std::string model = "llama-70b";     // infer
  std::string gpu = "h100";            // infer
  std::string precision = "fp32";      // gpu: the peak used (fp32, tf32, bf16)
  std::vector<std::string> platforms;  // asic; empty = the task's own
  std::string config;                  // a JSON file {"key": number, ...} applied first
  std::map<std::string, double> values;  // then these inputs, by field key (e.g. "tokens_in")
};

// Every input with its source and every output. Error naming the option or config key at fault.
cost::Report cost(const CostOptions& options);

struct CostField {
  std::string key, unit, help;
};

// The inputs of a calculator, for front ends to offer as options (their values and sources are in
// the report).
std::vector<CostField> cost_fields(const std::string& calculator);

// Every preset with its sources: {llm, gpus, models, asic_tasks, gpu_presets}.
nlohmann::json cost_presets();

}  // namespace tsu::api
