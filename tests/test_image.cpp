// util/image and util/plot: PNG files round-trip their pixels through libpng, image grids have the
// documented layout, plots draw every series in its colour and their text, and bad sizes are refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "decode_png.hpp"
#include "error_of.hpp"
#include "util/files.hpp"
#include "util/image.hpp"
#include "util/plot.hpp"

namespace fs = std::filesystem;

TEST(Png, RoundTripsGreyAndRgbPixels) {
  const tsu::Image rgb{3, 2, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}};
  const std::string bytes = tsu::encode_png(rgb);
  EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
  const tsu::Image back = decode_png(bytes);
  EXPECT_EQ(back.width, 3);
  EXPECT_EQ(back.height, 2);
  EXPECT_EQ(back.channels, 3);
  EXPECT_EQ(back.pixels, rgb.pixels);
  const tsu::Image grey{2, 1, 1, {0, 255}};
  EXPECT_EQ(decode_png(tsu::encode_png(grey)).pixels, grey.pixels);
  EXPECT_EQ(decode_png(tsu::encode_png(grey)).channels, 1);
}

TEST(Png, RefusesPixelsThatDoNotMatchTheSize) {
  EXPECT_EQ(error_of([] { tsu::encode_png({3, 2, 3, std::vector<uint8_t>(17)}); }),
            "png: 17 bytes do not make a 3 x 2 image of 3 channel(s)");
  EXPECT_EQ(error_of([] { tsu::encode_png({1, 1, 2, std::vector<uint8_t>(2)}); }),
            "png: 2 bytes do not make a 1 x 1 image of 2 channel(s)");
  EXPECT_EQ(error_of([] { tsu::write_png("out/x.png", {0, 1, 1, {}}); }),
            "out/x.png: png: 0 bytes do not make a 0 x 1 image of 1 channel(s)");
}

TEST(ImageGrid, TilesImagesWithBordersAndZoom) {
  // Five 3 x 2 images, 2 per row, zoom 2: 3 rows of tiles, each 2*2+1 wide and 3*2+1 high.
  std::vector<float> images(5 * 3 * 2, 0.0f);
  images[0] = 1.0f;  // image 0, top-left pixel white
  images[6 * 3 + 5] = 0.5f;  // image 3 (second row, right), bottom-right pixel grey
  const tsu::Image grid = tsu::image_grid(images, 5, 3, 2, 2, 2);
  EXPECT_EQ(grid.width, 2 * (2 * 2 + 1) + 1);
  EXPECT_EQ(grid.height, 3 * (3 * 2 + 1) + 1);
  const auto at = [&](int x, int y) { return int(grid.pixels[size_t(y) * size_t(grid.width) + size_t(x)]); };
  EXPECT_EQ(at(0, 0), 128);  // border
  for (int y : {1, 2})
    for (int x : {1, 2}) EXPECT_EQ(at(x, y), 255);  // the zoomed white pixel
  EXPECT_EQ(at(3, 1), 0);
  EXPECT_EQ(at(5 + 4, 7 + 6), 128);  // image 3's last pixel: 0.5 rounds to 128
  EXPECT_EQ(at(5 + 1, 14 + 1), 128);  // the fifth tile position is empty: border grey
  EXPECT_EQ(error_of([&] { tsu::image_grid(images, 6, 3, 2, 2); }), "image grid: cannot tile 30 values as 6 images of 3 x 2");
}

TEST(Plot, DrawsEverySeriesItsTextAndSkipsUnusablePoints) {
  tsu::Plot plot{"Title", "x", "y", false, true, {}};
  plot.series.push_back({"one", {1, 2, 3}, {1, 10, 100}});
  plot.series.push_back({"two", {1, 2, 3}, {5, -1, 50}});  // -1 cannot be drawn on a log axis
  const tsu::Image image = tsu::render_plot(plot);
  ASSERT_EQ(image.width, 640);
  ASSERT_EQ(image.height, 420);
  ASSERT_EQ(image.channels, 3);
  const std::string raw(image.pixels.begin(), image.pixels.end());
  for (size_t s = 0; s < 2; ++s) {
    const auto c = tsu::series_colour(s);
    EXPECT_NE(raw.find(std::string(c.begin(), c.end())), std::string::npos) << s;
  }
  const auto c = tsu::series_colour(2);
  EXPECT_EQ(raw.find(std::string(c.begin(), c.end())), std::string::npos);  // no third series
  // The title is drawn: dark pixels in the band above the plot area, none without a title.
  const auto dark_in_title_band = [](const tsu::Image& im) {
    int dark = 0;
    for (int y = 5; y < 25; ++y)
      for (int x = 80; x < 300; ++x) dark += im.pixels[(size_t(y) * 640 + size_t(x)) * 3] < 100;
    return dark;
  };
  EXPECT_GT(dark_in_title_band(image), 20);
  plot.title.clear();
  EXPECT_EQ(dark_in_title_band(tsu::render_plot(plot)), 0);
  EXPECT_EQ(tsu::series_colour(0), tsu::series_colour(6));  // six colours, cycled
}

TEST(Plot, WritesAPngFileAtomically) {
  const fs::path dir = fs::temp_directory_path() / ("tsu_plot_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "p.png").string();
  tsu::write_plot_png(path, {"t", "x", "y", false, false, {{"s", {0, 1}, {0, 1}}}});
  const tsu::Image image = decode_png(tsu::read_file(path));
  EXPECT_EQ(image.width, 640);
  EXPECT_EQ(std::count_if(fs::directory_iterator(dir), fs::directory_iterator(), [](auto&) { return true; }), 1);
  fs::remove_all(dir);
}
