#include "cost/infer.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>

namespace tsu::cost {

namespace {

// H&C = ../shared/reference/hardware-and-cost.md §3.1 (dense peaks, TDP, memory bandwidth).
std::vector<GpuSpec> build_gpus() {
  return {
      {"h100", "NVIDIA H100 SXM, 80 GB HBM3", 3.35e12, 700, 80e9,
       {{1, "FP8", 1979e12}, {2, "BF16", 989e12}, {4, "FP32", 67e12}},
       "H&C §3.1: 700 W, 3.35 TB/s, FP8 1,979 / BF16 989 / FP32 67 TFLOPS dense (glennklockwood.com/garden/"
       "processors/h100; jared-hpc.com roofline post)"},
      {"b200", "NVIDIA B200 (HGX), 192 GB HBM3e", 8e12, 1000, 192e9,
       {{0.5, "FP4", 9e15}, {1, "FP8", 4.5e15}, {2, "BF16", 2.25e15}, {4, "FP32", 80e12}},
       "H&C §3.1: 1,000 W, 8 TB/s, FP4 9 / FP8 4.5 / BF16 2.25 PFLOPS dense, FP32 80 TFLOPS (NVIDIA sheet via "
       "glennklockwood.com/garden/processors/B200)"},
      {"a100", "NVIDIA A100 SXM4, 80 GB HBM2e", 2.039e12, 400, 80e9,
       {{2, "BF16", 312e12}, {4, "FP32", 19.5e12}},
       "H&C §3.1: 400 W, 2.039 TB/s (80 GB), BF16 312 / FP32 19.5 TFLOPS (A100 datasheet via glennklockwood.com/"
       "garden/processors/A100); no 8-bit peak listed"},
      {"rtx3090", "NVIDIA RTX 3090, 24 GB GDDR6X", 936e9, 350, 24e9,
       {{4, "FP32", 35.6e12}},
       "H&C §3.1: 350 W, 35.6 TFLOPS FP32 (codon paper arXiv:2606.17327); 19.5 Gb/s x 384 bit / 8 = 936 GB/s "
       "(fudzilla.net)"},
  };
}

std::vector<ModelSpec> build_models() {
  return {
      {"llama-70b", 70e9, "Llama 70B, nominal 70e9 parameters (the published 30 ms/token example)"},
      {"llama-8b", 8e9, "Llama 3.1 8B, the model Taalas HC1 hardwires (H&C §5.1)"},
      {"llama-405b", 405e9, "Llama 3.1 405B, nominal 405e9 parameters"},
  };
}

template <class Spec>
const Spec& find_spec(const std::vector<Spec>& specs, const std::string& name, const std::string& what) {
  std::string known;
  for (const Spec& s : specs) {
    if (s.name == name) return s;
    known += (known.empty() ? "" : ", ") + s.name;
  }
  throw InputError(what, fmt::format("unknown '{}' (known: {})", name, known));
}

}  // namespace

const std::vector<GpuSpec>& gpu_specs() {
  static const std::vector<GpuSpec> gpus = build_gpus();
  return gpus;
}

const std::vector<ModelSpec>& model_specs() {
  static const std::vector<ModelSpec> models = build_models();
  return models;
}

const GpuSpec& gpu_spec(const std::string& name) { return find_spec(gpu_specs(), name, "gpu"); }
const ModelSpec& model_spec(const std::string& name) { return find_spec(model_specs(), name, "model"); }

const GpuPeak& peak_for(const GpuSpec& gpu, double bytes_per_param) {
  for (const GpuPeak& p : gpu.peaks)
    if (p.bytes_per_param >= bytes_per_param) return p;
  return gpu.peaks.back();
}

InferInputs infer_inputs(const ModelSpec& model, const GpuSpec& gpu, double bytes_per_param, Sources& sources) {
  const GpuPeak& peak = peak_for(gpu, bytes_per_param);
  sources = {
      {"params", model.source},
      {"bytes_per_param", "1 = int8/FP8 weights (the published example); 2 = BF16"},
      {"batch", "1: one stream"},
      {"kv_bytes_per_seq", "0: KV-cache reads left out, as in the published examples (H&C §4.1)"},
      {"peak_flops", fmt::format("{} {} dense peak{}; {}", gpu.name, peak.precision,
                                 peak.bytes_per_param == bytes_per_param ? "" : " (no narrower path listed)",
                                 gpu.source)},
      {"bandwidth", gpu.summary + ", H&C §3.1 (sources under peak_flops)"},
      {"tdp_w", gpu.summary + ", H&C §3.1 (sources under peak_flops)"},
      {"memory_bytes", gpu.summary + ", H&C §3.1 (sources under peak_flops)"},
      {"mfu", "1: ideal roofline (H&C §3.2: prefill reaches 0.5-0.76)"},
      {"mbu", "1: ideal roofline (H&C §3.2: good serving stacks reach 0.6-0.85)"},
      {"target_ms", "30 ms/token (the published Llama-70B example)"},
  };
  return {.params = model.params, .bytes_per_param = bytes_per_param, .batch = 1, .kv_bytes_per_seq = 0,
          .peak_flops = peak.flops, .bandwidth = gpu.bandwidth, .tdp_w = gpu.tdp_w,
          .memory_bytes = gpu.memory_bytes, .mfu = 1, .mbu = 1, .target_ms = 30};
}

std::vector<Field> infer_fields(InferInputs& in) {
  return {
      {"params", "", "parameters read per step", &in.params},
      {"bytes_per_param", "B", "bytes per weight", &in.bytes_per_param},
      {"batch", "seqs", "sequences decoded per step", &in.batch},
      {"kv_bytes_per_seq", "B", "KV cache read per sequence per step", &in.kv_bytes_per_seq, Bound::non_negative},
      {"peak_flops", "FLOP/s", "dense peak at this precision", &in.peak_flops},
      {"bandwidth", "B/s", "peak memory bandwidth", &in.bandwidth},
      {"tdp_w", "W", "board power", &in.tdp_w},
      {"memory_bytes", "B", "GPU memory", &in.memory_bytes},
      {"mfu", "", "achievable fraction of peak FLOP/s", &in.mfu, Bound::fraction},
      {"mbu", "", "achievable fraction of peak bandwidth", &in.mbu, Bound::fraction},
      {"target_ms", "ms", "latency target per token", &in.target_ms},
  };
}

InferResult compute_infer(const InferInputs& in) {
  InferInputs copy = in;
  check_fields(infer_fields(copy));
  const double flops = in.peak_flops * in.mfu, bandwidth = in.bandwidth * in.mbu;
  InferResult r{};
  r.weight_bytes = in.params * in.bytes_per_param;
  r.bytes_per_step = r.weight_bytes + in.batch * in.kv_bytes_per_seq;
  r.flop_per_step = 2 * in.params * in.batch;
  r.intensity = r.flop_per_step / r.bytes_per_step;
  r.ridge = in.peak_flops / in.bandwidth;
  r.t_compute_s = r.flop_per_step / flops;
  r.t_memory_s = r.bytes_per_step / bandwidth;
  r.t_step_s = std::max(r.t_compute_s, r.t_memory_s);
  r.memory_bound = r.t_memory_s >= r.t_compute_s;
  r.tokens_per_s = in.batch / r.t_step_s;
  r.j_per_token = in.tdp_w * r.t_step_s / in.batch;
  r.achieved_mfu = r.flop_per_step / (in.peak_flops * r.t_step_s);
  r.bandwidth_for_target = r.bytes_per_step / (in.target_ms * 1e-3 * in.mbu);
  // Compute time 2 P B / F reaches memory time (P b + B kv) / W at B = (P b / W) / (2 P / F - kv / W).
  const double slope = 2 * in.params / flops - in.kv_bytes_per_seq / bandwidth;
  r.critical_batch = slope > 0 ? r.weight_bytes / bandwidth / slope : std::numeric_limits<double>::infinity();
  r.fits_in_memory = r.bytes_per_step <= in.memory_bytes;
  return r;
}

Report infer_report(const std::string& preset, const InferInputs& in, const Sources& sources) {
  const InferResult r = compute_infer(in);
  InferInputs copy = in;
  Report report{"infer", preset, "roofline of one decoding step", input_rows(infer_fields(copy), sources), {}, {}};
  const std::string bound = r.memory_bound ? "memory-bound" : "compute-bound";
  report.outputs = {
      {"weight_bytes", r.weight_bytes, "B", "params * bytes_per_param"},
      {"bytes_per_step", r.bytes_per_step, "B", "weight_bytes + batch * kv_bytes_per_seq"},
      {"flop_per_step", r.flop_per_step, "FLOP", "2 * params * batch"},
      {"intensity", r.intensity, "FLOP/B", "flop_per_step / bytes_per_step"},
      {"ridge", r.ridge, "FLOP/B", "peak_flops / bandwidth"},
      {"t_compute", r.t_compute_s * 1e3, "ms", "flop_per_step / (peak_flops * mfu)"},
      {"t_memory", r.t_memory_s * 1e3, "ms", "bytes_per_step / (bandwidth * mbu)"},
      {"latency_per_token", r.t_step_s * 1e3, "ms", "max(t_compute, t_memory): " + bound},
      {"tokens_per_s", r.tokens_per_s, "tokens/s", "batch / latency_per_token"},
      {"j_per_token", r.j_per_token, "J", "tdp_w * latency_per_token / batch (board at TDP, no host or PUE)"},
      {"achieved_mfu", r.achieved_mfu, "", "flop_per_step / (peak_flops * latency_per_token)"},
      {"bandwidth_for_target", r.bandwidth_for_target / 1e12, "TB/s", "bytes_per_step / (target_ms * mbu)"},
      {"bandwidth_for_target_binary", r.bandwidth_for_target / std::pow(2.0, 40), "TiB/s", "the same in 2^40 B/s"},
      {"critical_batch", r.critical_batch, "seqs",
       "batch where t_compute = t_memory; kv = 0: peak_flops * mfu * bytes_per_param / (2 * bandwidth * mbu)"},
  };
  if (!r.fits_in_memory)
    report.notes.push_back(fmt::format("bytes_per_step {} B exceed memory_bytes {} B: the model needs several GPUs",
                                       format_number(r.bytes_per_step), format_number(in.memory_bytes)));
  return report;
}

}  // namespace tsu::cost
