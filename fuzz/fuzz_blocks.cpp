// Blocks files (api/model: {"blocks": [[node, ...], ...]}), read and validated against a small model
// with a clamped node: what passes is a layout whose blocks partition the free nodes.
#include "api/model.hpp"
#include "graph/model_io.hpp"
#include "harness.hpp"

using namespace tsu;

namespace {

const Model& small_model() {
  static const Model model = parse_model_json(R"({"format": "tsu-model-v1",
    "nodes": ["spin", "spin", "spin", "spin", {"categorical": 3}],
    "factors": [{"spins": [[0, 1], [1, 2], [2, 3], [3, 0]], "w": [0.5, -0.2, 0.3, 0.1]},
                {"spins": [[0]], "cats": [[4]], "w": [[0.4, -0.4, 0.0]]}],
    "clamp": {"1": -1}})", "model");
  return model;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile input(".json");
  const std::string& path = input.write(fuzz::as_text(data, size));
  fuzz::expect_parse_or_clean_error(path, [&] {
    const Layout layout = api::layout_for(small_model(), api::load_blocks_file(path), path);
    size_t nodes = 0;
    for (const auto& block : layout.blocks) nodes += block.size();
    fuzz::require(nodes == small_model().size() - 1, "the layout does not cover the free nodes once");
  });
  return 0;
}
