// Quantization to a B-bit grid (graph/quantize.hpp) and sampling at that precision (--bits): the
// grid's properties, and sampled moments against exact enumeration of the quantized model.
#include <gtest/gtest.h>

#include <cmath>

#include "api/exact.hpp"
#include "api/model.hpp"
#include "api/sample.hpp"
#include "cli_fixture.hpp"
#include "error_of.hpp"
#include "graph/model_io.hpp"
#include "graph/quantize.hpp"
#include "random_models.hpp"

namespace tsu {
namespace {

double largest_weight(const Model& m) {
  double top = 0;
  for (const auto& g : m.groups)
    for (double w : g.weights) top = std::max(top, std::abs(w));
  return top;
}

TEST(Quantize, EveryWeightIsAStepMultipleWithinHalfAStep) {
  const Model model = test_models::random_mixed(0.8, 3).model;
  for (int bits : {2, 3, 6, 8, 12, 16}) {
    const QuantizedModel q = quantize(model, bits);
    const double top_code = (1 << (bits - 1)) - 1;
    EXPECT_NEAR(q.scale, largest_weight(model) / top_code, 1e-15) << bits;
    double worst = 0;
    for (size_t g = 0; g < model.groups.size(); ++g)
      for (size_t k = 0; k < model.groups[g].weights.size(); ++k) {
        const double w = model.groups[g].weights[k], on_grid = q.model.groups[g].weights[k];
        const double code = on_grid / q.scale;
        EXPECT_NEAR(code, std::round(code), 1e-9) << bits;
        EXPECT_LE(std::abs(code), top_code + 1e-9) << bits;
        EXPECT_LE(std::abs(w - on_grid), q.scale / 2 * (1 + 1e-12)) << bits;
        worst = std::max(worst, std::abs(w - on_grid));
      }
    EXPECT_EQ(q.max_error, worst) << bits;
    EXPECT_EQ(largest_weight(q.model), largest_weight(model)) << "the largest weight is the top code";
  }
}

TEST(Quantize, IntegerWeightsThatFitStayAsTheyAre) {
  Model m;
  m.add_spin_nodes(3);
  m.add_coupling(0, 1, 1), m.add_coupling(1, 2, -1), m.add_bias(2, 1);
  const QuantizedModel q = quantize(m, 2);
  EXPECT_EQ(q.scale, 1.0);
  EXPECT_EQ(q.max_error, 0.0);
  for (size_t g = 0; g < m.groups.size(); ++g) EXPECT_EQ(q.model.groups[g].weights, m.groups[g].weights);
  m.add_bias(0, 3);  // 3 needs 3 bits: now the grid is scaled
  EXPECT_EQ(quantize(m, 2).scale, 3.0);
  EXPECT_EQ(quantize(m, 3).scale, 1.0);
}

TEST(Quantize, QuantizingTwiceChangesNothingBeyondRounding) {
  const Model model = test_models::random_pairwise(10, 1.0, 0.5, 8).model;
  const QuantizedModel once = quantize(model, 5), twice = quantize(once.model, 5);
  EXPECT_NEAR(twice.scale, once.scale, 1e-15);
  EXPECT_LE(twice.max_error, 1e-14);
}

TEST(Quantize, BitsOutsideTwoToSixteenAreRefused) {
  const Model model = test_models::random_pairwise(4, 1.0, 0.5, 1).model;
  EXPECT_EQ(error_of([&] { quantize(model, 1); }), "bits: must be between 2 and 16, got 1");
  EXPECT_EQ(error_of([&] { quantize(model, 17); }), "bits: must be between 2 and 16, got 17");
  api::SampleOptions o;
  o.bits = -3;
  EXPECT_EQ(error_of([&] { api::sample(std::make_shared<const Model>(model), o); }),
            "--bits: must be between 2 and 16, got -3");
}

// 20,000 independent chains, one observation each after 200 sweeps: a marginal's standard error is
// at most 0.5 / sqrt(20000) = 0.0035, and 5 of them bound every comparison below. Two bits change
// this model by far more than that, so sampling the unquantized model would fail the test.
TEST(SampleBits, MomentsAreThoseOfTheQuantizedModelByEnumeration) {
  const auto model = std::make_shared<const Model>(test_models::random_pairwise(12, 0.7, 0.5, 21).model);
  const api::Quantized q = api::quantize(model, 2);
  const api::ExactResult exact = api::exact(q.model), unquantized = api::exact(model);
  for (const std::string backend : {"fast", "reference"}) {
    api::SampleOptions o;
    o.chains = 20000, o.schedule = {200, 1, 1}, o.seed = 5, o.bits = 2, o.backend = backend;
    const api::SampleResult r = api::sample(model, o);
    EXPECT_EQ(r.run.bits, 2);
    EXPECT_EQ(r.run.scale, q.scale);
    const double tolerance = 5 * 0.5 / std::sqrt(double(r.draws));
    double gap_to_unquantized = 0;
    for (size_t i = 0; i < model->size(); ++i) {
      EXPECT_NEAR(r.marginals[i][1], exact.marginals[i][1], tolerance) << backend << " node " << i;
      gap_to_unquantized = std::max(gap_to_unquantized, std::abs(r.marginals[i][1] - unquantized.marginals[i][1]));
    }
    for (size_t p = 0; p < r.pair_moments.size(); ++p)
      EXPECT_NEAR(r.pair_moments[p], exact.pair_moments[p], 2 * tolerance) << backend << " pair " << p;
    EXPECT_GT(gap_to_unquantized, 3 * tolerance) << "the test cannot tell the quantized model from the given one";
  }
}

class QuantizeCli : public CliTest {};

TEST_F(QuantizeCli, WritesTheModelThatSampleBitsSamples) {
  save_model(test_models::random_pairwise(8, 1.0, 0.5, 4).model, (dir_ / "m.json").string());
  const CliResult r = tsu("quantize m.json --bits 4 --out m4.json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("quantized m.json to 4 bits"), std::string::npos) << r.out;
  const QuantizedModel expected = quantize(load_model((dir_ / "m.json").string()), 4);
  const Model written = load_model((dir_ / "m4.json").string());
  for (size_t g = 0; g < written.groups.size(); ++g) EXPECT_EQ(written.groups[g].weights, expected.model.groups[g].weights);
  const CliResult s = tsu("sample m.json --bits 4 --samples 10 --out run");
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_NE(s.out.find("quantized to 4 bits"), std::string::npos) << s.out;
  EXPECT_NE(read_file((dir_ / "run/moments.json").string()).find("\"quantization\""), std::string::npos);
}

TEST_F(QuantizeCli, BadBitsAreOneErrorLine) {
  save_model(test_models::random_pairwise(4, 1.0, 0.5, 4).model, (dir_ / "m.json").string());
  expect_error_line(tsu("quantize m.json --bits 1 --out q.json"), 2, {"--bits", "between 2 and 16", "got 1"});
  expect_error_line(tsu("sample m.json --bits 40 --out run"), 2, {"--bits", "got 40"});
  EXPECT_FALSE(std::filesystem::exists(dir_ / "q.json"));
}

}  // namespace
}  // namespace tsu
