// The classifier's configuration (configs/baselines/classifier-*.json) and where shipped files and
// the cache live. No libtorch here, so this compiles quickly.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <set>

#include "baselines/metric.hpp"
#include "graph/files.hpp"
#include "graph/model.hpp"

namespace tsu::baselines {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::set<std::string> kScales = {"tiny", "demo", "full"};

// Reads the fields of the config object, remembering which were read so that unknown (misspelt)
// fields are errors.
class Fields {
 public:
  explicit Fields(const json& doc) : doc_(doc) {
    if (!doc_.is_object()) throw Error("config: must be an object");
  }

  template <class T>
  void get(const std::string& key, T& out) {
    seen_.insert(key);
    if (!doc_.contains(key)) return;
    const json& v = doc_[key];
    if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) throw Error(fmt::format("{}: must be a string, got {}", key, v.dump()));
      out = v.get<std::string>();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!v.is_number()) throw Error(fmt::format("{}: must be a number, got {}", key, v.dump()));
      out = v.get<double>();
    } else {
      if (!v.is_number_integer() || (std::is_unsigned_v<T> && v.get<int64_t>() < 0))
        throw Error(fmt::format("{}: must be {} integer, got {}", key, std::is_unsigned_v<T> ? "a non-negative" : "an",
                                v.dump()));
      out = v.get<T>();
    }
  }

  void reject_unknown() const {
    for (const auto& [key, value] : doc_.items())
      if (!seen_.count(key)) throw Error(fmt::format("{}: unknown field", key));
  }

 private:
  const json& doc_;
  std::set<std::string> seen_;
};

void require(bool ok, const std::string& field, const std::string& message) {
  if (!ok) throw Error(fmt::format("{}: {}", field, message));
}

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
  Fields f(doc);
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
  try {
    return parse(doc);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", source, e.what()));
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: {}", source, e.what()));
  }
}

ClassifierConfig load_classifier_config(const std::string& path) {
  const std::string text = read_file(path);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: invalid JSON: {}", path, e.what()));
  }
  return parse_classifier_config(doc, path);
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

std::string shipped_file_path(const std::string& relative) {
  std::vector<fs::path> candidates = {fs::current_path()};
  std::error_code ec;
  for (fs::path dir = fs::read_symlink("/proc/self/exe", ec).parent_path(); !ec && dir.has_relative_path();
       dir = dir.parent_path())
    candidates.push_back(dir);
  for (const auto& dir : candidates)
    if (fs::is_regular_file(dir / relative, ec)) return fs::weakly_canonical(dir / relative).string();
  throw Error(fmt::format("{}: not found below the current folder or any folder above the tsu executable; run "
                          "from the checkout or pass the file's path",
                          relative));
}

std::string classifier_config_path(const std::string& scale) {
  if (!kScales.count(scale))
    throw Error(fmt::format("classifier scale \"{}\": unknown (expected tiny, demo or full)", scale));
  return shipped_file_path("configs/baselines/classifier-" + scale + ".json");
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
