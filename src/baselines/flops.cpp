#include "baselines/flops.hpp"

namespace tsu::baselines {

namespace {

constexpr double kBytesPerNumber = 4;  // fp32

double sum(const std::vector<LayerCost>& layers, double LayerCost::*field) {
  double s = 0;
  for (const LayerCost& l : layers) s += l.*field;
  return s;
}

LayerCost layer(const std::string& name, const std::string& kind, double flops, double params, double numbers_read,
                double numbers_written) {
  return LayerCost{name, kind, flops, params, params * kBytesPerNumber,
                   (numbers_read + numbers_written) * kBytesPerNumber};
}

}  // namespace

double NetCost::flops() const { return sum(layers, &LayerCost::flops); }
double NetCost::params() const { return sum(layers, &LayerCost::params); }
double NetCost::param_bytes() const { return sum(layers, &LayerCost::param_bytes); }
double NetCost::activation_bytes() const { return sum(layers, &LayerCost::activation_bytes); }

void NetCost::add(const NetCost& other, double times) {
  for (LayerCost l : other.layers) {
    l.flops *= times;
    l.param_bytes *= times;
    l.activation_bytes *= times;
    layers.push_back(std::move(l));
  }
}

LayerCost linear_cost(const std::string& name, int64_t in, int64_t out, bool bias, int64_t batch) {
  const double outputs = double(batch) * double(out);
  const double params = double(in) * double(out) + (bias ? double(out) : 0);
  return layer(name, "linear", 2.0 * double(in) * outputs + (bias ? outputs : 0), params, double(batch) * double(in),
               outputs);
}

LayerCost conv2d_cost(const std::string& name, int64_t c_in, int64_t c_out, int64_t kernel, int64_t h_in,
                      int64_t w_in, int64_t h_out, int64_t w_out, bool bias, int64_t groups, int64_t batch) {
  const double taps = double(kernel) * double(kernel) * double(c_in / groups);
  const double outputs = double(batch) * double(c_out) * double(h_out) * double(w_out);
  const double params = taps * double(c_out) + (bias ? double(c_out) : 0);
  return layer(name, "conv2d", 2.0 * taps * outputs + (bias ? outputs : 0), params,
               double(batch) * double(c_in) * double(h_in) * double(w_in), outputs);
}

LayerCost conv_transpose2d_cost(const std::string& name, int64_t c_in, int64_t c_out, int64_t kernel, int64_t h_in,
                                int64_t w_in, int64_t h_out, int64_t w_out, bool bias, int64_t batch) {
  const double inputs = double(batch) * double(c_in) * double(h_in) * double(w_in);
  const double outputs = double(batch) * double(c_out) * double(h_out) * double(w_out);
  const double taps = double(kernel) * double(kernel) * double(c_out);
  const double params = taps * double(c_in) + (bias ? double(c_out) : 0);
  return layer(name, "conv_transpose2d", 2.0 * taps * inputs + (bias ? outputs : 0), params, inputs, outputs);
}

LayerCost elementwise_cost(const std::string& name, const std::string& kind, int64_t elements,
                           double flops_per_element, int64_t params) {
  return layer(name, kind, flops_per_element * double(elements), double(params), double(elements), double(elements));
}

LayerCost binary_cost(const std::string& name, const std::string& kind, int64_t elements, int64_t second_elements,
                      double flops_per_element) {
  return layer(name, kind, flops_per_element * double(elements), 0, double(elements) + double(second_elements),
               double(elements));
}

LayerCost sinusoidal_embedding_cost(const std::string& name, int64_t dims, int64_t batch) {
  const double half = double(dims / 2);
  LayerCost l = layer(name, "sinusoidal_embedding", double(batch) * (half + 2 * half), 0, double(batch),
                      double(batch) * 2 * half);
  l.param_bytes = half * kBytesPerNumber;
  return l;
}

LayerCost batchnorm_cost(const std::string& name, int64_t channels, int64_t spatial, int64_t batch) {
  const double elements = double(batch) * double(channels) * double(spatial);
  LayerCost l = layer(name, "batchnorm", 5.0 * double(channels) + 2.0 * elements, 2.0 * double(channels), elements,
                      elements);
  l.param_bytes = 4.0 * double(channels) * kBytesPerNumber;  // gamma, beta, running mean, running variance
  return l;
}

LayerCost groupnorm_cost(const std::string& name, int64_t channels, int64_t groups, int64_t spatial, int64_t batch) {
  const double elements = double(batch) * double(channels) * double(spatial);
  return layer(name, "groupnorm", 8.0 * elements + 4.0 * double(batch) * double(groups), 2.0 * double(channels),
               elements, elements);
}

LayerCost upsample_nearest_cost(const std::string& name, int64_t channels, int64_t h_in, int64_t w_in,
                                int64_t factor, int64_t batch) {
  const double inputs = double(batch) * double(channels) * double(h_in) * double(w_in);
  return layer(name, "upsample_nearest", 0, 0, inputs, inputs * double(factor) * double(factor));
}

LayerCost avg_pool_cost(const std::string& name, int64_t channels, int64_t h_in, int64_t w_in, int64_t kernel,
                        int64_t batch) {
  const double inputs = double(batch) * double(channels) * double(h_in) * double(w_in);
  const double outputs = double(batch) * double(channels) * double(h_in / kernel) * double(w_in / kernel);
  return layer(name, "avg_pool", double(kernel) * double(kernel) * outputs, 0, inputs, outputs);
}

LayerCost copy_cost(const std::string& name, const std::string& kind, int64_t elements) {
  return layer(name, kind, 0, 0, double(elements), double(elements));
}

LayerCost random_cost(const std::string& name, int64_t elements) {
  return layer(name, "random", 0, 0, 0, double(elements));
}

}  // namespace tsu::baselines
