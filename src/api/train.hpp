// Training any model on data through the API (ml/fit.hpp): `tsu train` and tsu.train are thin
// wrappers of this call.
//
// A run with an output folder writes, after every epoch and atomically:
//   DIR/checkpoint.ckpt  the model, the optimiser, PCD's chains and the history (a checksum line,
//                        then JSON)
//   DIR/model.json       the model so far, a tsu-model-v1 file
//   DIR/train.json       the config, the data's shape and the history: per epoch the learning rate,
//                        gradient and weight RMS, reconstruction error, exact NLL where small, time
// A run on a folder that holds a checkpoint resumes from it (same model, data and config, else an
// error saying which differs) and ends byte for byte as an uninterrupted run would.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/model.hpp"
#include "ml/fit.hpp"
#include "ml/fashion_mnist.hpp"
#include "sample/npy.hpp"

namespace tsu::api {

// Training rows from an integer array [rows, visible] (or [rows, d1, d2, ...], images, or the
// [samples, chains, nodes] of tsu sample --save-samples, rows along every axis but the last): spins
// as -1/+1 in a signed array, 0/1 (or 0/255) in an unsigned or bool one, categoricals as 0..K-1.
// The model's first `visible` nodes are visible and the rest latent. Errors are prefixed with `source`.
ml::FitData fit_data(const NpyArray& array, const std::string& source, const Model& model);

// Training rows by name: FILE.npy, or "fashion-mnist:CLASS" (optionally ":POOL", average pooling by
// POOL first) for the binarised training images of one class (pixel >= 128 is +1), as a uint8 0/1
// array [images, pixels]; "fashion-mnist-test:CLASS" for the test split's. Errors name the file or
// the spec.
NpyArray load_rows(const std::string& path_or_spec);

struct TrainOptions {
  ml::FitConfig fit;
  std::string out;      // the output folder; "" trains in memory, with no checkpoint
  int stop_after = -1;  // stop once this many epochs are done (>= 0), as if killed after a checkpoint
  // (epoch, batches done, batches in the epoch) after every batch; may throw Interrupted to stop
  // (the folder keeps the last finished epoch).
  std::function<void(int, int64_t, int64_t)> progress;
  std::function<void(const ml::FitEpoch&)> epoch_done;
};

struct TrainResult {
  ModelPtr model;
  std::vector<ml::FitEpoch> history;
  int epochs_done = 0;
  int resumed_from = 0;  // epochs the folder's checkpoint held when the run started

  // The train.json document (without the config, which the caller knows).
  nlohmann::json to_json() const;
};

// Errors name the option (by its FitConfig field) or the folder's file that is wrong.
TrainResult train(const ModelPtr& initial, const ml::FitData& data, const TrainOptions& options);

nlohmann::json fit_config_json(const ml::FitConfig& config);
nlohmann::json fit_epoch_json(const ml::FitEpoch& epoch);  // NaN figures as null

}  // namespace tsu::api
