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
  TsuSampleCost c;
  c.energy = ml::tsu_sample_energy(device, rule, counters);
  if (!(inputs.chip_cells >= double(counters.cells())))
    throw Error(fmt::format("chip_cells: {} cells cannot hold one array of {} cells", inputs.chip_cells,
                            counters.cells()));
  c.joules = c.energy.e_total;
  c.latency_s = c.energy.t_total;
  c.arrays = std::floor(inputs.chip_cells / double(counters.cells()));
  c.seconds_per_sample = c.latency_s / c.arrays;
  c.dollars = dollars_per_million(inputs.dollars, c.joules, c.seconds_per_sample);
  return c;
}

}  // namespace tsu::cost
