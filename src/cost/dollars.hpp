// Dollars per million generated samples: electricity plus hardware amortisation,
//   usd = 1e6 * (J / 3.6e6 * price_per_kwh + hardware_usd / (lifetime * utilization) * seconds per sample),
// where "seconds per sample" is the hardware's occupancy per sample (1 / throughput), not the latency.
#pragma once

#include <vector>

#include "cost/fields.hpp"

namespace tsu::cost {

struct DollarInputs {
  double price_per_kwh;   // USD
  double hardware_usd;    // capital per device (card or chip)
  double lifetime_years;  // amortisation life
  double utilization;     // fraction of the life the device is busy
};

// Defaults with their sources: EIA industrial price (H&C §4.2), 4-year life and 50 % use (ASSUMPTIONs,
// as in `tsu cost asic`); hardware_usd is the device's own.
DollarInputs default_dollar_inputs(double hardware_usd);
Sources default_dollar_sources();
// Fields price_per_kwh, hardware_usd (as `hardware_key`), lifetime_years, utilization.
std::vector<Field> dollar_fields(DollarInputs& in, const std::string& hardware_key = "hardware_usd");

struct Dollars {  // per million samples
  double energy_usd;
  double hardware_usd;
  double total_usd;
};

// Validates (InputError naming the field; joules and seconds must be finite and >= 0).
Dollars dollars_per_million(const DollarInputs& in, double joules_per_sample, double seconds_per_sample);

}  // namespace tsu::cost
