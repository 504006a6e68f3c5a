// `tsu cost asic`: dollars and energy per task on a GPU, a hardwired-weights ASIC (Taalas-style) and
// a TSU, after the per-task template of hardware-and-cost.md §5.4:
//   cost = energy * price * overheads + card / (life * utilisation * rate) + NRE / tasks over model life.
// A hardwired ASIC's card life is capped by the model's life, since its weights cannot change.
#pragma once

#include <string>
#include <vector>

#include "cost/fields.hpp"

namespace tsu::cost {

struct PlatformInputs {
  double j_per_task;   // at the card
  double tasks_per_s;  // per card
  double card_usd;     // capital per card, its share of the data centre included
};

struct AsicInputs {
  double demand_per_day;  // tasks served per day while the model is current
  double model_months;    // the model's life before it is superseded
  double hardware_years;  // amortisation life of programmable hardware
  double utilization;     // fraction of the time a card is busy
  double price_per_kwh;
  double overhead;        // card -> system (host, idle)
  double pue;
  PlatformInputs gpu, asic, tsu;
  double asic_mask_usd;    // per model
  double asic_design_usd;  // per model
};

struct AsicTask {
  std::string name;
  std::string summary;
  std::string unit;                    // what one task is: "token", "sample"
  std::vector<std::string> platforms;  // those compared by default: of "gpu", "asic", "tsu"
  AsicInputs inputs;
  Sources sources;
};

const std::vector<AsicTask>& asic_tasks();
const AsicTask& asic_task(const std::string& name);  // InputError("task") if unknown

// The fields of the common inputs and of the listed platforms (others are left out and unchecked).
std::vector<Field> asic_fields(AsicInputs& in, const std::vector<std::string>& platforms);

struct PlatformCost {
  std::string name;
  double j_per_task;  // at the wall: card * overhead * pue
  double energy_usd;  // per task
  double capex_usd;   // per task
  double nre_usd;     // per task
  double total_usd;   // per task
  double cards;       // needed to serve the demand
  double amortisation_years;
};

struct AsicResult {
  std::vector<PlatformCost> platforms;  // in the order asked for
  // ASIC against GPU (NaN unless both are compared; infinite if the ASIC never catches up):
  double breakeven_tasks;   // tasks over the model's life at which NRE is recovered
  double breakeven_months;  // model life at which the ASIC matches the GPU at this demand
};

// Validates (InputError naming the field, or "platforms" for an unknown or repeated platform).
AsicResult compute_asic(const AsicInputs& in, const std::vector<std::string>& platforms);
Report asic_report(const AsicTask& task, const AsicInputs& in, const std::vector<std::string>& platforms,
                   const Sources& sources);

}  // namespace tsu::cost
