#include "progress.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <string>
#include <unistd.h>
#include <utility>

#include "interrupt.hpp"

namespace tsu::cli {

std::string format_duration(double seconds) {
  const auto s = int64_t(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

std::function<void(const std::string&, double, double)> step_progress(bool draw) {
  stop_at_next_step_on_interrupt();
  return [draw](const std::string& what, double done, double total) {
    stop_if_interrupted();
    if (!draw) return;
    fmt::print(stderr, "\r\033[K{} {:.0f}%", what, total > 0 ? 100 * done / total : 100.0);
    if (done >= total) fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
  };
}

Progress::Progress(bool enabled, double flips_per_sweep) : enabled_(enabled), flips_per_sweep_(flips_per_sweep) {
  stop_at_next_step_on_interrupt();
}

Progress::~Progress() { finish(); }

void Progress::update(int64_t done, int64_t total) {
  stop_if_interrupted();
  if (!enabled_) return;
  const auto now = Clock::now();
  if (done < total && now - last_draw_ < std::chrono::milliseconds(500)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? double(done) * flips_per_sweep_ / (elapsed * 1e9) : 0.0;
  const double eta = done > 0 ? elapsed * double(total - done) / double(done) : 0.0;
  fmt::print(stderr, "\r\033[Ksweeps {}/{} ({:.0f}%)  {:.3g} flips/ns  ETA {}", done, total,
             total > 0 ? 100.0 * double(done) / double(total) : 100.0, rate, format_duration(eta));
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

EpochProgress::EpochProgress(bool enabled, int epochs, std::string rate_unit, double rate_scale)
    : enabled_(enabled), epochs_(epochs), rate_unit_(std::move(rate_unit)), rate_scale_(rate_scale) {
  stop_at_next_step_on_interrupt();
}

EpochProgress::~EpochProgress() { clear(); }

void EpochProgress::update(int epoch, double done, double total) {
  stop_if_interrupted();
  if (!enabled_) return;
  const auto now = Clock::now();
  if (epoch != epoch_) epoch_ = epoch, epoch_start_ = now;
  if (done < total && now - last_ < std::chrono::milliseconds(500)) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - epoch_start_).count();
  const double rate = elapsed > 0 ? done / elapsed : 0;
  const double left = rate > 0 ? ((total - done) + total * (epochs_ - epoch)) / rate : 0;
  fmt::print(stderr, "\r\033[Kepoch {}/{}  {:.0f}%  {:.3g} {}  ETA {}", epoch, epochs_,
             total > 0 ? 100 * done / total : 100.0, rate * rate_scale_, rate_unit_, format_duration(left));
  std::fflush(stderr);
  drawn_ = true;
}

void EpochProgress::clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace tsu::cli
