#include "cost/asic.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "cost/infer.hpp"

namespace tsu::cost {

namespace {

constexpr double kSecondsPerYear = 365.25 * 86400;
constexpr double kSecondsPerMonth = kSecondsPerYear / 12;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr PlatformInputs kNotModelled{kNaN, kNaN, kNaN};

// H&C §4.5: Bernstein's all-in $35 B/GW, applied to a card's wall power (card * 1.7 * 1.2).
constexpr double kAllInUsdPerWatt = 35;
constexpr double kOverhead = 1.7, kPue = 1.2;
double all_in_card_usd(double card_w) { return kAllInUsdPerWatt * card_w * kOverhead * kPue; }

AsicInputs common_inputs() {
  AsicInputs in{};
  in.model_months = 12, in.hardware_years = 4, in.utilization = 0.5;
  in.price_per_kwh = 0.08, in.overhead = kOverhead, in.pue = kPue;
  in.gpu = in.asic = in.tsu = kNotModelled;
  in.asic_mask_usd = 7.5e6, in.asic_design_usd = 22.5e6;
  return in;
}

Sources common_sources() {
  return {
      {"model_months", "ASSUMPTION: a served model is superseded after a year"},
      {"hardware_years", "ASSUMPTION: 4-year accelerator depreciation"},
      {"utilization", "ASSUMPTION: cards busy half the time"},
      {"price_per_kwh", "H&C §4.2: EIA Table 5.6.B 2024, industrial 7-9 cents/kWh"},
      {"overhead", "H&C §3.2: x1.7 chip -> system (Google, Aug 2025)"},
      {"pue", "H&C §3.2/§4.6: PUE 1.2"},
      {"asic_mask_usd", "H&C §5.3 [D]: first base-layer mask set ~$5-10 M at N6 (SemiAnalysis anchors)"},
      {"asic_design_usd", "chosen so that masks + design = Taalas's ~$30 M to first silicon (H&C §5.1 [V])"},
  };
}

AsicTask llama_token_task() {
  // The GPU side is `tsu cost infer` for Llama 3.1 8B in FP8 on an H100 at a serving batch.
  Sources infer_sources;
  InferInputs gpu_run = infer_inputs(model_spec("llama-8b"), gpu_spec("h100"), 1, infer_sources);
  gpu_run.batch = 64, gpu_run.mfu = 0.5, gpu_run.mbu = 0.7;
  const InferResult gpu = compute_infer(gpu_run);
  const std::string gpu_origin =
      "tsu cost infer --model llama-8b --gpu h100 --bytes-per-param 1 --batch 64 --mfu 0.5 --mbu 0.7 (batch 64 "
      "ASSUMED; MFU, MBU from H&C §3.2)";
  constexpr double kHc1Watts = 200, kHc1TokensPerS = 17000;  // H&C §5.1 [V]

  AsicInputs in = common_inputs();
  in.demand_per_day = 1e11;
  in.gpu = {gpu.j_per_token, gpu.tokens_per_s, all_in_card_usd(gpu_run.tdp_w)};
  in.asic = {kHc1Watts / kHc1TokensPerS, kHc1TokensPerS, all_in_card_usd(kHc1Watts)};
  Sources sources = common_sources();
  sources.insert({
      {"demand_per_day", "ASSUMPTION: 1e11 tokens/day, ~0.1 % of Google's 1.07e14 (H&C §4.4)"},
      {"gpu_j_per_task", gpu_origin},
      {"gpu_tasks_per_s", gpu_origin},
      {"gpu_card_usd", "H&C §4.5: $35 B/GW all-in x 700 W x 1.7 x 1.2"},
      {"asic_j_per_task", "H&C §5.1 [V]: Taalas HC1 ~200 W per card / ~17,000 tokens/s per user = 12 mJ"},
      {"asic_tasks_per_s", "H&C §5.1 [V]: HC1 ~17,000 tokens/s per user (Llama 3.1 8B, 1k/1k context)"},
      {"asic_card_usd", "ASSUMPTION (HC1 price unpublished, H&C §5.4): GPU's all-in $35/W x 200 W x 1.7 x 1.2"},
  });
  return {"llama8b-token", "one Llama 3.1 8B output token: H100 vs Taalas HC1 (no TSU figure is published)",
          "token", {"gpu", "asic"}, in, sources};
}

AsicTask fmnist_sample_task() {
  constexpr double kGpuJoules = 1e-4, kA100Watts = 400;  // dtm-paper.md §4.1 [D]; H&C §3.1
  constexpr double kDtmSteps = 8, kDtmJoulesPerStep = 1.6e-9;  // dtm-paper.md §1 T = 8; §3.4 App. D.4
  constexpr double kZ1Cells = 250000, kDtmCells = 70 * 70, kSecondsPerSample = 0.4e-3;  // H&C §1.5; dtm §3.5
  AsicInputs in = common_inputs();
  in.demand_per_day = 1e9;
  in.gpu = {kGpuJoules, kA100Watts / kGpuJoules, all_in_card_usd(kA100Watts)};
  in.tsu = {kDtmSteps * kDtmJoulesPerStep, std::floor(kZ1Cells / kDtmCells) / kSecondsPerSample, 1000};
  Sources sources = common_sources();
  sources.insert({
      {"demand_per_day", "ASSUMPTION: 1e9 samples/day"},
      {"gpu_j_per_task", "dtm-paper.md §4.1 [D]: GPU parity energy ~1e-4 J per sample (10,000x the DTM)"},
      {"gpu_tasks_per_s", "A100 400 W (H&C §3.1) / 1e-4 J: the energy was wall time x TDP (H&C §1.6)"},
      {"gpu_card_usd", "H&C §4.5: $35 B/GW all-in x 400 W x 1.7 x 1.2"},
      {"tsu_j_per_task", "dtm-paper.md §3.4: 1.6 nJ per denoising step (App. D.4) x T = 8 steps = 12.8 nJ"},
      {"tsu_tasks_per_s",
       "floor(250,000 p-bits (H&C §1.5) / 4,900 cells) = 51 arrays / 0.4 ms per sample (dtm-paper.md §3.5)"},
      {"tsu_card_usd", "ASSUMPTION: $1,000 per card (Z1 price unpublished, H&C §5.4)"},
  });
  return {"fmnist-sample", "one Fashion-MNIST-scale generated sample: A100 generator vs a DTM on a TSU",
          "sample", {"gpu", "tsu"}, in, sources};
}

// Sources for the inputs of the platforms a task does not model, so that an error names the gap.
void mark_unmodelled(AsicTask& task) {
  for (const std::string name : {"gpu", "asic", "tsu"}) {
    if (std::find(task.platforms.begin(), task.platforms.end(), name) != task.platforms.end()) continue;
    for (const std::string suffix : {"_j_per_task", "_tasks_per_s", "_card_usd"})
      task.sources[name + suffix] = "no published figure for this task; set it to compare " + name;
  }
}

PlatformInputs& platform(AsicInputs& in, const std::string& name) {
  if (name == "gpu") return in.gpu;
  if (name == "asic") return in.asic;
  if (name == "tsu") return in.tsu;
  throw InputError("platforms", fmt::format("unknown '{}' (known: gpu, asic, tsu)", name));
}

void check_platform_list(const std::vector<std::string>& platforms) {
  if (platforms.empty()) throw InputError("platforms", "name at least one of gpu, asic, tsu");
  for (size_t i = 0; i < platforms.size(); ++i)
    if (std::find(platforms.begin(), platforms.begin() + i, platforms[i]) != platforms.begin() + i)
      throw InputError("platforms", fmt::format("'{}' is listed twice", platforms[i]));
}

PlatformCost platform_cost(const AsicInputs& in, const std::string& name, const PlatformInputs& p) {
  const bool fixed_weights = name == "asic";
  const double life_years = fixed_weights ? std::min(in.hardware_years, in.model_months / 12) : in.hardware_years;
  const double nre = fixed_weights ? in.asic_mask_usd + in.asic_design_usd : 0;
  const double tasks_over_model_life = in.demand_per_day / 86400 * in.model_months * kSecondsPerMonth;
  PlatformCost c{};
  c.name = name;
  c.j_per_task = p.j_per_task * in.overhead * in.pue;
  c.energy_usd = c.j_per_task / 3.6e6 * in.price_per_kwh;
  c.capex_usd = p.card_usd / (life_years * kSecondsPerYear * in.utilization * p.tasks_per_s);
  c.nre_usd = nre / tasks_over_model_life;
  c.total_usd = c.energy_usd + c.capex_usd + c.nre_usd;
  c.cards = in.demand_per_day / 86400 / (in.utilization * p.tasks_per_s);
  c.amortisation_years = life_years;
  return c;
}

// Model life T (s) where the ASIC's cost e + K / min(T, H) + NRE / (D T) falls to the GPU's cost.
double breakeven_seconds(const AsicInputs& in, const PlatformCost& gpu, const PlatformCost& asic) {
  const double margin = gpu.total_usd - asic.energy_usd;  // what capex + NRE per task may cost
  const double card_term = in.asic.card_usd / (in.utilization * in.asic.tasks_per_s);  // USD s per task
  const double nre_term = (in.asic_mask_usd + in.asic_design_usd) / (in.demand_per_day / 86400);
  const double hardware_s = in.hardware_years * kSecondsPerYear;
  if (margin <= 0) return kInf;
  const double within_card_life = (card_term + nre_term) / margin;
  if (within_card_life <= hardware_s) return within_card_life;
  const double margin_after = margin - card_term / hardware_s;
  return margin_after > 0 ? nre_term / margin_after : kInf;
}

}  // namespace

const std::vector<AsicTask>& asic_tasks() {
  static const std::vector<AsicTask> tasks = [] {
    std::vector<AsicTask> all = {llama_token_task(), fmnist_sample_task()};
    for (AsicTask& t : all) mark_unmodelled(t);
    return all;
  }();
  return tasks;
}

const AsicTask& asic_task(const std::string& name) {
  std::string known;
  for (const AsicTask& t : asic_tasks()) {
    if (t.name == name) return t;
    known += (known.empty() ? "" : ", ") + t.name;
  }
  throw InputError("task", fmt::format("unknown '{}' (known: {})", name, known));
}

std::vector<Field> asic_fields(AsicInputs& in, const std::vector<std::string>& platforms) {
  std::vector<Field> fields = {
      {"demand_per_day", "tasks/day", "tasks served per day", &in.demand_per_day},
      {"model_months", "months", "model life before it is superseded", &in.model_months},
      {"hardware_years", "years", "amortisation life of programmable cards", &in.hardware_years},
      {"utilization", "", "fraction of time a card is busy", &in.utilization, Bound::fraction},
      {"price_per_kwh", "USD/kWh", "electricity price", &in.price_per_kwh},
      {"overhead", "x", "card -> system factor", &in.overhead},
      {"pue", "x", "facility power usage effectiveness", &in.pue},
  };
  for (const std::string& name : platforms) {
    PlatformInputs& p = platform(in, name);
    fields.push_back({name + "_j_per_task", "J", name + " card energy per task", &p.j_per_task});
    fields.push_back({name + "_tasks_per_s", "tasks/s", name + " card throughput", &p.tasks_per_s});
    fields.push_back({name + "_card_usd", "USD", name + " capital per card", &p.card_usd});
    if (name == "asic") {
      fields.push_back({"asic_mask_usd", "USD", "mask set per model", &in.asic_mask_usd, Bound::non_negative});
      fields.push_back({"asic_design_usd", "USD", "design cost per model", &in.asic_design_usd, Bound::non_negative});
    }
  }
  return fields;
}

AsicResult compute_asic(const AsicInputs& in, const std::vector<std::string>& platforms) {
  check_platform_list(platforms);
  AsicInputs copy = in;
  check_fields(asic_fields(copy, platforms));
  AsicResult r{{}, kNaN, kNaN};
  for (const std::string& name : platforms) r.platforms.push_back(platform_cost(in, name, platform(copy, name)));
  const auto find = [&](const std::string& name) {
    return std::find_if(r.platforms.begin(), r.platforms.end(), [&](const PlatformCost& c) { return c.name == name; });
  };
  const auto gpu = find("gpu"), asic = find("asic");
  if (gpu == r.platforms.end() || asic == r.platforms.end()) return r;
  const double margin = gpu->total_usd - asic->energy_usd - asic->capex_usd;
  r.breakeven_tasks = margin > 0 ? (in.asic_mask_usd + in.asic_design_usd) / margin : kInf;
  r.breakeven_months = breakeven_seconds(in, *gpu, *asic) / kSecondsPerMonth;
  return r;
}

Report asic_report(const AsicTask& task, const AsicInputs& in, const std::vector<std::string>& platforms,
                   const Sources& sources) {
  const AsicResult r = compute_asic(in, platforms);
  AsicInputs copy = in;
  Report report{"asic", task.name, task.summary, input_rows(asic_fields(copy, platforms), sources), {}, {}};
  const PlatformCost* gpu = nullptr;
  for (const PlatformCost& c : r.platforms)
    if (c.name == "gpu") gpu = &c;
  const std::string per = "USD/" + task.unit;
  for (const PlatformCost& c : r.platforms) {
    const std::string n = c.name + "_";
    report.outputs.insert(report.outputs.end(), {
        {n + "j_per_task_wall", c.j_per_task, "J", n + "j_per_task * overhead * pue"},
        {n + "energy_cost", c.energy_usd, per, "j_per_task / 3.6e6 * price_per_kwh"},
        {n + "capex_cost", c.capex_usd, per,
         fmt::format("{}card_usd / (life * utilization * {}tasks_per_s), life = {}", n, n,
                     c.name == "asic" ? "min(hardware_years, model_months) (weights fixed)" : "hardware_years")},
        {n + "nre_cost", c.nre_usd, per,
         c.name == "asic" ? "(asic_mask_usd + asic_design_usd) / (demand_per_day * model life in days)" : "no NRE"},
        {n + "total_cost", c.total_usd, per, "energy + capex + nre"},
        {n + "cost_per_million", c.total_usd * 1e6, "USD/1e6", "total_cost * 1e6 " + task.unit + "s"},
        {n + "cards", c.cards, "cards", "demand_per_day / 86400 / (utilization * tasks_per_s)"},
    });
    if (gpu != nullptr && &c != gpu) {
      report.outputs.push_back({n + "energy_vs_gpu", c.j_per_task / gpu->j_per_task, "x", "j_per_task_wall / gpu's"});
      report.outputs.push_back({n + "cost_vs_gpu", c.total_usd / gpu->total_usd, "x", "total_cost / gpu's"});
    }
  }
  if (!std::isnan(r.breakeven_tasks)) {
    report.outputs.push_back({"breakeven_volume", r.breakeven_tasks, task.unit + "s",
                              "NRE / (gpu_total_cost - asic_energy_cost - asic_capex_cost), over the model life"});
    report.outputs.push_back({"breakeven_demand", r.breakeven_tasks / (in.model_months * kSecondsPerMonth / 86400),
                              task.unit + "s/day", "breakeven_volume / model life in days"});
    report.outputs.push_back({"breakeven_model_life", r.breakeven_months, "months",
                              "model life at which the ASIC's total cost per task equals the GPU's, at this demand"});
    report.notes.push_back("a metal-layer re-spin for a new model costs ~$0.3-1 M (H&C §5.3, §5.4): try "
                           "--asic-mask-usd 0.6e6 --asic-design-usd 0.4e6");
  }
  return report;
}

}  // namespace tsu::cost
