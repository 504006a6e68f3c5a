// PNG encoding with zlib alone: the one PNG writer of tsu (study plots, compare plots, sample grids).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace tsu::hw {

// An 8-bit image, row-major, `channels` = 1 (grey) or 3 (RGB) bytes per pixel, as PNG file bytes.
// Throws Error when the sizes do not match.
std::string encode_png(int width, int height, int channels, std::span<const uint8_t> pixels);

}  // namespace tsu::hw
