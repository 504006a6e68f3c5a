#include "interrupt.hpp"

#include <atomic>
#include <csignal>
#include <cstring>
#include <unistd.h>

#include "util/error.hpp"

namespace tsu::cli {

namespace {

std::atomic<int> received{0};          // the first signal received, 0 for none
std::atomic<bool> stop_between_steps{false};

const char* signal_name(int signal) { return signal == SIGTERM ? "SIGTERM" : "SIGINT"; }

void say(const char* text) { [[maybe_unused]] const auto n = ::write(STDERR_FILENO, text, std::strlen(text)); }

// Only async-signal-safe calls here: atomics, write, signal, raise.
void on_signal(int signal) {
  const char* name = signal_name(signal);
  int none = 0;
  if (stop_between_steps && received.compare_exchange_strong(none, signal)) {
    say("\ntsu: ");
    say(name);
    say(" received: stopping after the current step (send it again to stop at once)\n");
    return;
  }
  say("\ntsu: interrupted by ");
  say(name);
  say("\n");
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

void stop_at_next_step_on_interrupt() { stop_between_steps = true; }

void stop_if_interrupted() {
  if (const int signal = received.load()) throw Interrupted(signal_name(signal));
}

int interrupted_exit_status() {
  const int signal = received.load();
  return 128 + (signal ? signal : SIGINT);
}

}  // namespace tsu::cli
