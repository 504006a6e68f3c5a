// Line plots drawn with Cairo: axes with numbered ticks (linear or decades), one coloured line with
// markers per series, a legend and a title. Enough for the studies and reports of tsu; for anything
// more, the reports' JSON goes to matplotlib (examples/python).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "util/image.hpp"

namespace tsu {

struct Series {
  std::string name;
  std::vector<double> x, y;  // points with a non-finite coordinate (or <= 0 on a log axis) are skipped
};

struct Plot {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  std::vector<Series> series;
};

// The colour of series k (RGB), cycling through a palette of six; markers are drawn in it exactly.
std::array<uint8_t, 3> series_colour(size_t k);

// `plot` drawn on a 640 x 420 RGB image.
Image render_plot(const Plot& plot);

// Renders `plot` and writes it as a PNG file, atomically; Error naming the file on failure.
void write_plot_png(const std::string& path, const Plot& plot);

}  // namespace tsu
