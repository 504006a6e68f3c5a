// The parts of the API that need the neural baselines (libtorch): the classifier metric and the
// comparison with neural generators. They are implemented in their own library, libtsu_neural.so
// (src/api/neural), which the first call loads from beside libtsu_api, so that a process that never
// calls them (sampling, `tsu --help`, the Python package) never loads libtorch.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cost/compare.hpp"
#include "ml/quality.hpp"

namespace tsu::api {

// (what, done, total) of a long step (training a classifier or a baseline); may be empty.
using StepProgress = std::function<void(const std::string&, double, double)>;

struct ClassifierMetric {
  ml::Metric metric;  // owns its classifier
  std::string path;   // the classifier's cache file
  double test_accuracy = 0;
};

// The Fashion-MNIST classifier of a scale ("tiny", "demo", "full"), loaded from `cache` (""
// = $TSU_CACHE, else ~/.cache/tsu) or trained there first (a minute or more; `progress` says so).
ClassifierMetric classifier_metric(const std::string& scale, const std::string& cache = "", int threads = 0,
                                   const StepProgress& progress = {});

// The baseline families tsu compare can train: the neural generators, the Bernoulli-means model
// (each pixel drawn at its class's mean, the trivial baseline) and the Bernoulli mixture.
inline const std::vector<std::string> kBaselineFamilies = {"vae", "gan", "diffusion", "bernoulli", "mixture"};

// A model of the user's own in the comparison (`tsu compare --extra`): its samples, scored by the same
// metric, and what one sample costs on the GPU, priced by the same bounds as the baselines.
struct ExtraModel {
  std::string name;         // its family and its name in the report
  std::string samples;      // .npy of [n, 28, 28] or [n, 784]: floats in [0, 1], or integers 0/1
  double flops = 0;         // per sample
  double bytes = 0;         // activation bytes moved per sample
  double weight_bytes = 0;  // weights, read once per batch
};

// --extra's NAME=SAMPLES.npy:FLOPS:BYTES[:WEIGHT_BYTES]; Error naming the option and the part.
ExtraModel parse_extra_model(const std::string& spec);

struct CompareOptions {
  std::string scale = "demo";  // tiny, demo, full
  std::string out;             // output folder (runs resume from it)
  std::string dtm;             // a trained DTM run folder; "" = train the scale's config into OUT/dtm
  std::vector<std::string> families = kBaselineFamilies;
  std::vector<ExtraModel> extras;  // scored with the first `samples` of their files
  std::string cache;           // classifier cache folder
  std::string device = "paper";
  std::string gpu = "h100";
  std::string precision = "fp32";
  double batch = 256;
  int samples = 0;  // per model; 0 = the scale's
  uint64_t seed = 1;
  int bootstrap = 200;  // replicates behind every quality interval and ratio interval; 0 = none
  int threads = 0;
  std::function<void(const std::string&)> log;  // one line per step; may be empty
  StepProgress progress;
};

struct CompareResult {
  cost::CompareRun run;
  cost::CompareFiles files;  // compare.json, compare.png, report.html
};

// Trains (or resumes, or loads) the metric's classifier, the DTM and the baselines, scores every
// model with the same metric, prices each on its hardware and writes the report (docs/compare.md).
CompareResult compare(const CompareOptions& options);

struct DtmCoverageOptions {
  std::string model;                // a trained DTM run folder
  std::string out;                  // coverage.json, quality-sweeps.png, modes.png
  std::string classifier = "demo";  // the classifier's scale
  std::string cache;                // its cache folder ("" = the default)
  int samples = 1000;               // per mode and sweeps value, a multiple of 10; the reference has as many
  std::vector<int> sweeps;          // sweeps per step to score; empty = the config's generation.sweeps
  std::optional<double> beta_start, beta_end;          // the annealing's ends; unset = the config's
  int mode_chains = 256, snapshots = 16, every = 100;  // the mode-mixing run (ml/modes.hpp); chains 0 = none
  uint64_t seed = 0;
  int threads = 0;
  std::function<void(const std::string&)> log;  // one line per result; may be empty
  StepProgress progress;
};

// Where a DTM's samples fall short of the data (docs/dtm.md, "Coverage"): free and label-clamped
// samples at each sweeps value scored by the classifier metric with the per-class split (share,
// precision, recall, coverage), held-out test images scored alike, and the noisiest step's mixing
// between modes. Writes and returns coverage.json.
nlohmann::json dtm_coverage(const DtmCoverageOptions& options);

// What libtsu_neural.so exports, as tsu_neural_entry_points(): one table, checked by its version.
struct NeuralEntryPoints {
  int version;
  ClassifierMetric (*classifier_metric)(const std::string&, const std::string&, int, const StepProgress&);
  CompareResult (*compare)(const CompareOptions&);
  nlohmann::json (*dtm_coverage)(const DtmCoverageOptions&);
};
constexpr int kNeuralEntryPointsVersion = 4;  // changes with the table and its options

}  // namespace tsu::api
