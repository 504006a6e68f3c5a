// Measured GPU energy through NVML's energy counter (nvmlDeviceGetTotalEnergyConsumption, Volta and
// later). Debian 12 ships NVML's header only in non-free (libnvidia-ml-dev), so libnvidia-ml.so.1 is
// loaded at run time with dlopen; without the driver or a GPU every call reports "no GPU" cleanly.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace tsu::cost {

struct GpuMeter {
  int index = 0;
  std::string name;  // "NVIDIA H100 80GB HBM3"
};

// The GPU `index`, or empty with `why` (when given) saying what is missing: the library, the driver,
// the device or its energy counter.
std::optional<GpuMeter> open_gpu_meter(int index = 0, std::string* why = nullptr);

// Energy the GPU has used since the driver loaded, J; empty without NVML, the GPU or the counter.
std::optional<double> gpu_energy_joules(int index = 0);

struct GpuMeasurement {
  std::string gpu;
  double joules;   // counter difference across the work
  double seconds;  // wall time of the work
};

// Runs `work` and returns the GPU's energy and wall time across it; empty (the work still run) when
// no GPU can be measured. The counter counts the whole board, idle power and other processes included.
std::optional<GpuMeasurement> measure_gpu_energy(const std::function<void()>& work, int index = 0);

}  // namespace tsu::cost
