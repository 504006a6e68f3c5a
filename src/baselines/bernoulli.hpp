// PRIVATE to src/baselines: the trivial baselines a skeptic adds first, no network in either.
//   "bernoulli": the Bernoulli-means model. Every pixel is an independent Bernoulli draw with the
//                mean of its class's binarised training images ("ten mean images"), fitted by counting.
//   "mixture":   a mixture of `components` such Bernoulli images per class (the classic latent-class
//                model of binary images), fitted by EM to each class's images.
// Sample i has class i mod 10, so any count that is a multiple of 10 is balanced. A run folder holds
// config.json, then means.npy (float32 [10 x components, 28, 28], class after class) and for a
// mixture weights.npy (float32 [10, components]), written in that order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "baselines/generator.hpp"

namespace tsu::baselines::detail {

std::unique_ptr<Generator> make_bernoulli(const GeneratorConfig& config);
// The fitted model in `dir`; Error naming the file when means.npy or weights.npy is missing or malformed.
std::unique_ptr<Generator> load_bernoulli(const GeneratorConfig& config, const std::string& dir);

// A mixture of independent Bernoulli images fitted by EM to `count` binary images ([count * pixels]):
// initialised at `components` distinct images drawn with `seed` (pixels moved a quarter of the way
// to 1/2), each M step the posterior mode under a Beta(1 + a, 1 + a) prior on every pixel mean
// (a = kPseudoCount), so that no mean reaches 0 or 1. objective[t] is the mean log posterior per
// image (the data's log-likelihood plus the prior's log density, over count; nats) before iteration
// t, and after the last one at [iterations]: EM never lowers it.
struct BernoulliMixture {
  int components = 0, pixels = 0;
  std::vector<double> weights;  // [components]
  std::vector<double> means;    // [components * pixels]
  std::vector<double> objective;
};
inline constexpr double kPseudoCount = 0.01;
BernoulliMixture fit_bernoulli_mixture(const std::vector<float>& images, size_t count, int pixels, int components,
                                       int iterations, uint64_t seed);

}  // namespace tsu::baselines::detail
