// Energy-to-solution on the simulated TSU (src/hw): the energy of one cell update for this problem's
// graph on a device, from the DTM paper's cell model (hw/energy.hpp), times the node updates a solve
// needed. Each node is one cell of a square array, placed row-major, with a direct wire to each
// neighbour (hw::Chip's placement): an embedding-free lower bound for graphs that are not local.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "hw/device.hpp"
#include "hw/energy.hpp"
#include "opt/solve.hpp"

namespace tsu::opt {

struct TsuCost {
  std::string device;
  double degree = 0;        // mean neighbours per cell
  double wire_length = 0;   // m, mean summed neighbour wire per cell
  int colours = 0;          // clock phases per sweep (the sampling blocks)
  hw::CellEnergy cell;      // J per cell update
  double batch_energy = 0;  // J: free nodes x sweeps x chains cell updates
  double batch_seconds = 0; // s of chip time: sweeps x colours x clock_period (chains on parallel arrays)
  double energy_to_target = 0;  // J: mean over the runs that reached the target of their updates
  double e99 = 0;           // J: batch energy x ln(0.01) / ln(1 - p), the energy analogue of TTS99
};

TsuCost tsu_cost(const Problem& problem, const hw::Device& device, const SolveResult& result, int64_t sweeps);
nlohmann::json tsu_cost_json(const TsuCost& c);

}  // namespace tsu::opt
