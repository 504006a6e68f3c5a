// Ising edge lists (graph/model_io, ../shared/data/README.md): a parsed list writes back as a
// tsu-model-v1 document that reads back to the same model.
#include <sstream>

#include "graph/model_io.hpp"
#include "harness.hpp"

using namespace tsu;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string source = "edges.txt";
  fuzz::expect_parse_or_clean_error(source, [&] {
    std::istringstream in{std::string(fuzz::as_text(data, size))};
    const std::string written = model_to_json(parse_edge_list(in, source, fuzz::kMaxNodes));
    fuzz::require(fuzz::reread([&] { return model_to_json(parse_model_json(written, source, fuzz::kMaxNodes)); }) == written, "the written model reads back differently");
  });
  return 0;
}
