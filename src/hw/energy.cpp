#include "hw/energy.hpp"

#include <cmath>
#include <fmt/format.h>
#include <vector>

namespace tsu::hw {

ArrayShape grid_shape(const Device& d, int L, const std::string& rule, int colours) {
  if (L < 1) throw Error(fmt::format("grid: must be >= 1, got {}", L));
  if (colours < 1) throw Error(fmt::format("colours: must be >= 1, got {}", colours));
  const GridRule r = array_rule(rule);
  double offsets = 0;
  for (auto [a, b] : r.offsets) offsets += std::hypot(double(a), double(b));
  return {int64_t(L) * L, 4.0 * double(r.offsets.size()), 4.0 * offsets * d.pitch, colours};
}

CellEnergy cell_energy(const Device& d, double degree, double wire_length, int colours, double activity) {
  CellEnergy e;
  e.rng = d.e_rng;
  e.bias = 0.5 * d.c_mac * (degree + 2) * d.v_dd * d.v_dd;
  e.clock = colours * 0.5 * d.wire_cap * d.pitch * d.v_dd * d.v_dd;
  e.neighbours = activity * toggle_energy(d, wire_length);
  e.other = d.e_other;
  return e;
}

double toggle_energy(const Device& d, double wire_length) {
  return 0.5 * d.wire_cap * wire_length * d.v_signal * d.v_signal;
}

EnergyReport energy_report(const Device& d, const ArrayShape& shape, const Workload& work) {
  if (work.sweeps < 1) throw Error(fmt::format("sweeps: must be >= 1, got {}", work.sweeps));
  if (work.steps < 1) throw Error(fmt::format("steps: must be >= 1, got {}", work.steps));
  if (work.data_nodes < -1 || work.data_nodes > shape.cells)
    throw Error(fmt::format("data_nodes: must be in 0..{} (the cells), got {}", shape.cells, work.data_nodes));
  EnergyReport r;
  r.shape = shape;
  r.work = work;
  const double n = double(shape.cells), k = double(work.sweeps), t = double(work.steps);
  const double data = work.data_nodes < 0 ? n : double(work.data_nodes);
  r.cell = cell_energy(d, shape.degree, shape.wire_length, shape.colours, d.activity);
  r.e_samp = k * n * r.cell.total();
  r.e_init = data * d.e_init_node;
  r.e_read = data * d.e_read_node;
  r.e_step = r.e_samp + r.e_init + r.e_read;
  r.e_total = t * r.e_step;
  r.e_program = n * d.e_write_node;
  r.t_step = k * shape.colours * d.clock_period + d.t_init + d.t_read;
  r.t_total = t * r.t_step;
  r.power = r.e_step / r.t_step;
  r.samples_per_s = 1.0 / r.t_total;
  r.updates_per_s = n * k / r.t_step;
  r.area = n * d.pitch * d.pitch;
  return r;
}

namespace {

struct Row {
  std::string key;
  double value;
  std::string unit;
  std::string note;
};

std::vector<Row> output_rows(const EnergyReport& r) {
  const auto& c = r.cell;
  const double share = 100.0 / c.total();
  return {
      {"E_rng", c.rng, "J", fmt::format("{:.0f} % of E_cell: e_rng", c.rng * share)},
      {"E_bias", c.bias, "J", fmt::format("{:.0f} %: 1/2 c_mac (degree + 2) v_dd^2", c.bias * share)},
      {"E_clock", c.clock, "J", fmt::format("{:.0f} %: colours 1/2 wire_cap pitch v_dd^2", c.clock * share)},
      {"E_nb", c.neighbours, "J", fmt::format("{:.0f} %: activity 1/2 wire_cap wire v_signal^2", c.neighbours * share)},
      {"E_other", c.other, "J", fmt::format("{:.0f} %: e_other", c.other * share)},
      {"E_cell", c.total(), "J", "per cell update: the sum of the above"},
      {"E_samp", r.e_samp, "J", "per step: K N E_cell"},
      {"E_init", r.e_init, "J", "per step: N_data e_init_node"},
      {"E_read", r.e_read, "J", "per step: N_data e_read_node"},
      {"E_step", r.e_step, "J", "E_samp + E_init + E_read"},
      {"E_sample", r.e_total, "J", "per sample: T E_step"},
      {"E_program", r.e_program, "J", "once per model load: N e_write_node"},
      {"t_step", r.t_step, "s", "K colours clock_period + t_init + t_read"},
      {"t_sample", r.t_total, "s", "T t_step"},
      {"power", r.power, "W", "E_step / t_step"},
      {"samples_per_s", r.samples_per_s, "1/s", "1 / t_sample, one array"},
      {"updates_per_s", r.updates_per_s, "1/s", "N K / t_step"},
      {"area", r.area, "m^2", "N pitch^2"},
  };
}

std::string number(double v) { return fmt::format("{:.4g}", v); }

}  // namespace

std::string format_energy(const EnergyReport& r, const Device& d) {
  std::string text = fmt::format(
      "tsu hw energy [{}]: {} cells ({} rule, degree {:g}, wire {:.4g} um per cell), K = {} sweeps, T = {} steps, "
      "N_data = {}\n",
      d.name, r.shape.cells, d.rule, r.shape.degree, r.shape.wire_length * 1e6, r.work.sweeps, r.work.steps,
      r.work.data_nodes < 0 ? r.shape.cells : r.work.data_nodes);
  text += "device constants (value, unit, source)\n";
  for (const auto& f : device_fields()) {
    const auto it = d.sources.find(f.key);
    text += fmt::format("  {:<14} {:>11} {:<6} {}\n", f.key, number(d.*(f.member)), f.unit,
                        it == d.sources.end() ? "" : it->second);
  }
  text += "energy and time (value, unit, formula)\n";
  for (const Row& row : output_rows(r))
    text += fmt::format("  {:<14} {:>11} {:<6} {}\n", row.key, number(row.value), row.unit, row.note);
  return text;
}

nlohmann::json energy_json(const EnergyReport& r, const Device& d) {
  nlohmann::json device = nlohmann::json::object(), outputs = nlohmann::json::object();
  for (const auto& f : device_fields()) {
    const auto it = d.sources.find(f.key);
    device[f.key] = {{"value", d.*(f.member)}, {"unit", f.unit}, {"source", it == d.sources.end() ? "" : it->second}};
  }
  for (const Row& row : output_rows(r)) outputs[row.key] = {{"value", row.value}, {"unit", row.unit}, {"formula", row.note}};
  return {{"device", d.name},
          {"rule", d.rule},
          {"cells", r.shape.cells},
          {"degree", r.shape.degree},
          {"wire_length", r.shape.wire_length},
          {"colours", r.shape.colours},
          {"sweeps", r.work.sweeps},
          {"steps", r.work.steps},
          {"data_nodes", r.work.data_nodes < 0 ? r.shape.cells : r.work.data_nodes},
          {"constants", device},
          {"outputs", outputs}};
}

}  // namespace tsu::hw
