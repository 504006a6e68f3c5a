#include "hw/plot.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <fmt/format.h>
#include <vector>

#include "util/files.hpp"
#include "graph/model.hpp"
#include "hw/png.hpp"

namespace tsu::hw {

namespace {

constexpr int kWidth = 640, kHeight = 420;
constexpr int kLeft = 80, kRight = 20, kTop = 40, kBottom = 50;  // plot-area margins

using Rgb = std::array<uint8_t, 3>;
constexpr Rgb kBlack{0, 0, 0}, kGrey{220, 220, 220};
constexpr Rgb kPalette[] = {{31, 119, 180}, {214, 39, 40}, {44, 160, 44}, {255, 127, 14}, {148, 103, 189}, {23, 190, 207}};

// 5x7 glyphs, seven 5-bit rows packed top row first.
constexpr char kGlyphs[] = "0123456789.-+/():=_%,ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr uint64_t kGlyphBits[] = {
    0x3a33ae62e, 0x11842108e, 0x3a211111f, 0x7c441062e, 0x08ca97c42, 0x7e1e0862e, 0x1910f462e, 0x7c2222108,
    0x3a317462e, 0x3a317844c, 0x00000018c, 0x0000f8000, 0x0084f9080, 0x002222200, 0x088842082, 0x208210888,
    0x018c03180, 0x001f07c00, 0x00000001f, 0x632222263, 0x000003088, 0x3a31fc631, 0x7a31f463e, 0x3a308422e,
    0x72518c65c, 0x7e10f421f, 0x7e10f4210, 0x3a30bc62f, 0x4631fc631, 0x38842108e, 0x1c4210a4c, 0x4654c5251,
    0x42108421f, 0x4775ac631, 0x4639ace31, 0x3a318c62e, 0x7a31f4210, 0x3a318d64d, 0x7a31f5251, 0x3e107043e,
    0x7c8421084, 0x46318c62e, 0x46318c544, 0x4631ad6aa, 0x462a22a31, 0x463151084, 0x7c222221f,
};

class Canvas {
 public:
  Canvas() : pixels_(size_t(kWidth) * kHeight, Rgb{255, 255, 255}) {}

  void set(int x, int y, Rgb c) {
    if (x >= 0 && x < kWidth && y >= 0 && y < kHeight) pixels_[size_t(y) * kWidth + size_t(x)] = c;
  }
  void box(int x0, int y0, int x1, int y1, Rgb c) {
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) set(x, y, c);
  }
  // A line two pixels wide (Bresenham).
  void line(int x0, int y0, int x1, int y1, Rgb c) {
    const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    for (int err = dx + dy;;) {
      box(x0, y0, x0 + 1, y0 + 1, c);
      if (x0 == x1 && y0 == y1) break;
      const int e2 = 2 * err;
      if (e2 >= dy) err += dy, x0 += sx;
      if (e2 <= dx) err += dx, y0 += sy;
    }
  }
  // Upper-cased text with its top-left corner at (x, y); characters without a glyph are blank.
  void text(int x, int y, const std::string& s, Rgb c) {
    for (char ch : s) {
      const char* at = std::strchr(kGlyphs, std::toupper(static_cast<unsigned char>(ch)));
      if (ch != ' ' && at && *at) {
        const uint64_t bits = kGlyphBits[at - kGlyphs];
        for (int r = 0; r < 7; ++r)
          for (int col = 0; col < 5; ++col)
            if (bits >> ((6 - r) * 5 + (4 - col)) & 1) set(x + col, y + r, c);
      }
      x += 6;
    }
  }
  std::string png() const;

 private:
  std::vector<Rgb> pixels_;
};

std::string Canvas::png() const {
  std::vector<uint8_t> bytes;
  bytes.reserve(pixels_.size() * 3);
  for (const Rgb& p : pixels_) bytes.insert(bytes.end(), p.begin(), p.end());
  return encode_png(kWidth, kHeight, 3, bytes);
}

