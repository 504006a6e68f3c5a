#include "api/bench.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <fmt/format.h>

#include "graph/blocks.hpp"
#include "graph/model_io.hpp"
#include "graph/quantize.hpp"
#include "graph/topology.hpp"
#include "sample/backends.hpp"

namespace tsu::api {

namespace {

namespace fs = std::filesystem;

struct Case {
  std::string spec;
  std::vector<int> chains;
};

const char* const kPegasusFile = "graphs/pegasus14_gauss.txt";

// The shared data folder: --data, else ../shared/data (or shared/data) beside the current folder
// or beside any folder above the executable (a build folder inside the checkout).
fs::path find_data_dir(const std::string& option) {
  if (!option.empty()) {
    if (!fs::exists(fs::path(option) / kPegasusFile))
      throw Error(fmt::format("--data {}: no {} there", option, kPegasusFile));
    return option;
  }
  std::vector<fs::path> candidates = {fs::current_path() / "../shared/data", fs::current_path() / "shared/data"};
  std::error_code ec;
  for (fs::path dir = fs::read_symlink("/proc/self/exe", ec).parent_path(); !ec && dir.has_relative_path();
       dir = dir.parent_path())
    candidates.push_back(dir / "../shared/data");
  for (const auto& dir : candidates)
    if (fs::exists(dir / kPegasusFile)) return fs::weakly_canonical(dir);
  throw Error(fmt::format("pegasus: cannot find {} in ../shared/data beside the current folder or the tsu "
                          "executable; pass the data folder with --data DIR",
                          kPegasusFile));
}

// "pegasus", a topology spec (Gaussian couplings and biases, sigma 1) or a model file.
Model bench_model(const std::string& spec, const BenchOptions& args) {
  if (spec == "pegasus") return load_model((find_data_dir(args.data) / kPegasusFile).string());
  if (auto model = model_from_spec(spec, 1.0, 1.0, args.seed)) return std::move(*model);
  return load_model(spec);
}

size_t edge_count(const Model& m) {
  size_t edges = 0;
  for (const auto& g : m.groups)
    if (g.n_spin == 2 && g.n_cat == 0) edges += g.count();
  return edges;
}

struct Measurement {
  double flips_per_ns = 0;
  int64_t sweeps = 0;
  double seconds = 0;  // of the best of three timed runs
};

// Best of three timed runs of `sweeps` sweeps at beta = 1, after one warm-up sweep; `sweeps` = 0
// picks a count that takes about `target_seconds`.
Measurement measure(const CompiledModel& cm, const Layout& layout, const std::string& kind, int chains, const BenchOptions& args,
                    double target_seconds, int bits = 0) {
  auto backend = make_backend(cm, layout, EngineOptions{chains, args.seed, args.threads, kind, 0, bits});
  backend->set_states(initial_states(cm, layout, chains, args.seed, InitKind::Uniform, 1.0));
  const auto beta = BetaSchedule::constant(1.0);
  auto timed = [&](int64_t n) {
    const auto start = std::chrono::steady_clock::now();
    backend->sweeps(n, beta, 0);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  int64_t sweeps = args.sweeps;
  if (sweeps == 0) {
    double t = timed(1);
    for (sweeps = 1; t < target_seconds / 8 && sweeps < (int64_t(1) << 40); t = timed(sweeps *= 2)) {
    }
    sweeps = std::max<int64_t>(1, int64_t(double(sweeps) * target_seconds / std::max(t, 1e-9)));
  } else {
    timed(1);
  }
  Measurement m{0, sweeps, INFINITY};
  for (int rep = 0; rep < 3; ++rep) m.seconds = std::min(m.seconds, timed(sweeps));
  m.flips_per_ns = double(layout.free_count()) * double(sweeps) * chains / (m.seconds * 1e9);
  return m;
}

nlohmann::json optional_number(bool present, double value) { return present ? nlohmann::json(value) : nullptr; }

}  // namespace

nlohmann::json bench(const BenchOptions& args) {
  if (args.bits) check_bits(args.bits, "--bits");
  std::vector<Case> cases;
  if (args.graph.empty())
    cases = {{"pegasus", {1, 64, 128, 256}}, {"grid:70:G12", {64, 128, 256}}};
  else
    cases = {{args.graph, {1, 64, 128, 256}}};
  if (!args.chains.empty())
    for (auto& c : cases) c.chains = args.chains;
  const int threads = resolve_threads(args.threads);
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& c : cases) {
    Model model = bench_model(c.spec, args);
    model.clamp.clear();
    const std::string name = model.name.empty() ? c.spec : model.name;
    const CompiledModel cm = compile(std::make_shared<const Model>(std::move(model)));
    const Layout layout = default_layout(*cm.model);
    std::optional<CompiledModel> quantized;
    if (args.bits) quantized = compile(std::make_shared<const Model>(quantize(*cm.model, args.bits).model));
    for (int chains : c.chains) {
      const Measurement fast = measure(cm, layout, "fast", chains, args, 0.5);
      Measurement reference;
      if (!args.skip_reference) reference = measure(cm, layout, "reference", chains, args, 0.25);
      const double speedup = reference.flips_per_ns > 0 ? fast.flips_per_ns / reference.flips_per_ns : NAN;
      rows.push_back({{"graph", name},
                      {"spins", cm.size()},
                      {"edges", edge_count(*cm.model)},
                      {"blocks", layout.blocks.size()},
                      {"chains", chains},
                      {"threads", threads},
                      {"sweeps", fast.sweeps},
                      {"seconds", fast.seconds},
                      {"fast_flips_per_ns", fast.flips_per_ns},
                      {"reference_flips_per_ns", optional_number(!args.skip_reference, reference.flips_per_ns)},
                      {"speedup", optional_number(!args.skip_reference, speedup)}});
      if (quantized) {
        const Measurement q = measure(*quantized, layout, "fast", chains, args, 0.5, args.bits);
        rows.back().update({{"bits", args.bits},
                            {"quantized_flips_per_ns", q.flips_per_ns},
                            {"quantized_speedup", q.flips_per_ns / fast.flips_per_ns}});
      }
      if (args.row_done) args.row_done(rows.back());
    }
  }
  return rows;
}

}  // namespace tsu::api
