// The generators' configuration (configs/baselines/{vae,gan,diffusion}-*.json). No libtorch here,
// so this compiles quickly.
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <set>

#include "baselines/generator.hpp"
#include "baselines/metric.hpp"
#include "util/json.hpp"
#include "util/files.hpp"
#include "graph/model.hpp"

namespace tsu::baselines {

namespace {

using nlohmann::json;

const std::set<std::string> kFamilies = {"vae", "gan", "diffusion", "bernoulli", "mixture"};
constexpr const char* kFamilyList = "vae, gan, diffusion, bernoulli or mixture";

bool has_latent(const std::string& family) { return family == "vae" || family == "gan"; }
bool is_diffusion(const std::string& family) { return family == "diffusion"; }
bool is_mixture(const std::string& family) { return family == "mixture"; }
// The Bernoulli models (bernoulli.hpp) have no network: no training schedule, no width.
bool is_network(const std::string& family) { return family != "bernoulli" && !is_mixture(family); }


void validate(const GeneratorConfig& c) {
  require(!c.name.empty(), "name", "must not be empty");
  if (is_mixture(c.family)) {
    require(c.components >= 1, "components", fmt::format("must be >= 1, got {}", c.components));
    require(c.epochs >= 1, "epochs", fmt::format("must be >= 1 EM iterations, got {}", c.epochs));
  }
  if (!is_network(c.family)) return;
  require(c.epochs >= 1, "epochs", fmt::format("must be >= 1, got {}", c.epochs));
  // Training-mode batch normalisation needs two images per batch.
  require(c.batch >= 2, "batch", fmt::format("must be >= 2, got {}", c.batch));
  require(c.learning_rate > 0 && std::isfinite(c.learning_rate), "learning_rate", "must be finite and > 0");
  require(c.train_images == 0 || c.train_images >= size_t(c.batch), "train_images",
          fmt::format("must be 0 (all) or hold one batch ({}), got {}", c.batch, c.train_images));
  require(c.width >= 1, "width", fmt::format("must be >= 1, got {}", c.width));
  require(c.threads >= 0, "threads", fmt::format("must be >= 0, got {}", c.threads));
  if (has_latent(c.family)) require(c.latent >= 1, "latent", fmt::format("must be >= 1, got {}", c.latent));
  if (is_diffusion(c.family)) {
    // The U-Net's group normalisations use 8 groups.
    require(c.width % 8 == 0, "width", fmt::format("must be a multiple of 8 for the diffusion U-Net, got {}", c.width));
    // The schedule rescales Ho et al.'s beta_end = 0.02 at 1000 steps to 0.02 * 1000 / steps, which must stay < 1.
    require(c.steps > 20, "steps", fmt::format("must be > 20, got {}", c.steps));
    require(c.sampling_steps >= 0 && c.sampling_steps <= c.steps, "sampling_steps",
            fmt::format("must be in [0, steps = {}], got {}", c.steps, c.sampling_steps));
    require(c.ema_decay >= 0 && c.ema_decay < 1, "ema_decay", fmt::format("must be in [0, 1), got {}", c.ema_decay));
  }
}

GeneratorConfig parse(const json& doc) {
  GeneratorConfig c;
  JsonFields f(doc, "");
  f.get("family", c.family);
  require(kFamilies.count(c.family) > 0, "family", fmt::format("must be {}, got \"{}\"", kFamilyList, c.family));
  c.name = c.family;
  f.get("name", c.name);
  f.get("seed", c.seed);
  f.get("train_images", c.train_images);
  if (is_network(c.family)) {
    f.get("epochs", c.epochs);
    f.get("batch", c.batch);
    f.get("learning_rate", c.learning_rate);
    f.get("width", c.width);
  }
  if (has_latent(c.family)) f.get("latent", c.latent);
  if (is_mixture(c.family)) {
    f.get("components", c.components);
    f.get("epochs", c.epochs);
  }
  if (is_diffusion(c.family)) {
    f.get("steps", c.steps);
    f.get("sampling_steps", c.sampling_steps);
    f.get("ema_decay", c.ema_decay);
  }
  f.get("threads", c.threads);
  f.reject_unknown(kFamilies.count(c.family) ? fmt::format(" for the {} family", c.family) : "");
  validate(c);
  return c;
}

}  // namespace

GeneratorConfig load_generator_config(const std::string& path) {
  return parse_with_source(read_json_file(path), path, parse);
}

std::string generator_config_path(const std::string& family, const std::string& scale) {
  if (!kFamilies.count(family))
    throw Error(fmt::format("generator family \"{}\": unknown (expected {})", family, kFamilyList));
  return shipped_config_path("generator", family, scale);
}

json to_json(const GeneratorConfig& c) {
  json out{{"family", c.family}, {"name", c.name}, {"seed", c.seed}, {"train_images", c.train_images}};
  if (is_network(c.family)) {
    out["epochs"] = c.epochs;
    out["batch"] = c.batch;
    out["learning_rate"] = c.learning_rate;
    out["width"] = c.width;
  }
  if (has_latent(c.family)) out["latent"] = c.latent;
  if (is_mixture(c.family)) {
    out["components"] = c.components;
    out["epochs"] = c.epochs;
  }
  if (is_diffusion(c.family)) {
    out["steps"] = c.steps;
    out["sampling_steps"] = c.sampling_steps;
    out["ema_decay"] = c.ema_decay;
  }
  out["threads"] = c.threads;
  return out;
}

std::string generator_checkpoint_path(const std::string& dir) {
  return (std::filesystem::path(dir) / "checkpoint.pt").string();
}

}  // namespace tsu::baselines
