#include "sample/diagnostics.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <fmt/format.h>
#include <numbers>
#include <numeric>

#include "util/error.hpp"

namespace tsu {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using Chains = std::vector<std::vector<double>>;

// Iterative radix-2 FFT of one power-of-two size, with its twiddle factors computed once.
class Fft {
 public:
  explicit Fft(size_t n) : n_(n), cos_(n / 2), sin_(n / 2) {
    for (size_t k = 0; k < n / 2; ++k) {
      const double angle = -2 * std::numbers::pi * double(k) / double(n);
      cos_[k] = std::cos(angle);
      sin_[k] = std::sin(angle);
    }
  }

  // In place on (re, im); the inverse is unscaled.
  void transform(std::vector<double>& re, std::vector<double>& im, bool inverse) const {
    for (size_t i = 1, j = 0; i < n_; ++i) {  // bit-reversal permutation
      size_t bit = n_ >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) {
        std::swap(re[i], re[j]);
        std::swap(im[i], im[j]);
      }
    }
    const double sign = inverse ? -1 : 1;
    for (size_t len = 2; len <= n_; len <<= 1) {
      const size_t half = len / 2, stride = n_ / len;
      for (size_t start = 0; start < n_; start += len)
        for (size_t k = 0; k < half; ++k) {
          const double wr = cos_[k * stride], wi = sign * sin_[k * stride];
          const size_t p = start + k, q = p + half;
          const double vr = re[q] * wr - im[q] * wi, vi = re[q] * wi + im[q] * wr;
          re[q] = re[p] - vr;
          im[q] = im[p] - vi;
          re[p] += vr;
          im[p] += vi;
        }
    }
  }

 private:
  size_t n_;
  std::vector<double> cos_, sin_;
};

// The standard normal quantile: Acklam's rational approximation (P. J. Acklam, "An algorithm for
// computing the inverse normal cumulative distribution function", 2003; relative error 1.2e-9),
// refined by one Halley step on erfc to double precision.
double normal_quantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  auto tail = [&](double q) {
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  };
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    x = tail(std::sqrt(-2 * std::log(p)));
  } else if (p > 1 - kLow) {
    x = -tail(std::sqrt(-2 * std::log1p(-p)));
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::numbers::sqrt2) - p;
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

size_t draws_of(const Chains& chains) {
  size_t n = 0;
  for (const auto& c : chains) n += c.size();
  return n;
}

std::vector<double> pooled(const Chains& chains) {
  std::vector<double> all;
  all.reserve(draws_of(chains));
  for (const auto& c : chains) all.insert(all.end(), c.begin(), c.end());
  return all;
}

double mean_of(const std::vector<double>& x) { return std::accumulate(x.begin(), x.end(), 0.0) / double(x.size()); }

// The sample variance (divisor n - 1).
double variance_of(const std::vector<double>& x) {
  const double mu = mean_of(x);
  double sum = 0;
  for (double v : x) sum += (v - mu) * (v - mu);
  return sum / double(x.size() - 1);
}

// Linear interpolation between order statistics (numpy's default).
double quantile_of(std::vector<double> x, double q) {
  std::sort(x.begin(), x.end());
  const double at = q * double(x.size() - 1);
  const size_t lo = size_t(at);
  const size_t hi = std::min(lo + 1, x.size() - 1);
  return x[lo] + (at - double(lo)) * (x[hi] - x[lo]);
}

// Each chain cut into its first and last n/2 draws (section 4.1).
Chains split(const Chains& chains) {
  Chains out;
  for (const auto& c : chains) {
    const size_t half = c.size() / 2;
    out.emplace_back(c.begin(), c.begin() + std::ptrdiff_t(half));
    out.emplace_back(c.end() - std::ptrdiff_t(half), c.end());
  }
  return out;
}

template <class F>
Chains transformed(const Chains& chains, F f) {
  Chains out = chains;
  for (auto& c : out)
    for (double& v : c) v = f(v);
  return out;
}

// Ranks over all chains (ties averaged), mapped to normal scores (equation 14).
Chains rank_normalised(const Chains& chains) {
  const auto all = pooled(chains);
  std::vector<size_t> order(all.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return all[i] < all[j]; });
  std::vector<double> score(all.size());
  const double s = double(all.size());
  for (size_t lo = 0; lo < order.size();) {
    size_t hi = lo;
    while (hi + 1 < order.size() && all[order[hi + 1]] == all[order[lo]]) ++hi;
    const double rank = 0.5 * double(lo + hi) + 1;
    const double z = normal_quantile((rank - 0.375) / (s + 0.25));
    for (size_t k = lo; k <= hi; ++k) score[order[k]] = z;
    lo = hi + 1;
  }
  Chains out = chains;
  size_t k = 0;
  for (auto& c : out)
    for (double& v : c) v = score[k++];
  return out;
}

