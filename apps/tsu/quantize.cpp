// tsu quantize: a model with its weights on the grid of a B-bit DAC, written as a tsu-model-v1 file,
// so that `tsu exact` and any other tool can check what `tsu sample --bits B` samples.
#include <fmt/format.h>
#include <memory>

#include "api/model.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "graph/model_io.hpp"

namespace tsu::cli {

namespace {

struct QuantizeArgs {
  ModelArgs model;
  int bits = 8;
  std::string out;
  bool quiet = false;
};

void run_quantize(const QuantizeArgs& args) {
  const api::Quantized q = api::quantize(api::load(args.model), args.bits);
  save_model(*q.model, args.out);
  if (!args.quiet)
    fmt::print("quantized {} to {} bits: step {:.6g}, largest rounding error {:.3g}; wrote {}\n", args.model.source,
               q.bits, q.scale, q.max_error, args.out);
}

}  // namespace

void add_quantize_command(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  auto* cmd = app.add_subcommand(
      "quantize", "Round every weight to a signed B-bit grid with one step per model, as a chip's DACs would; writes "
                  "a tsu-model-v1 file");
  cmd->footer("Example: tsu quantize examples/small.json --bits 6 --out out/small-6bit.json");
  add_model_options(*cmd, args->model);
  cmd->add_option("--bits", args->bits, "Bits per weight, sign included (2-16)")->capture_default_str();
  cmd->add_option("--out", args->out, "The model file to write")->required();
  cmd->add_flag("--quiet", args->quiet, "No summary");
  cmd->callback([args] { run_quantize(*args); });
}

}  // namespace tsu::cli
