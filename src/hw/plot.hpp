// A minimal line plot written as PNG (zlib only): axes with numbered ticks (linear or decades), one
// coloured line with markers per series, a legend and a title in a built-in 5x7 upper-case font.
// Enough for the studies in docs/hardware.md; not a plotting library.
#pragma once

#include <string>
#include <vector>

namespace tsu::hw {

struct Series {
  std::string name;
  std::vector<double> x, y;  // points with a non-finite coordinate (or <= 0 on a log axis) are skipped
};

struct Plot {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  std::vector<Series> series;
};

// Renders `plot` (640 x 420 pixels) and writes it to `path`; Error naming the file on failure.
void write_plot_png(const std::string& path, const Plot& plot);

}  // namespace tsu::hw
