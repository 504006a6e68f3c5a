// The side files of the optimisation commands (opt/formats): by the first byte, a solution file (the
// second byte gives the count and the range) or a best-known CSV table (looked up for one of four
// instances).
#include <cmath>

#include "harness.hpp"
#include "opt/formats.hpp"

using namespace tsu;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile input(".txt");
  if (size < 2) return 0;
  const bool solution = data[0] & 1;
  const size_t count = data[1] % 16;
  const int lo = -(data[1] >> 7), hi = 1 + (data[1] >> 4) % 8;
  static const char* instances[] = {"G1", "G22", "G81", "toy"};
  const std::string instance = instances[(data[0] >> 1) % 4];
  const std::string& path = input.write(fuzz::as_text(data + 2, size - 2));
  fuzz::expect_parse_or_clean_error(path, [&] {
    if (solution) {
      const std::vector<int> values = opt::read_solution(path, count, lo, hi);
      fuzz::require(values.size() == count, "a solution of the wrong length");
      for (int v : values) fuzz::require(lo <= v && v <= hi, "a solution value out of range");
    } else {
      const auto best = opt::read_best_known(path, instance);
      fuzz::require(!best || std::isfinite(best->value), "a best-known value that is not finite");
    }
  });
  return 0;
}
