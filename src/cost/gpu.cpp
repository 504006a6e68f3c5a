#include "cost/gpu.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <optional>

#include "cost/infer.hpp"

namespace tsu::cost {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// What `tsu cost infer`'s table (H&C §3.1) lacks: TF32 peaks, RTX 3090's 16-bit tensor peak, prices.
// NVIDIA datasheets list tensor-core peaks "with sparsity"; the dense peak is half of that.
struct Extra {
  std::string name;
  double tf32;
  std::string tf32_source;
  std::optional<double> bf16;  // where the H&C table has none
  std::string bf16_source;
  double card_usd;
  std::string card_source;
};

const std::vector<Extra>& extras() {
  static const std::vector<Extra> table = {
      {"h100", 494.7e12,
       "NVIDIA H100 datasheet (not in H&C): TF32 tensor 989 TFLOPS with sparsity, dense half",
       std::nullopt, "", 30000,
       "ASSUMPTION (not in H&C): commonly reported H100 SXM street price $25-40 k"},
      {"b200", 1.1e15,
       "NVIDIA DGX/HGX B200 datasheet (not in H&C): TF32 tensor 2.2 PFLOPS per GPU with sparsity, dense half",
       std::nullopt, "", 47000,
       "[D] H&C §4.5: GB200 NVL72 rack $3.4 M of compute (Bernstein) / 72 GPUs"},
      {"a100", 156e12, "NVIDIA A100 datasheet (not in H&C): TF32 tensor 156 TFLOPS dense (312 with sparsity)",
       std::nullopt, "", 15000, "ASSUMPTION (not in H&C): A100 SXM 80 GB market price ~$15 k"},
      {"rtx3090", 35.6e12,
       "NVIDIA Ampere GA102 whitepaper, Appendix A (not in H&C): TF32 tensor 35.6 TFLOPS dense",
       71e12, "NVIDIA Ampere GA102 whitepaper, Appendix A (not in H&C): BF16/FP16 tensor, FP32 accumulate, 71 TFLOPS dense",
       1499, "NVIDIA launch price, Sept 2020 [V] (not in H&C)"},
  };
  return table;
}

std::optional<double> infer_peak(const GpuSpec& spec, const std::string& precision) {
  for (const GpuPeak& p : spec.peaks)
    if (p.precision == precision) return p.flops;
  return std::nullopt;
}

GpuPreset make_preset(const Extra& extra) {
  const GpuSpec& spec = gpu_spec(extra.name);
  const std::string hc = spec.source;
  const std::optional<double> bf16 = infer_peak(spec, "BF16"), fp8 = infer_peak(spec, "FP8");
  GpuPreset g{extra.name,      spec.summary,      *infer_peak(spec, "FP32"), extra.tf32,
              bf16 ? *bf16 : *extra.bf16, fp8 ? *fp8 : kNaN, spec.bandwidth, spec.tdp_w,
              spec.memory_bytes, extra.card_usd, {}};
  g.sources = {
      {"fp32", hc},
      {"tf32", extra.tf32_source},
      {"bf16", bf16 ? hc : extra.bf16_source},
      {"bandwidth", hc},
      {"power_w", hc},
      {"card_usd", extra.card_source},
  };
  if (fp8) g.sources["fp8"] = hc;
  return g;
}

}  // namespace

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::fp32;
  if (name == "tf32") return Precision::tf32;
  if (name == "bf16" || name == "fp16") return Precision::bf16;
  if (name == "fp8") return Precision::fp8;
  throw InputError("precision", fmt::format("unknown '{}' (known: fp32, tf32, bf16, fp16, fp8)", name));
}

std::string precision_name(Precision p) {
  switch (p) {
    case Precision::fp32: return "fp32";
    case Precision::tf32: return "tf32";
    case Precision::bf16: return "bf16";
    case Precision::fp8: return "fp8";
  }
  return "?";
}

double GpuPreset::peak(Precision p) const {
  switch (p) {
    case Precision::fp32: return fp32;
    case Precision::tf32: return tf32;
    case Precision::bf16: return bf16;
    case Precision::fp8: return fp8;
  }
  return kNaN;
}

const std::vector<GpuPreset>& gpu_presets() {
  static const std::vector<GpuPreset> presets = [] {
    std::vector<GpuPreset> all;
    for (const Extra& e : extras()) all.push_back(make_preset(e));
    return all;
  }();
  return presets;
}

const GpuPreset& gpu_preset(const std::string& name) {
  std::string known;
  for (const GpuPreset& g : gpu_presets()) {
    if (g.name == name) return g;
    known += (known.empty() ? "" : ", ") + g.name;
  }
  throw InputError("preset", fmt::format("unknown '{}' (known: {})", name, known));
}

