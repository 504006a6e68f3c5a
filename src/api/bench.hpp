// Sampling throughput through the API: flips/ns (attempted spin updates per nanosecond) of the fast
// backend against the reference backend, measured in the same run. `tsu bench` and Python's
// tsu.bench wrap this call.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tsu::api {

struct BenchOptions {
  std::string graph;        // pegasus (Pegasus P14, shared data), a topology spec or a model file;
                            // "" = the standard suite: pegasus and grid:70:G12
  std::vector<int> chains;  // chain counts; empty = 1, 64, 128, 256 (the suite's own)
  int threads = 0;          // 0 = every core
  int64_t sweeps = 0;       // per timed run; 0 = about half a second's worth
  uint64_t seed = 1;        // of the topology weights and of the chains
  bool skip_reference = false;
  int bits = 0;             // > 0: also the fast backend's exact kernels on the model quantized to B bits
  std::string data;         // the shared data folder; "" = ../shared/data beside the current folder
                            // or beside a folder above the executable
  std::function<void(const nlohmann::json& row)> row_done;  // each row as soon as it is measured
};

// One row per graph and chain count: {graph, spins, edges, blocks, chains, threads, sweeps, seconds,
// fast_flips_per_ns, reference_flips_per_ns, speedup} (the last two null without the reference); with
// bits, also {bits, quantized_flips_per_ns, quantized_speedup} (against fast_flips_per_ns).
nlohmann::json bench(const BenchOptions& options);

}  // namespace tsu::api
