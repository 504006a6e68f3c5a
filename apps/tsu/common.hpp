// Pieces every tsu subcommand shares: the MODEL argument (a file or a topology spec), output folders
// and atomic writes.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "api/model.hpp"
#include "graph/model.hpp"
#include "sample/engine.hpp"
#include "util/files.hpp"

namespace tsu::cli {

// MODEL: a model file, or a spec such as "grid:70:G12" or "rr:1000:3" (api/model.hpp).
using ModelArgs = api::ModelSource;
using api::clamp_mask;

// Registers MODEL, --j-sigma, --h-sigma, --model-seed and (if `with_beta`) --beta on a subcommand.
void add_model_options(CLI::App& cmd, ModelArgs& args, bool with_beta = true);

// Registers --warmup, --samples and --every (the schedule's fields, validated) on a subcommand.
void add_schedule_options(CLI::App& cmd, Schedule& schedule);

// A CLI11 check for integer options: the value must be at least `least` ("--chains: must be >= 1, got 0").
CLI::Validator at_least(int64_t least);

// Builds the model from a spec or loads it from a file, then applies --beta.
Model load_model_arg(const ModelArgs& args);

// Prints the marginals of the first `count` nodes, one line each (spin: P(s=+1); categorical: P(k)).
void print_marginals(const Model& model, const std::vector<std::vector<double>>& marginals, int count);

// Creates the output folder (and its parents) if missing; Error naming it if that fails.
std::filesystem::path prepare_out_dir(const std::string& dir);


}  // namespace tsu::cli
