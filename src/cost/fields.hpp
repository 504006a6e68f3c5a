// The machinery the three cost calculators share: named numeric inputs (one list drives the CLI
// options, the JSON config, validation and the printed tables), input sources, and reports.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace tsu::cost {

// Invalid input. `field` is the key of the offending input ("params"), or a pseudo-key such as
// "preset"; what() starts with it.
struct InputError : std::invalid_argument {
  InputError(std::string field, const std::string& message);
  std::string field;
};

enum class Bound { positive, non_negative, fraction };  // fraction: 0 < x <= 1

// One named numeric input. Its CLI option is --key with '_' written as '-'.
struct Field {
  std::string key;
  std::string unit;
  std::string help;
  double* value;
  Bound bound = Bound::positive;
};

// Field key -> where its value came from (a reference section, "--params", a config file).
using Sources = std::map<std::string, std::string>;

std::string option_name(const std::string& key);  // "tokens_in" -> "--tokens-in"

// Throws InputError naming the field if its value is NaN, infinite or outside its bound.
void check_fields(const std::vector<Field>& fields);

// Sets fields from a JSON object {key: number, ...} and records `origin` as their source.
// Unknown keys and non-numbers throw InputError naming the key.
void apply_json(const std::vector<Field>& fields, const nlohmann::json& config, Sources& sources,
                const std::string& origin);

// One line of a report: an input with its source, or an output with the formula that made it.
// A NaN value prints as "n/a", an infinite one as "never" (null in JSON).
struct Row {
  std::string key;
  double value;
  std::string unit;
  std::string note;
};

struct Report {
  std::string command;  // "llm", "infer", "asic"
  std::string preset;   // "today", "llama-70b on h100", ...
  std::string summary;
  std::vector<Row> inputs;
  std::vector<Row> outputs;
  std::vector<std::string> notes;  // published claims set beside the outputs, caveats
};

std::vector<Row> input_rows(const std::vector<Field>& fields, const Sources& sources);

std::string format_number(double value);  // 4 significant digits
std::string format_table(const Report& report);
nlohmann::json to_json(const Report& report);

}  // namespace tsu::cost
