// "did you mean" for command lines that CLI11 rejects: a misspelt subcommand ("tsu sampel") or long
// option ("--chain 10") gets the nearest name that the command really has.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tsu::cli {

// " (did you mean 'sample'?)" for the first word of argv that names no subcommand or option of the
// command it follows, when a real name is within two edits of it (or starts with it); "" otherwise.
std::string did_you_mean(const CLI::App& app, int argc, const char* const* argv);

}  // namespace tsu::cli
