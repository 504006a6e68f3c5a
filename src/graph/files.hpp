// File helpers shared by every layer: whole-file reads and atomic writes (write a temporary file
// beside the target, then rename it over the target, so that a reader or a killed run never sees a
// half-written file). Errors are tsu::Error naming the path.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace tsu {

std::string read_file(const std::string& path);
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);
void write_file_atomic(const std::string& path, std::string_view content);

}  // namespace tsu
