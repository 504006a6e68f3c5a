#include "api/neural.hpp"

#include <dlfcn.h>

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <mutex>

namespace tsu::api {

namespace {

constexpr const char* kLibrary = "libtsu_neural.so";

// The folder of the binary that holds this function (libtsu_api.so, or whatever links it statically).
std::filesystem::path own_folder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&own_folder), &info) == 0 || !info.dli_fname) return {};
  return std::filesystem::path(info.dli_fname).parent_path();
}

const NeuralEntryPoints& load_entry_points() {
  const std::filesystem::path path = own_folder() / kLibrary;
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    throw IoError(fmt::format("{}: cannot load the neural baselines library (libtorch), which this build needs for "
                              "the classifier metric and tsu compare: {}",
                              path.string(), dlerror()));
  using Get = const NeuralEntryPoints* (*)();
  auto get = reinterpret_cast<Get>(dlsym(handle, "tsu_neural_entry_points"));
  const NeuralEntryPoints* table = get ? get() : nullptr;
  if (!table || table->version != kNeuralEntryPointsVersion)
    throw IoError(fmt::format("{}: not the neural library of this tsu (entry points missing or of another version)",
                              path.string()));
  return *table;
}

// Loaded once per process, on first use; never unloaded (metrics it made may outlive any caller).
const NeuralEntryPoints& neural() {
  static std::once_flag once;
  static const NeuralEntryPoints* table = nullptr;
  std::call_once(once, [] { table = &load_entry_points(); });
  return *table;
}

}  // namespace

ClassifierMetric classifier_metric(const std::string& scale, const std::string& cache, int threads,
                                   const StepProgress& progress) {
  return neural().classifier_metric(scale, cache, threads, progress);
}

CompareResult compare(const CompareOptions& options) { return neural().compare(options); }

nlohmann::json dtm_coverage(const DtmCoverageOptions& options) { return neural().dtm_coverage(options); }

namespace {

double spec_number(const std::string& spec, const std::string& what, const std::string& text, bool required) {
  if (text.empty() && !required) return 0;
  size_t used = 0;
  double v = NAN;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !std::isfinite(v) || v < 0)
    throw Error(fmt::format("--extra '{}': {}: expected a number >= 0, got '{}'", spec, what, text));
  return v;
}

}  // namespace

ExtraModel parse_extra_model(const std::string& spec) {
  const size_t equals = spec.find('=');
  const std::string usage = "expected NAME=SAMPLES.npy:FLOPS:BYTES[:WEIGHT_BYTES] (per sample)";
  if (equals == std::string::npos || equals == 0) throw Error(fmt::format("--extra '{}': {}", spec, usage));
  std::vector<std::string> parts;
  for (size_t from = equals + 1;;) {
    const size_t colon = spec.find(':', from);
    parts.push_back(spec.substr(from, colon == std::string::npos ? std::string::npos : colon - from));
    if (colon == std::string::npos) break;
    from = colon + 1;
  }
  if (parts.size() < 3 || parts.size() > 4 || parts[0].empty())
    throw Error(fmt::format("--extra '{}': {}", spec, usage));
  ExtraModel m;
  m.name = spec.substr(0, equals);
  // An extra model is its own family in the report: a built-in family's name would merge its
  // points into that family's curve.
  for (const char* family : {"vae", "gan", "diffusion", "bernoulli", "mixture", "dtm"})
    if (m.name == family)
      throw Error(fmt::format("--extra '{}': NAME '{}' is a built-in family (vae, gan, diffusion, bernoulli, mixture, "
                              "dtm); pick another name",
                              spec, m.name));
  m.samples = parts[0];
  m.flops = spec_number(spec, "FLOPS", parts[1], true);
  m.bytes = spec_number(spec, "BYTES", parts[2], true);
  m.weight_bytes = spec_number(spec, "WEIGHT_BYTES", parts.size() == 4 ? parts[3] : "", false);
  return m;
}

}  // namespace tsu::api
