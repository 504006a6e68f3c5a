#include "util/image.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "util/error.hpp"
#include "util/files.hpp"

namespace tsu {

std::string encode_png(const Image& image) {
  if (image.width < 1 || image.height < 1 || (image.channels != 1 && image.channels != 3) ||
      image.pixels.size() != size_t(image.width) * size_t(image.height) * size_t(image.channels))
    throw Error(fmt::format("png: {} bytes do not make a {} x {} image of {} channel(s)", image.pixels.size(),
                            image.width, image.height, image.channels));
  png_image header{};
  header.version = PNG_IMAGE_VERSION;
  header.width = png_uint_32(image.width);
  header.height = png_uint_32(image.height);
  header.format = image.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;  // first call: the size the file needs
  if (!png_image_write_to_memory(&header, nullptr, &size, 0, image.pixels.data(), 0, nullptr))
    throw Error(fmt::format("png: {}", header.message));
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&header, bytes.data(), &size, 0, image.pixels.data(), 0, nullptr))
    throw Error(fmt::format("png: {}", header.message));
  bytes.resize(size);
  return bytes;
}

void write_png(const std::string& path, const Image& image) {
  write_file_atomic(path, with_context(path, [&] { return encode_png(image); }));
}

Image image_grid(std::span<const float> images, int count, int rows, int cols, int grid_cols, int zoom) {
  if (count < 1 || rows < 1 || cols < 1 || grid_cols < 1 || zoom < 1 ||
      images.size() != size_t(count) * size_t(rows) * size_t(cols))
    throw Error(fmt::format("image grid: cannot tile {} values as {} images of {} x {}", images.size(), count, rows, cols));
  constexpr uint8_t kBorder = 128;
  const int grid_rows = (count + grid_cols - 1) / grid_cols;
  const int tile_w = cols * zoom + 1, tile_h = rows * zoom + 1;
  Image grid{grid_cols * tile_w + 1, grid_rows * tile_h + 1, 1, {}};
  grid.pixels.assign(size_t(grid.width) * size_t(grid.height), kBorder);
  for (int i = 0; i < count; ++i) {
    const int x0 = (i % grid_cols) * tile_w + 1, y0 = (i / grid_cols) * tile_h + 1;
    for (int r = 0; r < rows * zoom; ++r)
      for (int c = 0; c < cols * zoom; ++c) {
        const float v = images[size_t(i) * size_t(rows * cols) + size_t((r / zoom) * cols + c / zoom)];
        grid.pixels[size_t(y0 + r) * size_t(grid.width) + size_t(x0 + c)] =
            uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255));
      }
  }
  return grid;
}

}  // namespace tsu
