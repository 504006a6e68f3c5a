#include "ml/scaling.hpp"

#include <cmath>
#include <fmt/format.h>
#include <numbers>

#include "util/error.hpp"

namespace tsu::ml {

namespace {

// P(|T| <= t) for Student's t with integer dof (A&S 26.7.3 for odd dof, 26.7.4 for even).
double t_central_probability(int dof, double t) {
  const double theta = std::atan(t / std::sqrt(double(dof)));
  const double c2 = std::cos(theta) * std::cos(theta), s = std::sin(theta);
  double sum = 0, term = dof % 2 == 1 ? std::cos(theta) : 1.0;
  for (int k = dof % 2 == 1 ? 3 : 2; k <= dof; k += 2) {
    sum += term;
    term *= c2 * double(k - 1) / double(k);
  }
  if (dof % 2 == 0) return s * sum;
  return 2 / std::numbers::pi * (theta + s * sum);
}

}  // namespace

double student_t_quantile(int dof, double level) {
  if (dof < 1 || !(level > 0 && level < 1))
    throw Error(fmt::format("student_t_quantile: needs dof >= 1 and 0 < level < 1, got {} and {}", dof, level));
  double low = 0, high = 1;
  while (t_central_probability(dof, high) < level) high *= 2;
  for (int i = 0; i < 200 && high - low > 1e-12 * high; ++i) {
    const double mid = 0.5 * (low + high);
    (t_central_probability(dof, mid) < level ? low : high) = mid;
  }
  return 0.5 * (low + high);
}

PowerLawFit fit_power_law(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 3)
    throw Error(fmt::format("power-law fit: needs >= 3 points, got {}", std::min(x.size(), y.size())));
  const double n = double(x.size());
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!(x[i] > 0) || !(y[i] > 0) || !std::isfinite(x[i]) || !std::isfinite(y[i]))
      throw Error(fmt::format("power-law fit: point {} is ({}, {}); both must be finite and > 0", i, x[i], y[i]));
    mx += std::log(x[i]) / n, my += std::log(y[i]) / n;
  }
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double dx = std::log(x[i]) - mx;
    sxx += dx * dx, sxy += dx * (std::log(y[i]) - my);
  }
  if (!(sxx > 0)) throw Error("power-law fit: every point has the same x");
  PowerLawFit f;
  f.b = sxy / sxx, f.log_a = my - f.b * mx, f.mean_log_x = mx, f.sxx = sxx, f.points = int(x.size());
  double rss = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double r = std::log(y[i]) - (f.log_a + f.b * std::log(x[i]));
    rss += r * r;
  }
  f.residual_sd = std::sqrt(rss / (n - 2));
  f.se_b = f.residual_sd / std::sqrt(sxx);
  return f;
}

PowerLawPrediction predict(const PowerLawFit& fit, double x0, double level) {
  const double lx = std::log(x0), centre = fit.log_a + fit.b * lx;
  const double d = lx - fit.mean_log_x;
  const double half = student_t_quantile(fit.points - 2, level) * fit.residual_sd *
                      std::sqrt(1 + 1.0 / fit.points + d * d / fit.sxx);
  return {std::exp(centre), std::exp(centre - half), std::exp(centre + half), level};
}

}  // namespace tsu::ml
