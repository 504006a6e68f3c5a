// PRIVATE to src/baselines: the Bernoulli-means model, the trivial baseline a skeptic adds first
// (family "bernoulli"). Every pixel is an independent Bernoulli draw with the mean of its class's
// binarised training images ("ten mean images"): no training beyond counting, no network. Sample i
// has class i mod 10, so any count that is a multiple of 10 is balanced. A run folder holds
// config.json and means.npy (float32 [10, 28, 28]), written in that order.
#pragma once

#include <memory>
#include <string>

#include "baselines/generator.hpp"

namespace tsu::baselines::detail {

std::unique_ptr<Generator> make_bernoulli(const GeneratorConfig& config);
// The fitted model in `dir`; Error naming the file when means.npy is missing or malformed.
std::unique_ptr<Generator> load_bernoulli(const GeneratorConfig& config, const std::string& dir);

}  // namespace tsu::baselines::detail
