// tsu-model-v1 JSON (graph/model_io): a model that parses writes back to a document that parses to
// the same model (model_to_json is a fixed point after one round).
#include "graph/model_io.hpp"
#include "harness.hpp"

using namespace tsu;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string source = "model.json";
  const std::string text(fuzz::as_text(data, size));
  fuzz::expect_parse_or_clean_error(source, [&] {
    const std::string written = model_to_json(parse_model_json(text, source, fuzz::kMaxNodes));
    fuzz::require(fuzz::reread([&] { return model_to_json(parse_model_json(written, source, fuzz::kMaxNodes)); }) == written, "the written model reads back differently");
  });
  return 0;
}
