#include "cost/tsu.hpp"

#include <cmath>
#include <fmt/format.h>

#include "graph/model.hpp"

namespace tsu::cost {

TsuInputs default_tsu_inputs(Sources& sources) {
  sources = default_dollar_sources();
  sources["chip_cells"] = "H&C §1.5: Z1 ~250,000 p-bits per chip";
  sources["chip_usd"] = "ASSUMPTION: $1,000 per chip (Z1 price unpublished, H&C §5.4; as tsu cost asic)";
  return {250000, default_dollar_inputs(1000)};
}

TsuSampleCost tsu_sample_cost(const hw::Device& device, const std::string& rule, const ml::SamplingCounters& counters,
                              const TsuInputs& inputs) {
  const auto side = int64_t(std::llround(std::sqrt(double(counters.sites))));
  if (counters.sites < 1 || side * side != counters.sites)
    throw Error(fmt::format("sampling counters: sites: {} is not an L x L grid", counters.sites));
  if (counters.visible < 0 || counters.visible > counters.sites)
    throw Error(fmt::format("sampling counters: visible: must be in 0..{}, got {}", counters.sites, counters.visible));
  if (!(inputs.chip_cells >= double(counters.sites)))
    throw Error(fmt::format("chip_cells: {} cells cannot hold one {} x {} array", inputs.chip_cells, side, side));
  TsuSampleCost c;
  c.energy = hw::energy_report(device, hw::grid_shape(device, int(side), rule),
                               hw::Workload{counters.sweeps_per_step, counters.steps, counters.visible});
  c.joules = c.energy.e_total;
  c.latency_s = c.energy.t_total;
  c.arrays = std::floor(inputs.chip_cells / double(counters.sites));
  c.seconds_per_sample = c.latency_s / c.arrays;
  c.dollars = dollars_per_million(inputs.dollars, c.joules, c.seconds_per_sample);
  return c;
}

}  // namespace tsu::cost
