// The mixing diagnostic that drives ACP: the long-lag autocorrelation of the image part of a step's
// free-running chains (replication DTM.compute_autocorr / autocorr_fun.py). Each observed image is
// projected to a few dimensions by a fixed random matrix with entries U(-1, 1) / sqrt(pixels); the
// autocovariances of the dimensions are summed and normalised at lag 0 (a "vector"
// autocorrelation), and the statistic is its mean over the last 1/16 of the lags 0..n/2, clipped
// at 0. The replication README notes that the paper's Fig. 5b used another reduction, so absolute
// values may differ from the paper's. Each group of chains started from one noised image is centred
// on its own mean (see vector_autocorrelation).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sample/engine.hpp"

namespace tsu::ml {

// Records the projection of the given variables (node ids into the state batch) per chain and
// observation: series()[ (chain * observations + obs) * dims + d ].
class ProjectionObserver : public Observer {
 public:
  ProjectionObserver(std::vector<int32_t> nodes, int dims, uint64_t seed);
  void observe(const StateBatch& states, int64_t index) override;
  int dims() const { return dims_; }
  int chains() const { return chains_; }
  int64_t observations() const { return observations_; }
  // Chain-major series [chain][observation][dim] (reordered from the observation-major record).
  std::vector<float> series() const;

 private:
  std::vector<int32_t> nodes_;
  int dims_;
  std::vector<float> matrix_;  // [node k][dim]
  int chains_ = 0;
  int64_t observations_ = 0;
  std::vector<float> record_;  // [observation][chain][dim]
};

// Vector autocorrelation r(k) = sum_d C_d(k) / sum_d C_d(0) of a chain-major series, where C_d is
// the chain-averaged autocovariance of dimension d with the biased 1/n normalisation (the
// convention of tsu::AutocorrelationObserver). Deviations are taken from the mean of each group of
// `group` consecutive chains: chains that share a clamped input share a stationary distribution,
// but chains with different inputs do not, and their different means must not count as
// correlation. Within a group, chains stuck apart still do. Lags beyond n-1 give 0.
double vector_autocorrelation(std::span<const float> series, int chains, int64_t observations, int dims, int64_t lag,
                              int group);

// The mean of r over the last 1/16 of the lags 0..n/2 (at least one lag), clipped at 0.
double long_lag_autocorrelation(std::span<const float> series, int chains, int64_t observations, int dims, int group);

}  // namespace tsu::ml
