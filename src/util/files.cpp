#include "util/files.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <vector>

#include "util/error.hpp"

namespace tsu {

std::ifstream open_for_reading(const std::string& path) {
  if (std::filesystem::is_directory(path)) throw IoError(fmt::format("{}: is a directory, not a file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  return in;
}

std::string read_file(const std::string& path) {
  std::ifstream in = open_for_reading(path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw IoError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  return std::move(text).str();
}

namespace {

// An output stream buffer over a POSIX file descriptor that remembers the first write error (errno),
// so that a full disk is reported with the system's reason, not as a bare failed stream.
class FdBuffer : public std::streambuf {
 public:
  explicit FdBuffer(int fd) : fd_(fd) { setp(buffer_, buffer_ + sizeof buffer_); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) sputc(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    for (const char* at = pbase(); at < pptr();) {
      const ssize_t n = ::write(fd_, at, size_t(pptr() - at));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        if (!error_) error_ = errno;
        return false;
      }
      at += n;
    }
    setp(buffer_, buffer_ + sizeof buffer_);
    return true;
  }

  int fd_;
  int error_ = 0;
  char buffer_[1 << 16];
};

[[noreturn]] void fail_write(const std::string& path, int error) {
  throw IoError(fmt::format("{}: cannot write: {}", path, std::strerror(error)));
}

// Makes a rename inside `dir` durable: a crash after it returns keeps the new file.
void sync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // a folder that cannot be opened for reading cannot be synced either: best effort
  ::fsync(fd);
  ::close(fd);
}

// Writes the open temporary file `fd` through `write`, flushes it to the disk and closes it; the
// errno of the first failure, 0 on success.
int write_durably(int fd, const std::function<void(std::ostream&)>& write) {
  int error = 0;
  try {
    FdBuffer buffer(fd);
    std::ostream out(&buffer);
    write(out);
    out.flush();
    error = buffer.error() ? buffer.error() : out ? 0 : EIO;
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (!error && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && !error) error = errno;
  return error;
}

}  // namespace

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write) {
  std::string tmp = path + ".tmpXXXXXX";  // mkstemp: a name of its own for every writer
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) fail_write(path, errno);
  ::fchmod(fd, 0644);  // mkstemp's 0600 would make results unreadable to the user's group
  int error = 0;
  try {
    error = write_durably(fd, write);
  } catch (...) {
    ::unlink(tmp.c_str());  // the writer threw: no temporary file is left behind
    throw;
  }
  if (!error && ::rename(tmp.c_str(), path.c_str()) != 0) error = errno;
  if (error) {
    ::unlink(tmp.c_str());
    fail_write(path, error);
  }
  sync_dir(std::filesystem::path(path).parent_path());
}

void write_file_atomic(const std::string& path, std::string_view content) {
  write_file_atomic(path, [&](std::ostream& out) { out.write(content.data(), std::streamsize(content.size())); });
}

namespace {

// "NAME.tmpXXXXXX", the temporary write_file_atomic makes beside NAME.
bool is_temporary_of(const std::string& name, const std::string& target) {
  const std::string prefix = target + ".tmp";
  return name.size() == prefix.size() + 6 && name.starts_with(prefix);
}

bool is_temporary(const std::string& name) {
  const size_t at = name.rfind(".tmp");
  return at != std::string::npos && at > 0 && name.size() == at + 4 + 6;
}

void remove_matching(const std::filesystem::path& dir, const std::function<bool(const std::string&)>& matches) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (matches(entry.path().filename().string())) std::filesystem::remove(entry.path(), ec);
}

}  // namespace

void remove_abandoned_temporaries(const std::vector<std::string>& files) {
  for (const auto& file : files) {
    const std::filesystem::path target(file);
    const auto dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
    remove_matching(dir, [&](const std::string& name) { return is_temporary_of(name, target.filename().string()); });
  }
}

void remove_abandoned_temporaries_in(const std::string& dir) { remove_matching(dir, is_temporary); }

void append_line_atomic(const std::string& path, const std::string& line) {
  std::string text = std::filesystem::exists(path) ? read_file(path) : std::string();
  if (!text.empty() && text.back() != '\n') text += '\n';
  write_file_atomic(path, text + line + '\n');
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
