#include "opt/energy.hpp"

#include <cmath>
#include <limits>

#include "hw/chip.hpp"

namespace tsu::opt {

TsuCost tsu_cost(const Problem& problem, const hw::Device& device, const SolveResult& result, int64_t sweeps) {
  const hw::Chip chip(*problem.model, device, hw::ChipOptions::ideal());
  TsuCost c;
  c.device = device.name;
  const size_t n = problem.model->size();
  for (size_t i = 0; i < n; ++i) {
    c.degree += chip.degree(i) / double(n);
    c.wire_length += chip.wire_length(i) / double(n);
  }
  c.colours = result.colours;
  c.cell = hw::cell_energy(device, c.degree, c.wire_length, c.colours, device.activity);
  const double e_update = c.cell.total();
  c.batch_energy = double(result.updates_per_batch(sweeps)) * e_update;
  c.batch_seconds = double(sweeps) * c.colours * device.clock_period;
  int reached = 0;
  for (const auto& run : result.runs)
    if (run.reached) {
      ++reached;
      c.energy_to_target += double(result.free_nodes) * double(run.sweeps) * double(result.chains) * e_update;
    }
  c.energy_to_target = reached ? c.energy_to_target / reached : std::numeric_limits<double>::quiet_NaN();
  c.e99 = result.batches ? tts99(c.batch_energy, result.success_probability()) : std::numeric_limits<double>::quiet_NaN();
  return c;
}

nlohmann::json tsu_cost_json(const TsuCost& c) {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"device", c.device},
          {"degree", c.degree},
          {"wire_length_m", c.wire_length},
          {"colours", c.colours},
          {"energy_per_update_J", c.cell.total()},
          {"batch_energy_J", c.batch_energy},
          {"batch_chip_seconds", c.batch_seconds},
          {"energy_to_target_J", number(c.energy_to_target)},
          {"e99_J", number(c.e99)}};
}

}  // namespace tsu::opt
