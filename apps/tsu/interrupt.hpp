// Ctrl-C (SIGINT) and SIGTERM in the CLI. Signals are process-wide, so this is the CLI's one piece of
// process state. Before a command runs, a signal ends tsu at once with a message (every file tsu
// writes is replaced atomically, so none is left half-written). While a command that reports
// progress runs, the first signal is recorded and honoured at its next progress report, which throws
// tsu::Interrupted so that the command stops between steps (a training run keeps its last
// checkpoint); a second signal ends tsu at once.
#pragma once

namespace tsu::cli {

void install_interrupt_handlers();
// Called by a command whose API call reports progress: from now on signals stop it between steps.
void stop_at_next_step_on_interrupt();
// Throws tsu::Interrupted("SIGINT" or "SIGTERM") when one was received; every progress report calls it.
void stop_if_interrupted();
// 130 after SIGINT, 143 after SIGTERM (128 + the signal, as a shell reports a process it killed).
int interrupted_exit_status();

}  // namespace tsu::cli
