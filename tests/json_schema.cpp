#include "json_schema.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace tsu::testing {

namespace {

using json = nlohmann::json;

bool has_type(const json& value, const std::string& type) {
  if (type == "null") return value.is_null();
  if (type == "boolean") return value.is_boolean();
  if (type == "integer") return value.is_number_integer() || (value.is_number() && value == std::floor(value.get<double>()));
  if (type == "number") return value.is_number();
  if (type == "string") return value.is_string();
  if (type == "array") return value.is_array();
  if (type == "object") return value.is_object();
  return false;
}

std::string type_name(const json& value) {
  return value.is_number() ? "number" : value.is_boolean() ? "boolean" : std::string(value.type_name());
}

void check(const json& schema, const json& value, const std::string& path, std::vector<std::string>& errors) {
  if (schema.contains("type")) {
    const json& t = schema["type"];
    const json types = t.is_array() ? t : json::array({t});
    bool ok = false;
    for (const json& name : types) ok = ok || has_type(value, name.get<std::string>());
    if (!ok) {
      errors.push_back(fmt::format("{}: expected {}, got {}", path, t.dump(), type_name(value)));
      return;
    }
  }
  if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end())
    errors.push_back(fmt::format("{}: {} is not one of {}", path, value.dump(), schema["enum"].dump()));
  if (schema.contains("minimum") && value.is_number() && value.get<double>() < schema["minimum"].get<double>())
    errors.push_back(fmt::format("{}: {} is below the minimum {}", path, value.dump(), schema["minimum"].dump()));
  if (value.is_object()) {
    for (const json& key : schema.value("required", json::array()))
      if (!value.contains(key.get<std::string>()))
        errors.push_back(fmt::format("{}: missing required field \"{}\"", path, key.get<std::string>()));
    const json properties = schema.value("properties", json::object());
    for (const auto& [key, item] : value.items()) {
      if (properties.contains(key)) check(properties[key], item, path + "/" + key, errors);
      else if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object())
        check(schema["additionalProperties"], item, path + "/" + key, errors);
      else if (schema.value("additionalProperties", true) == false)
        errors.push_back(fmt::format("{}: unknown field \"{}\"", path, key));
    }
  }
  if (value.is_array()) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>())
      errors.push_back(fmt::format("{}: {} items, at least {} needed", path, value.size(), schema["minItems"].dump()));
    if (schema.contains("items"))
      for (size_t i = 0; i < value.size(); ++i) check(schema["items"], value[i], fmt::format("{}/{}", path, i), errors);
  }
}

}  // namespace

std::vector<std::string> schema_errors(const json& schema, const json& document) {
  std::vector<std::string> errors;
  check(schema, document, "", errors);
  return errors;
}

}  // namespace tsu::testing
