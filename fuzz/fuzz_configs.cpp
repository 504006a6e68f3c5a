// The JSON configs: DTM (ml/config), baseline generators and the quality classifier (baselines), chosen
// by the first byte. A config that parses writes back (to_json) to one that parses to the same JSON.
#include "baselines/generator.hpp"
#include "baselines/metric.hpp"
#include "harness.hpp"
#include "ml/config.hpp"
#include "util/json.hpp"

using namespace tsu;

namespace {

template <class Config>
void round_trip(const std::string& path, Config (*load)(const std::string&), fuzz::InputFile& again) {
  const nlohmann::json written = to_json(load(path));
  again.write(written.dump());
  fuzz::require(fuzz::reread([&] { return to_json(load(again.path())); }) == written, "the written config reads back differently");
}

ml::DtmConfig load_dtm(const std::string& path) { return ml::load_dtm_config(path); }
baselines::GeneratorConfig load_generator(const std::string& path) { return baselines::load_generator_config(path); }
baselines::ClassifierConfig load_classifier(const std::string& path) { return baselines::load_classifier_config(path); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile input(".json"), again("-again.json");
  if (size == 0) return 0;
  const std::string& path = input.write(fuzz::as_text(data + 1, size - 1));
  fuzz::expect_parse_or_clean_error(path, [&] {
    switch (data[0] % 3) {
      case 0: return round_trip(path, load_dtm, again);
      case 1: return round_trip(path, load_generator, again);
      default: return round_trip(path, load_classifier, again);
    }
  });
  return 0;
}
