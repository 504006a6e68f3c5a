// 8-bit images and their PNG files (libpng): what every layer writes pictures with (sample grids,
// denoising trajectories, the plots of util/plot.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tsu {

// Row-major pixels, `channels` bytes each: 1 = grey, 3 = RGB.
struct Image {
  int width = 0, height = 0, channels = 1;
  std::vector<uint8_t> pixels;
};

// The PNG file bytes of `image`; Error when its sizes do not match its pixels.
std::string encode_png(const Image& image);

// Writes `image` as a PNG file, atomically; Error naming the file on failure.
void write_png(const std::string& path, const Image& image);

// A grey grid of `count` images (each rows x cols, intensities in [0, 1], 1 = white) with
// `grid_cols` images per row, a 1-pixel grey border around every tile, every pixel drawn
// zoom x zoom. Error when `images` does not hold count x rows x cols values.
Image image_grid(std::span<const float> images, int count, int rows, int cols, int grid_cols, int zoom = 2);

}  // namespace tsu
