// `tsu cost infer`: roofline of transformer decoding on one GPU. Each step reads every weight once
// (plus each sequence's KV cache) and does 2 FLOPs per parameter per sequence in the batch.
#pragma once

#include <string>
#include <vector>

#include "cost/fields.hpp"

namespace tsu::cost {

struct GpuPeak {
  double bytes_per_param;  // the operand width this peak is for
  std::string precision;   // "FP8", "BF16", ...
  double flops;            // dense peak, FLOP/s
};

struct GpuSpec {
  std::string name;
  std::string summary;
  double bandwidth;      // B/s
  double tdp_w;
  double memory_bytes;
  std::vector<GpuPeak> peaks;  // narrowest first
  std::string source;
};

struct ModelSpec {
  std::string name;
  double params;
  std::string source;
};

const std::vector<GpuSpec>& gpu_specs();
const std::vector<ModelSpec>& model_specs();
const GpuSpec& gpu_spec(const std::string& name);      // InputError("gpu") if unknown
const ModelSpec& model_spec(const std::string& name);  // InputError("model") if unknown

// The GPU's peak for operands of `bytes_per_param`; without an exact entry, the next wider one
// (a GPU without an 8-bit path computes 8-bit weights at its 16-bit rate).
const GpuPeak& peak_for(const GpuSpec& gpu, double bytes_per_param);

struct InferInputs {
  double params;
  double bytes_per_param;
  double batch;             // sequences decoded together
  double kv_bytes_per_seq;  // KV cache read per sequence per step
  double peak_flops;        // FLOP/s
  double bandwidth;         // B/s
  double tdp_w;
  double memory_bytes;
  double mfu;               // achieved fraction of peak FLOP/s
  double mbu;               // achieved fraction of peak bandwidth
  double target_ms;         // latency target per token
};

// Inputs for `model` on `gpu` at `bytes_per_param`, with their sources filled in.
InferInputs infer_inputs(const ModelSpec& model, const GpuSpec& gpu, double bytes_per_param, Sources& sources);
std::vector<Field> infer_fields(InferInputs& in);

struct InferResult {
  double weight_bytes;
  double bytes_per_step;
  double flop_per_step;
  double intensity;             // FLOP/byte of one step
  double ridge;                 // peak_flops / bandwidth
  double t_compute_s;
  double t_memory_s;
  double t_step_s;              // = latency per token
  double tokens_per_s;
  double j_per_token;           // at TDP
  double achieved_mfu;          // FLOPs done / (peak * t_step)
  double bandwidth_for_target;  // B/s of peak bandwidth needed for target_ms at this MBU
  double critical_batch;        // batch where compute time reaches memory time (inf if never)
  bool memory_bound;
  bool fits_in_memory;          // weights + KV cache
};

InferResult compute_infer(const InferInputs& in);  // validates
Report infer_report(const std::string& preset, const InferInputs& in, const Sources& sources);

}  // namespace tsu::cost