// The within-chain variance W and the pooled estimate var+ (equations 3-4).
struct Variances {
  double within = 0, plus = 0;
};

Variances variances(const Chains& chains) {
  const double n = double(chains[0].size());
  std::vector<double> means;
  double within = 0;
  for (const auto& c : chains) {
    means.push_back(mean_of(c));
    within += variance_of(c);
  }
  within /= double(chains.size());
  const double between_over_n = chains.size() > 1 ? variance_of(means) : 0.0;
  return {within, (n - 1) / n * within + between_over_n};
}

double rhat_of(const Chains& chains) {
  const auto v = variances(chains);
  if (v.within > 0) return std::sqrt(v.plus / v.within);
  return v.plus > 0 ? std::numeric_limits<double>::infinity() : kNaN;
}

// Equation 10 with Geyer's initial monotone sequence (section 3.2); capped at S log10 S as the
// paper's reference implementation does for antithetic chains.
double ess_of(const Chains& chains) {
  const size_t n = chains[0].size();
  const double draws = double(n * chains.size());
  const auto v = variances(chains);
  if (!(v.plus > 0)) return kNaN;
  std::vector<double> centres;
  for (const auto& c : chains) centres.push_back(mean_of(c));
  const auto acov = mean_autocovariance(chains, centres);
  auto rho = [&](size_t t) { return t == 0 ? 1.0 : 1 - (v.within - acov[t]) / v.plus; };
  double sum = 0, previous = std::numeric_limits<double>::infinity();
  for (size_t t = 0; t + 1 < n; t += 2) {
    const double pair = std::min(rho(t) + rho(t + 1), previous);  // monotone
    if (pair <= 0) break;
    sum += pair;
    previous = pair;
  }
  const double tau = std::max(-1 + 2 * sum, 1 / std::log10(draws));
  return draws / tau;
}

double ess_below(const Chains& chains, double threshold) {
  return ess_of(transformed(chains, [&](double x) { return x <= threshold ? 1.0 : 0.0; }));
}

// min that ignores NaN (a constant indicator) unless both are.
double min_defined(double a, double b) { return std::isnan(a) ? b : std::isnan(b) ? a : std::min(a, b); }

}  // namespace

std::vector<double> mean_autocovariance(const Chains& chains, const std::vector<double>& centres) {
  const size_t n = chains.empty() ? 0 : chains[0].size();
  if (n == 0) return {};
  size_t padded = 1;
  while (padded < 2 * n) padded <<= 1;  // zero padding makes the circular correlation linear
  const Fft fft(padded);
  std::vector<double> power(padded, 0.0), re(padded), im(padded);
  // Two real chains per complex transform: |X_k|^2 + |Y_k|^2 = (|Z_k|^2 + |Z_{N-k}|^2) / 2.
  for (size_t c = 0; c < chains.size(); c += 2) {
    std::fill(re.begin(), re.end(), 0.0);
    std::fill(im.begin(), im.end(), 0.0);
    for (size_t k = 0; k < n; ++k) re[k] = chains[c][k] - centres[c];
    if (c + 1 < chains.size())
      for (size_t k = 0; k < n; ++k) im[k] = chains[c + 1][k] - centres[c + 1];
    fft.transform(re, im, false);
    for (size_t k = 0; k < padded; ++k) {
      const size_t mirror = (padded - k) % padded;
      power[k] += 0.5 * (re[k] * re[k] + im[k] * im[k] + re[mirror] * re[mirror] + im[mirror] * im[mirror]);
    }
  }
  std::fill(im.begin(), im.end(), 0.0);
  fft.transform(power, im, true);
  const double scale = 1.0 / (double(padded) * double(n) * double(chains.size()));
  std::vector<double> out(n);
  for (size_t t = 0; t < n; ++t) out[t] = power[t] * scale;
  return out;
}

