#include "ml/fashion_mnist.hpp"

#include <zlib.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <memory>

#include "graph/model.hpp"

namespace tsu::ml {

namespace {

constexpr uint32_t kImageMagic = 0x00000803;  // unsigned bytes, 3 dimensions
constexpr uint32_t kLabelMagic = 0x00000801;  // unsigned bytes, 1 dimension

// A gzip (or plain) stream that throws Error naming its file on any failure.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb"), &gzclose) {
    if (std::filesystem::is_directory(path)) throw Error(fmt::format("{}: is a directory, not an IDX file", path));
    if (!file_) throw Error(fmt::format("{}: cannot open", path));
  }

  void read(void* out, size_t bytes, const char* what) {
    const int got = gzread(file_.get(), out, unsigned(bytes));
    if (got < 0 || size_t(got) != bytes) {
      int code = 0;
      const char* message = gzerror(file_.get(), &code);
      throw Error(code != Z_OK && code != Z_BUF_ERROR
                      ? fmt::format("{}: corrupt gzip stream while reading the {}: {}", path_, what, message)
                      : fmt::format("{}: truncated: the file ends inside the {}", path_, what));
    }
  }

  uint32_t read_u32(const char* what) {
    std::array<unsigned char, 4> b{};
    read(b.data(), 4, what);
    return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file_;
};

void expect_magic(GzReader& in, uint32_t expected) {
  const uint32_t magic = in.read_u32("header");
  if (magic != expected)
    throw Error(fmt::format("{}: bad IDX magic number 0x{:08x} (expected 0x{:08x}); not an IDX {} file", in.path(),
                            magic, expected, expected == kImageMagic ? "image" : "label"));
}

std::string split_prefix(Split split) { return split == Split::Train ? "train" : "t10k"; }

}  // namespace

std::string fashion_mnist_dir() {
  const char* env = std::getenv("TSU_FASHION_MNIST");
  return env && *env ? std::string(env) : std::string(kFashionMnistPackageDir);
}

ImageSet read_idx_pair(const std::string& images_path, const std::string& labels_path, int classes, size_t limit) {
  GzReader images(images_path), labels(labels_path);
  expect_magic(images, kImageMagic);
  expect_magic(labels, kLabelMagic);
  const uint32_t count = images.read_u32("image count");
  const uint32_t rows = images.read_u32("row count"), cols = images.read_u32("column count");
  const uint32_t label_count = labels.read_u32("label count");
  if (count != label_count)
    throw Error(fmt::format("{}: {} labels for the {} images of {}", labels_path, label_count, count, images_path));
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096)
    throw Error(fmt::format("{}: implausible image size {} x {}", images_path, rows, cols));
  ImageSet set;
  set.rows = int(rows);
  set.cols = int(cols);
  const size_t n = limit > 0 ? std::min<size_t>(limit, count) : count;
  set.pixels.resize(n * rows * cols);
  set.labels.resize(n);
  images.read(set.pixels.data(), set.pixels.size(), "pixel data");
  labels.read(set.labels.data(), n, "label data");
  for (size_t i = 0; i < n; ++i)
    if (set.labels[i] >= classes)
      throw Error(fmt::format("{}: label {} of item {} is outside 0..{}", labels_path, set.labels[i], i, classes - 1));
  return set;
}

ImageSet load_fashion_mnist(Split split, const std::string& dir, size_t limit) {
  const std::filesystem::path folder = dir.empty() ? fashion_mnist_dir() : dir;
  const auto images = folder / (split_prefix(split) + "-images-idx3-ubyte.gz");
  const auto labels = folder / (split_prefix(split) + "-labels-idx1-ubyte.gz");
  for (const auto& path : {images, labels})
    if (!std::filesystem::exists(path))
      throw Error(
          fmt::format("{}: Fashion-MNIST file not found; install it with `apt-get install "
                      "dataset-fashion-mnist` (scripts/install-deps.sh does) or point $TSU_FASHION_MNIST "
                      "at a folder holding the four IDX files",
                      path.string()));
  return read_idx_pair(images.string(), labels.string(), kFashionMnistClasses, limit);
}

ImageSet pool_images(const ImageSet& set, int factor) {
  if (factor < 1 || set.rows % factor || set.cols % factor)
    throw Error(fmt::format("pool: factor {} does not divide the {} x {} images", factor, set.rows, set.cols));
  if (factor == 1) return set;
  ImageSet out;
  out.rows = set.rows / factor;
  out.cols = set.cols / factor;
  out.labels = set.labels;
  out.pixels.resize(set.size() * size_t(out.pixels_per_image()));
  const int area = factor * factor;
  for (size_t i = 0; i < set.size(); ++i) {
    const auto in = set.image(i);
    uint8_t* dst = out.pixels.data() + i * size_t(out.pixels_per_image());
    for (int r = 0; r < out.rows; ++r)
      for (int c = 0; c < out.cols; ++c) {
        int sum = 0;
        for (int dr = 0; dr < factor; ++dr)
          for (int dc = 0; dc < factor; ++dc) sum += in[size_t((r * factor + dr) * set.cols + c * factor + dc)];
        dst[r * out.cols + c] = uint8_t((sum + area / 2) / area);
      }
  }
  return out;
}

}  // namespace tsu::ml
