#include "util/checksum.hpp"

#include <charconv>
#include <fmt/format.h>

#include "util/error.hpp"

namespace tsu {

std::string checksummed_file(std::string_view tag, std::string_view payload) {
  std::string file = fmt::format("{} {} {:016x}\n", tag, payload.size(), fnv1a64(payload));
  file.append(payload);
  return file;
}

std::string_view checked_payload(std::string_view file, std::string_view tag, const std::string& path) {
  const size_t eol = file.find('\n');
  std::string_view first = file.substr(0, eol);
  if (eol == std::string_view::npos || !first.starts_with(tag) || first.substr(tag.size()).find_first_not_of(' ') != 1)
    throw Error(fmt::format("{}: not a {} file", path, tag));
  first.remove_prefix(tag.size() + 1);
  size_t size = 0;
  const auto [size_end, size_error] = std::from_chars(first.data(), first.data() + first.size(), size);
  const std::string_view checksum = first.substr(size_t(size_end - first.data()));
  if (size_error != std::errc() || checksum.size() != 17 || checksum[0] != ' ')
    throw Error(fmt::format("{}: corrupt: malformed first line", path));
  const std::string_view payload = file.substr(eol + 1);
  if (payload.size() < size)
    throw Error(fmt::format("{}: corrupt: truncated ({} of {} bytes)", path, payload.size(), size));
  if (payload.size() > size)
    throw Error(fmt::format("{}: corrupt: {} bytes where the first line says {}", path, payload.size(), size));
  if (fmt::format("{:016x}", fnv1a64(payload)) != checksum.substr(1))
    throw Error(fmt::format("{}: corrupt: checksum mismatch", path));
  return payload;
}

}  // namespace tsu