Diagnostic diagnose(const Chains& chains) {
  if (chains.empty()) throw Error("diagnostics: no chains");
  const size_t n = chains[0].size();
  for (const auto& c : chains)
    if (c.size() != n) throw Error(fmt::format("diagnostics: chains of {} and {} draws", n, c.size()));
  if (int64_t(n) < kMinDiagnosedDraws)
    throw Error(fmt::format("diagnostics: need at least {} draws per chain, got {}", kMinDiagnosedDraws, n));
  const auto all = pooled(chains);
  Diagnostic d;
  d.mean = mean_of(all);
  if (std::all_of(all.begin(), all.end(), [&](double x) { return x == all[0]; })) return d;
  const Chains halves = split(chains);
  const double median = quantile_of(all, 0.5);
  const Chains folded = transformed(halves, [&](double x) { return std::abs(x - median); });
  d.rhat = std::max(rhat_of(rank_normalised(halves)), rhat_of(rank_normalised(folded)));
  d.ess = ess_of(rank_normalised(halves));
  d.ess_tail = min_defined(ess_below(halves, quantile_of(all, 0.05)), ess_below(halves, quantile_of(all, 0.95)));
  d.mcse = std::sqrt(variance_of(all) / ess_of(halves));
  return d;
}

BinarySeriesStats::BinarySeriesStats(size_t entries, int64_t observations)
    : entries_(entries), observations_(observations) {
  const int64_t batch = std::max<int64_t>(int64_t(std::cbrt(double(observations) * double(observations))), 1);
  const int64_t lengths[kSlots] = {observations / 2, batch, std::max<int64_t>(batch / 3, 1)};
  for (size_t s = 0; s < kSlots; ++s)
    slots_[s] = {lengths[s], std::vector<int64_t>(entries, 0), std::vector<int64_t>(entries, 0),
                 std::vector<int64_t>(entries, 0), 0};
}

// The middle observation of an odd run is in neither half; trailing observations short of a whole
// batch are in none.
bool BinarySeriesStats::counts(Slot slot, int64_t observation) const {
  const int64_t length = slots_[slot].length;
  if (slot == kHalf) return observation < length || observation >= observations_ - length;
  return observation < observations_ / length * length;
}

void BinarySeriesStats::begin_observation(int chains, int packed_words) {
  if (seen_ == 0) {
    chains_ = chains;
    words_ = packed_words;
    if (packed_words == 0) counts_.assign(kSlots * size_t(chains) * entries_, 0);
    for (size_t s = 0; s < kSlots && packed_words > 0; ++s) {
      planes_[s] = std::bit_width(uint64_t(slots_[s].length));  // a stretch's count fits
      bit_counts_[s].assign(entries_ * size_t(packed_words) * size_t(planes_[s]), 0);
    }
  } else if (chains != chains_) {
    throw Error(fmt::format("diagnostics: {} chains observed, earlier {}", chains, chains_));
  } else if (packed_words != words_) {
    throw Error(words_ == 0 || packed_words == 0
                    ? std::string("diagnostics: one run observed both packed and unpacked states")
                    : fmt::format("diagnostics: {} words of chains observed, earlier {}", packed_words, words_));
  }
  if (seen_ >= observations_)
    throw Error(fmt::format("diagnostics: more than the {} observations planned", observations_));
  for (size_t s = 0; s < kSlots; ++s) counting_[s] = counts(Slot(s), seen_);
}

void BinarySeriesStats::end_observation() {
  ++seen_;
  const int64_t half = slots_[kHalf].length;
  if (seen_ == half || seen_ == observations_) fold(kHalf);
  for (Slot s : {kBatch, kShortBatch})
    if (counting_[s] && seen_ % slots_[s].length == 0) fold(s);
}

void BinarySeriesStats::add_to_counter(size_t slot, size_t counter, uint64_t bits) {
  uint64_t* plane = &bit_counts_[slot][counter * size_t(planes_[slot])];
  for (int p = 0; bits != 0 && p < planes_[slot]; ++p) {
    const uint64_t carry = plane[p] & bits;
    plane[p] ^= bits;
    bits = carry;
  }
}

