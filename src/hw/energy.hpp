// Energy, time, power and area of sampling on a TSU array, after the DTM paper's model (DTM §3.4):
//   E = T (E_samp + E_init + E_read),   E_samp = K N (E_rng + E_bias + E_clock + E_nb + E_other)
//   E_bias  = 1/2 c_mac (degree + 2) v_dd^2          (charging the MAC node, DTM §3.3)
//   E_clock = colours * 1/2 wire_cap pitch v_dd^2     (a clock tree of one pitch per cell, one edge per phase)
//   E_nb    = activity * 1/2 wire_cap * wire * v_signal^2,  wire = pitch * sum over neighbours of |offset|
//   E_init  = N_data e_init_node,  E_read = N_data e_read_node  (once per step)
// with T steps, K sweeps per step and N cells; latency per step = K colours clock_period + t_init + t_read.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "hw/device.hpp"

namespace tsu::hw {

struct ArrayShape {
  int64_t cells = 0;
  double degree = 0;       // neighbours per cell
  double wire_length = 0;  // m, summed length of one cell's neighbour wires
  int colours = 2;         // clock phases per sweep
};

// An L x L array with the rule's interior degree and wire length (4 pitch sum |offset|).
ArrayShape grid_shape(const Device& d, int L, const std::string& rule, int colours = 2);

struct CellEnergy {
  double rng = 0, bias = 0, clock = 0, neighbours = 0, other = 0;  // J per cell update
  double total() const { return rng + bias + clock + neighbours + other; }
};

CellEnergy cell_energy(const Device& d, double degree, double wire_length, int colours, double activity);
// The energy charged each time a cell's output toggles: 1/2 wire_cap wire v_signal^2.
double toggle_energy(const Device& d, double wire_length);

struct Workload {
  int64_t sweeps = 250;       // K per step
  int64_t steps = 1;          // T
  int64_t data_nodes = -1;    // written and read per step; -1 = every cell
};

struct EnergyReport {
  ArrayShape shape;
  Workload work;
  CellEnergy cell;
  double e_samp = 0, e_init = 0, e_read = 0, e_step = 0, e_total = 0;  // J
  double e_program = 0;  // J to flash every cell once (per model load, not per sample)
  double t_step = 0, t_total = 0;  // s
  double power = 0;                // W while sampling
  double samples_per_s = 0;        // complete samples (T steps) per second per array
  double updates_per_s = 0;        // cell updates per second
  double area = 0;                 // m^2
};

// Throws Error naming the workload field when it is not positive.
EnergyReport energy_report(const Device& d, const ArrayShape& shape, const Workload& work);

std::string format_energy(const EnergyReport& r, const Device& d);  // human table
nlohmann::json energy_json(const EnergyReport& r, const Device& d);

}  // namespace tsu::hw
