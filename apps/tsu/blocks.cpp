// tsu blocks: DSATUR colouring of the free nodes into sampling blocks, written in the form that
// `tsu sample --blocks FILE` reads back.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "graph/blocks.hpp"

namespace tsu::cli {

namespace {

struct BlocksArgs {
  ModelArgs model;
  std::string out;
};

void run_blocks(const BlocksArgs& args) {
  const Model model = load_model_arg(args.model);
  const auto blocks = color_blocks(model, clamp_mask(model));
  std::vector<size_t> sizes;
  for (const auto& b : blocks) sizes.push_back(b.size());
  fmt::print("{} blocks; sizes {}\n", blocks.size(), fmt::join(sizes, " "));
  if (args.out.empty()) return;
  prepare_parent(args.out);
  write_file_atomic(args.out, nlohmann::json{{"blocks", blocks}}.dump() + "\n");
  fmt::print("wrote {}\n", args.out);
}

}  // namespace

void add_blocks_command(CLI::App& app) {
  auto args = std::make_shared<BlocksArgs>();
  auto* cmd = app.add_subcommand("blocks", "Colour the free nodes into independent blocks (DSATUR)");
  cmd->footer("Example: tsu blocks model.json --out blocks.json   (then: tsu sample model.json --blocks blocks.json)");
  add_model_options(*cmd, args->model, /*with_beta=*/false);
  cmd->add_option("--out", args->out, "Write {\"blocks\": [[node, ...], ...]} to this file");
  cmd->callback([args] { run_blocks(*args); });
}

}  // namespace tsu::cli
