// Fashion-MNIST loading and the DTM data encoding: IDX parsing with its error reports, the
// package's files, binarisation, grey-level trials, label spots and pooling.
#include <gtest/gtest.h>

#include "error_of.hpp"
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <string>
#include <vector>

#include "graph/model.hpp"
#include "ml/encoding.hpp"
#include "ml/fashion_mnist.hpp"

namespace fs = std::filesystem;
using namespace tsu::ml;

namespace {

std::vector<uint8_t> be32(uint32_t v) { return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}; }

std::vector<uint8_t> idx_images(uint32_t magic, uint32_t count, uint32_t rows, uint32_t cols, size_t data_bytes) {
  std::vector<uint8_t> out;
  for (uint32_t v : {magic, count, rows, cols}) {
    auto b = be32(v);
    out.insert(out.end(), b.begin(), b.end());
  }
  for (size_t i = 0; i < data_bytes; ++i) out.push_back(uint8_t(i * 7));
  return out;
}

std::vector<uint8_t> idx_labels(uint32_t count, std::vector<uint8_t> labels) {
  std::vector<uint8_t> out = be32(0x801);
  auto n = be32(count);
  out.insert(out.end(), n.begin(), n.end());
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

class IdxFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tsu_idx_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string gz(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const auto path = (dir_ / name).string();
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), unsigned(bytes.size()));
    gzclose(f);
    return path;
  }
  std::string plain(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const auto path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return path;
  }

  fs::path dir_;
};

}  // namespace

TEST_F(IdxFiles, ReadsGzipAndPlainFiles) {
  const auto images = gz("i.gz", idx_images(0x803, 3, 2, 2, 12));
  const auto labels = plain("l", idx_labels(3, {4, 0, 9}));
  const ImageSet set = read_idx_pair(images, labels, 10);
  ASSERT_EQ(set.size(), 3u);
  EXPECT_EQ(set.rows, 2);
  EXPECT_EQ(set.cols, 2);
  EXPECT_EQ(set.image(1)[0], uint8_t(4 * 7));
  EXPECT_EQ(set.labels, (std::vector<uint8_t>{4, 0, 9}));
  EXPECT_EQ(read_idx_pair(images, labels, 10, 2).size(), 2u);
}

TEST_F(IdxFiles, CorruptFilesAreErrorsNamingTheFile) {
  const auto labels = gz("l.gz", idx_labels(3, {1, 2, 3}));
  const auto bad_magic = gz("m.gz", idx_images(0x801, 3, 2, 2, 12));
  EXPECT_NE(error_of([&] { read_idx_pair(bad_magic, labels, 10); }).find("m.gz: bad IDX magic"), std::string::npos);
  const auto truncated = gz("t.gz", idx_images(0x803, 3, 2, 2, 11));
  EXPECT_NE(error_of([&] { read_idx_pair(truncated, labels, 10); }).find("t.gz: truncated"), std::string::npos);
  const auto four = gz("4.gz", idx_images(0x803, 4, 2, 2, 16));
  EXPECT_NE(error_of([&] { read_idx_pair(four, labels, 10); }).find("3 labels for the 4 images"), std::string::npos);
  const auto good = gz("g.gz", idx_images(0x803, 3, 2, 2, 12));
  const auto big_label = gz("b.gz", idx_labels(3, {1, 10, 3}));
  EXPECT_NE(error_of([&] { read_idx_pair(good, big_label, 10); }).find("b.gz: label 10 of item 1"), std::string::npos);
  const auto garbage = plain("c.gz", {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_NE(error_of([&] { read_idx_pair(garbage, labels, 10); }).find("c.gz: corrupt gzip stream"), std::string::npos);
  EXPECT_NE(error_of([&] { read_idx_pair((dir_ / "none.gz").string(), labels, 10); }).find("none.gz: cannot open"),
            std::string::npos);
}

TEST_F(IdxFiles, MissingPackageFilesSayHowToInstall) {
  const std::string message = error_of([&] { load_fashion_mnist(Split::Test, dir_.string()); });
  EXPECT_NE(message.find("t10k-images-idx3-ubyte.gz"), std::string::npos) << message;
  EXPECT_NE(message.find("apt-get install dataset-fashion-mnist"), std::string::npos) << message;
}

TEST(FashionMnist, PackageSplitsLoad) {
  const ImageSet test = load_fashion_mnist(Split::Test, "", 500);
  ASSERT_EQ(test.size(), 500u);
  EXPECT_EQ(test.rows, 28);
  EXPECT_EQ(test.cols, 28);
  std::vector<int> per_class(10);
  for (uint8_t l : test.labels) ++per_class[l];
  for (int c = 0; c < 10; ++c) EXPECT_GT(per_class[size_t(c)], 20) << "class " << c;  // the split is balanced
  const ImageSet train = load_fashion_mnist(Split::Train, "", 10);
  EXPECT_EQ(train.labels.front(), 9);  // the first training item is an ankle boot
}

TEST(Encoding, BinarisesAtTheThreshold) {
  Encoding e;
  e.pixels = 3;
  e.label_spots = 2;
  e.classes = 3;
  std::vector<uint8_t> out(size_t(e.bits()));
  encode_item(e, std::vector<uint8_t>{25, 26, 255}, 1, out);  // 25/255 = 0.098, 26/255 = 0.102
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 1, 1, 0, 1, 0, 0, 1, 0}));
  EXPECT_EQ(decode_label(e, out), 1);
  std::vector<float> image(3);
  decode_image(e, out, image);
  EXPECT_EQ(image, (std::vector<float>{0, 1, 1}));
}

TEST(Encoding, GreyLevelsAreThermometerTrials) {
  Encoding e;
  e.pixels = 3;
  e.grey_levels = 4;
  e.label_spots = 0;
  std::vector<uint8_t> out(size_t(e.bits()));
  encode_item(e, std::vector<uint8_t>{0, 128, 255}, 0, out);  // levels round(p / 255 * 4) = 0, 2, 4
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1}));
  std::vector<float> image(3);
  decode_image(e, out, image);
  EXPECT_EQ(image, (std::vector<float>{0, 0.5f, 1}));
  EXPECT_EQ(decode_label(e, out), -1);
}

TEST(Encoding, LabelVotesAcrossSpots) {
  Encoding e;
  e.pixels = 1;
  e.classes = 3;
  e.label_spots = 3;
  // pixel, then spots: class 2; classes 0 and 1; class 2
  const std::vector<uint8_t> bits{0, 0, 0, 1, 1, 1, 0, 0, 0, 1};
  EXPECT_EQ(decode_label(e, bits), 2);
}

TEST(Encoding, BadFieldsAreNamed) {
  Encoding e;
  e.grey_levels = 0;
  EXPECT_NE(error_of([&] { e.validate(); }).find("grey_levels"), std::string::npos);
  e.grey_levels = 1;
  e.threshold = 1.5;
  EXPECT_NE(error_of([&] { e.validate(); }).find("threshold"), std::string::npos);
}

TEST(Pooling, AveragesBlocks) {
  ImageSet set;
  set.rows = set.cols = 2;
  set.pixels = {0, 10, 20, 31, 255, 255, 255, 254};
  set.labels = {3, 4};
  const ImageSet pooled = pool_images(set, 2);
  EXPECT_EQ(pooled.rows, 1);
  EXPECT_EQ(pooled.pixels, (std::vector<uint8_t>{15, 255}));  // (61 + 2) / 4 = 15; (1019 + 2) / 4 = 255
  EXPECT_EQ(pooled.labels, set.labels);
  EXPECT_THROW(pool_images(set, 3), tsu::Error);
}
