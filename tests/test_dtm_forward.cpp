// The DTM forward process: closed forms of the uniform-jump kernel, the input coupling J_t and its
// sign, the schedule, the semigroup property, and the noising draws against their probabilities.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ml/forward.hpp"
#include "sample/exact.hpp"

using namespace tsu::ml;

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// 5 sigma of a frequency estimated from n draws with probability p.
double five_sigma(double p, double n) { return 5.0 * std::sqrt(p * (1 - p) / n); }

}  // namespace

TEST(Forward, KeepProbabilityClosedForm) {
  EXPECT_DOUBLE_EQ(keep_probability(0.9, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(keep_probability(0.9, INFINITY), 0.5);
  EXPECT_NEAR(keep_probability(0.9, 0.5), (1 + std::exp(-0.45)) / 2, 1e-15);
  EXPECT_NEAR(keep_probability(0.2, 1.0, 10), (1 + 9 * std::exp(-0.2)) / 10, 1e-15);
  EXPECT_DOUBLE_EQ(keep_probability(0.2, INFINITY, 10), 0.1);
  EXPECT_NEAR(redraw_probability(0.9, 0.5), 1 - std::exp(-0.45), 1e-15);
}

TEST(Forward, InputCouplingReproducesTheKernel) {
  for (double x : {0.01, 0.1, 0.5, 1.0, 3.0}) {
    const double j = input_coupling(1.0, x);
    EXPECT_NEAR(j, -0.5 * std::log(std::tanh(x / 2)), 1e-14);
    EXPECT_NEAR(sigmoid(2 * j), keep_probability(1.0, x), 1e-14) << "lambda dt = " << x;
    // The printed Eq. D1 sign gives the opposite kernel.
    EXPECT_NEAR(sigmoid(-2 * j), 1 - keep_probability(1.0, x), 1e-14);
    EXPECT_NEAR(potts_coupling(1.0, x, 2), 2 * j, 1e-13);
    for (int m : {3, 10}) {
      const double g = potts_coupling(1.0, x, m);
      EXPECT_NEAR(std::exp(g) / (std::exp(g) + m - 1), keep_probability(1.0, x, m), 1e-14) << "M = " << m;
    }
  }
  EXPECT_EQ(input_coupling(0.9, INFINITY), 0.0);
  EXPECT_TRUE(std::isinf(input_coupling(0.9, 0.0)));
}

// With P ~ exp(-E) and E = -beta J s s', the engine's distribution of a spin coupled to a clamped
// input is the kernel: P(s = s') = keep.
TEST(Forward, CouplingEnergyGivesTheKernelUnderTheEngine) {
  tsu::Model m;
  m.add_spin_nodes(2);
  const double j = input_coupling(0.9, 0.3);
  m.add_coupling(0, 1, j);
  m.clamp = {std::nullopt, tsu::State(1)};
  const auto p = tsu::exact_distribution(m, {0, 1}, 1.0);
  EXPECT_NEAR(p[1], keep_probability(0.9, 0.3), 1e-14);
}

TEST(Forward, SemigroupProperty) {
  for (int m : {2, 3, 10})
    for (auto [a, b] : {std::pair{0.1, 0.2}, {0.5, 1.5}, {2.0, 0.01}}) {
      const double ka = keep_probability(0.9, a, m), kb = keep_probability(0.9, b, m);
      // Keep over a + b: keep both times, or leave and come back (M - 1 ways).
      const double composed = ka * kb + (1 - ka) * (1 - kb) / (m - 1);
      EXPECT_NEAR(keep_probability(0.9, a + b, m), composed, 1e-14) << "M = " << m << ", " << a << " + " << b;
    }
}

TEST(Forward, LogScheduleMatchesTheReferenceTable) {
  const auto t = diffusion_times(8, ScheduleKind::Log, 0);
  const std::vector<double> ends{0.1335, 0.2877, 0.4700, 0.6931, 0.9808, 1.3863, 2.0794};
  const std::vector<double> couplings{1.407, 1.335, 1.251, 1.151, 1.025, 0.856, 0.598, 0.0};
  const std::vector<double> flips{0.057, 0.065, 0.076, 0.091, 0.114, 0.153, 0.232, 0.5};
  EXPECT_EQ(t[0], 0.0);
  EXPECT_TRUE(std::isinf(t[8]));
  for (int k = 1; k <= 8; ++k) {
    if (k < 8) EXPECT_NEAR(t[size_t(k)], ends[size_t(k - 1)], 5e-5) << "t_" << k;
    const double dt = t[size_t(k)] - t[size_t(k) - 1];
    EXPECT_NEAR(input_coupling(0.9, dt), couplings[size_t(k - 1)], 5e-4) << "step " << k;
    EXPECT_NEAR(1 - keep_probability(0.9, dt), flips[size_t(k - 1)], 5e-4) << "step " << k;
  }
  const auto single = diffusion_times(1, ScheduleKind::Log, 0);  // T = 1: one step from data to pure noise
  EXPECT_EQ(input_coupling(0.9, single[1] - single[0]), 0.0);
  const auto linear = diffusion_times(4, ScheduleKind::Linear, 2.0);
  EXPECT_EQ(linear, (std::vector<double>{0, 0.5, 1.0, 1.5, 2.0}));
  EXPECT_THROW(diffusion_times(0, ScheduleKind::Log, 0), tsu::Error);
  EXPECT_THROW(parse_schedule("cosine"), tsu::Error);
}

TEST(Forward, NoiseBitsFlipWithTheKernelProbability) {
  constexpr int n = 200000;
  std::vector<uint8_t> bits(n);
  for (int i = 0; i < n; ++i) bits[size_t(i)] = uint8_t(i % 3 == 0);
  const std::vector<uint8_t> before = bits;
  auto rng = tsu::chain_stream(7, 0, tsu::Stream::Aux);
  noise_bits(bits, 0.9, 0.4, rng);
  int flipped = 0;
  for (int i = 0; i < n; ++i) flipped += bits[size_t(i)] != before[size_t(i)];
  const double p = 1 - keep_probability(0.9, 0.4);
  EXPECT_NEAR(double(flipped) / n, p, five_sigma(p, n));
}

TEST(Forward, NoiseCategoryKeepsWithTheKernelProbability) {
  constexpr int n = 100000, m = 10;
  auto rng = tsu::chain_stream(8, 0, tsu::Stream::Aux);
  int kept = 0;
  std::vector<int> landed(m);
  for (int i = 0; i < n; ++i) {
    const int v = noise_category(3, m, 0.2, 2.0, rng);
    kept += v == 3;
    ++landed[size_t(v)];
  }
  const double p = keep_probability(0.2, 2.0, m);
  EXPECT_NEAR(double(kept) / n, p, five_sigma(p, n));
  const double other = (1 - p) / (m - 1);
  for (int v = 0; v < m; ++v)
    if (v != 3) EXPECT_NEAR(double(landed[size_t(v)]) / n, other, five_sigma(other, n)) << "state " << v;
}
