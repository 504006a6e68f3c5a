#include "ml/mixing.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "graph/model.hpp"
#include "sample/rng.hpp"

namespace tsu::ml {

ProjectionObserver::ProjectionObserver(std::vector<int32_t> nodes, int dims, uint64_t seed)
    : nodes_(std::move(nodes)), dims_(dims) {
  if (dims < 1) throw Error(fmt::format("projection: dims must be >= 1, got {}", dims));
  if (nodes_.empty()) throw Error("projection: no variables to project");
  auto rng = chain_stream(seed, 0, Stream::Aux);
  const float scale = 1.0f / std::sqrt(float(nodes_.size()));
  matrix_.resize(nodes_.size() * size_t(dims));
  for (auto& m : matrix_) m = (2.0f * rng.uniform() - 1.0f) * scale;
}

void ProjectionObserver::observe(const StateBatch& states, int64_t) {
  if (observations_ == 0) chains_ = states.chains;
  if (states.chains != chains_) throw Error("projection: the number of chains changed between observations");
  const size_t base = record_.size();
  record_.resize(base + size_t(chains_) * size_t(dims_), 0.0f);
  for (int c = 0; c < chains_; ++c) {
    const auto state = states.chain(c);
    float* out = record_.data() + base + size_t(c) * size_t(dims_);
    for (size_t k = 0; k < nodes_.size(); ++k) {
      if (!state[size_t(nodes_[k])]) continue;  // 0/1 codes: only the on variables contribute
      const float* row = matrix_.data() + k * size_t(dims_);
      for (int d = 0; d < dims_; ++d) out[d] += row[d];
    }
  }
  ++observations_;
}

std::vector<float> ProjectionObserver::series() const {
  std::vector<float> out(record_.size());
  for (int64_t t = 0; t < observations_; ++t)
    for (int c = 0; c < chains_; ++c)
      std::copy_n(record_.data() + (size_t(t) * size_t(chains_) + size_t(c)) * size_t(dims_), dims_,
                  out.data() + (size_t(c) * size_t(observations_) + size_t(t)) * size_t(dims_));
  return out;
}

namespace {

// Per group of chains, the mean of each dimension: [group index * dims + d].
std::vector<double> group_means(std::span<const float> series, int chains, int64_t n, int dims, int group) {
  const int groups = chains / group;
  std::vector<double> mean(size_t(groups) * size_t(dims), 0.0);
  for (int c = 0; c < chains; ++c)
    for (int64_t t = 0; t < n; ++t)
      for (int d = 0; d < dims; ++d)
        mean[size_t(c / group) * size_t(dims) + size_t(d)] +=
            series[(size_t(c) * size_t(n) + size_t(t)) * size_t(dims) + size_t(d)];
  for (double& m : mean) m /= double(group) * double(n);
  return mean;
}

// sum_d of the lag-k autocovariance, times n * chains.
double summed_autocovariance(std::span<const float> series, const std::vector<double>& means, int chains, int64_t n,
                             int dims, int group, int64_t lag) {
  double total = 0;
  for (int c = 0; c < chains; ++c) {
    const float* x = series.data() + size_t(c) * size_t(n) * size_t(dims);
    const double* mean = means.data() + size_t(c / group) * size_t(dims);
    for (int64_t t = 0; t + lag < n; ++t)
      for (int d = 0; d < dims; ++d) total += (x[t * dims + d] - mean[d]) * (x[(t + lag) * dims + d] - mean[d]);
  }
  return total;
}

void check_series(std::span<const float> series, int chains, int64_t n, int dims, int group) {
  if (chains < 1 || n < 2 || dims < 1 || series.size() != size_t(chains) * size_t(n) * size_t(dims))
    throw Error(
        fmt::format("autocorrelation: a series of {} values is not {} chains x {} observations x {} dims "
                    "(with at least 2 observations)",
                    series.size(), chains, n, dims));
  if (group < 1 || chains % group)
    throw Error(fmt::format("autocorrelation: groups of {} chains do not divide {} chains", group, chains));
}

}  // namespace

double vector_autocorrelation(std::span<const float> series, int chains, int64_t n, int dims, int64_t lag, int group) {
  check_series(series, chains, n, dims, group);
  if (lag >= n) return 0.0;
  const auto means = group_means(series, chains, n, dims, group);
  const double c0 = summed_autocovariance(series, means, chains, n, dims, group, 0);
  return c0 > 0 ? summed_autocovariance(series, means, chains, n, dims, group, lag) / c0 : 0.0;
}

double long_lag_autocorrelation(std::span<const float> series, int chains, int64_t n, int dims, int group) {
  check_series(series, chains, n, dims, group);
  const auto means = group_means(series, chains, n, dims, group);
  const double c0 = summed_autocovariance(series, means, chains, n, dims, group, 0);
  if (!(c0 > 0)) return 0.0;  // frozen chains: nothing left to decorrelate
  const int64_t max_lag = n / 2;
  const int64_t tail = std::max<int64_t>(1, (max_lag + 1) / 16);
  double sum = 0;
  for (int64_t lag = max_lag - tail + 1; lag <= max_lag; ++lag)
    sum += summed_autocovariance(series, means, chains, n, dims, group, lag);
  return std::max(0.0, sum / double(tail) / c0);
}

}  // namespace tsu::ml