// An axis: data range, pixel range and scale.
struct Axis {
  double lo, hi;
  int p0, p1;
  bool log;
  double map(double v) const {
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    return p0 + t * (p1 - p0);
  }
  // Decades on a log axis; 1-2-5 steps giving about five ticks on a linear one.
  std::vector<double> ticks() const {
    std::vector<double> t;
    if (log) {
      for (double e = std::floor(std::log10(lo)); e <= std::ceil(std::log10(hi)); ++e)
        if (const double v = std::pow(10.0, e); v >= lo * 0.999 && v <= hi * 1.001) t.push_back(v);
      return t;
    }
    const double raw = (hi - lo) / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
    return t;
  }
};

bool usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

Axis make_axis(const Plot& plot, bool is_x, int p0, int p1) {
  const bool log = is_x ? plot.log_x : plot.log_y;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : plot.series)
    for (size_t k = 0; k < s.x.size(); ++k)
      if (usable(s.x[k], plot.log_x) && usable(s.y[k], plot.log_y)) {
        const double v = is_x ? s.x[k] : s.y[k];
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  if (!std::isfinite(lo)) lo = 1, hi = 10;
  if (log) {
    lo = std::pow(10.0, std::floor(std::log10(lo)));
    hi = std::pow(10.0, std::ceil(std::log10(hi)));
    if (lo == hi) hi = lo * 10;
  } else {
    if (!is_x) lo = std::min(lo, 0.0);  // values start from zero unless negative
    if (lo == hi) hi = lo + 1;
    const double pad = is_x ? 0 : 0.05 * (hi - lo);
    hi += pad;
  }
  return {lo, hi, p0, p1, log};
}

}  // namespace

void write_plot_png(const std::string& path, const Plot& plot) {
  Canvas c;
  const Axis x = make_axis(plot, true, kLeft, kWidth - kRight), y = make_axis(plot, false, kHeight - kBottom, kTop);
  for (double v : x.ticks()) {
    const int px = int(std::lround(x.map(v)));
    c.box(px, kTop, px, kHeight - kBottom, kGrey);
    const std::string label = fmt::format("{:g}", v);
    c.text(px - 3 * int(label.size()), kHeight - kBottom + 8, label, kBlack);
  }
  for (double v : y.ticks()) {
    const int py = int(std::lround(y.map(v)));
    c.box(kLeft, py, kWidth - kRight, py, kGrey);
    const std::string label = fmt::format("{:g}", v);
    c.text(kLeft - 8 - 6 * int(label.size()), py - 3, label, kBlack);
  }
  c.box(kLeft, kTop, kLeft + 1, kHeight - kBottom, kBlack);
  c.box(kLeft, kHeight - kBottom, kWidth - kRight, kHeight - kBottom + 1, kBlack);
  c.text(kLeft, 12, plot.title, kBlack);
  c.text(kLeft - 60, kTop - 14, plot.y_label, kBlack);
  c.text((kLeft + kWidth - kRight) / 2 - 3 * int(plot.x_label.size()), kHeight - 18, plot.x_label, kBlack);
  for (size_t s = 0; s < plot.series.size(); ++s) {
    const auto& series = plot.series[s];
    const Rgb colour = kPalette[s % std::size(kPalette)];
    int last_x = -1, last_y = -1;
    for (size_t k = 0; k < series.x.size() && k < series.y.size(); ++k) {
      if (!usable(series.x[k], plot.log_x) || !usable(series.y[k], plot.log_y)) continue;
      const int px = int(std::lround(x.map(series.x[k]))), py = int(std::lround(y.map(series.y[k])));
      if (last_x >= 0) c.line(last_x, last_y, px, py, colour);
      c.box(px - 2, py - 2, px + 3, py + 3, colour);
      last_x = px, last_y = py;
    }
    const int ly = kTop + 6 + 12 * int(s);  // legend, top right
    c.box(kWidth - kRight - 170, ly + 2, kWidth - kRight - 158, ly + 4, colour);
    c.text(kWidth - kRight - 150, ly, series.name, kBlack);
  }
  write_file_atomic(path, c.png());
}

}  // namespace tsu::hw
