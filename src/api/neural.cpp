#include "api/neural.hpp"

#include <dlfcn.h>
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

}  // namespace tsu::api
