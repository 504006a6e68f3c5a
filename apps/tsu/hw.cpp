#include "commands.hpp"

namespace tsu::cli {

// Placeholder until the hardware model lands (issue 3).
void add_hw_command(CLI::App& app) { app.add_subcommand("hw", "TSU hardware model (not yet available)"); }

}  // namespace tsu::cli
