// tsu bench: sampling throughput in flips/ns (attempted spin updates per nanosecond) of the fast
// backend, against the reference backend measured in the same run (api/bench.hpp). Without --graph
// it runs the standard suite: Pegasus P14 (THRML's benchmark graph) and the DTM paper's 70 x 70 G12
// torus.
#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/bench.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace tsu::cli {
namespace {

struct BenchArgs {
  api::BenchOptions options;
  bool json = false;
};

std::string number_or_dash(const nlohmann::json& v, const char* format) {
  return v.is_null() ? "-" : fmt::format(fmt::runtime(format), double(v));
}

void run_bench(BenchArgs& args) {
  bool header = args.json;  // printed before the first row, so that an error comes alone
  args.options.row_done = [&](const nlohmann::json& r) {
    if (!header) {
      header = true;
      fmt::print("{:<28} {:>7} {:>8} {:>6} {:>7} {:>7} {:>13} {:>13} {:>9}{}\n", "graph", "spins", "edges", "blocks",
                 "chains", "threads", "fast flips/ns", "ref. flips/ns", "speed-up",
                 args.options.bits ? fmt::format(" {:>14} {:>9}", fmt::format("{}-bit flips/ns", args.options.bits),
                                                 "vs fast") : "");
    }
    if (args.json) return;
    const std::string quantized =
        r.contains("bits") ? fmt::format(" {:>14.3f} {:>8.2f}x", double(r["quantized_flips_per_ns"]),
                                         double(r["quantized_speedup"]))
                           : "";
    fmt::print("{:<28} {:>7} {:>8} {:>6} {:>7} {:>7} {:>13.3f} {:>13} {:>9}{}\n", std::string(r["graph"]),
               int64_t(r["spins"]), int64_t(r["edges"]), int64_t(r["blocks"]), int(r["chains"]), int(r["threads"]),
               double(r["fast_flips_per_ns"]), number_or_dash(r["reference_flips_per_ns"], "{:.4f}"),
               number_or_dash(r["speedup"], "{:.1f}x"), quantized);
    std::fflush(stdout);
  };
  const nlohmann::json rows = api::bench(args.options);
  if (args.json) fmt::print("{}\n", rows.dump(2));
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "Sampling throughput (flips/ns) of the fast and reference backends");
  cmd->add_option("--graph", args->options.graph,
                  "pegasus (Pegasus P14, shared data), grid:L:RULE[:open], rr:N:DEGREE or a model file; "
                  "default: the standard suite (pegasus and grid:70:G12)");
  cmd->add_option("--chains", args->options.chains, "Chain counts, comma-separated (default: 1,64,128,256; the suite's own)")
      ->delimiter(',')
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--threads", args->options.threads, "Worker threads (0 = every core)")->check(at_least(0));
  cmd->add_option("--sweeps", args->options.sweeps, "Sweeps per timed run (0 = about half a second's worth)")
      ->check(at_least(0));
  cmd->add_option("--seed", args->options.seed, "Seed of the topology weights and of the chains")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the results as JSON");
  cmd->add_flag("--no-reference", args->options.skip_reference, "Do not measure the reference backend");
  cmd->add_option("--bits", args->options.bits,
                  "Also time the exact kernels of the model quantized to B bits (2-16), beside the fp32 kernel");
  cmd->add_option("--data", args->options.data, "The shared data folder (holds graphs/pegasus14_gauss.txt)");
  cmd->callback([args] { run_bench(*args); });
}

}  // namespace tsu::cli
