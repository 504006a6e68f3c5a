// NumPy .npy files (format versions 1.0 to 3.0 read, 1.0 written): C order, little-endian, the
// plain numeric dtypes only. Writes are atomic (a temporary file beside the target, then a rename),
// so a reader never sees half a file.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tsu {

struct NpyArray {
  std::string dtype;          // "|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<i8", "<f4", "<f8"
  std::vector<size_t> shape;  // empty = a scalar
  std::vector<char> bytes;    // C order, little-endian

  size_t elements() const;
};

// Bytes per element of a supported dtype; throws Error for any other.
size_t npy_itemsize(const std::string& dtype);

// Element k (C order) of any supported dtype, as a double (exact for every integer dtype but <i8
// beyond 2^53); bool is 0 or 1.
double npy_value(const NpyArray& a, size_t k);
bool npy_is_float(const std::string& dtype);  // "<f4" or "<f8"

// Throws Error naming the file when the dtype is unsupported, the byte count disagrees with the
// shape, or the file cannot be written.
void write_npy(const std::string& path, const NpyArray& a);

// Throws Error naming the file for a bad magic string, a malformed header, an unsupported dtype
// (big-endian included), Fortran order, or a data size that disagrees with the shape.
NpyArray read_npy(const std::string& path);

}  // namespace tsu
