#include "ml/png.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <vector>

#include "graph/files.hpp"
#include "graph/model.hpp"

namespace tsu::ml {

namespace {

void append_bytes(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), length);
}

void no_flush(png_structp) {}

std::string encode_png(int width, int height, std::span<const uint8_t> pixels) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    throw Error("png: out of memory");
  }
  std::string out;
  std::vector<png_bytep> rows(static_cast<size_t>(height));
  for (int r = 0; r < height; ++r) rows[size_t(r)] = const_cast<png_bytep>(pixels.data() + size_t(r) * size_t(width));
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw Error("png: encoding failed");
  }
  png_set_write_fn(png, &out, append_bytes, no_flush);
  png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace

void write_png_gray(const std::string& path, int width, int height, std::span<const uint8_t> pixels) {
  if (width < 1 || height < 1 || pixels.size() != size_t(width) * size_t(height))
    throw Error(fmt::format("{}: {} pixels do not make a {} x {} image", path, pixels.size(), width, height));
  write_file_atomic(path, encode_png(width, height, pixels));
}

void write_image_grid(const std::string& path, std::span<const float> images, int count, int rows, int cols,
                      int grid_cols, int zoom) {
  if (count < 1 || rows < 1 || cols < 1 || grid_cols < 1 || zoom < 1 ||
      images.size() != size_t(count) * size_t(rows) * size_t(cols))
    throw Error(
        fmt::format("{}: cannot tile {} values as {} images of {} x {}", path, images.size(), count, rows, cols));
  constexpr uint8_t kBorder = 128;
  const int grid_rows = (count + grid_cols - 1) / grid_cols;
  const int tile_w = cols * zoom + 1, tile_h = rows * zoom + 1;
  const int width = grid_cols * tile_w + 1, height = grid_rows * tile_h + 1;
  std::vector<uint8_t> canvas(size_t(width) * size_t(height), kBorder);
  for (int i = 0; i < count; ++i) {
    const int x0 = (i % grid_cols) * tile_w + 1, y0 = (i / grid_cols) * tile_h + 1;
    for (int r = 0; r < rows * zoom; ++r)
      for (int c = 0; c < cols * zoom; ++c) {
        const float v = images[size_t(i) * size_t(rows * cols) + size_t((r / zoom) * cols + c / zoom)];
        canvas[size_t(y0 + r) * size_t(width) + size_t(x0 + c)] = uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255));
      }
  }
  write_png_gray(path, width, height, canvas);
}

}  // namespace tsu::ml
