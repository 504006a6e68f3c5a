// File helpers shared by every layer: whole-file reads and atomic, durable writes (write a temporary
// file beside the target, fsync it, rename it over the target and fsync the folder, so that a reader,
// a killed run or a crashed machine never sees a half-written file, and no temporary file stays
// behind when the writer throws). Failures are IoError naming the path and the system's reason.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace tsu {

// IoError naming the path and the reason when it is a folder or cannot be opened.
std::ifstream open_for_reading(const std::string& path);
std::string read_file(const std::string& path);
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);
void write_file_atomic(const std::string& path, std::string_view content);
// Removes the temporary files that writers of `files` killed mid-write (SIGKILL leaves no chance to
// clean up) left beside them: "NAME.tmpXXXXXX". A run that resumes in a folder calls it first.
void remove_abandoned_temporaries(const std::vector<std::string>& files);
// The same for every file of a folder that only the run writes (nothing when it does not exist).
void remove_abandoned_temporaries_in(const std::string& dir);
// Adds `line` and a newline to the end of a text file (created if missing) by rewriting it atomically:
// a kill or a full disk leaves the file as it was, never with half a line.
void append_line_atomic(const std::string& path, const std::string& line);

// Creates the folder (and its parents) if missing; Error naming it when that fails.
std::filesystem::path prepare_dir(const std::string& dir);
// prepare_dir of the folder that will hold `file` (nothing for a bare file name).
void prepare_parent(const std::string& file);

// A file shipped with the checkout (e.g. "configs/dtm/demo.json"): `relative` beside the current folder
// or beside any folder above the running executable (a build folder inside the checkout). Error naming
// every place looked at when it is in none.
std::string find_shipped_file(const std::string& relative);

}  // namespace tsu
