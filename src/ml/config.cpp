#include "ml/config.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <set>

#include "util/files.hpp"
#include "hw/device.hpp"
#include "graph/quantize.hpp"
#include "ml/fashion_mnist.hpp"
#include "util/json.hpp"

namespace tsu::ml {

namespace {

using nlohmann::json;

using Persistent = DtmConfig::Training::Persistent;

Persistent parse_persistent(const std::string& name) {
  if (name == "none") return Persistent::None;
  if (name == "noisiest") return Persistent::Noisiest;
  if (name == "all") return Persistent::All;
  throw Error(fmt::format("training.negative.persistent: unknown \"{}\" (expected none, noisiest or all)", name));
}

const char* persistent_name(Persistent p) {
  return p == Persistent::None ? "none" : p == Persistent::Noisiest ? "noisiest" : "all";
}

void read_schedule(JsonFields& f, Schedule& s) {
  f.get("warmup", s.warmup);
  f.get("samples", s.samples);
  f.get("every", s.every);
}

void validate_schedule(const Schedule& s, const std::string& path) {
  require(s.warmup >= 0, path + ".warmup", fmt::format("must be >= 0, got {}", s.warmup));
  require(s.samples >= 1, path + ".samples", fmt::format("must be >= 1, got {}", s.samples));
  require(s.every >= 1, path + ".every", fmt::format("must be >= 1, got {}", s.every));
}

void validate(const DtmConfig& c) {
  require(c.threads >= 0, "threads", fmt::format("must be >= 0, got {}", c.threads));
  require(c.data.pool >= 1 && 28 % c.data.pool == 0, "data.pool", fmt::format("must divide 28, got {}", c.data.pool));
  c.data.encoding.validate();
  require(c.data.encoding.classes == kFashionMnistClasses, "data.classes",
          fmt::format("Fashion-MNIST has {} classes", kFashionMnistClasses));
  require(c.graph.side >= 2, "graph.side", fmt::format("must be >= 2, got {}", c.graph.side));
  try {
    grid_edges(c.graph.side, grid_rule(c.graph.rule), c.graph.torus);
  } catch (const Error& e) {
    throw Error(fmt::format("graph: {}", e.what()));
  }
  require(!c.data.tied_trials || c.data.encoding.grey_levels > 1, "data.grey_units",
          "\"tied\" needs grey_levels > 1 (binarised pixels have one trial each)");
  const int colour_sites = (c.graph.side * c.graph.side + 1) / 2;
  require(c.visible_sites() <= colour_sites, "graph.side",
          fmt::format("{} visible sites ({} image and {} label variables) do not fit on the {} sites of one colour",
                      c.visible_sites(), c.data.encoding.image_bits(), c.data.encoding.label_bits(), colour_sites));
  require(c.diffusion.steps >= 1, "diffusion.steps", fmt::format("must be >= 1, got {}", c.diffusion.steps));
  require(c.diffusion.offset >= 0 && c.diffusion.offset < 1, "diffusion.offset",
          fmt::format("must be in [0, 1), got {}", c.diffusion.offset));
  require(c.diffusion.image_rate > 0 && std::isfinite(c.diffusion.image_rate), "diffusion.image_rate",
          "must be finite and > 0");
  require(c.diffusion.label_rate > 0 && std::isfinite(c.diffusion.label_rate), "diffusion.label_rate",
          "must be finite and > 0");
  require(c.training.epochs >= 0, "training.epochs", fmt::format("must be >= 0, got {}", c.training.epochs));
  require(c.training.batch >= 1, "training.batch", fmt::format("must be >= 1, got {}", c.training.batch));
  validate_schedule(c.training.chain, "training.chain");
  if (c.training.negative.chain) validate_schedule(*c.training.negative.chain, "training.negative.chain");
  require(c.training.beta > 0, "training.beta", "must be > 0");
  require(c.training.learning_rate > 0, "training.learning_rate", "must be > 0");
  require(c.training.decay_epochs >= 0, "training.decay_epochs", "must be >= 0");
  require(c.training.alpha >= 0 && c.training.alpha <= 1, "training.alpha", "must be in [0, 1]");
  require(c.training.adam.b1 >= 0 && c.training.adam.b1 < 1, "training.adam_b1", "must be in [0, 1)");
  require(c.training.adam.b2 >= 0 && c.training.adam.b2 < 1, "training.adam_b2", "must be in [0, 1)");
  require(c.training.adam.eps > 0, "training.adam_eps", "must be > 0");
  require(c.training.adam.weight_decay >= 0, "training.weight_decay", "must be >= 0");
  require(c.sampler.bits == 0 || (c.sampler.bits >= kMinBits && c.sampler.bits <= kMaxBits), "sampler.bits",
          fmt::format("must be 0 (fp32) or between {} and {}, got {}", kMinBits, kMaxBits, c.sampler.bits));
  require(c.penalty.tc >= 0, "penalty.tc", "must be >= 0");
  require(c.penalty.acp.threshold > 0, "penalty.acp.threshold", "must be > 0");
  require(c.penalty.acp.lambda_min > 0, "penalty.acp.lambda_min", "must be > 0");
  require(c.penalty.acp.delta > 0 && c.penalty.acp.delta < 1, "penalty.acp.delta", "must be in (0, 1)");
  require(!c.penalty.acp.enabled || c.mixing.enabled, "penalty.acp.enabled",
          "ACP needs the autocorrelation: set mixing.enabled");
  require(c.mixing.images >= 1, "mixing.images", "must be >= 1");
  require(c.mixing.chains_per_image >= 1, "mixing.chains_per_image", "must be >= 1");
  validate_schedule(c.mixing.chain, "mixing.chain");
  require(c.mixing.chain.samples >= 4, "mixing.chain.samples", "must be >= 4 (lags up to n/2 are used)");
  require(c.mixing.dims >= 1, "mixing.dims", "must be >= 1");
  require(c.generation.sweeps >= 1, "generation.sweeps", "must be >= 1");
  require(c.generation.beta_start > 0 && c.generation.beta_end > 0, "generation.beta_start",
          "beta_start and beta_end must be > 0");
  require(c.eval.every >= 0, "eval.every", "must be >= 0");
  require(c.eval.samples >= 2, "eval.samples", "must be >= 2");
  require(c.eval.reference_images >= 2, "eval.reference_images", "must be >= 2");
  const std::vector<std::string> devices = hw::device_presets();
  require(std::find(devices.begin(), devices.end(), c.eval.device) != devices.end(), "eval.device",
          fmt::format("must be one of {}, got \"{}\"", fmt::join(devices, ", "), c.eval.device));
}

DtmConfig parse(const json& doc) {
  DtmConfig c;
  JsonFields top(doc, "");
  top.get("name", c.name);
  top.get("seed", c.seed);
  top.get("threads", c.threads);

  JsonFields data = top.object("data");
  data.get("dir", c.data.dir);
  data.get("train_images", c.data.train_images);
  data.get("pool", c.data.pool);
  data.get("grey_levels", c.data.encoding.grey_levels);
  std::string grey_units = "untied";
  data.get("grey_units", grey_units);
  if (grey_units != "untied" && grey_units != "tied")
    throw Error(fmt::format("data.grey_units: unknown \"{}\" (expected untied or tied)", grey_units));
  c.data.tied_trials = grey_units == "tied";
  data.get("threshold", c.data.encoding.threshold);
  data.get("classes", c.data.encoding.classes);
  data.get("label_spots", c.data.encoding.label_spots);
  data.reject_unknown();
  if (c.data.pool >= 1 && 28 % c.data.pool == 0) c.data.encoding.pixels = (28 / c.data.pool) * (28 / c.data.pool);

  JsonFields graph = top.object("graph");
  graph.get("side", c.graph.side);
  graph.get("rule", c.graph.rule);
  graph.get("torus", c.graph.torus);
  graph.reject_unknown();

  JsonFields diff = top.object("diffusion");
  std::string schedule = "log", label_noise = "binary";
  diff.get("steps", c.diffusion.steps);
  diff.get("schedule", schedule);
  diff.get("linear_end", c.diffusion.linear_end);
  diff.get("offset", c.diffusion.offset);
  diff.get("image_rate", c.diffusion.image_rate);
  diff.get("label_rate", c.diffusion.label_rate);
  diff.get("label_noise", label_noise);
  diff.reject_unknown();
  try {
    c.diffusion.schedule = parse_schedule(schedule);
  } catch (const Error& e) {
    throw Error(std::string("diffusion.") + e.what());
  }
  if (label_noise != "binary" && label_noise != "categorical")
    throw Error(fmt::format("diffusion.label_noise: unknown \"{}\" (expected binary or categorical)", label_noise));
  c.diffusion.label_noise = label_noise == "binary" ? LabelNoise::Binary : LabelNoise::Categorical;

  JsonFields train = top.object("training");
  train.get("epochs", c.training.epochs);
  train.get("batch", c.training.batch);
  JsonFields chain = train.object("chain");
  read_schedule(chain, c.training.chain);
  chain.reject_unknown();
  JsonFields negative = train.object("negative");
  std::string persistent = "none";
  negative.get("persistent", persistent);
  c.training.negative.persistent = parse_persistent(persistent);
  if (negative.has("chain")) {
    JsonFields nchain = negative.object("chain");
    read_schedule(nchain, c.training.negative.chain.emplace(c.training.chain));
    nchain.reject_unknown();
  }
  negative.reject_unknown();
  train.get("beta", c.training.beta);
  train.get("learning_rate", c.training.learning_rate);
  train.get("decay_epochs", c.training.decay_epochs);
  train.get("alpha", c.training.alpha);
  train.get("adam_b1", c.training.adam.b1);
  train.get("adam_b2", c.training.adam.b2);
  train.get("adam_eps", c.training.adam.eps);
  train.get("weight_decay", c.training.adam.weight_decay);
  train.reject_unknown();

  JsonFields penalty = top.object("penalty");
  penalty.get("tc", c.penalty.tc);
  JsonFields acp = penalty.object("acp");
  std::string variant = acp_variant_name(c.penalty.acp.variant);
  acp.get("enabled", c.penalty.acp.enabled);
  acp.get("variant", variant);
  acp.get("threshold", c.penalty.acp.threshold);
  acp.get("lambda_min", c.penalty.acp.lambda_min);
  acp.get("delta", c.penalty.acp.delta);
  acp.reject_unknown();
  penalty.reject_unknown();
  try {
    c.penalty.acp.variant = parse_acp_variant(variant);
  } catch (const Error& e) {
    throw Error(std::string("penalty.") + e.what());
  }

  JsonFields mixing = top.object("mixing");
  mixing.get("enabled", c.mixing.enabled);
  mixing.get("images", c.mixing.images);
  mixing.get("chains_per_image", c.mixing.chains_per_image);
  JsonFields mchain = mixing.object("chain");
  read_schedule(mchain, c.mixing.chain);
  mchain.reject_unknown();
  mixing.get("dims", c.mixing.dims);
  mixing.reject_unknown();

  JsonFields sampler = top.object("sampler");
  sampler.get("bits", c.sampler.bits);
  sampler.reject_unknown();

  JsonFields gen = top.object("generation");
  gen.get("sweeps", c.generation.sweeps);
  gen.get("beta_start", c.generation.beta_start);
  gen.get("beta_end", c.generation.beta_end);
  gen.reject_unknown();

  JsonFields eval = top.object("eval");
  eval.get("every", c.eval.every);
  eval.get("samples", c.eval.samples);
  eval.get("reference_images", c.eval.reference_images);
  eval.get("device", c.eval.device);
  eval.reject_unknown();

  top.reject_unknown();
  validate(c);
  return c;
}

}  // namespace

DtmConfig parse_dtm_config(const json& doc, const std::string& source) { return parse_with_source(doc, source, parse); }

DtmConfig load_dtm_config(const std::string& path) { return parse_dtm_config(read_json_file(path), path); }

json to_json(const DtmConfig& c) {
  const auto schedule = [](const Schedule& s) {
    return json{{"warmup", s.warmup}, {"samples", s.samples}, {"every", s.every}};
  };
  json negative{{"persistent", persistent_name(c.training.negative.persistent)}};
  if (c.training.negative.chain) negative["chain"] = schedule(*c.training.negative.chain);
  const auto& e = c.data.encoding;
  return json{
      {"name", c.name},
      {"seed", c.seed},
      {"threads", c.threads},
      {"data",
       {{"dir", c.data.dir},
        {"train_images", c.data.train_images},
        {"pool", c.data.pool},
        {"grey_levels", e.grey_levels},
        {"grey_units", c.data.tied_trials ? "tied" : "untied"},
        {"threshold", e.threshold},
        {"classes", e.classes},
        {"label_spots", e.label_spots}}},
      {"graph", {{"side", c.graph.side}, {"rule", c.graph.rule}, {"torus", c.graph.torus}}},
      {"diffusion",
       {{"steps", c.diffusion.steps},
        {"schedule", c.diffusion.schedule == ScheduleKind::Log ? "log" : "linear"},
        {"linear_end", c.diffusion.linear_end},
        {"offset", c.diffusion.offset},
        {"image_rate", c.diffusion.image_rate},
        {"label_rate", c.diffusion.label_rate},
        {"label_noise", c.diffusion.label_noise == LabelNoise::Binary ? "binary" : "categorical"}}},
      {"training",
       {{"epochs", c.training.epochs},
        {"batch", c.training.batch},
        {"chain", schedule(c.training.chain)},
        {"negative", negative},
        {"beta", c.training.beta},
        {"learning_rate", c.training.learning_rate},
        {"decay_epochs", c.training.decay_epochs},
        {"alpha", c.training.alpha},
        {"adam_b1", c.training.adam.b1},
        {"adam_b2", c.training.adam.b2},
        {"adam_eps", c.training.adam.eps},
        {"weight_decay", c.training.adam.weight_decay}}},
      {"sampler", {{"bits", c.sampler.bits}}},
      {"penalty",
       {{"tc", c.penalty.tc},
        {"acp",
         {{"enabled", c.penalty.acp.enabled},
          {"variant", acp_variant_name(c.penalty.acp.variant)},
          {"threshold", c.penalty.acp.threshold},
          {"lambda_min", c.penalty.acp.lambda_min},
          {"delta", c.penalty.acp.delta}}}}},
      {"mixing",
       {{"enabled", c.mixing.enabled},
        {"images", c.mixing.images},
        {"chains_per_image", c.mixing.chains_per_image},
        {"chain", schedule(c.mixing.chain)},
        {"dims", c.mixing.dims}}},
      {"generation",
       {{"sweeps", c.generation.sweeps}, {"beta_start", c.generation.beta_start}, {"beta_end", c.generation.beta_end}}},
      {"eval", {{"every", c.eval.every}, {"samples", c.eval.samples}, {"reference_images", c.eval.reference_images},
                {"device", c.eval.device}}}};
}

}  // namespace tsu::ml
