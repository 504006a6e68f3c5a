// IDX image and label files, plain or gzip (ml/fashion_mnist). The input is a byte `classes`, a
// byte `limit`, the image file's length (4 bytes, little-endian), the image file, then the label file.
// What reads has one label per image, each in range, and images of rows x cols.
#include <cstring>

#include "harness.hpp"
#include "ml/fashion_mnist.hpp"

using namespace tsu;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile images("-images.idx"), labels("-labels.idx");
  if (size < 6) return 0;
  const int classes = 1 + data[0] % 12;
  const size_t limit = data[1] % 4;
  uint32_t image_size = 0;
  std::memcpy(&image_size, data + 2, 4);
  const std::string_view rest = fuzz::as_text(data + 6, size - 6);
  images.write(rest.substr(0, image_size));
  labels.write(rest.substr(std::min<size_t>(image_size, rest.size())));
  const std::string common = images.path().substr(0, images.path().size() - std::string("-images.idx").size());
  fuzz::expect_parse_or_clean_error(common, [&] {
    const ml::ImageSet set = ml::read_idx_pair(images.path(), labels.path(), classes, limit);
    fuzz::require(set.pixels.size() == set.size() * size_t(set.pixels_per_image()), "pixels do not match the image count");
    fuzz::require(limit == 0 || set.size() <= limit, "more images than the limit");
    for (const auto label : set.labels) fuzz::require(int(label) < classes, "a label out of range");
  });
  return 0;
}
