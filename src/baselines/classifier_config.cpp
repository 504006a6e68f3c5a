// The classifier's configuration (configs/baselines/classifier-*.json) and where shipped files and
// the cache live. No libtorch here, so this compiles quickly.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <set>

#include "baselines/metric.hpp"
#include "util/json.hpp"
#include "util/files.hpp"
#include "graph/model.hpp"

namespace tsu::baselines {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The name becomes part of a file name in the cache folder.
bool is_file_name(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

void validate(const ClassifierConfig& c) {
  require(is_file_name(c.name), "name", fmt::format("must be letters, digits, '-', '_' or '.', got \"{}\"", c.name));
  require(c.epochs >= 1, "epochs", fmt::format("must be >= 1, got {}", c.epochs));
  require(c.batch >= 1, "batch", fmt::format("must be >= 1, got {}", c.batch));
  require(c.learning_rate > 0 && std::isfinite(c.learning_rate), "learning_rate", "must be finite and > 0");
  require(c.channels >= 1, "channels", fmt::format("must be >= 1, got {}", c.channels));
  require(c.features >= 2, "features", fmt::format("must be >= 2, got {}", c.features));
  require(c.threads >= 0, "threads", fmt::format("must be >= 0, got {}", c.threads));
}

ClassifierConfig parse(const json& doc) {
  ClassifierConfig c;
  JsonFields f(doc, "");
  f.get("name", c.name);
  f.get("seed", c.seed);
  f.get("epochs", c.epochs);
  f.get("batch", c.batch);
  f.get("learning_rate", c.learning_rate);
  f.get("train_images", c.train_images);
  f.get("channels", c.channels);
  f.get("features", c.features);
  f.get("threads", c.threads);
  f.reject_unknown();
  validate(c);
  return c;
}

}  // namespace

ClassifierConfig parse_classifier_config(const json& doc, const std::string& source) {
  return parse_with_source(doc, source, parse);
}

ClassifierConfig load_classifier_config(const std::string& path) {
  return parse_classifier_config(read_json_file(path), path);
}

json to_json(const ClassifierConfig& c) {
  return json{{"name", c.name},
              {"seed", c.seed},
              {"epochs", c.epochs},
              {"batch", c.batch},
              {"learning_rate", c.learning_rate},
              {"train_images", c.train_images},
              {"channels", c.channels},
              {"features", c.features},
              {"threads", c.threads}};
}

std::string shipped_config_path(const std::string& subject, const std::string& stem, const std::string& scale) {
  static const std::set<std::string> scales = {"tiny", "demo", "full"};
  if (!scales.count(scale))
    throw Error(fmt::format("{} scale \"{}\": unknown (expected tiny, demo or full)", subject, scale));
  return find_shipped_file(fmt::format("configs/baselines/{}-{}.json", stem, scale));
}

std::string classifier_config_path(const std::string& scale) {
  return shipped_config_path("classifier", "classifier", scale);
}

std::string default_cache_dir() {
  const auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  if (const auto dir = env("TSU_CACHE"); !dir.empty()) return dir;
  if (const auto dir = env("XDG_CACHE_HOME"); !dir.empty()) return (fs::path(dir) / "tsu").string();
  if (const auto home = env("HOME"); !home.empty()) return (fs::path(home) / ".cache" / "tsu").string();
  throw Error("classifier cache: neither TSU_CACHE, XDG_CACHE_HOME nor HOME is set; set TSU_CACHE to a folder");
}

}  // namespace tsu::baselines
