// Each tsu subcommand registers itself on the CLI11 app through one of these functions.
#pragma once

#include <CLI/CLI.hpp>

namespace tsu::cli {

void add_sample_command(CLI::App& app);
void add_exact_command(CLI::App& app);
void add_quantize_command(CLI::App& app);  // weights on a B-bit DAC grid
void add_train_command(CLI::App& app);     // fit a model to data
void add_logz_command(CLI::App& app);      // log Z by AIS
void add_bench_command(CLI::App& app);
void add_blocks_command(CLI::App& app);  // DSATUR sampling blocks
void add_color_command(CLI::App& app);   // graph colouring (src/opt)
void add_maxcut_command(CLI::App& app);
void add_sat_command(CLI::App& app);
void add_qubo_command(CLI::App& app);
void add_cost_command(CLI::App& app);  // tsu cost llm|infer|asic
void add_hw_command(CLI::App& app);    // tsu hw energy|run|...
void add_dtm_command(CLI::App& app);    // tsu dtm train|generate|eval
void add_compare_command(CLI::App& app);  // DTM on a TSU vs GPU generators at matched quality

// Exit status for invalid input (bad file, field or argument), and for a system failure (a file that
// cannot be read or written, out of memory).
constexpr int kExitBadInput = 2;
constexpr int kExitSystem = 1;

}  // namespace tsu::cli
