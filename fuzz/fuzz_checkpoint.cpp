// DTM checkpoints (ml/dtm): the input is a checkpoint's payload (its JSON header line, then the
// parameters), wrapped in a valid size and checksum line so that the parser behind the checksum is
// what gets fuzzed. A checkpoint that loads saves to a file that loads and saves to the same bytes.
// Headers whose model is larger than side 16 or 3 steps are skipped: building the graphs of a large
// model is slow, not a parser problem.
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "ml/dtm.hpp"
#include "util/checksum.hpp"
#include "util/files.hpp"

using namespace tsu;

namespace {

constexpr std::string_view kTag = "tsu-dtm-checkpoint-v3";  // ml/dtm.cpp's

bool too_large(std::string_view payload) {
  const auto header = nlohmann::json::parse(payload.substr(0, payload.find('\n')), nullptr, false);
  if (!header.is_object() || !header.contains("config") || !header["config"].is_object()) return false;
  const auto& config = header["config"];
  const auto above = [](const nlohmann::json& doc, const char* group, const char* key, int limit) {
    if (!doc.contains(group) || !doc[group].is_object()) return true;  // the defaults are the paper's size
    const auto& v = doc[group].value(key, nlohmann::json());
    return !v.is_number() || v.get<double>() > limit;
  };
  return above(config, "graph", "side", 16) || above(config, "diffusion", "steps", 3);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile input(".bin"), first("-first.bin"), second("-second.bin");
  const std::string_view payload = fuzz::as_text(data, size);
  if (too_large(payload)) return 0;
  const std::string& path = input.write(checksummed_file(kTag, payload));
  fuzz::expect_parse_or_clean_error(path, [&] {
    ml::Dtm::load(path).save(first.path());
    fuzz::reread([&] { return ml::Dtm::load(first.path()); }).save(second.path());
    fuzz::require(read_file(first.path()) == read_file(second.path()), "a saved checkpoint saves back differently");
  });
  return 0;
}
