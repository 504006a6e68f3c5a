// The scaling curve's extrapolation: a power law y = a x^b fitted by least squares on log y against
// log x, and its prediction interval at a new x (for a DTM: free FD against training flips, to the
// paper's scale). The interval is the ordinary one for a new observation of a straight-line fit,
//   log y0 +- t(n-2) s sqrt(1 + 1/n + (log x0 - mean)^2 / Sxx),
// so it widens the further x0 lies outside the points, and holds only if the power law does.
#pragma once

#include <vector>

namespace tsu::ml {

struct PowerLawFit {
  double log_a = 0, b = 0;  // log y = log_a + b log x (natural logs)
  double se_b = 0;          // the slope's standard error
  double residual_sd = 0;   // s, of the log residuals (n - 2 degrees of freedom)
  double mean_log_x = 0, sxx = 0;
  int points = 0;
};

// Needs >= 3 points with x, y > 0 and two distinct x; Error otherwise.
PowerLawFit fit_power_law(const std::vector<double>& x, const std::vector<double>& y);

struct PowerLawPrediction {
  double value = 0, low = 0, high = 0;  // y at x0 and its interval
  double level = 0;                     // the interval's coverage, e.g. 0.9
};

PowerLawPrediction predict(const PowerLawFit& fit, double x0, double level);

// t such that P(|T| <= t) = level for Student's t with `dof` >= 1 degrees of freedom, from the
// closed-form distribution for integer dof (Abramowitz & Stegun 26.7.3-4) by bisection.
double student_t_quantile(int dof, double level);

}  // namespace tsu::ml
