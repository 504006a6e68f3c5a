#include "sample/npy.hpp"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>

#include "util/files.hpp"
#include "util/json.hpp"
#include "graph/model.hpp"

namespace tsu {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct DtypeInfo {
  const char* name;
  size_t size;
};
// Single-byte types carry '|' (no byte order); numpy also accepts them with '<' or '='.
constexpr DtypeInfo kDtypes[] = {{"|b1", 1}, {"|i1", 1}, {"|u1", 1}, {"<i2", 2}, {"<u2", 2},
                                 {"<i4", 4}, {"<i8", 8}, {"<f4", 4}, {"<f8", 8}};

std::string normalised_dtype(std::string d) {
  if (d.size() == 3 && (d[0] == '<' || d[0] == '=') && d[2] == '1') d[0] = '|';
  if (d.size() == 3 && d[0] == '=') d[0] = '<';  // native order: little-endian on every host we build for
  return d;
}

std::string shape_text(const std::vector<size_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

size_t element_count(const std::vector<size_t>& shape) {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

// The data bytes a header declares, checked for overflow (a forged shape must not wrap around to a
// size that passes the file-size check).
size_t declared_bytes(const NpyArray& a, size_t itemsize, const std::string& path) {
  size_t bytes = itemsize;
  for (size_t d : a.shape)
    if (__builtin_mul_overflow(bytes, d, &bytes))
      throw Error(fmt::format("{}: shape {} of dtype '{}' is too large to address", path, shape_text(a.shape), a.dtype));
  return bytes;
}

// numpy itself refuses headers above 10,000 bytes unless told otherwise; tsu allows 1 MiB before
// allocating anything for one.
constexpr size_t kMaxHeaderBytes = size_t(1) << 20;

// Header dictionary of format 1.0, padded with spaces so that the data starts 64-byte aligned.
std::string header_of(const NpyArray& a) {
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", a.dtype,
                                 shape_text(a.shape));
  const size_t unpadded = kMagicSize + 4 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  return dict;
}

// A minimal reader of the Python literal numpy writes: {'key': value, ...} with string, boolean
// and integer-tuple values.
class HeaderParser {
 public:
  HeaderParser(std::string text, std::string path) : text_(std::move(text)), path_(std::move(path)) {}

  void parse(NpyArray& a) {
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (!peek('}')) {
      std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        a.dtype = normalised_dtype(string_literal());
        have_descr = true;
      } else if (key == "fortran_order") {
        if (boolean_literal()) fail("Fortran-order arrays are not supported");
        have_order = true;
      } else if (key == "shape") {
        a.shape = tuple_literal();
        have_shape = true;
      } else {
        fail(fmt::format("unexpected key {}", json_literal(key)));
      }
      if (!peek('}')) expect(',');
    }
    if (!have_descr || !have_order || !have_shape) fail("header lacks 'descr', 'fortran_order' or 'shape'");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(fmt::format("{}: bad .npy header: {}", path_, what));
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) fail(fmt::format("expected '{}' at offset {}", c, pos_));
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) fail("expected a quoted string");
    const char quote = text_[pos_++];
    const size_t end = text_.find(quote, pos_);
    if (end == std::string::npos) fail("unterminated string");
    std::string s = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  bool boolean_literal() {
    skip_space();
    for (auto [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      if (text_.compare(pos_, std::strlen(word), word) == 0) {
        pos_ += std::strlen(word);
        return value;
      }
    }
    fail("expected True or False");
  }
  std::vector<size_t> tuple_literal() {
    std::vector<size_t> dims;
    expect('(');
    while (!peek(')')) {
      const size_t start = pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      if (pos_ == start || pos_ - start > 18) fail("shape must be a tuple of non-negative integers");
      dims.push_back(std::stoull(text_.substr(start, pos_ - start)));
      if (!peek(')')) expect(',');
    }
    ++pos_;
    return dims;
  }

  std::string text_;
  std::string path_;
  size_t pos_ = 0;
};

uint32_t little_endian(const unsigned char* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

size_t NpyArray::elements() const { return element_count(shape); }

size_t npy_itemsize(const std::string& dtype) {
  for (const auto& d : kDtypes)
    if (dtype == d.name) return d.size;
  throw Error(fmt::format("unsupported .npy dtype {} (expected a little-endian bool, integer or float type)", json_literal(dtype)));
}

void write_npy(const std::string& path, const NpyArray& a) {
  size_t itemsize = 0;
  try {
    itemsize = npy_itemsize(a.dtype);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
  if (a.bytes.size() != a.elements() * itemsize)
    throw Error(fmt::format("{}: {} data bytes do not fit shape {} of dtype '{}'", path, a.bytes.size(),
                            shape_text(a.shape), a.dtype));
  const std::string header = header_of(a);
  if (header.size() > UINT16_MAX) throw Error(fmt::format("{}: shape too long for a .npy 1.0 header", path));
  const unsigned char prefix[4] = {1, 0, static_cast<unsigned char>(header.size() & 0xff),
                                   static_cast<unsigned char>(header.size() >> 8)};
  write_file_atomic(path, [&](std::ostream& out) {
    out.write(kMagic, kMagicSize);
    out.write(reinterpret_cast<const char*>(prefix), 4);
    out << header;
    out.write(a.bytes.data(), std::streamsize(a.bytes.size()));
  });
}

namespace {

template <class T>
double element_at(const NpyArray& a, size_t k) {
  T v;
  std::memcpy(&v, a.bytes.data() + k * sizeof(T), sizeof(T));
  return double(v);
}

}  // namespace

double npy_value(const NpyArray& a, size_t k) {
  if (k >= a.elements()) throw Error(fmt::format("npy: element {} of {}", k, a.elements()));
  if (a.dtype == "|b1") return a.bytes[k] ? 1.0 : 0.0;
  if (a.dtype == "|i1") return element_at<int8_t>(a, k);
  if (a.dtype == "|u1") return element_at<uint8_t>(a, k);
  if (a.dtype == "<i2") return element_at<int16_t>(a, k);
  if (a.dtype == "<u2") return element_at<uint16_t>(a, k);
  if (a.dtype == "<i4") return element_at<int32_t>(a, k);
  if (a.dtype == "<i8") return element_at<int64_t>(a, k);
  if (a.dtype == "<f4") return element_at<float>(a, k);
  if (a.dtype == "<f8") return element_at<double>(a, k);
  throw Error(fmt::format("npy: unsupported dtype {}", a.dtype));
}

bool npy_is_float(const std::string& dtype) { return dtype == "<f4" || dtype == "<f8"; }

NpyArray read_npy(const std::string& path) {
  std::ifstream in = open_for_reading(path);
  unsigned char lead[kMagicSize + 2];
  if (!in.read(reinterpret_cast<char*>(lead), sizeof lead) || std::memcmp(lead, kMagic, kMagicSize) != 0)
    throw Error(fmt::format("{}: not a .npy file (bad magic string)", path));
  const int major = lead[kMagicSize];
  if (major < 1 || major > 3) throw Error(fmt::format("{}: unsupported .npy format version {}", path, major));
  const int length_bytes = major == 1 ? 2 : 4;
  unsigned char length[4];
  if (!in.read(reinterpret_cast<char*>(length), length_bytes))
    throw Error(fmt::format("{}: bad .npy header: truncated", path));
  const size_t header_bytes = little_endian(length, length_bytes);
  if (header_bytes > kMaxHeaderBytes)
    throw Error(fmt::format("{}: bad .npy header: declares {} bytes, more than the {} allowed", path, header_bytes,
                            kMaxHeaderBytes));
  std::string header(header_bytes, '\0');
  if (!in.read(header.data(), std::streamsize(header.size())))
    throw Error(fmt::format("{}: bad .npy header: truncated", path));

  NpyArray a;
  HeaderParser(header, path).parse(a);
  size_t itemsize = 0;
  try {
    itemsize = npy_itemsize(a.dtype);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
  const size_t expected = declared_bytes(a, itemsize, path);
  const auto data_start = in.tellg();
  in.seekg(0, std::ios::end);
  const auto available = size_t(in.tellg() - data_start);
  if (available != expected)
    throw Error(fmt::format("{}: shape {} of dtype '{}' needs {} data bytes, the file holds {}", path,
                            shape_text(a.shape), a.dtype, expected, available));
  in.seekg(data_start);
  a.bytes.resize(expected);
  if (!in.read(a.bytes.data(), std::streamsize(expected)))
    throw IoError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  return a;
}

}  // namespace tsu
