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

}  // namespace tsu::cli
