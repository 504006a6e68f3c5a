// A TSU device: every physical constant of the hardware model, with the source it comes from.
// Presets hold the published figures (../shared/reference/hardware-and-cost.md, "H&C", and
// dtm-paper.md, "DTM"); a "tsu-device-v1" JSON file starts from a preset and overrides any constant:
//   {"format": "tsu-device-v1", "preset": "paper", "tau": 5e-8, "gain_sigma": 0.1}
// With "preset": "none" every constant must be given. All values are SI (s, J, F, V, m, K); logit
// units are the dimensionless input of the cell sigmoid (V_b / V_s). Every non-ideality is off at 0.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/model.hpp"
#include "graph/topology.hpp"

namespace tsu::hw {

struct Device {
  std::string name = "paper";  // the preset it started from, or the file's "name"
  std::string rule;            // connection rule of the array: G8..G24, G12-paper, G16-paper or Z1

  // Array and cell dynamics.
  double grid;          // L: the array is L x L cells
  double tau;           // s, p-bit relaxation (autocorrelation) time
  double clock_period;  // s, one colour phase (half-sweep of a two-colour schedule)
  double tau_bias;      // s, settling time of the resistor-network bias
  double v_s;           // V, sigmoid voltage scale at t_ref: P(1) = sigmoid(V_b / V_s - phi)
  double phi;           // sigmoid offset (logit units)
  double t_ref;         // K, temperature at which v_s holds and the chip is programmed
  double temperature;   // K, operating temperature (V_s scales with kT/q)

  // Bias DAC: weights and biases as signed conductances of dac_bits magnitude bits.
  double dac_bits;    // 0 = exact weights
  double weight_max;  // largest |weight| the DAC reaches (model units); 0 = the model's largest

  // Frozen and slow disorder, read-out.
  double gain_sigma;     // per-cell relative gain mismatch (Gaussian)
  double offset_sigma;   // per-cell offset mismatch, logit units (Gaussian)
  double drift_sigma;    // stationary std of the slow offset drift, logit units
  double drift_time;     // s, correlation time of the drift
  double readout_error;  // probability that the read-out reports a wrong state
  double seed;           // chip instance: draws the per-cell mismatch

  // Energy (DTM §3.4): E = T (E_samp + E_init + E_read), E_samp = K N (E_rng + E_bias + E_clock + E_nb + E_other).
  double e_rng;         // J per random sample
  double c_mac;         // F per bias-network input (degree + 2 inputs)
  double v_dd;          // V, bias network and clock swing
  double wire_cap;      // F/m
  double pitch;         // m, cell pitch
  double v_signal;      // V, swing of the neighbour wires
  double activity;      // fraction of updates that toggle a cell's output (energy model)
  double e_other;       // J per update beyond the modelled components
  double e_init_node;   // J to write one node's initial state or clamp
  double e_read_node;   // J to read one node out
  double e_write_node;  // J to program (flash) one node's weights and bias
  double t_init;        // s per step to write the initial states
  double t_read;        // s per step to read out

  std::map<std::string, std::string> sources;  // field key -> where its value came from
};

enum class Bound { positive, non_negative, finite, count, probability };  // count: integer >= 0; probability: [0, 0.5]

struct DeviceField {
  std::string key;
  std::string unit;
  Bound bound;
  double Device::*member;
};

const std::vector<DeviceField>& device_fields();
std::vector<std::string> device_presets();  // "paper", "z1", "ideal"

// A preset with every constant set and sourced; Error naming "preset" if unknown.
Device device_preset(const std::string& name);

// Throws Error "FIELD: ..." for a missing (NaN unset), negative, non-finite or out-of-range constant,
// or an unknown rule.
void validate_device(const Device& d);

// Parses a "tsu-device-v1" document; errors read "SOURCE: FIELD: message".
Device parse_device_json(const std::string& text, const std::string& source_name);
// A preset name, or a path to a device file.
Device load_device(const std::string& preset_or_path);

// The array's connection rule: grid_rule(name) (G8..G24, the paper variants, Z1), with an error naming them.
GridRule array_rule(const std::string& name);

}  // namespace tsu::hw
