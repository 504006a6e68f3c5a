#include "hw/png.hpp"

#include <zlib.h>

#include <fmt/format.h>

#include "graph/model.hpp"

namespace tsu::hw {

namespace {

void append_be32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(char(v >> s));
}

void append_chunk(std::string& out, const char* type, const std::string& data) {
  append_be32(out, uint32_t(data.size()));
  const std::string body = std::string(type, 4) + data;
  out += body;
  append_be32(out, uint32_t(crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()))));
}

}  // namespace

std::string encode_png(int width, int height, int channels, std::span<const uint8_t> pixels) {
  if (width < 1 || height < 1 || (channels != 1 && channels != 3) ||
      pixels.size() != size_t(width) * size_t(height) * size_t(channels))
    throw Error(fmt::format("png: {} bytes do not make a {} x {} image of {} channels", pixels.size(), width, height,
                            channels));
  const size_t row = size_t(width) * size_t(channels);
  std::string raw;  // each row: filter byte 0 (none), then the pixels
  raw.reserve((row + 1) * size_t(height));
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);
    raw.append(reinterpret_cast<const char*>(pixels.data()) + size_t(y) * row, row);
  }
  uLongf size = compressBound(uLong(raw.size()));
  std::string packed(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
                uLong(raw.size()), 9) != Z_OK)
    throw Error("png: compression failed");
  packed.resize(size);
  std::string header;
  append_be32(header, uint32_t(width));
  append_be32(header, uint32_t(height));
  header += char(8);                     // bit depth
  header += char(channels == 1 ? 0 : 2);  // colour type: grey or RGB
  header += std::string(3, '\0');        // deflate, adaptive filtering, no interlace
  std::string out = "\x89PNG\r\n\x1a\n";
  append_chunk(out, "IHDR", header);
  append_chunk(out, "IDAT", packed);
  append_chunk(out, "IEND", "");
  return out;
}

}  // namespace tsu::hw
