// Checksummed files: a first line "TAG SIZE CHECKSUM" guards the payload after it, so that a reader
// detects a truncated or corrupted file before it parses anything (torch archives and raw doubles
// cannot tell on their own). The checksum is FNV-1a 64 (Fowler, Noll and Vo; offset basis and prime
// from draft-eastlake-fnv), as 16 hex digits. Used by DTM checkpoints, baseline checkpoints and the
// classifier cache.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tsu {

inline uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// The whole file: the line "TAG SIZE CHECKSUM\n", then the payload.
std::string checksummed_file(std::string_view tag, std::string_view payload);

// The payload of a checksummed file. Throws Error "PATH: not a TAG file" when the first line has
// another tag, and "PATH: corrupt: ..." when the payload is truncated, too long or fails its checksum.
std::string_view checked_payload(std::string_view file, std::string_view tag, const std::string& path);

}  // namespace tsu
