// A one-line progress report on stderr for long runs: sweeps done, throughput and time left. It
// draws only when stderr is a terminal, so logs and CI output stay clean. Every report is also where
// a command stops after Ctrl-C (interrupt.hpp): creating a reporter makes the command stoppable.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace tsu::cli {

bool stderr_is_terminal();

// "42s", "3m07s", "2h05m": a time left, as the progress lines print it.
std::string format_duration(double seconds);

// For the steps of api calls that train (a classifier, a baseline): "what NN%" on stderr when `draw`.
std::function<void(const std::string&, double, double)> step_progress(bool draw);

class Progress {
 public:
  // `flips_per_sweep` = free nodes x chains; a disabled Progress prints nothing.
  Progress(bool enabled, double flips_per_sweep);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Redraws at most every 0.5 s (and at the end), in the shape of tsu::ProgressFn.
  void update(int64_t done, int64_t total);
  // Erases the line, so that what follows starts on a clean one.
  void finish();

 private:
  using Clock = std::chrono::steady_clock;

  bool enabled_;
  bool drawn_ = false;
  double flips_per_sweep_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_ = start_;
};

// A progress line for training: the current epoch's share, a rate and the time left for the whole
// run (the remaining epochs at the current epoch's rate). Erased by clear() and at the end.
class EpochProgress {
 public:
  // The rate shown is (work done per second) x `rate_scale`, in `rate_unit`.
  EpochProgress(bool enabled, int epochs, std::string rate_unit, double rate_scale);
  ~EpochProgress();
  EpochProgress(const EpochProgress&) = delete;
  EpochProgress& operator=(const EpochProgress&) = delete;

  // Redraws at most every 0.5 s; where the command stops after Ctrl-C.
  void update(int epoch, double done, double total);
  void clear();

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  int epochs_;
  std::string rate_unit_;
  double rate_scale_;
  int epoch_ = 0;
  bool drawn_ = false;
  Clock::time_point epoch_start_ = Clock::now(), last_ = epoch_start_;
};

}  // namespace tsu::cli
