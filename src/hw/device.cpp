#include "hw/device.hpp"
#include "util/files.hpp"
#include "util/json.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <limits>
#include <nlohmann/json.hpp>

namespace tsu::hw {

namespace {

constexpr const char* kFormat = "tsu-device-v1";
constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();

struct PresetValue {
  const char* key;
  double value;
  const char* source;
};

// The DTCA of the DTM paper. Its per-component circuit constants were not recovered (DTM §3.4, §7.2):
// v_dd and v_signal are chosen [D] so that G12 at L = 70 gives E_cell = 1.29 fJ (DTM §3.4: 1.6 nJ /
// (250 x 4900) = 1.3 fJ) with the transcript's split of the non-RNG part (neighbours 40 : bias 25 :
// clock 15).
const std::vector<PresetValue> kPaper = {
    {"grid", 70, "DTM §3.4: L = 70 [P]"},
    {"tau", 100e-9, "H&C §1.3: RNG relaxation time 100 ns, measured [M/2nd]"},
    {"clock_period", 100e-9, "DTM §3.5: each half-sweep waits about tau [D]"},
    {"tau_bias", 5e-9, "DTM §3.3: tau_bias = C / G_sum; C, G not published (DTM §7.2), assumed << tau"},
    {"v_s", 0.0388, "DTM §3.2: fitted, not published; n kT/q with n = 1.5 at 300 K [assumed]"},
    {"phi", 0, "DTM §3.2: fitted offset, not published; per-cell offsets are offset_sigma"},
    {"t_ref", 300, "room temperature (H&C §1.2) [assumed]"},
    {"temperature", 300, "room temperature (H&C §1.2) [assumed]"},
    {"dac_bits", 8, "H&C §2.5(8): Q.8 in FPGA p-computers, 10-bit in a 28 nm ASIC; DTCA not published"},
    {"weight_max", 0, "0 = full scale at the model's largest |weight| (DTCA not published)"},
    {"gain_sigma", 0, "H&C §1.3: no published raw mismatch (only the ~5 % residual); 0 = off"},
    {"offset_sigma", 0, "H&C §1.3: no published raw mismatch (only the ~5 % residual); 0 = off"},
    {"drift_sigma", 0, "H&C §2.5(6): bias drift observed in physical RNGs, not quantified; 0 = off"},
    {"drift_time", 1e-3, "H&C §2.5(6): 'slow' drift, not quantified [assumed 1 ms]"},
    {"readout_error", 0, "not published; 0 = off"},
    {"seed", 1, "chip instance (draws the per-cell mismatch)"},
    {"e_rng", 350e-18, "H&C §1.3 / DTM §3.2: 350 aJ per bit at 10 MHz [M/2nd]"},
    {"c_mac", 500e-18, "DTM §3.3: MAC output capacitance 500 aF per input [X]"},
    {"v_dd", 0.29, "[D] calibrated to E_cell = 1.3 fJ (DTM §3.4); not published"},
    {"wire_cap", 350e-18 / 1e-6, "DTM §3.4: 350 aF/um wire capacitance [X]"},
    {"pitch", 6e-6, "DTM §3.4 / §3.5: cell pitch about 6 um [S]"},
    {"v_signal", 0.11, "[D] calibrated to E_cell = 1.3 fJ (DTM §3.4); not published"},
    {"activity", 0.5, "[D] toggle probability of an unbiased, decorrelated cell"},
    {"e_other", 0, "DTM §3.4: E_cell = rng + bias + clock + neighbours"},
    {"e_init_node", 0.445e-15, "[D] 1/2 wire_cap (L pitch / 2) v_signal^2 at L = 70 (DTM §3.4: wire charging)"},
    {"e_read_node", 0.445e-15, "[D] 1/2 wire_cap (L pitch / 2) v_signal^2 at L = 70 (DTM §3.4: wire charging)"},
    {"e_write_node", 153.6e-12, "H&C §1.4: Z1 write 153.6 pJ per node [S/2nd]; DTCA not published"},
    {"t_init", 0, "not published (DTM §7.2)"},
    {"t_read", 0, "not published (DTM §7.2)"},
};

// Z1 (H&C §1.4, §1.5): DTCA component constants, plus the SPICE per-update figure.
const std::vector<PresetValue> kZ1 = {
    {"grid", 500, "H&C §1.5: about 250,000 nodes [V]"},
    {"clock_period", 10e-9, "H&C §1.4: 50 MHz Gibbs cycle, both colours per 20 ns [S/2nd]"},
    {"e_other", 5.906e-15, "[D] H&C §1.4: 7.09 fJ per update at 50 MHz [S/2nd] minus the component sum at rule Z1"},
    {"e_init_node", 153.6e-12, "H&C §1.4: write (coupling, bias or clamp) 153.6 pJ per node [S/2nd]"},
    {"e_read_node", 1.692e-12, "H&C §1.4: read-out 1.692 pJ per node [S/2nd]"},
    {"t_read", 25e-6, "H&C §1.4: 25 us frame read-out [S/2nd]"},
};

// The paper's chip with every non-ideality off and a clock long enough that each latched sample is
// fresh: the chip then runs exact block Gibbs.
const std::vector<PresetValue> kIdeal = {
    {"clock_period", 4e-6, "40 tau: latched samples are fresh (exp(-40) < 2^-24)"},
    {"tau_bias", 0, "ideal: the bias settles at once"},
    {"dac_bits", 0, "ideal: exact weights"},
};

void apply(Device& d, const std::vector<PresetValue>& values, const std::string& preset) {
  for (const auto& v : values) {
    const auto& fields = device_fields();
    const auto it = std::find_if(fields.begin(), fields.end(), [&](const DeviceField& f) { return f.key == v.key; });
    d.*(it->member) = v.value;
    d.sources[v.key] = fmt::format("{} [{}]", v.source, preset);
  }
}

std::string describe_bound(Bound b) {
  switch (b) {
    case Bound::positive: return "> 0";
    case Bound::non_negative: return ">= 0";
    case Bound::finite: return "finite";
    case Bound::count: return "a whole number >= 0";
    case Bound::probability: return "in [0, 0.5]";
  }
  return "";
}

bool within(Bound b, double v) {
  if (!std::isfinite(v)) return false;
  switch (b) {
    case Bound::positive: return v > 0;
    case Bound::non_negative: return v >= 0;
    case Bound::finite: return true;
    case Bound::count: return v >= 0 && v == std::floor(v) && v < 9.0e15;
    case Bound::probability: return v >= 0 && v <= 0.5;
  }
  return false;
}

Device blank_device() {
  Device d;
  for (const auto& f : device_fields()) d.*(f.member) = kUnset;
  return d;
}

}  // namespace

const std::vector<DeviceField>& device_fields() {
  using D = Device;
  static const std::vector<DeviceField> fields = {
      {"grid", "cells", Bound::count, &D::grid},
      {"tau", "s", Bound::positive, &D::tau},
      {"clock_period", "s", Bound::positive, &D::clock_period},
      {"tau_bias", "s", Bound::non_negative, &D::tau_bias},
      {"v_s", "V", Bound::positive, &D::v_s},
      {"phi", "", Bound::finite, &D::phi},
      {"t_ref", "K", Bound::positive, &D::t_ref},
      {"temperature", "K", Bound::positive, &D::temperature},
      {"dac_bits", "bits", Bound::count, &D::dac_bits},
      {"weight_max", "", Bound::non_negative, &D::weight_max},
      {"gain_sigma", "", Bound::non_negative, &D::gain_sigma},
      {"offset_sigma", "logit", Bound::non_negative, &D::offset_sigma},
      {"drift_sigma", "logit", Bound::non_negative, &D::drift_sigma},
      {"drift_time", "s", Bound::positive, &D::drift_time},
      {"readout_error", "", Bound::probability, &D::readout_error},
      {"seed", "", Bound::count, &D::seed},
      {"e_rng", "J", Bound::non_negative, &D::e_rng},
      {"c_mac", "F", Bound::non_negative, &D::c_mac},
      {"v_dd", "V", Bound::non_negative, &D::v_dd},
      {"wire_cap", "F/m", Bound::non_negative, &D::wire_cap},
      {"pitch", "m", Bound::positive, &D::pitch},
      {"v_signal", "V", Bound::non_negative, &D::v_signal},
      {"activity", "", Bound::non_negative, &D::activity},
      {"e_other", "J", Bound::non_negative, &D::e_other},
      {"e_init_node", "J", Bound::non_negative, &D::e_init_node},
      {"e_read_node", "J", Bound::non_negative, &D::e_read_node},
      {"e_write_node", "J", Bound::non_negative, &D::e_write_node},
      {"t_init", "s", Bound::non_negative, &D::t_init},
      {"t_read", "s", Bound::non_negative, &D::t_read},
  };
  return fields;
}

std::vector<std::string> device_presets() { return {"paper", "z1", "ideal"}; }

Device device_preset(const std::string& name) {
  Device d = blank_device();
  d.name = name;
  if (name != "paper" && name != "z1" && name != "ideal")
    throw Error(fmt::format("preset: unknown device preset \"{}\" (expected paper, z1 or ideal)", name));
  d.rule = name == "z1" ? "Z1" : "G12";
  d.sources["rule"] = name == "z1" ? "H&C §1.5: rules (1,0), (2,1), (2,3), (4,1), degree 16 [2nd] [z1]"
                                   : "DTM §3.4: degree-12 connectivity [P] [paper]";
  apply(d, kPaper, "paper");
  if (name == "z1") apply(d, kZ1, "z1");
  if (name == "ideal") apply(d, kIdeal, "ideal");
  return d;
}

void validate_device(const Device& d) {
  for (const auto& f : device_fields()) {
    const double v = d.*(f.member);
    if (std::isnan(v)) throw Error(f.key + ": missing (no value given and no preset default)");
    if (!within(f.bound, v)) throw Error(fmt::format("{}: must be {}, got {}", f.key, describe_bound(f.bound), v));
  }
  if (d.activity > 1) throw Error(fmt::format("activity: must be in [0, 1], got {}", d.activity));
  if (d.dac_bits > 30) throw Error(fmt::format("dac_bits: must be at most 30, got {}", d.dac_bits));
  if (d.grid < 1) throw Error(fmt::format("grid: must be >= 1, got {}", d.grid));
  try {
    array_rule(d.rule);
  } catch (const Error& e) {
    throw Error(std::string("rule: ") + e.what());
  }
}

Device parse_device_json(const std::string& text, const std::string& source_name) {
  auto fail = [&](const std::string& message) { return Error(source_name + ": " + message); };
  const nlohmann::json doc = parse_json(text, source_name);
  if (!doc.is_object()) throw fail("must be a JSON object");
  if (!doc.contains("format") || doc["format"] != kFormat)
    throw fail(fmt::format("format: must be \"{}\"", kFormat));
  auto text_field = [&](const char* key, const std::string& fallback) {
    if (!doc.contains(key)) return fallback;
    if (!doc[key].is_string()) throw fail(fmt::format("{}: must be a string, got {}", key, doc[key].dump()));
    return doc[key].get<std::string>();
  };
  const std::string preset = text_field("preset", "paper");
  Device d = blank_device();
  if (preset != "none") {
    try {
      d = device_preset(preset);
    } catch (const Error& e) {
      throw fail(std::string(e.what()) + " or none");
    }
  }
  d.name = text_field("name", preset == "none" ? source_name : preset + " (" + source_name + ")");
  d.rule = text_field("rule", d.rule);
  if (doc.contains("rule")) d.sources["rule"] = source_name;
  const auto& fields = device_fields();
  for (const auto& item : doc.items()) {
    const std::string& key = item.key();
    const auto& value = item.value();
    if (key == "format" || key == "preset" || key == "name" || key == "rule") continue;
    const auto it = std::find_if(fields.begin(), fields.end(), [&](const DeviceField& f) { return f.key == key; });
    if (it == fields.end()) throw fail(fmt::format("{}: unknown key (not a tsu-device-v1 constant)", key));
    if (value.is_null()) throw fail(key + ": missing value (null)");
    if (!value.is_number()) throw fail(fmt::format("{}: must be a number, got {}", key, value.dump()));
    d.*(it->member) = value.get<double>();
    d.sources[key] = source_name;
  }
  try {
    validate_device(d);
  } catch (const Error& e) {
    throw fail(e.what());
  }
  return d;
}

Device load_device(const std::string& preset_or_path) {
  const auto presets = device_presets();
  if (std::find(presets.begin(), presets.end(), preset_or_path) != presets.end()) return device_preset(preset_or_path);
  if (!std::filesystem::exists(preset_or_path))
    throw Error(fmt::format("{}: not a device preset (paper, z1, ideal) and no such file", preset_or_path));
  return parse_device_json(read_file(preset_or_path), preset_or_path);
}

GridRule array_rule(const std::string& name) {
  try {
    return grid_rule(name);
  } catch (const Error&) {
    throw Error(fmt::format("unknown rule \"{}\" (known: G8, G12, G16, G20, G24, G12-paper, G16-paper, Z1)", name));
  }
}

}  // namespace tsu::hw