// Sum over chains of k = sum_p 2^p |plane_p|, and of k^2 = sum_{p,q} 2^(p+q) |plane_p & plane_q|.
void BinarySeriesStats::fold_planes(Slot slot) {
  std::vector<uint64_t>& counters = bit_counts_[slot];
  if (counters.empty()) return;
  const size_t planes = size_t(planes_[slot]);
  Stretches& st = slots_[slot];
  for (size_t e = 0; e < entries_; ++e)
    for (size_t w = 0; w < size_t(words_); ++w) {
      const uint64_t* plane = &counters[(e * size_t(words_) + w) * planes];
      for (size_t p = 0; p < planes; ++p) {
        st.sum[e] += int64_t(std::popcount(plane[p])) << p;
        st.squares[e] += int64_t(std::popcount(plane[p])) << (2 * p);
        for (size_t q = p + 1; q < planes; ++q) st.squares[e] += int64_t(std::popcount(plane[p] & plane[q])) << (p + q + 1);
      }
    }
  std::fill(counters.begin(), counters.end(), 0);
}

void BinarySeriesStats::fold(Slot slot) {
  Stretches& st = slots_[slot];
  fold_planes(slot);
  for (size_t c = 0; c < size_t(chains_) && !counts_.empty(); ++c)
    for (size_t e = 0; e < entries_; ++e) {
      int32_t& count = counts_[kSlots * (c * entries_ + e) + slot];
      st.sum[e] += count;
      st.squares[e] += int64_t(count) * count;
      count = 0;
    }
  st.done += chains_;
}

void BinarySeriesStats::merge(const BinarySeriesStats& other) {
  if (other.entries_ != entries_ || other.observations_ != observations_)
    throw Error("merge: the diagnostics cover different entries or observation counts");
  if (seen_ != observations_ || other.seen_ != other.observations_)
    throw Error("merge: the diagnostics of an unfinished run");
  for (size_t s = 0; s < kSlots; ++s) {
    for (size_t e = 0; e < entries_; ++e) {
      slots_[s].sum[e] += other.slots_[s].sum[e];
      slots_[s].squares[e] += other.slots_[s].squares[e];
      slots_[s].negatives[e] += other.slots_[s].negatives[e];
    }
    slots_[s].done += other.slots_[s].done;
  }
  chains_ += other.chains_;
}

// b x the sample variance of the batch means k / b around `mean`, from the sums of k and k^2.
double BinarySeriesStats::batch_variance(Slot slot, size_t e, double mean) const {
  const Stretches& st = slots_[slot];
  const double b = double(st.length), count = double(st.done);
  const double spread = double(st.squares[e]) / (b * b) - 2 * mean * double(st.sum[e]) / b + count * mean * mean;
  return b * std::max(spread, 0.0) / (count - 1);
}

// Split R-hat (equations 3-4) from the half chains' sums k_i of n draws each: the within-chain
// variance of half chain i is (q_i - k_i^2/n) / (n - 1), q_i its sum of squares (k_i for 0/1 draws),
// and only the q_i's total is needed. ESS and MCSE by lugsail batch means.
Diagnostic BinarySeriesStats::at(size_t e) const {
  Diagnostic d;
  const Stretches& halves = slots_[kHalf];
  const Stretches& batches = slots_[kBatch];
  if (!enabled() || halves.done < 2 || batches.done < 2) return d;
  auto sum_of_squares = [e](const Stretches& st) { return double(st.sum[e] + 2 * st.negatives[e]); };
  const double m = double(halves.done), n = double(halves.length);
  const double s1 = double(halves.sum[e]), s2 = double(halves.squares[e]);
  const double within = (sum_of_squares(halves) - s2 / n) / (m * (n - 1));
  const double mean_half = s1 / (m * n);
  const double between_over_n = std::max((s2 / (n * n) - m * mean_half * mean_half) / (m - 1), 0.0);
  const double plus = (n - 1) / n * within + between_over_n;

  const double draws = double(batches.done * batches.length);
  d.mean = double(batches.sum[e]) / draws;
  double asymptotic = batch_variance(kBatch, e, d.mean);
  if (slots_[kShortBatch].length < batches.length && slots_[kShortBatch].done >= 2)
    asymptotic = std::max(2 * asymptotic - batch_variance(kShortBatch, e, d.mean), asymptotic);
  d.mcse = std::sqrt(asymptotic / draws);
  const double squares = sum_of_squares(batches);
  if (squares == 0 || std::abs(double(batches.sum[e])) == draws) return d;  // constant: nothing to diagnose
  d.rhat = within > 0 ? std::sqrt(plus / within) : std::numeric_limits<double>::infinity();
  const double variance = (squares - draws * d.mean * d.mean) / (draws - 1);
  d.ess = asymptotic > 0 ? std::min(draws * variance / asymptotic, draws * std::log10(draws)) : kNaN;
  return d;
}

}  // namespace tsu
