#include "util/plot.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <memory>

#include "util/error.hpp"

namespace tsu {

namespace {

constexpr int kWidth = 640, kHeight = 420;
constexpr int kLeft = 80, kRight = 20, kTop = 40, kBottom = 50;  // plot-area margins
constexpr double kFontSize = 11;
constexpr std::array<uint8_t, 3> kPalette[] = {{31, 119, 180}, {214, 39, 40},   {44, 160, 44},
                                               {255, 127, 14}, {148, 103, 189}, {23, 190, 207}};

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
    for (size_t k = 0; k < s.x.size() && k < s.y.size(); ++k)
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
    hi += is_x ? 0 : 0.05 * (hi - lo);
  }
  return {lo, hi, p0, p1, log};
}

using Surface = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using Context = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

void set_colour(cairo_t* cr, std::array<uint8_t, 3> c) { cairo_set_source_rgb(cr, c[0] / 255.0, c[1] / 255.0, c[2] / 255.0); }

// Text placed by its anchor: `align` 0 = left, 0.5 = centred, 1 = right of x; y is the baseline.
void text(cairo_t* cr, double x, double y, const std::string& s, double align = 0) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  cairo_move_to(cr, x - align * e.x_advance, y);
  cairo_show_text(cr, s.c_str());
}

// A pixel-aligned filled box: its colour is exact, not blended by antialiasing.
void box(cairo_t* cr, int x0, int y0, int x1, int y1) {
  cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
  cairo_fill(cr);
}

void draw_axes(cairo_t* cr, const Plot& plot, const Axis& x, const Axis& y) {
  cairo_set_line_width(cr, 1);
  for (double v : x.ticks()) {
    const double px = std::round(x.map(v)) + 0.5;
    cairo_set_source_rgb(cr, 0.86, 0.86, 0.86);
    cairo_move_to(cr, px, kTop);
    cairo_line_to(cr, px, kHeight - kBottom);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, px, kHeight - kBottom + 16, fmt::format("{:g}", v), 0.5);
  }
  for (double v : y.ticks()) {
    const double py = std::round(y.map(v)) + 0.5;
    cairo_set_source_rgb(cr, 0.86, 0.86, 0.86);
    cairo_move_to(cr, kLeft, py);
    cairo_line_to(cr, kWidth - kRight, py);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, kLeft - 6, py + 4, fmt::format("{:g}", v), 1);
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  box(cr, kLeft, kTop, kLeft + 2, kHeight - kBottom + 2);
  box(cr, kLeft, kHeight - kBottom, kWidth - kRight, kHeight - kBottom + 2);
  text(cr, (kLeft + kWidth - kRight) / 2.0, kHeight - 12, plot.x_label, 0.5);
  text(cr, 12, kTop - 10, plot.y_label);
  cairo_set_font_size(cr, kFontSize + 3);
  text(cr, kLeft, 20, plot.title);
  cairo_set_font_size(cr, kFontSize);
}

void draw_series(cairo_t* cr, const Plot& plot, const Axis& x, const Axis& y) {
  for (size_t s = 0; s < plot.series.size(); ++s) {
    const Series& series = plot.series[s];
    set_colour(cr, series_colour(s));
    cairo_set_line_width(cr, 2);
    std::vector<std::pair<int, int>> points;
    for (size_t k = 0; k < series.x.size() && k < series.y.size(); ++k)
      if (usable(series.x[k], plot.log_x) && usable(series.y[k], plot.log_y))
        points.emplace_back(int(std::lround(x.map(series.x[k]))), int(std::lround(y.map(series.y[k]))));
    for (size_t k = 0; k < points.size(); ++k)
      k == 0 ? cairo_move_to(cr, points[k].first, points[k].second) : cairo_line_to(cr, points[k].first, points[k].second);
    cairo_stroke(cr);
    for (const auto& [px, py] : points) box(cr, px - 3, py - 3, px + 3, py + 3);
    const int ly = kTop + 8 + 15 * int(s);  // legend, top right
    box(cr, kWidth - kRight - 180, ly - 5, kWidth - kRight - 164, ly - 2);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, kWidth - kRight - 158, ly, series.name);
  }
}

// The RGB pixels of a Cairo RGB24 surface (one native-endian 0x00RRGGBB word per pixel).
Image pixels_of(cairo_surface_t* surface) {
  cairo_surface_flush(surface);
  const unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  Image image{kWidth, kHeight, 3, std::vector<uint8_t>(size_t(kWidth) * kHeight * 3)};
  for (int row = 0; row < kHeight; ++row)
    for (int col = 0; col < kWidth; ++col) {
      const uint32_t word = *reinterpret_cast<const uint32_t*>(data + size_t(row) * size_t(stride) + size_t(col) * 4);
      uint8_t* out = &image.pixels[(size_t(row) * kWidth + size_t(col)) * 3];
      out[0] = uint8_t(word >> 16), out[1] = uint8_t(word >> 8), out[2] = uint8_t(word);
    }
  return image;
}

}  // namespace

std::array<uint8_t, 3> series_colour(size_t k) { return kPalette[k % std::size(kPalette)]; }

Image render_plot(const Plot& plot) {
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, kWidth, kHeight), cairo_surface_destroy);
  Context cr(cairo_create(surface.get()), cairo_destroy);
  if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS)
    throw Error(fmt::format("plot: {}", cairo_status_to_string(cairo_status(cr.get()))));
  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  cairo_paint(cr.get());
  cairo_select_font_face(cr.get(), "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr.get(), kFontSize);
  const Axis x = make_axis(plot, true, kLeft, kWidth - kRight), y = make_axis(plot, false, kHeight - kBottom, kTop);
  draw_axes(cr.get(), plot, x, y);
  draw_series(cr.get(), plot, x, y);
  if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS)
    throw Error(fmt::format("plot: {}", cairo_status_to_string(cairo_status(cr.get()))));
  return pixels_of(surface.get());
}

void write_plot_png(const std::string& path, const Plot& plot) {
  write_png(path, with_context(path, [&] { return render_plot(plot); }));
}

}  // namespace tsu
