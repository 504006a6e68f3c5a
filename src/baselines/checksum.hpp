// FNV-1a 64 (Fowler, Noll and Vo; offset basis and prime from draft-eastlake-fnv): the checksum that
// guards the classifier cache and the baselines' checkpoints, since torch archives do not detect a
// corrupted tensor payload on their own.
#pragma once

#include <cstdint>
#include <string_view>

namespace tsu::baselines {

inline uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace tsu::baselines
