// Fashion-MNIST from Debian's dataset-fashion-mnist package: the gzip IDX files of LeCun's format,
// read with every header field checked, so that a missing or corrupt file is a clear tsu::Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tsu::ml {

// Images of one size with their class labels; pixels are 0..255, row-major, image after image.
struct ImageSet {
  int rows = 0;
  int cols = 0;
  std::vector<uint8_t> pixels;  // [size() * rows * cols]
  std::vector<uint8_t> labels;  // [size()]

  size_t size() const { return labels.size(); }
  int pixels_per_image() const { return rows * cols; }
  std::span<const uint8_t> image(size_t i) const {
    return {pixels.data() + i * size_t(pixels_per_image()), size_t(pixels_per_image())};
  }
};

enum class Split { Train, Test };

constexpr const char* kFashionMnistPackageDir = "/usr/share/datasets/fashion-mnist";
constexpr int kFashionMnistClasses = 10;
constexpr size_t kFashionMnistTrainImages = 60000;  // the training split (Xiao et al. 2017)
// The classes' names, label 0 first (Xiao et al. 2017, the dataset's README).
inline constexpr const char* kFashionMnistClassNames[kFashionMnistClasses] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

// The folder of the IDX files: $TSU_FASHION_MNIST if set, else the Debian package's folder.
std::string fashion_mnist_dir();

// Reads an IDX image file (magic 0x803) and its label file (magic 0x801), gzip or plain. Keeps the
// first `limit` images (0 = all). Throws Error naming the file for a missing file, a bad magic
// number, a count that differs between the two files, a truncated or corrupt stream, or a label
// outside 0..classes-1.
ImageSet read_idx_pair(const std::string& images_path, const std::string& labels_path, int classes, size_t limit = 0);

// Fashion-MNIST's training (60,000) or test (10,000) split from `dir` ("" = fashion_mnist_dir()).
// A missing file's error says how to install the package.
ImageSet load_fashion_mnist(Split split, const std::string& dir = "", size_t limit = 0);

// Average pooling by `factor` (rows and cols must be multiples of it): small images for quick
// configurations and tests.
ImageSet pool_images(const ImageSet& set, int factor);

}  // namespace tsu::ml
