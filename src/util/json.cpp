#include "util/json.hpp"

#include <memory>
#include <unordered_set>
#include <vector>

#include "util/files.hpp"

namespace tsu {

namespace {

using nlohmann::json;

json::parser_callback_t duplicate_key_guard(const std::string& source) {
  auto open = std::make_shared<std::vector<std::unordered_set<std::string>>>();
  return [open, source](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open->emplace_back();
    if (event == json::parse_event_t::object_end) open->pop_back();
    if (event == json::parse_event_t::key && !open->back().insert(parsed.get<std::string>()).second)
      throw Error(fmt::format("{}: duplicate key {}", source, json_literal(parsed.get<std::string>())));
    return true;
  };
}

// nlohmann's messages start with a tag such as "[json.exception.parse_error.101] "; a parse error's
// rest names the line and column.
std::string strip_exception_tag(const char* what) {
  std::string_view msg(what);
  if (auto end = msg.find("] "); msg.starts_with("[json.exception") && end != msg.npos) msg.remove_prefix(end + 2);
  return std::string(msg);
}

}  // namespace

json parse_json(std::string_view text, const std::string& source) {
  try {
    return json::parse(text, duplicate_key_guard(source));
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number overflow
    throw Error(fmt::format("{}: invalid JSON: {}", source, strip_exception_tag(e.what())));
  }
}

json read_json_file(const std::string& path) { return parse_json(read_file(path), path); }

std::string json_literal(const std::string& s) { return json(s).dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace tsu
