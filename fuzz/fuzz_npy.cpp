// NumPy .npy files (sample/npy): an array that reads writes back (format 1.0) to a file that reads
// to the same dtype, shape and bytes.
#include "harness.hpp"
#include "sample/npy.hpp"

using namespace tsu;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile input(".npy"), written("-written.npy");
  const std::string& path = input.write(fuzz::as_text(data, size));
  fuzz::expect_parse_or_clean_error(path, [&] {
    const NpyArray a = read_npy(path);
    write_npy(written.path(), a);
    const NpyArray b = fuzz::reread([&] { return read_npy(written.path()); });
    fuzz::require(a.dtype == b.dtype && a.shape == b.shape && a.bytes == b.bytes, "the written array reads back differently");
  });
  return 0;
}
