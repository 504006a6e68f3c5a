#include "cost/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <functional>

namespace tsu::cost {

namespace {

// The headline's value in `run` for the same reference and family, when it is of the same kind.
std::optional<double> headline_value(const CompareRun& run, const Headline& h) {
  for (const MatchedRatio& r : matched_ratios(run)) {
    if (r.reference != h.reference || r.family != h.family || r.bound != "primary") continue;
    if (h.kind == "ratio" && r.ratio) return *r.ratio;
    if (r.limit && r.limit->kind == h.kind) return r.limit->value;
  }
  return std::nullopt;
}

// Every GPU model priced again with its inputs changed by `change`; the ideal bound becomes the
// primary figure when `ideal_primary`.
CompareRun repriced_gpu(const CompareRun& run, const std::function<void(GpuInputs&)>& change, bool ideal_primary = false) {
  CompareRun out = run;
  for (CompareModel& m : out.models) {
    if (!m.gpu_inputs) continue;
    GpuInputs in = *m.gpu_inputs;
    change(in);
    const GpuSampleCost c = compute_gpu(in);
    m.energy.primary = ideal_primary ? c.ideal_j : c.roofline_j;
    m.energy.ideal = c.ideal_j, m.energy.roofline = c.roofline_j;
  }
  return out;
}

// The GPU inputs of another preset or precision, keeping the model's own counts and the run's batch
// and utilisations.
std::function<void(GpuInputs&)> on_gpu(const std::string& preset, const std::string& precision) {
  return [preset, precision](GpuInputs& in) {
    Sources unused;
    GpuInputs other = gpu_inputs(gpu_preset(preset), parse_precision(precision), unused);
    other.flops = in.flops, other.bytes = in.bytes, other.weight_bytes = in.weight_bytes, other.batch = in.batch;
    other.u_compute = in.u_compute, other.u_mem = in.u_mem;
    in = other;
  };
}

// Every DTM model priced again on `device` with its sweeps per step scaled by `sweeps`.
CompareRun repriced_tsu(const CompareRun& run, const hw::Device& device, double sweeps) {
  CompareRun out = run;
  for (CompareModel& m : out.models) {
    if (!m.tsu_counters) continue;
    ml::SamplingCounters c = *m.tsu_counters;
    c.sweeps_per_step = std::max<int64_t>(1, std::llround(double(c.sweeps_per_step) * sweeps));
    m.energy.primary = tsu_sample_cost(device, m.tsu_rule, c, run.tsu_inputs).joules;
  }
  return out;
}

bool has_gpu_models(const CompareRun& run) {
  return std::any_of(run.models.begin(), run.models.end(), [](const CompareModel& m) { return m.gpu_inputs.has_value(); });
}

bool has_tsu_models(const CompareRun& run) {
  return std::any_of(run.models.begin(), run.models.end(), [](const CompareModel& m) { return m.tsu_counters.has_value(); });
}

}  // namespace

std::optional<Headline> headline(const CompareRun& run) {
  const CompareModel* ref = best_working(run, run.reference_family);
  if (!ref) return std::nullopt;
  std::optional<Headline> ratio, bound;
  for (const MatchedRatio& r : matched_ratios(run)) {
    if (r.reference != ref->name || r.bound != "primary") continue;
    if (r.ratio && (!ratio || *r.ratio < ratio->value)) ratio = Headline{r.reference, r.family, "ratio", *r.ratio};
    if (!r.ratio && r.limit && (!bound || r.limit->value < bound->value))
      bound = Headline{r.reference, r.family, r.limit->kind, r.limit->value};
  }
  return ratio ? ratio : bound;
}

std::vector<Sensitivity> sensitivity(const CompareRun& run) {
  const std::optional<Headline> h = headline(run);
  if (!h || !run.device) return {};
  std::vector<Sensitivity> out;
  const auto add = [&](const std::string& factor, const std::string& base, const std::string& low_setting,
                       const CompareRun& low, const std::string& high_setting, const CompareRun& high) {
    out.push_back({factor, base, {low_setting, headline_value(low, *h)}, {high_setting, headline_value(high, *h)}});
  };
  if (has_tsu_models(run)) {
    add("TSU device", run.device->name, "paper", repriced_tsu(run, hw::device_preset("paper"), 1), "z1",
        repriced_tsu(run, hw::device_preset("z1"), 1));
    add("sweeps per step", "x1", "x0.5", repriced_tsu(run, *run.device, 0.5), "x2", repriced_tsu(run, *run.device, 2));
  }
  if (has_gpu_models(run) && !run.gpu.empty()) {
    const GpuInputs& any = *std::find_if(run.models.begin(), run.models.end(), [](const CompareModel& m) {
                              return m.gpu_inputs.has_value();
                            })->gpu_inputs;
    add("GPU utilisation", fmt::format("compute {:g}, memory {:g}", any.u_compute, any.u_mem), "x0.5",
        repriced_gpu(run, [](GpuInputs& in) { in.u_compute *= 0.5, in.u_mem *= 0.5; }), "1 (peak)",
        repriced_gpu(run, [](GpuInputs& in) { in.u_compute = 1, in.u_mem = 1; }));
    add("batch", fmt::format("{:g}", any.batch), "1", repriced_gpu(run, [](GpuInputs& in) { in.batch = 1; }), "4096",
        repriced_gpu(run, [](GpuInputs& in) { in.batch = 4096; }));
    add("GPU precision", run.precision, "fp32", repriced_gpu(run, on_gpu(run.gpu, "fp32")), "bf16",
        repriced_gpu(run, on_gpu(run.gpu, "bf16")));
    add("GPU model", run.gpu, "a100", repriced_gpu(run, on_gpu("a100", run.precision)), "b200",
        repriced_gpu(run, on_gpu("b200", run.precision)));
    const std::string fastest = std::isfinite(gpu_preset(run.gpu).fp8) ? "fp8" : "bf16";
    add("GPU bound", "roofline", "roofline", run, fmt::format("ideal {} (the skeptic's)", fastest),
        repriced_gpu(run, on_gpu(run.gpu, fastest), true));
  }
  return out;
}

Plot sensitivity_plot(const CompareRun& run, const std::vector<Sensitivity>& factors) {
  const std::optional<Headline> h = headline(run);
  Plot plot{"Sensitivity of the headline ratio", h ? fmt::format("{} / {} energy ({})", h->family, h->reference, h->kind)
                                                   : "energy ratio",
            "factor (legend)", true, false, {}};
  for (size_t i = 0; i < factors.size(); ++i) {
    Series s{fmt::format("{}: {} .. {}", factors[i].factor, factors[i].low.setting, factors[i].high.setting), {}, {}};
    for (const SensitivityCase* c : {&factors[i].low, &factors[i].high})
      if (c->value) s.x.push_back(*c->value), s.y.push_back(double(i + 1));
    plot.series.push_back(s);
  }
  if (h) plot.series.push_back({"headline", {h->value, h->value}, {0, double(factors.size() + 1)}});
  return plot;
}

}  // namespace tsu::cost
