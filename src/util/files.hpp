// File helpers shared by every layer: whole-file reads and atomic writes (write a temporary file
// beside the target, then rename it over the target, so that a reader or a killed run never sees a
// half-written file). Errors are tsu::Error naming the path.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace tsu {

std::string read_file(const std::string& path);
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);
void write_file_atomic(const std::string& path, std::string_view content);

// Creates the folder (and its parents) if missing; Error naming it when that fails.
std::filesystem::path prepare_dir(const std::string& dir);
// prepare_dir of the folder that will hold `file` (nothing for a bare file name).
void prepare_parent(const std::string& file);

// A file shipped with the checkout (e.g. "configs/dtm/demo.json"): `relative` beside the current folder
// or beside any folder above the running executable (a build folder inside the checkout). Error naming
// every place looked at when it is in none.
std::string find_shipped_file(const std::string& relative);

}  // namespace tsu
