// tsu-device-v1 files (hw/device): a device that parses has every constant finite and a source for
// each.
#include <cmath>

#include "harness.hpp"
#include "hw/device.hpp"

using namespace tsu;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string source = "device.json";
  const std::string text(fuzz::as_text(data, size));
  fuzz::expect_parse_or_clean_error(source, [&] {
    const hw::Device d = hw::parse_device_json(text, source);
    for (const auto& field : hw::device_fields()) {
      fuzz::require(std::isfinite(d.*field.member), field.key + " is not finite");
      fuzz::require(d.sources.count(field.key) == 1, field.key + " has no source");
    }
  });
  return 0;
}
