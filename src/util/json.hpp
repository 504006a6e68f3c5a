// Reading JSON the one way every tsu file does: a repeated key is an error (nlohmann would keep the
// last one silently, and a repeated "w" or "epochs" is almost surely a mistake), parse errors name
// the file, line and column, and objects are read field by field so that a field left over is an
// "unknown field" error naming it (a misspelt option must not be ignored silently).
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>

#include "util/error.hpp"

namespace tsu {

// The document in `text`; Error "SOURCE: ..." for invalid JSON or a repeated key.
nlohmann::json parse_json(std::string_view text, const std::string& source);
// parse_json of a whole file (IoError when it cannot be read).
nlohmann::json read_json_file(const std::string& path);
// `s` as a JSON string literal for a message ("\"w\""), invalid UTF-8 replaced.
std::string json_literal(const std::string& s);

class JsonFields {
 public:
  // `path` is the object's dotted name ("" at the top).
  JsonFields(const nlohmann::json& doc, std::string path) : doc_(doc), path_(std::move(path)) {
    if (!doc_.is_object()) throw Error(fmt::format("{}: must be an object", path_.empty() ? "config" : path_));
  }

  std::string name(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  // Leaves `out` unchanged when the field is absent.
  template <class T>
  void get(const std::string& key, T& out) {
    seen_.insert(key);
    if (!doc_.contains(key)) return;
    const nlohmann::json& v = doc_[key];
    if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) throw Error(fmt::format("{}: must be true or false, got {}", name(key), v.dump()));
      out = v.get<bool>();
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) throw Error(fmt::format("{}: must be a string, got {}", name(key), v.dump()));
      out = v.get<std::string>();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!v.is_number()) throw Error(fmt::format("{}: must be a number, got {}", name(key), v.dump()));
      out = v.get<double>();
    } else {
      if (!v.is_number_integer() || (std::is_unsigned_v<T> && v.get<int64_t>() < 0))
        throw Error(fmt::format("{}: must be {}integer, got {}", name(key),
                                std::is_unsigned_v<T> ? "a non-negative " : "an ", v.dump()));
      out = v.get<T>();
    }
  }

  bool has(const std::string& key) const { return doc_.contains(key); }

  JsonFields object(const std::string& key) {
    seen_.insert(key);
    static const nlohmann::json empty = nlohmann::json::object();
    return JsonFields(doc_.contains(key) ? doc_[key] : empty, name(key));
  }

  // `why` follows "unknown field", e.g. " for the gan family".
  void reject_unknown(const std::string& why = "") const {
    for (const auto& [key, value] : doc_.items())
      if (!seen_.count(key)) throw Error(fmt::format("{}: unknown field{}", name(key), why));
  }

 private:
  const nlohmann::json& doc_;
  std::string path_;
  std::set<std::string> seen_;
};

inline void require(bool ok, const std::string& field, const std::string& message) {
  if (!ok) throw Error(fmt::format("{}: {}", field, message));
}

// parse(doc) with every Error or JSON type error prefixed by `source` (the file's name).
template <class Parse>
auto parse_with_source(const nlohmann::json& doc, const std::string& source, Parse parse) {
  try {
    return parse(doc);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", source, e.what()));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: {}", source, e.what()));
  }
}

}  // namespace tsu
