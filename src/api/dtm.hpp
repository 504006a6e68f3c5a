// Denoising thermodynamic models through the API: train (resuming), generate into a folder, and
// evaluate, and several configs side by side. The CLI's `tsu dtm train|generate|eval|study` and Python's tsu.dtm_* wrap these calls. The
// quality metric is passed in (api/neural.hpp's classifier_metric, or empty for the pixel stand-in).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ml/quality.hpp"

namespace tsu::api {

struct DtmTrainOptions {
  std::string config;  // a run configuration file (configs/dtm/*.json)
  std::string out;     // the run folder: checkpoint.bin, log.jsonl, config.json, samples/
  int threads = -1;    // >= 0 overrides the config's
  int epochs = -1;     // >= 0 overrides the config's
  ml::Metric metric;   // scores the evaluated epochs
  std::function<void(int epoch, double done, double total)> progress;  // flips within an epoch
  std::function<void(const nlohmann::json& line)> epoch_done;         // the epoch's log line
};

// Trains (or resumes) to the configured epochs; returns the epochs done.
int dtm_train(const DtmTrainOptions& options);

struct DtmGenerateOptions {
  std::string model;          // a run folder
  std::string out;            // samples-{free,clamped}.npy, labels-clamped.npy, grid-*.png, trajectory-*.png,
                              // generate.json
  std::string mode = "both";  // free, clamped (labels held, classes balanced) or both
  int n = 5120;
  uint64_t seed = 0;
  int sweeps = 0;      // per step; 0 = the config's
  std::optional<double> beta_start, beta_end;  // the annealing's ends; unset = the config's
  int threads = 0;     // 0 = the config's
  int trajectory = 8;  // trajectories drawn
  std::function<void(const std::string& mode, double done, double total)> progress;
};

// Returns generate.json: per mode the sampling counters (steps, sweeps, cells, flips, seconds).
nlohmann::json dtm_generate(const DtmGenerateOptions& options);

struct DtmEvalOptions {
  std::string model;
  std::string samples;  // uint8 [n, side, side] .npy as dtm_generate writes; "" = generate n
  int n = 0;            // 0 = the config's eval.samples
  uint64_t seed = 0;
  ml::Metric metric;
};

// {model, metric, reference, count, and value (of the samples) or free and clamped (generated), note}
nlohmann::json dtm_eval(const DtmEvalOptions& options);

struct DtmStudyOptions {
  std::vector<std::string> configs;  // run configurations, each trained into out/<config name>
  std::string out;  // + study.json, study.csv, quality-*.png, autocorr.png, scaling-*.png, energy-quality.png
  int threads = -1;                  // >= 0 overrides every config's
  // A config not trained, whose training flips the scaling fit extrapolates to ("" = none).
  std::string target;
  ml::Metric metric;
  std::function<void(const std::string& config, const std::string& dir, int epochs)> config_started;
  std::function<void(int epoch, double done, double total)> progress;  // as in DtmTrainOptions
  std::function<void(const nlohmann::json& line)> epoch_done;
};

// Trains every config (resuming) and tabulates and plots their logs side by side: the training-
// stability experiment, the degree ablation and the scaling curve of docs/dtm.md. With >= 3 runs
// of more than one training compute, `scaling` fits FD = a C^b, free and clamped, to each run's last
// epoch (C = its cumulative training flips) and, with a target, predicts the target's FD with a 90 %
// interval. Returns {metric, runs: [{config, dir, epochs}], scaling, files}.
nlohmann::json dtm_study(const DtmStudyOptions& options);

}  // namespace tsu::api
