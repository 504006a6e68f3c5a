// Grey-scale PNG output (through hw/png.hpp) for sample grids and denoising trajectories. Writes are atomic.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace tsu::ml {

// 8-bit grey image, row-major; Error naming the file on failure.
void write_png_gray(const std::string& path, int width, int height, std::span<const uint8_t> pixels);

// A grid of `count` images (each rows x cols, intensities in [0, 1], 1 = white) with `grid_cols`
// images per row, a 1-pixel grey border around every tile, every pixel drawn zoom x zoom.
void write_image_grid(const std::string& path, std::span<const float> images, int count, int rows, int cols,
                      int grid_cols, int zoom = 2);

}  // namespace tsu::ml
