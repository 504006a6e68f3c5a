// A model mapped onto a simulated TSU: one cell per node, weights through the bias DAC, frozen per-cell
// mismatch, temperature, drift and read-out errors, calibration, and a Backend that samples it so that
// run() and every observer work unchanged.
//
// Cell transfer. The ideal conditional of a node is a set of logits: z = 2 beta field for a spin
// (P(1) = sigmoid(z)), beta * logits for a categorical. The programmed input is corrected by the
// calibration (z' = (z - b) / a; identity before calibrating), and the cell realises
//   logit = g * r * (z' + phi) - phi - o - d
// with g the cell's gain, o its offset (per state for a p-dit), d the drift, r = t_ref / temperature
// (V_s scales with kT/q; the chip is programmed for t_ref). Every non-ideality off gives logit = z.
//
// Clocked mode: the layout's blocks are colours, one clock phase of device.clock_period each. During a
// phase every cell evolves as a cell.hpp process under the bias set by the latched outputs (for the
// first tau_bias under the bias before the last latch: the resistor network settles with a delay), and
// at the phase's end the cells of its block latch their state. A phase much longer than tau gives
// fresh samples and exact block Gibbs; a short one gives stale, correlated samples.
// Async mode: no clock; each cell redraws at rate 1/tau from its bias, which the network refreshes at
// rate 1/tau_bias from the neighbours' outputs (instantly when tau_bias = 0: exact continuous-time
// Gibbs). One sweep = the time of a clocked sweep (blocks x clock_period).
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "hw/device.hpp"
#include "sample/engine.hpp"

namespace tsu::hw {

enum class ChipMode { Clocked, Async };

// Switches for the non-idealities; each also needs a non-zero device constant to act.
struct ChipOptions {
  ChipMode mode = ChipMode::Clocked;
  bool quantize = true;     // dac_bits, weight_max
  bool mismatch = true;     // gain_sigma, offset_sigma
  bool temperature = true;  // temperature != t_ref
  bool drift = true;        // drift_sigma
  bool readout = true;      // readout_error
  bool bias_delay = true;   // tau_bias
  static ChipOptions ideal() { return {ChipMode::Clocked, false, false, false, false, false, false}; }
};

struct Calibration {
  int64_t samples_per_point = 0;
  // |P_chip - P_ideal| per cell, averaged over test inputs in [-3, 3] (logit units); then the mean
  // and the largest over cells (the largest also over inputs), before and after calibrating.
  double before_mean = 0, before_max = 0, after_mean = 0, after_max = 0;
};

class Chip {
 public:
  Chip(const Model& model, Device device, ChipOptions options = {});

  const Device& device() const { return device_; }
  const ChipOptions& options() const { return options_; }
  const Model& model() const { return *model_; }
  const CompiledModel& program() const { return program_; }  // the weights the DAC realises

  // Chip logit of spin `node` for the ideal logit z and drift d.
  double spin_logit(size_t node, double z, double drift) const;
  // In place: the ideal (beta-scaled) logits of categorical `node` become the chip's.
  void categorical_logits(size_t node, std::span<double> logits, std::span<const double> drift) const;
  // Offsets into per-state arrays (drift, offsets): node i owns [state_index(i), state_index(i + 1)).
  int64_t state_index(size_t node) const { return state_index_[node]; }

  // Measures each cell's transfer curve through the read-out (samples_per_point latched samples at each
  // of five bias levels, clocked at the device's period), fits gain and offset, and corrects them.
  Calibration calibrate(int64_t samples_per_point, uint64_t seed, int threads);  // threads: 0 = every core
  // The error measure of Calibration for the current correction.
  std::pair<double, double> transfer_error() const;  // (mean, max)

  // For energy accounting, with the model's nodes laid out row-major on a square array.
  double degree(size_t node) const { return degree_[node]; }
  double wire_length(size_t node) const { return wire_[node]; }  // m

 private:
  double cell_logit(size_t node, int state, double programmed, double drift) const;
  void place_cells();

  std::shared_ptr<const Model> model_;
  CompiledModel program_;
  Device device_;
  ChipOptions options_;
  double gain_scale_ = 1;           // t_ref / temperature
  std::vector<int64_t> state_index_;  // [nodes + 1]
  std::vector<double> gain_;          // per cell
  std::vector<double> offset_;        // per cell and state
  std::vector<double> cal_gain_;      // per cell, a
  std::vector<double> cal_offset_;    // per cell and state, b
  std::vector<double> degree_, wire_;
};

// Energy and time a chip backend has spent (all chains together).
struct ChipAccount {
  int64_t sweeps = 0;      // per chain
  double seconds = 0;      // chip time per chain: sweeps x blocks x clock_period
  int64_t updates = 0;     // cell redraws (clocked: one per free cell per sweep)
  int64_t toggles = 0;     // changes of a cell's output
  int64_t reads = 0;       // node read-outs (get_states)
  int64_t writes = 0;      // node writes (set_states)
  double e_updates = 0, e_toggles = 0, e_reads = 0, e_writes = 0;  // J
  double total() const { return e_updates + e_toggles + e_reads + e_writes; }
};

class ChipBackend : public Backend {
 public:
  virtual ChipAccount account() const = 0;
};

// The chip must outlive the backend; `layout` must belong to chip.model().
std::unique_ptr<ChipBackend> make_chip_backend(const Chip& chip, const Layout& layout, const EngineOptions& opt);

}  // namespace tsu::hw
