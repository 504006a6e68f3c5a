// Exact cost of one forward pass, counted per layer from the shapes the layer sees (not estimated
// from wall time). Conventions (docs/compare.md):
//   - one multiply-add = 2 FLOPs; every other arithmetic operation (add, subtract, multiply,
//     divide, compare/select) and every elementary function (exp, sqrt, sin, cos, tanh) = 1 FLOP;
//     negation and copies are free. So relu = 1, leaky_relu = 2 (multiply, max), tanh = 1,
//     sigmoid = 3 (exp, add, divide), silu = 4 (sigmoid, multiply).
//   - convolutions count the dense kernel taps the im2col / col2im GEMMs compute, zero padding and
//     the transposed convolution's cropped border included: conv2d 2 k^2 (c_in/groups) c_out per
//     output pixel, conv_transpose2d 2 k^2 c_in c_out per INPUT pixel; a bias adds 1 per output.
//   - batchnorm (inference): per channel a scale and a shift from gamma, beta, running mean and
//     variance (add eps, sqrt, divide, multiply, multiply-subtract: 5 FLOPs), then 2 FLOPs per element.
//     Its params are gamma and beta (the trained numbers); its param_bytes include the running statistics.
//   - groupnorm: per element 1 (sum for the mean) + 3 (subtract, square, sum for the variance)
//     + 2 (subtract, multiply by 1/std) + 2 (affine) = 8 FLOPs; per group 4 (two divides, add eps,
//     sqrt-reciprocal).
//   - nearest upsampling and concatenation are copies: 0 FLOPs, bytes only.
//   - random draws are counted as writes of their numbers (0 FLOPs).
// bytes = parameters read + input activations read + output activations written, fp32 (4 bytes
// per number) unless the caller scales them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tsu::baselines {

struct LayerCost {
  std::string name;  // e.g. "decoder.deconv1"
  std::string kind;  // "linear", "conv2d", "conv_transpose2d", "relu", "batchnorm", ...
  double flops = 0;
  double params = 0;
  double param_bytes = 0;
  double activation_bytes = 0;  // inputs read + outputs written
};

struct NetCost {
  std::vector<LayerCost> layers;
  double flops() const;
  double params() const;
  double param_bytes() const;
  double activation_bytes() const;
  double bytes() const { return param_bytes() + activation_bytes(); }
  void add(const NetCost& other, double times = 1);  // e.g. one U-Net pass x sampling steps
};

// Hand-checkable closed forms, used by the models' tracers and by the tests.
// Linear: in -> out features, batch rows.
LayerCost linear_cost(const std::string& name, int64_t in, int64_t out, bool bias, int64_t batch = 1);
// Conv2d / ConvTranspose2d with square kernels; h_in x w_in inputs, h_out x w_out outputs.
LayerCost conv2d_cost(const std::string& name, int64_t c_in, int64_t c_out, int64_t kernel, int64_t h_in,
                      int64_t w_in, int64_t h_out, int64_t w_out, bool bias, int64_t groups = 1, int64_t batch = 1);
LayerCost conv_transpose2d_cost(const std::string& name, int64_t c_in, int64_t c_out, int64_t kernel, int64_t h_in,
                                int64_t w_in, int64_t h_out, int64_t w_out, bool bias, int64_t batch = 1);
// Element-wise layers over `elements` numbers (read once, written once), `flops_per_element` each.
LayerCost elementwise_cost(const std::string& name, const std::string& kind, int64_t elements,
                           double flops_per_element, int64_t params = 0);
// A binary element-wise op (add, mul, a x + b y, ...): `elements` outputs, `flops_per_element`
// each, reading `elements` numbers of the first operand and `second_elements` of the (possibly
// broadcast) second.
LayerCost binary_cost(const std::string& name, const std::string& kind, int64_t elements, int64_t second_elements,
                      double flops_per_element = 1);
// Sinusoidal embedding of batch scalars into `dims` numbers (Vaswani et al. 2017): dims/2
// multiplies by the frequency table (read as parameter bytes, though it is a constant), then a
// sin and a cos each.
LayerCost sinusoidal_embedding_cost(const std::string& name, int64_t dims, int64_t batch = 1);
// Normalisations over batch x channels x spatial numbers (spatial = h * w), affine.
LayerCost batchnorm_cost(const std::string& name, int64_t channels, int64_t spatial, int64_t batch = 1);
LayerCost groupnorm_cost(const std::string& name, int64_t channels, int64_t groups, int64_t spatial,
                         int64_t batch = 1);
// Nearest-neighbour upsampling by `factor` of batch x channels x h_in x w_in: a copy.
LayerCost upsample_nearest_cost(const std::string& name, int64_t channels, int64_t h_in, int64_t w_in,
                                int64_t factor, int64_t batch = 1);
// Average pooling, kernel = stride = `kernel`: k^2 - 1 adds and 1 multiply per output.
LayerCost avg_pool_cost(const std::string& name, int64_t channels, int64_t h_in, int64_t w_in, int64_t kernel,
                        int64_t batch = 1);
// Concatenation (or any copy) of `elements` numbers: 0 FLOPs.
LayerCost copy_cost(const std::string& name, const std::string& kind, int64_t elements);
// Drawing `elements` random numbers: 0 FLOPs, the numbers written.
LayerCost random_cost(const std::string& name, int64_t elements);

}  // namespace tsu::baselines
