// Where does the chip stop sampling the right distribution? Each study sweeps one hardware parameter
// on a small model that exact enumeration solves, and measures the distance between the chip's and
// the exact marginals and spin-pair moments. Results are tables (CSV) for docs/hardware.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/chip.hpp"
#include "util/plot.hpp"

namespace tsu::hw {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  std::string csv() const;
};

struct StudyOptions {
  int chains = 256;
  Schedule schedule{50, 400, 2};
  uint64_t seed = 1;
  int instances = 4;                    // chip instances (mismatch draws) averaged per point
  int64_t calibration_samples = 1000;   // per calibration point
  int threads = 0;
};

// Distances between a chip's samples and the exact answer.
struct Accuracy {
  double marginal = 0;  // mean over free nodes of the total-variation distance of the marginals
  double moment = 0;    // mean over two-spin factors of |E_chip[s_i s_j] - E_exact[s_i s_j]|
};

Accuracy chip_accuracy(const Chip& chip, const StudyOptions& opt);

// The studies' default model: a 4 x 4 open G8 grid (16 spins), J ~ N(0, 0.6), h ~ N(0, 0.3).
Model study_model();

// Names: "mismatch", "dac", "clock", "async", "calibration", "pbit". Error for an unknown name.
std::vector<std::string> study_names();
Table run_study(const std::string& name, const Model& model, const Device& device, const StudyOptions& opt);
// The study's table as a plot (axes, scales and series chosen per study).
Plot study_plot(const std::string& name, const Table& table);

}  // namespace tsu::hw
