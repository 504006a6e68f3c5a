#include "cost/fields.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace tsu::cost {

InputError::InputError(std::string field_key, const std::string& message)
    : std::invalid_argument(field_key + ": " + message), field(std::move(field_key)) {}

std::string option_name(const std::string& key) {
  std::string name = "--" + key;
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

namespace {

void check_field(const Field& f) {
  const double v = *f.value;
  if (!std::isfinite(v)) throw InputError(f.key, fmt::format("must be a finite number, got {}", v));
  switch (f.bound) {
    case Bound::positive:
      if (v <= 0) throw InputError(f.key, fmt::format("must be > 0, got {}", v));
      break;
    case Bound::non_negative:
      if (v < 0) throw InputError(f.key, fmt::format("must be >= 0, got {}", v));
      break;
    case Bound::fraction:
      if (v <= 0 || v > 1) throw InputError(f.key, fmt::format("must be in (0, 1], got {}", v));
      break;
  }
}

}  // namespace

void check_fields(const std::vector<Field>& fields) {
  for (const Field& f : fields) check_field(f);
}

void apply_json(const std::vector<Field>& fields, const nlohmann::json& config, Sources& sources,
                const std::string& origin) {
  if (!config.is_object()) throw InputError("config", "must be a JSON object {\"key\": number, ...}");
  for (const auto& item : config.items()) {
    const std::string& key = item.key();
    const auto& value = item.value();
    const auto it = std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.key == key; });
    if (it == fields.end()) throw InputError(nlohmann::json(key).dump(), "unknown key for this calculator (see --help)");
    if (!value.is_number()) throw InputError(key, "must be a number, got " + value.dump());
    *it->value = value.get<double>();
    sources[key] = origin;
  }
}

std::vector<Row> input_rows(const std::vector<Field>& fields, const Sources& sources) {
  std::vector<Row> rows;
  for (const Field& f : fields) {
    const auto it = sources.find(f.key);
    rows.push_back({f.key, *f.value, f.unit, it == sources.end() ? f.help : it->second});
  }
  return rows;
}

std::string format_number(double value) {
  if (std::isnan(value)) return "n/a";
  if (std::isinf(value)) return "never";
  return fmt::format("{:.4g}", value);
}

namespace {

std::string format_rows(const std::vector<Row>& rows) {
  size_t key_width = 0;
  for (const Row& r : rows) key_width = std::max(key_width, r.key.size());
  std::string text;
  for (const Row& r : rows)
    text += fmt::format("  {:<{}}  {:>11} {:<9} {}\n", r.key, key_width, format_number(r.value), r.unit, r.note);
  return text;
}

nlohmann::json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace

std::string format_table(const Report& report) {
  std::string text = fmt::format("tsu cost {} [{}]: {}\n", report.command, report.preset, report.summary);
  text += "inputs (value, unit, source)\n" + format_rows(report.inputs);
  text += "outputs (value, unit, formula)\n" + format_rows(report.outputs);
  for (const std::string& note : report.notes) text += "note: " + note + "\n";
  return text;
}

nlohmann::json to_json(const Report& report) {
  nlohmann::json inputs = nlohmann::json::object(), outputs = nlohmann::json::object();
  for (const Row& r : report.inputs)
    inputs[r.key] = {{"value", number_or_null(r.value)}, {"unit", r.unit}, {"source", r.note}};
  for (const Row& r : report.outputs)
    outputs[r.key] = {{"value", number_or_null(r.value)}, {"unit", r.unit}, {"formula", r.note}};
  return {{"command", report.command}, {"preset", report.preset}, {"summary", report.summary},
          {"inputs", inputs}, {"outputs", outputs}, {"notes", report.notes}};
}

}  // namespace tsu::cost
