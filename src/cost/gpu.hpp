// `tsu cost gpu`: energy, latency and dollars per generated sample of a neural generator on a GPU, by
// the two bounds the literature uses (dtm-paper.md §4.3; H&C §1.6, the codon paper's bracket):
//   ideal    = flops / peak * power                                          (every FLOP at peak)
//   roofline = max(flops / (peak u_compute), bytes / (bandwidth u_mem)) * power
// per sample, where bytes = bytes per sample + weight_bytes / batch (weights are read once per batch).
// The board draws its full power (TDP) for the time the bound gives; host, idle and PUE are left out.
// Presets H100 SXM, B200, A100 SXM 80 GB and RTX 3090 extend `tsu cost infer`'s GPU table (H&C §3.1)
// with TF32 peaks and a card price, each with its source.
#pragma once

#include <string>
#include <vector>

#include "cost/dollars.hpp"
#include "cost/fields.hpp"

namespace tsu::cost {

enum class Precision { fp32, tf32, bf16, fp8 };  // bf16 also stands for FP16 (the same dense peak)

// "fp32", "tf32", "bf16", "fp16", "fp8"; InputError("precision")
Precision parse_precision(const std::string& name);
std::string precision_name(Precision p);

struct GpuPreset {
  std::string name;  // "h100", "b200", "a100", "rtx3090"
  std::string summary;
  double fp32, tf32, bf16;  // dense peak FLOP/s
  double fp8;               // dense FP8 peak, NaN where the GPU has none (A100, RTX 3090)
  double bandwidth;         // B/s
  double power_w;           // board power (TDP)
  double memory_bytes;
  double card_usd;          // price for amortisation
  Sources sources;          // "fp32", "tf32", "bf16", "bandwidth", "power_w", "card_usd" -> source

  double peak(Precision p) const;
};

const std::vector<GpuPreset>& gpu_presets();
const GpuPreset& gpu_preset(const std::string& name);  // InputError("preset") if unknown

struct GpuInputs {
  double flops;             // per sample (exact per-layer count)
  double bytes;             // memory traffic per sample: activations and per-sample reads
  double weight_bytes;      // read once per batch (0 when already in bytes)
  double batch;             // samples generated together
  double peak_flops;        // dense FLOP/s at the chosen precision
  double bandwidth;         // B/s
  double power_w;           // board power
  double u_compute;         // achievable fraction of peak FLOP/s (roofline)
  double u_mem;             // achievable fraction of peak bandwidth (roofline)
  DollarInputs dollars;     // hardware_usd = the card price
};

// The preset's numbers at `precision` and the default utilisations, with every source filled in;
// flops and bytes are NaN (required) until set. InputError("precision") when the GPU has no such peak.
GpuInputs gpu_inputs(const GpuPreset& gpu, Precision precision, Sources& sources);
std::vector<Field> gpu_fields(GpuInputs& in);

struct GpuSampleCost {
  double bytes_moved;    // per sample: bytes + weight_bytes / batch
  double intensity;      // FLOP/byte
  double ridge;          // (peak u_compute) / (bandwidth u_mem), FLOP/byte
  double t_ideal;        // s per sample: flops / peak
  double t_compute;      // s per sample: flops / (peak u_compute)
  double t_memory;       // s per sample: bytes_moved / (bandwidth u_mem)
  double t_sample;       // s of board time per sample: max(t_compute, t_memory)
  bool memory_bound;
  double ideal_j;        // J per sample
  double roofline_j;     // J per sample
  double latency_s;      // one batch: batch * t_sample (a sample is ready when its batch is)
  double samples_per_s;  // 1 / t_sample
  Dollars dollars;       // per million samples, at the roofline energy and time
};

GpuSampleCost compute_gpu(const GpuInputs& in);  // validates; InputError naming the field
Report gpu_report(const std::string& preset, const GpuInputs& in, const Sources& sources);

}  // namespace tsu::cost
