#include "cost/nvml.hpp"

#include <dlfcn.h>

#include <chrono>
#include <fmt/format.h>

namespace tsu::cost {

namespace {

// The few NVML entry points used, with their C signatures (nvml.h: nvmlReturn_t is an int enum,
// 0 = NVML_SUCCESS; nvmlDevice_t an opaque pointer).
using Device = void*;
using InitFn = int (*)();
using HandleFn = int (*)(unsigned, Device*);
using EnergyFn = int (*)(Device, unsigned long long*);  // mJ since the driver loaded
using NameFn = int (*)(Device, char*, unsigned);

struct Nvml {
  HandleFn handle = nullptr;
  EnergyFn energy = nullptr;
  NameFn name = nullptr;
  std::string error;  // why NVML is unusable; empty when it loaded and initialised
};

// Loaded and initialised once per process and kept: NVML is process-wide.
const Nvml& nvml() {
  static const Nvml lib = [] {
    Nvml n;
    void* so = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!so) {
      n.error = "no NVIDIA driver: libnvidia-ml.so.1 not found";
      return n;
    }
    const auto init = reinterpret_cast<InitFn>(dlsym(so, "nvmlInit_v2"));
    n.handle = reinterpret_cast<HandleFn>(dlsym(so, "nvmlDeviceGetHandleByIndex_v2"));
    n.energy = reinterpret_cast<EnergyFn>(dlsym(so, "nvmlDeviceGetTotalEnergyConsumption"));
    n.name = reinterpret_cast<NameFn>(dlsym(so, "nvmlDeviceGetName"));
    if (!init || !n.handle || !n.energy || !n.name) n.error = "libnvidia-ml.so.1 lacks the energy API";
    else if (const int rc = init(); rc != 0) n.error = fmt::format("nvmlInit failed (NVML error {})", rc);
    return n;
  }();
  return lib;
}

std::optional<Device> device(int index, std::string* why) {
  const Nvml& n = nvml();
  auto fail = [&](const std::string& message) {
    if (why) *why = message;
    return std::nullopt;
  };
  if (!n.error.empty()) return fail(n.error);
  Device d = nullptr;
  if (index < 0 || n.handle(unsigned(index), &d) != 0) return fail(fmt::format("no GPU {}", index));
  unsigned long long mj = 0;
  if (n.energy(d, &mj) != 0) return fail(fmt::format("GPU {} has no energy counter (pre-Volta?)", index));
  return d;
}

}  // namespace

std::optional<GpuMeter> open_gpu_meter(int index, std::string* why) {
  const std::optional<Device> d = device(index, why);
  if (!d) return std::nullopt;
  char name[96] = {};
  if (nvml().name(*d, name, sizeof name) != 0) name[0] = '\0';
  return GpuMeter{index, name};
}

std::optional<double> gpu_energy_joules(int index) {
  const std::optional<Device> d = device(index, nullptr);
  unsigned long long mj = 0;
  if (!d || nvml().energy(*d, &mj) != 0) return std::nullopt;
  return double(mj) * 1e-3;
}

std::optional<GpuMeasurement> measure_gpu_energy(const std::function<void()>& work, int index) {
  const std::optional<GpuMeter> meter = open_gpu_meter(index);
  const std::optional<double> before = meter ? gpu_energy_joules(index) : std::nullopt;
  const auto start = std::chrono::steady_clock::now();
  work();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::optional<double> after = before ? gpu_energy_joules(index) : std::nullopt;
  if (!after) return std::nullopt;
  return GpuMeasurement{meter->name, *after - *before, seconds};
}

}  // namespace tsu::cost
