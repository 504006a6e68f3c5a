// Cost calculator configs ({"key": number, ...}, api/cost) for each calculator, chosen by the first
// byte: what is accepted gives a report whose inputs are all finite.
#include <cmath>

#include "api/cost.hpp"
#include "harness.hpp"

using namespace tsu;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile input(".json");
  if (size == 0) return 0;
  static const char* calculators[] = {"llm", "infer", "asic", "gpu"};
  api::CostOptions options;
  options.calculator = calculators[data[0] % 4];
  options.config = input.write(fuzz::as_text(data + 1, size - 1));
  if (options.calculator == "gpu") options.values = {{"flops", 1e9}, {"bytes", 1e6}};
  fuzz::expect_parse_or_clean_error(options.config, [&] {
    const cost::Report report = api::cost(options);
    for (const auto& row : report.inputs) fuzz::require(std::isfinite(row.value), row.key + " is not finite");
  });
  return 0;
}
