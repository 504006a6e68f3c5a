// Test side: a PNG file's pixels decoded by libpng, to check what tsu wrote.
#pragma once

#include <png.h>

#include <stdexcept>
#include <string>

#include "util/image.hpp"

inline tsu::Image decode_png(const std::string& bytes) {
  png_image header{};
  header.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&header, bytes.data(), bytes.size())) throw std::runtime_error(header.message);
  tsu::Image image{int(header.width), int(header.height), (header.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1, {}};
  header.format = image.channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  image.pixels.resize(PNG_IMAGE_SIZE(header));
  if (!png_image_finish_read(&header, nullptr, image.pixels.data(), 0, nullptr)) throw std::runtime_error(header.message);
  return image;
}
