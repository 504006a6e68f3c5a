// A small validator for the JSON Schema subset that docs/compare.schema.json uses: type (a name or a
// list), required, properties, additionalProperties (false), items, enum, minimum, minItems. Test side:
// enough to check tsu's own reports; not a general JSON Schema implementation.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tsu::testing {

// Every violation as "PATH: message" (PATH a JSON pointer, "" for the root); empty when valid.
std::vector<std::string> schema_errors(const nlohmann::json& schema, const nlohmann::json& document);

}  // namespace tsu::testing
