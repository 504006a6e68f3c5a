// Energy, latency and dollars per generated DTM sample on a TSU: the generation's SamplingCounters
// (T steps, K sweeps per step, N = L x L cells, N_data read out per step) priced by the hardware
// energy model of src/hw (E = T (K N E_cell + E_init + E_read), docs/hardware.md) on a device preset.
// A chip holds floor(chip_cells / N) arrays that sample side by side, so its time per sample (what
// amortisation charges) is the latency of one sample divided by the arrays.
#pragma once

#include <string>

#include "cost/dollars.hpp"
#include "hw/device.hpp"
#include "hw/energy.hpp"
#include "ml/generate.hpp"

namespace tsu::cost {

struct TsuInputs {
  double chip_cells;     // p-bits per chip
  DollarInputs dollars;  // hardware_usd = the chip's price
};

// A Z1-sized chip (H&C §1.5: ~250,000 p-bits) at the ASSUMED $1,000 of `tsu cost asic` (the price is
// unpublished), with the default electricity price and amortisation; `sources` gets their sources.
TsuInputs default_tsu_inputs(Sources& sources);

struct TsuSampleCost {
  hw::EnergyReport energy;   // the whole account, per sample of one array
  double joules;             // per sample
  double latency_s;          // one sample on one array: T t_step
  double arrays;             // per chip
  double seconds_per_sample; // chip time per sample: latency / arrays
  Dollars dollars;           // per million samples
};

// Throws tsu::Error when the counters do not describe a square grid with at least one step and sweep,
// or the rule is unknown. `rule` is the DTM's connection rule (DtmConfig::graph.rule).
TsuSampleCost tsu_sample_cost(const hw::Device& device, const std::string& rule, const ml::SamplingCounters& counters,
                              const TsuInputs& inputs);

}  // namespace tsu::cost
