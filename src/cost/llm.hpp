// `tsu cost llm`: energy of LLM use at scale, E = 2 P N M eps (hardware-and-cost.md §4.1), as
// power, as a share of the US grid and as the data-centre capital it implies.
#pragma once

#include <string>
#include <vector>

#include "cost/fields.hpp"

namespace tsu::cost {

struct LlmInputs {
  double params;               // active parameters P
  double users;                // people served
  double queries_per_day;      // per user
  double tokens_in;            // per query
  double tokens_out;           // per query
  double reasoning;            // M: tokens processed per counted token
  double j_per_flop;           // peak chip energy, J/FLOP
  double utilization;          // MFU
  double overhead;             // chip -> system (host CPU/DRAM, idle reserve)
  double pue;                  // facility
  double grid_gw;              // US average load
  double capex_per_gw;         // facility only, USD/GW
  double capex_all_in_per_gw;  // with accelerators, USD/GW
  double price_per_kwh;        // USD
};

struct LlmPreset {
  std::string name;
  std::string summary;
  std::string claim;  // the published figure this scenario is set beside
  LlmInputs inputs;
  Sources sources;
};

const std::vector<LlmPreset>& llm_presets();
const LlmPreset& llm_preset(const std::string& name);  // InputError("preset") if unknown

std::vector<Field> llm_fields(LlmInputs& in);

struct LlmResult {
  double tokens_per_day;        // users * queries * (in + out)
  double flop_per_day;          // 2 P tokens M
  double j_per_flop_effective;  // eps / MFU * overhead * PUE
  double j_per_token;           // 2 P M eps_eff
  double j_per_day;
  double power_gw;
  double power_at_peak_gw;      // chip peak efficiency, no utilisation or overheads
  double grid_percent;
  double capex_facility_usd;
  double capex_all_in_usd;
  double electricity_usd_per_year;
};

LlmResult compute_llm(const LlmInputs& in);  // validates; InputError naming the field
Report llm_report(const LlmPreset& preset, const LlmInputs& in, const Sources& sources);

}  // namespace tsu::cost
