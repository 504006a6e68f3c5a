// A training run in an output folder:
//   DIR/config.json      the effective configuration
//   DIR/checkpoint.bin   the model, optimiser and ACP state after the last finished epoch (atomic;
//                        written at epoch 0 too, so that the untrained model can be sampled)
//   DIR/log.jsonl        one JSON object per epoch: timing, throughput, learning rate, per step the
//                        long-lag autocorrelation and ACP lambda, and the quality when evaluated
//   DIR/samples/epoch-NNNN-{free,clamped}.png   sample grids of the evaluated epochs
// A run started on a folder that holds a checkpoint resumes from it (the config must be the same),
// and ends exactly as an uninterrupted run would.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "ml/config.hpp"
#include "ml/quality.hpp"
#include "ml/train.hpp"

namespace tsu::ml {

struct RunHooks {
  // (epoch, flips done, flips expected) during training epochs.
  std::function<void(int, double, double)> progress;
  // After every epoch, with its log line.
  std::function<void(const nlohmann::json&)> epoch_done;
  int stop_after = -1;  // stop once this many epochs are done (>= 0), as if killed after its checkpoint
  Metric metric;        // scores the evaluated epochs (the pixel stand-in when empty)
};

// Returns the number of epochs done.
int run_training(const DtmConfig& config, const std::string& out_dir, const RunHooks& hooks = {});

std::string checkpoint_path(const std::string& out_dir);

// JSON-lines epoch logs (shared with src/baselines' training folders), appended with
// append_line_atomic before each checkpoint: keeps the lines of the epochs a checkpoint holds (a run
// killed between the two has logged one more).
void trim_epoch_log(const std::string& path, int epochs_done);
std::string log_path(const std::string& out_dir);

}  // namespace tsu::ml
