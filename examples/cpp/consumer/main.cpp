// A 5-spin Ising chain (h = 0, J = 0.5, beta = 1) sampled through the installed tsu library and
// checked against exact enumeration: on an open chain E[s_i s_(i+1)] = tanh(beta J) = 0.4621.
#include <cmath>
#include <cstdio>
#include <tsu/tsu.hpp>
#include <utility>
#include <vector>

int main() {
  const std::vector<double> h(5, 0.0);
  const std::vector<std::pair<int32_t, int32_t>> edges{{0, 1}, {1, 2}, {2, 3}, {3, 4}};
  const std::vector<double> weights(edges.size(), 0.5);
  const auto model = tsu::api::ising(h, edges, weights);

  tsu::api::SampleOptions options;
  options.chains = 64;
  options.schedule = {100, 2000, 2};
  options.seed = 1;
  const auto sampled = tsu::api::sample(model, options);
  const auto exact = tsu::api::exact(model);

  // 128,000 draws of a +-1 product with an autocorrelation time of a few observations: a standard
  // error of about 0.004, so 0.02 is five of them.
  double worst = 0;
  for (size_t p = 0; p < edges.size(); ++p) {
    std::printf("E[s%d s%d]: sampled %.4f, exact %.4f\n", edges[p].first, edges[p].second, sampled.pair_moments[p],
                exact.pair_moments[p]);
    worst = std::max(worst, std::abs(sampled.pair_moments[p] - exact.pair_moments[p]));
  }
  std::printf("largest difference %.4f (tanh(0.5) = %.4f)\n", worst, std::tanh(0.5));
  return worst < 0.02 && std::abs(exact.pair_moments[0] - std::tanh(0.5)) < 1e-12 ? 0 : 1;
}
