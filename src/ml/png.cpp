#include "ml/png.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <vector>

#include "util/files.hpp"
#include "graph/model.hpp"
#include "hw/png.hpp"

namespace tsu::ml {

void write_png_gray(const std::string& path, int width, int height, std::span<const uint8_t> pixels) {
  if (width < 1 || height < 1 || pixels.size() != size_t(width) * size_t(height))
    throw Error(fmt::format("{}: {} pixels do not make a {} x {} image", path, pixels.size(), width, height));
  write_file_atomic(path, hw::encode_png(width, height, 1, pixels));
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
