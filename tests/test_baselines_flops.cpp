// The closed-form layer costs of src/baselines/flops.hpp against hand computation. Conventions: one
// multiply-add = 2 FLOPs, bytes = 4 x (parameters + numbers read + numbers written).
#include <gtest/gtest.h>

#include "baselines/flops.hpp"

namespace tsu::baselines {
namespace {

TEST(BaselinesFlops, LinearWithBias) {
  // 784 -> 128, batch 3: 3 x 128 outputs, each 784 multiply-adds and a bias add.
  const LayerCost l = linear_cost("fc", 784, 128, true, 3);
  EXPECT_EQ(l.kind, "linear");
  EXPECT_EQ(l.flops, 3.0 * 128 * (2 * 784 + 1));
  EXPECT_EQ(l.params, 784.0 * 128 + 128);
  EXPECT_EQ(l.param_bytes, 4 * (784.0 * 128 + 128));
  EXPECT_EQ(l.activation_bytes, 4 * (3.0 * 784 + 3.0 * 128));
  EXPECT_EQ(linear_cost("fc", 784, 128, false).flops, 2.0 * 784 * 128);
}

TEST(BaselinesFlops, Conv2d3x3OneToEightChannels) {
  // 3x3, 1 -> 8 channels, 28 x 28 in and out (padding 1), bias: 2 * 9 * 8 * 784 + 8 * 784.
  const LayerCost l = conv2d_cost("conv", 1, 8, 3, 28, 28, 28, 28, true);
  EXPECT_EQ(l.flops, 2.0 * 9 * 8 * 784 + 8 * 784);
  EXPECT_EQ(l.params, 9.0 * 8 + 8);
  EXPECT_EQ(l.param_bytes, 4 * 80.0);
  EXPECT_EQ(l.activation_bytes, 4 * (784.0 + 8 * 784));
}

TEST(BaselinesFlops, Conv2dStridedGroupedBatched) {
  // 4x4 stride 2, 16 -> 32 channels in 4 groups (4 input channels each), 28 -> 14, no bias, batch 2.
  const LayerCost l = conv2d_cost("down", 16, 32, 4, 28, 28, 14, 14, false, 4, 2);
  EXPECT_EQ(l.flops, 2.0 * (16 * 4) * 32 * 196 * 2);
  EXPECT_EQ(l.params, 16.0 * 4 * 32);
  EXPECT_EQ(l.activation_bytes, 4 * (2.0 * 16 * 784 + 2.0 * 32 * 196));
}

TEST(BaselinesFlops, ConvTranspose2dCountsEveryInputTap) {
  // 4x4 stride 2, 16 -> 8 channels, 7 x 7 -> 14 x 14, bias: every one of the 16 * 49 input numbers
  // scatters 16 taps into each of 8 output channels; the bias adds once per output.
  const LayerCost l = conv_transpose2d_cost("deconv", 16, 8, 4, 7, 7, 14, 14, true);
  EXPECT_EQ(l.kind, "conv_transpose2d");
  EXPECT_EQ(l.flops, 2.0 * 16 * 49 * 16 * 8 + 8 * 196);
  EXPECT_EQ(l.params, 16.0 * 8 * 16 + 8);
  EXPECT_EQ(l.activation_bytes, 4 * (16.0 * 49 + 8 * 196));
  EXPECT_EQ(conv_transpose2d_cost("d", 16, 8, 4, 7, 7, 14, 14, false, 3).flops, 3 * 2.0 * 16 * 49 * 16 * 8);
}

TEST(BaselinesFlops, ElementwiseAndBinary) {
  const LayerCost silu = elementwise_cost("silu", "silu", 1000, 4);
  EXPECT_EQ(silu.flops, 4000);
  EXPECT_EQ(silu.params, 0);
  EXPECT_EQ(silu.activation_bytes, 4 * 2000.0);
  // A time shift [8] broadcast over 8 x 14 x 14: 1568 adds, reading 1568 + 8 numbers.
  const LayerCost add = binary_cost("add", "add", 8 * 196, 8);
  EXPECT_EQ(add.flops, 1568);
  EXPECT_EQ(add.activation_bytes, 4 * (1568.0 + 8 + 1568));
  EXPECT_EQ(binary_cost("axpby", "axpby", 784, 784, 3).flops, 3 * 784);
}

TEST(BaselinesFlops, BatchnormFoldsStatisticsPerChannel) {
  // 16 channels of 7 x 7, batch 2: 5 per channel + 2 per element; gamma and beta trained, the
  // running mean and variance read too.
  const LayerCost l = batchnorm_cost("bn", 16, 49, 2);
  EXPECT_EQ(l.flops, 5.0 * 16 + 2.0 * 2 * 16 * 49);
  EXPECT_EQ(l.params, 32);
  EXPECT_EQ(l.param_bytes, 4 * 64.0);
  EXPECT_EQ(l.activation_bytes, 4 * 2 * (2.0 * 16 * 49));
}

TEST(BaselinesFlops, GroupnormEightPerElementFourPerGroup) {
  const LayerCost l = groupnorm_cost("gn", 16, 8, 196);
  EXPECT_EQ(l.flops, 8.0 * 16 * 196 + 4.0 * 8);
  EXPECT_EQ(l.params, 32);
  EXPECT_EQ(l.param_bytes, 4 * 32.0);
  EXPECT_EQ(groupnorm_cost("gn", 16, 8, 196, 3).flops, 3 * (8.0 * 16 * 196 + 4.0 * 8));
}

TEST(BaselinesFlops, PoolingUpsamplingCopiesAndDraws) {
  // Nearest x2 of 4 x 14 x 14: a copy, 784 numbers read, 3136 written.
  const LayerCost up = upsample_nearest_cost("up", 4, 14, 14, 2);
  EXPECT_EQ(up.flops, 0);
  EXPECT_EQ(up.activation_bytes, 4 * (784.0 + 3136));
  // 2x2 average pooling of 4 x 28 x 28: per output 3 adds and a multiply.
  const LayerCost pool = avg_pool_cost("pool", 4, 28, 28, 2);
  EXPECT_EQ(pool.flops, 4.0 * 4 * 196);
  EXPECT_EQ(pool.activation_bytes, 4 * (4.0 * 784 + 4 * 196));
  EXPECT_EQ(copy_cost("cat", "concat", 100).activation_bytes, 800);
  const LayerCost z = random_cost("z", 16);
  EXPECT_EQ(z.flops, 0);
  EXPECT_EQ(z.activation_bytes, 64);
}

TEST(BaselinesFlops, SinusoidalEmbedding) {
  // 32 dimensions for a batch of 2: 16 multiplies and 32 sin/cos per scalar; reads the 2 scalars
  // and the 16 frequencies, writes 64 numbers.
  const LayerCost l = sinusoidal_embedding_cost("temb", 32, 2);
  EXPECT_EQ(l.flops, 2.0 * (16 + 32));
  EXPECT_EQ(l.param_bytes, 4 * 16.0);
  EXPECT_EQ(l.activation_bytes, 4 * (2.0 + 64));
}

TEST(BaselinesFlops, NetCostSumsAndRepeats) {
  NetCost step;
  step.layers = {linear_cost("a", 10, 5, true), elementwise_cost("r", "relu", 5, 1)};
  NetCost total;
  total.layers = {random_cost("x", 10)};
  total.add(step, 7);
  EXPECT_EQ(total.flops(), 7 * (2.0 * 50 + 5 + 5));
  EXPECT_EQ(total.params(), 55);  // the parameters exist once, however often they are read
  EXPECT_EQ(total.param_bytes(), 7 * 4 * 55.0);
  EXPECT_EQ(total.activation_bytes(), 4 * 10.0 + 7 * 4 * (10.0 + 5 + 5 + 5));
  EXPECT_EQ(total.bytes(), total.param_bytes() + total.activation_bytes());
}

}  // namespace
}  // namespace tsu::baselines
