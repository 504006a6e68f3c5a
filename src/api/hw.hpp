// The TSU hardware model through the API: energy per sample on an array, a model sampled on the
// simulated chip (with the ideal engine and exact enumeration beside it), and calibration. The CLI's
// `tsu hw energy|run|calibrate` and Python's tsu.hw_* are thin wrappers of these calls.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/model.hpp"
#include "hw/chip.hpp"
#include "hw/energy.hpp"
#include "hw/study.hpp"
#include "sample/engine.hpp"

namespace tsu::api {

// How the simulated chip is built.
struct ChipSettings {
  std::string device = "paper";   // preset (paper, z1, ideal) or tsu-device-v1 file
  std::string mode = "clocked";   // clocked (colour phases, latched outputs) or async
  std::vector<std::string> off;   // non-idealities switched off: quantize, mismatch, temperature, drift,
                                  // readout, bias_delay
  bool ideal = false;             // every non-ideality off (the clock and tau still act)
  int64_t calibrate = 0;          // read-out samples per calibration level; 0 = no calibration
  uint64_t calibration_seed = 1;
};

struct EnergyOptions {
  std::string device = "paper";
  std::optional<int> grid;          // array side L (default: the device's)
  std::optional<std::string> rule;  // connection rule (default: the device's)
  hw::Workload work{250, 1, -1};
  int colours = 2;
};

struct EnergyResult {
  hw::Device device;
  hw::EnergyReport report;
  nlohmann::json to_json() const;
  std::string table() const;  // the CLI's text form
};

EnergyResult hw_energy(const EnergyOptions& options);

struct HwRunOptions {
  ChipSettings chip;
  int chains = 64;
  Schedule schedule{100, 1000, 1};
  uint64_t seed = 0;
  int threads = 0;
  bool compare = false;     // also the ideal engine, and exact enumeration when small
  std::string model_name;   // what run.model reports; "" = the model's own name
};

struct HwRunResult {
  ModelPtr model;
  std::vector<std::vector<double>> marginals;  // the chip's, [node][state]
  nlohmann::json report;  // chip, statistics, energy, run and (with compare) compare: the CLI's hw.json
};

HwRunResult hw_run(const ModelPtr& model, const HwRunOptions& options);

// Calibrates every cell of the model's chip; {samples_per_point, before_mean, before_max, after_mean,
// after_max}.
nlohmann::json hw_calibrate(const ModelPtr& model, const ChipSettings& chip, int threads = 0);

struct HwStudyOptions {
  std::vector<std::string> names;  // hw::study_names(): mismatch, dac, clock, async, calibration, pbit, transfer
  std::string device = "paper";    // the base of every point
  std::string model;               // a model file or spec; "" = hw::study_model()
  hw::StudyOptions study;
  std::string out;                 // STUDY.csv and STUDY.png for each study
  std::function<void(const std::string& name, const hw::Table& table)> study_done;
};

// Runs the studies in order, writing each one's CSV and plot as soon as it is done; returns the tables.
std::vector<hw::Table> hw_study(const HwStudyOptions& options);

}  // namespace tsu::api
