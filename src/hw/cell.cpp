#include "hw/cell.hpp"

#include <algorithm>

namespace tsu::hw {

std::vector<uint8_t> telegraph_trace(double p, double tau, double dt, int64_t n, uint64_t seed) {
  auto rng = chain_stream(seed, 0, Stream::Aux);
  auto dwell = [&](int state) { return -std::log(open_uniform(rng)) * tau / (state ? 1.0 - p : p); };
  int state = open_uniform(rng) < p;
  double next_flip = dwell(state);  // memoryless: a fresh dwell is stationary too
  std::vector<uint8_t> trace(size_t(std::max<int64_t>(n, 0)));
  for (int64_t k = 0; k < n; ++k) {
    const double t = double(k) * dt;
    while (next_flip <= t) {
      state ^= 1;
      next_flip += dwell(state);
    }
    trace[size_t(k)] = uint8_t(state);
  }
  return trace;
}

std::vector<double> autocorrelation(const std::vector<uint8_t>& x, int max_lag) {
  const size_t n = x.size();
  double mean = 0;
  for (uint8_t v : x) mean += v;
  mean /= double(n);
  std::vector<double> rho;
  double c0 = 0;
  for (int lag = 0; lag <= max_lag && size_t(lag) < n; ++lag) {
    double c = 0;
    for (size_t i = 0; i + lag < n; ++i) c += (x[i] - mean) * (x[i + lag] - mean);
    c /= double(n - lag);
    if (lag == 0) c0 = c;
    rho.push_back(c0 > 0 ? c / c0 : 0.0);
  }
  return rho;
}

}  // namespace tsu::hw
