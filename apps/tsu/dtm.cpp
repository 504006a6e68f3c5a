#include "commands.hpp"

namespace tsu::cli {

// Placeholder until denoising thermodynamic models land (issue 4).
void add_dtm_command(CLI::App& app) { app.add_subcommand("dtm", "Denoising thermodynamic models (not yet available)"); }

}  // namespace tsu::cli
