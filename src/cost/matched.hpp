// Energy at matched quality. Each model family (DTM, VAE, GAN, diffusion) has a curve of points
// (quality = Frechet distance, lower is better; energy per sample) from its configurations or step
// counts. The energy a family needs to reach quality q is read off the curve's Pareto frontier (points
// that no other point beats in both quality and energy: sorted by distance, energy falls strictly),
// interpolating log(energy) linearly in distance between the two frontier points around q. Only
// inside the curve's range of distances: a family whose best point is worse than q, or whose worst
// point is better, is "not comparable" there (no extrapolation); `nearest` then names the frontier point
// at the end of the curve closest to q, from which a caller can still state a one-sided bound. Between
// the frontier's cheapest point and the curve's worst distance the cheapest point already reaches q, so
// its energy is used.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tsu::cost {

struct CurvePoint {
  double fd;      // Frechet distance (lower is better)
  double energy;  // J per sample (> 0)
};

struct EnergyAtQuality {
  std::optional<double> energy;       // J per sample; empty when not comparable
  std::optional<CurvePoint> nearest;  // when q is outside the range: the best point (q better than the
                                      // whole curve) or the cheapest frontier point (q worse than it)
  std::string note;                   // how it was found, or why not comparable
};

// Points with a non-finite distance or a non-positive or non-finite energy are ignored.
EnergyAtQuality energy_at_quality(const std::vector<CurvePoint>& curve, double fd);

// The Pareto frontier described above, sorted by distance.
std::vector<CurvePoint> pareto_frontier(const std::vector<CurvePoint>& curve);

}  // namespace tsu::cost
