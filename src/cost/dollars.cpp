#include "cost/dollars.hpp"

namespace tsu::cost {

namespace {
constexpr double kSecondsPerYear = 365.25 * 86400;
constexpr double kJoulesPerKwh = 3.6e6;
}  // namespace

DollarInputs default_dollar_inputs(double hardware_usd) { return {0.08, hardware_usd, 4, 0.5}; }

Sources default_dollar_sources() {
  return {
      {"price_per_kwh", "H&C §4.2: EIA Table 5.6.B 2024, industrial 7-9 cents/kWh"},
      {"lifetime_years", "ASSUMPTION: 4-year accelerator depreciation (as tsu cost asic)"},
      {"utilization", "ASSUMPTION: device busy half the time (as tsu cost asic)"},
  };
}

std::vector<Field> dollar_fields(DollarInputs& in, const std::string& hardware_key) {
  return {
      {"price_per_kwh", "USD/kWh", "electricity price", &in.price_per_kwh},
      {hardware_key, "USD", "capital per device, amortised over its busy life", &in.hardware_usd, Bound::non_negative},
      {"lifetime_years", "years", "amortisation life", &in.lifetime_years},
      {"utilization", "", "fraction of the life the device is busy", &in.utilization, Bound::fraction},
  };
}

Dollars dollars_per_million(const DollarInputs& in, double joules_per_sample, double seconds_per_sample) {
  DollarInputs copy = in;
  double joules = joules_per_sample, seconds = seconds_per_sample;
  std::vector<Field> fields = dollar_fields(copy);
  fields.push_back({"joules_per_sample", "J", "energy per sample", &joules, Bound::non_negative});
  fields.push_back({"seconds_per_sample", "s", "device time per sample", &seconds, Bound::non_negative});
  check_fields(fields);
  Dollars d{};
  d.energy_usd = 1e6 * joules / kJoulesPerKwh * in.price_per_kwh;
  d.hardware_usd = 1e6 * in.hardware_usd / (in.lifetime_years * kSecondsPerYear * in.utilization) * seconds;
  d.total_usd = d.energy_usd + d.hardware_usd;
  return d;
}

}  // namespace tsu::cost
