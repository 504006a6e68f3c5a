#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "graph/model.hpp"
#include "sample/npy.hpp"

namespace fs = std::filesystem;

namespace {

class Npy : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tsu_test_npy_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static void write_raw(const std::string& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
  }
  // A version 1.0 file with the given header dictionary and data bytes.
  static std::string raw_npy(const std::string& dict, const std::string& data, char major = 1) {
    std::string header = dict + "\n";
    std::string out = "\x93NUMPY";
    out += major;
    out += '\0';
    out += char(header.size() & 0xff);
    out += char(header.size() >> 8);
    if (major > 1) out += std::string(2, '\0');
    return out + header + data;
  }
  void expect_error(const std::string& p, const std::string& fragment) {
    try {
      tsu::read_npy(p);
      FAIL() << "no error for " << fragment;
    } catch (const tsu::Error& e) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  }

  fs::path dir_;
};

tsu::NpyArray doubles(std::vector<size_t> shape, const std::vector<double>& values) {
  tsu::NpyArray a{"<f8", std::move(shape), std::vector<char>(values.size() * 8)};
  std::memcpy(a.bytes.data(), values.data(), a.bytes.size());
  return a;
}

}  // namespace

TEST_F(Npy, RoundTripsEveryShapeAndDtype) {
  const auto a = doubles({2, 3}, {1.5, -2, 3, 4, 5, 6e300});
  tsu::write_npy(path("a.npy"), a);
  const auto b = tsu::read_npy(path("a.npy"));
  EXPECT_EQ(b.dtype, "<f8");
  EXPECT_EQ(b.shape, (std::vector<size_t>{2, 3}));
  EXPECT_EQ(b.bytes, a.bytes);

  for (std::vector<size_t> shape : {std::vector<size_t>{}, {5}, {0, 4}, {2, 1, 3}}) {
    tsu::NpyArray c{"|i1", shape, {}};
    c.bytes.resize(c.elements());
    for (size_t k = 0; k < c.bytes.size(); ++k) c.bytes[k] = char(int(k) - 3);
    tsu::write_npy(path("c.npy"), c);
    const auto d = tsu::read_npy(path("c.npy"));
    EXPECT_EQ(d.shape, shape);
    EXPECT_EQ(d.bytes, c.bytes);
  }
  for (std::string dtype : {"|b1", "|u1", "<i2", "<u2", "<i4", "<i8", "<f4"}) {
    tsu::NpyArray e{dtype, {3}, std::vector<char>(3 * tsu::npy_itemsize(dtype), 1)};
    tsu::write_npy(path("e.npy"), e);
    EXPECT_EQ(tsu::read_npy(path("e.npy")).dtype, dtype);
  }
}

TEST_F(Npy, WritesNumpysHeaderAlignedTo64Bytes) {
  tsu::write_npy(path("h.npy"), tsu::NpyArray{"|i1", {2, 3}, std::vector<char>(6, 0)});
  std::ifstream in(path("h.npy"), std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ(text.size(), 128u + 6u);  // a 59-character dictionary pads the header to 128 bytes
  EXPECT_EQ(text.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(text.substr(10, 59).find("{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }"), 0u);
  EXPECT_EQ(text[127], '\n');
  // A 1-D shape is written as a one-element tuple, as numpy does.
  tsu::write_npy(path("v.npy"), tsu::NpyArray{"|i1", {7}, std::vector<char>(7, 0)});
  std::ifstream v(path("v.npy"), std::ios::binary);
  std::string vtext((std::istreambuf_iterator<char>(v)), {});
  EXPECT_NE(vtext.find("'shape': (7,)"), std::string::npos);
  // Nothing but the target is left in the folder.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 2);
}

TEST_F(Npy, ReadsVersion2AndDoubleQuotedHeaders) {
  write_raw(path("v2.npy"),
            raw_npy("{\"descr\": \"<i2\", \"shape\": (2,), \"fortran_order\": False}", std::string("\x01\x00\xff\xff", 4), 2));
  const auto a = tsu::read_npy(path("v2.npy"));
  EXPECT_EQ(a.dtype, "<i2");
  ASSERT_EQ(a.bytes.size(), 4u);
  int16_t v[2];
  std::memcpy(v, a.bytes.data(), 4);
  EXPECT_EQ(v[0], 1);
  EXPECT_EQ(v[1], -1);
}

TEST_F(Npy, RejectsBadFilesNamingThem) {
  expect_error(path("missing.npy"), "cannot open");
  write_raw(path("magic.npy"), "PK\x03\x04 not numpy at all");
  expect_error(path("magic.npy"), "bad magic");
  write_raw(path("fortran.npy"), raw_npy("{'descr': '<f8', 'fortran_order': True, 'shape': (1,), }", std::string(8, 0)));
  expect_error(path("fortran.npy"), "Fortran");
  write_raw(path("big.npy"), raw_npy("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", std::string(8, 0)));
  expect_error(path("big.npy"), "dtype \">f8\"");
  write_raw(path("object.npy"), raw_npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", std::string(8, 0)));
  expect_error(path("object.npy"), "dtype \"|O\"");
  write_raw(path("short.npy"), raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", std::string(24, 0)));
  expect_error(path("short.npy"), "needs 32 data bytes, the file holds 24");
  write_raw(path("long.npy"), raw_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", std::string(3, 0)));
  expect_error(path("long.npy"), "the file holds 3");
  write_raw(path("noshape.npy"), raw_npy("{'descr': '<f8', 'fortran_order': False, }", ""));
  expect_error(path("noshape.npy"), "lacks");
  write_raw(path("badshape.npy"), raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", ""));
  expect_error(path("badshape.npy"), "shape must be");
  write_raw(path("truncated.npy"), std::string("\x93NUMPY\x01\x00\x50\x00{'descr'", 17));
  expect_error(path("truncated.npy"), "truncated");
}

TEST_F(Npy, RefusesToWriteInconsistentArrays) {
  EXPECT_THROW(tsu::write_npy(path("x.npy"), tsu::NpyArray{"<f8", {2}, std::vector<char>(15)}), tsu::Error);
  EXPECT_THROW(tsu::write_npy(path("x.npy"), tsu::NpyArray{"<c16", {1}, std::vector<char>(16)}), tsu::Error);
  EXPECT_THROW(tsu::write_npy(path("no/such/dir/x.npy"), doubles({1}, {1.0})), tsu::Error);
  EXPECT_FALSE(fs::exists(path("x.npy")));
}