GpuInputs gpu_inputs(const GpuPreset& gpu, Precision precision, Sources& sources) {
  const std::string p = precision_name(precision);
  if (!std::isfinite(gpu.peak(precision)))
    throw InputError("precision", fmt::format("the {} has no {} peak", gpu.name, p));
  sources = default_dollar_sources();
  sources.insert({
      {"flops", "required: FLOPs per generated sample"},
      {"bytes", "required: bytes moved per sample"},
      {"weight_bytes", "0: weight reads counted in bytes"},
      {"batch", "1: one sample at a time"},
      {"peak_flops", fmt::format("{} dense {} peak: {}", gpu.name, p, gpu.sources.at(p))},
      {"bandwidth", gpu.sources.at("bandwidth")},
      {"power_w", gpu.sources.at("power_w")},
      {"u_compute", "H&C §3.2: MFU 0.5-0.76 in large-batch prefill (Pope et al. 2023); lower end"},
      {"u_mem", "H&C §3.2: MBU 0.6-0.85 for good serving stacks; midpoint"},
      {"card_usd", gpu.sources.at("card_usd")},
  });
  return {.flops = kNaN, .bytes = kNaN, .weight_bytes = 0, .batch = 1,
          .peak_flops = gpu.peak(precision), .bandwidth = gpu.bandwidth, .power_w = gpu.power_w,
          .u_compute = 0.5, .u_mem = 0.7, .dollars = default_dollar_inputs(gpu.card_usd)};
}

std::vector<Field> gpu_fields(GpuInputs& in) {
  std::vector<Field> fields = {
      {"flops", "FLOP", "FLOPs per sample", &in.flops},
      {"bytes", "B", "memory traffic per sample", &in.bytes, Bound::non_negative},
      {"weight_bytes", "B", "weights read once per batch", &in.weight_bytes, Bound::non_negative},
      {"batch", "samples", "samples generated together", &in.batch},
      {"peak_flops", "FLOP/s", "dense peak at the precision", &in.peak_flops},
      {"bandwidth", "B/s", "peak memory bandwidth", &in.bandwidth},
      {"power_w", "W", "board power (TDP)", &in.power_w},
      {"u_compute", "", "achievable fraction of peak FLOP/s", &in.u_compute, Bound::fraction},
      {"u_mem", "", "achievable fraction of peak bandwidth", &in.u_mem, Bound::fraction},
  };
  for (const Field& f : dollar_fields(in.dollars, "card_usd")) fields.push_back(f);
  return fields;
}

GpuSampleCost compute_gpu(const GpuInputs& in) {
  GpuInputs copy = in;
  check_fields(gpu_fields(copy));
  GpuSampleCost r{};
  r.bytes_moved = in.bytes + in.weight_bytes / in.batch;
  r.intensity = r.bytes_moved > 0 ? in.flops / r.bytes_moved : std::numeric_limits<double>::infinity();
  r.ridge = in.peak_flops * in.u_compute / (in.bandwidth * in.u_mem);
  r.t_ideal = in.flops / in.peak_flops;
  r.t_compute = in.flops / (in.peak_flops * in.u_compute);
  r.t_memory = r.bytes_moved / (in.bandwidth * in.u_mem);
  r.t_sample = std::max(r.t_compute, r.t_memory);
  r.memory_bound = r.t_memory > r.t_compute;
  r.ideal_j = r.t_ideal * in.power_w;
  r.roofline_j = r.t_sample * in.power_w;
  r.latency_s = in.batch * r.t_sample;
  r.samples_per_s = 1 / r.t_sample;
  r.dollars = dollars_per_million(in.dollars, r.roofline_j, r.t_sample);
  return r;
}

Report gpu_report(const std::string& preset, const GpuInputs& in, const Sources& sources) {
  const GpuSampleCost r = compute_gpu(in);
  GpuInputs copy = in;
  Report report{"gpu", preset, "energy, latency and dollars per generated sample: ideal and roofline bounds",
                input_rows(gpu_fields(copy), sources), {}, {}};
  const std::string bound = r.memory_bound ? "memory-bound" : "compute-bound";
  report.outputs = {
      {"bytes_moved", r.bytes_moved, "B", "bytes + weight_bytes / batch"},
      {"intensity", r.intensity, "FLOP/B", "flops / bytes_moved"},
      {"ridge", r.ridge, "FLOP/B", "(peak_flops u_compute) / (bandwidth u_mem)"},
      {"t_ideal", r.t_ideal, "s", "flops / peak_flops"},
      {"t_compute", r.t_compute, "s", "flops / (peak_flops u_compute)"},
      {"t_memory", r.t_memory, "s", "bytes_moved / (bandwidth u_mem)"},
      {"t_sample", r.t_sample, "s", "max(t_compute, t_memory): " + bound},
      {"energy_ideal", r.ideal_j, "J", "flops / peak_flops * power_w"},
      {"energy_roofline", r.roofline_j, "J", "t_sample * power_w"},
      {"latency", r.latency_s, "s", "batch * t_sample (one batch)"},
      {"samples_per_s", r.samples_per_s, "1/s", "1 / t_sample"},
      {"energy_usd_per_million", r.dollars.energy_usd, "USD/1e6", "1e6 energy_roofline / 3.6e6 * price_per_kwh"},
      {"hardware_usd_per_million", r.dollars.hardware_usd, "USD/1e6",
       "1e6 card_usd / (lifetime_years * utilization) * t_sample"},
      {"usd_per_million", r.dollars.total_usd, "USD/1e6", "energy + hardware"},
  };
  report.notes.push_back(
      "board at TDP for the bound's time; host, idle and PUE left out. Small GPU jobs measure 1e3-1e4x the "
      "ideal bound (launch overhead, low utilisation: H&C §1.6, codon paper)");
  return report;
}

}  // namespace tsu::cost
