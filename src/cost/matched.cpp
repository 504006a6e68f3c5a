#include "cost/matched.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace tsu::cost {

namespace {

bool usable(const CurvePoint& p) { return std::isfinite(p.fd) && std::isfinite(p.energy) && p.energy > 0; }

std::vector<CurvePoint> usable_sorted(const std::vector<CurvePoint>& curve) {
  std::vector<CurvePoint> points;
  std::copy_if(curve.begin(), curve.end(), std::back_inserter(points), usable);
  std::sort(points.begin(), points.end(), [](const CurvePoint& a, const CurvePoint& b) {
    return a.fd < b.fd || (a.fd == b.fd && a.energy < b.energy);
  });
  return points;
}

// `points` as usable_sorted returns them.
std::vector<CurvePoint> frontier_of_sorted(const std::vector<CurvePoint>& points) {
  std::vector<CurvePoint> frontier;
  for (const CurvePoint& p : points)
    if (frontier.empty() || p.energy < frontier.back().energy) frontier.push_back(p);
  return frontier;
}

}  // namespace

std::vector<CurvePoint> pareto_frontier(const std::vector<CurvePoint>& curve) {
  return frontier_of_sorted(usable_sorted(curve));
}

EnergyAtQuality energy_at_quality(const std::vector<CurvePoint>& curve, double fd) {
  const std::vector<CurvePoint> points = usable_sorted(curve);
  if (points.empty()) return {std::nullopt, std::nullopt, "not comparable: the curve has no usable point"};
  if (!std::isfinite(fd)) return {std::nullopt, std::nullopt, "not comparable: the quality is not a number"};
  const double lo = points.front().fd, hi = points.back().fd;
  const std::vector<CurvePoint> frontier = frontier_of_sorted(points);
  if (fd < lo || fd > hi)
    return {std::nullopt, fd < lo ? frontier.front() : frontier.back(),
            fmt::format("not comparable: FD {:.4g} is outside the curve's range [{:.4g}, {:.4g}]", fd, lo, hi)};
  if (fd >= frontier.back().fd)
    return {frontier.back().energy, std::nullopt,
            fmt::format("cheapest point (FD {:.4g}) already reaches FD {:.4g}", frontier.back().fd, fd)};
  const auto upper = std::upper_bound(frontier.begin(), frontier.end(), fd,
                                      [](double q, const CurvePoint& p) { return q < p.fd; });
  const CurvePoint& a = *(upper - 1);
  const CurvePoint& b = *upper;
  const double t = (fd - a.fd) / (b.fd - a.fd);
  const double energy = std::exp(std::log(a.energy) + t * (std::log(b.energy) - std::log(a.energy)));
  return {energy, std::nullopt, fmt::format("log-interpolated between FD {:.4g} and {:.4g}", a.fd, b.fd)};
}

}  // namespace tsu::cost
