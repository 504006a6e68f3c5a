// Google Benchmark of the fast backend's kernels, one thread: a sweep of one 64-chain tile, and 16
// sweeps of one lone chain, on Pegasus P14 (THRML's graph) and the 70 x 70 G12 torus. The "flips/ns" counter
// is attempted spin updates per nanosecond. `tsu bench` measures whole backends with threads.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "graph/blocks.hpp"
#include "graph/model_io.hpp"
#include "graph/topology.hpp"
#include "sample/engine.hpp"
#include "sample/fast_kernels.hpp"

namespace {

using namespace tsu;

struct Problem {
  Model model;
  Layout layout;
  fast::SweepProgram program;
};

const Problem& problem(const std::string& name) {
  static std::map<std::string, Problem> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  Model m = name == "pegasus" ? load_model(std::string(TSU_SHARED_DATA) + "/graphs/pegasus14_gauss.txt")
                              : grid_ising(70, "G12", true, 1.0, 1.0, 1);
  Layout layout = default_layout(m);
  fast::SweepProgram program = fast::compile_sweep_program(m, layout);
  return cache.emplace(name, Problem{std::move(m), std::move(layout), std::move(program)}).first->second;
}

void set_flips(benchmark::State& state, const Problem& p, int chains) {
  state.counters["flips/ns"] = benchmark::Counter(double(p.program.positions()) * chains * double(state.iterations()) * 1e-9,
                                                  benchmark::Counter::kIsRate);
}

void BM_TileSweep(benchmark::State& state, const std::string& graph) {
  const Problem& p = problem(graph);
  fast::ChainTile tile = fast::make_tile(p.program.nodes, 0, 1);
  for (auto _ : state) fast::sweep_tile(p.program, tile, 1.0);
  set_flips(state, p, fast::kTileChains);
}

void BM_LoneChainSweep(benchmark::State& state, const std::string& graph) {
  const Problem& p = problem(graph);
  fast::LoneChain chain = fast::make_lone_chain(p.program.nodes, 0, 1);
  fast::refresh_fields(p.program, chain);
  const fast::StreamJump jump(p.program.positions());
  const std::vector<double> betas(fast::kLoneSweeps, 1.0);
  for (auto _ : state) fast::sweep_lone_chain(p.program, jump, chain, betas);
  set_flips(state, p, fast::kLoneSweeps);
}

BENCHMARK_CAPTURE(BM_TileSweep, pegasus, std::string("pegasus"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_TileSweep, grid70_g12, std::string("grid"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LoneChainSweep, pegasus, std::string("pegasus"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LoneChainSweep, grid70_g12, std::string("grid"))->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
