#include "util/files.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <vector>

#include "util/error.hpp"

namespace tsu {

std::string read_file(const std::string& path) {
  if (std::filesystem::is_directory(path)) throw IoError(fmt::format("{}: is a directory, not a file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw IoError(fmt::format("{}: read failed", path));
  return std::move(text).str();
}

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = fmt::format("{}.tmp{}", path, getpid());
  std::error_code ec;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
    write(out);
    out.close();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      throw IoError(fmt::format("{}: write failed", path));
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    const std::string reason = ec.message();
    std::filesystem::remove(tmp, ec);
    throw IoError(fmt::format("{}: cannot write: {}", path, reason));
  }
}

void write_file_atomic(const std::string& path, std::string_view content) {
  write_file_atomic(path, [&](std::ostream& out) { out.write(content.data(), std::streamsize(content.size())); });
}

}  // namespace tsu

namespace tsu {

std::filesystem::path prepare_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw IoError(fmt::format("{}: cannot create the output folder{}", dir, ec ? ": " + ec.message() : ""));
  return dir;
}

void prepare_parent(const std::string& file) {
  if (const auto parent = std::filesystem::path(file).parent_path(); !parent.empty()) prepare_dir(parent.string());
}

std::string find_shipped_file(const std::string& relative) {
  namespace fs = std::filesystem;
  std::vector<fs::path> places = {fs::current_path()};
  std::error_code ec;
  for (fs::path dir = fs::read_symlink("/proc/self/exe", ec).parent_path(); !ec && dir.has_relative_path();
       dir = dir.parent_path())
    places.push_back(dir);
  for (const fs::path& place : places)
    if (fs::exists(place / relative)) return fs::weakly_canonical(place / relative).string();
  throw Error(fmt::format("{}: not found beside the current folder or the tsu executable's checkout", relative));
}

}  // namespace tsu
