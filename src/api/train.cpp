#include "api/train.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <limits>
#include <memory>

#include "api/states.hpp"
#include "graph/model_io.hpp"
#include "util/checksum.hpp"
#include "util/files.hpp"

namespace tsu::api {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kCheckpointTag = "tsu-train-checkpoint-v1";

json number_or_null(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }
double number_from(const json& j) { return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>(); }

// What a checkpoint must have been made from to be resumed: the starting model, the data and the config.
json provenance(const Model& initial, const ml::FitData& data, const ml::FitConfig& config) {
  const std::string_view rows(reinterpret_cast<const char*>(data.rows.data()), data.rows.size());
  return {{"initial_model_fnv1a64", fmt::format("{:016x}", fnv1a64(model_to_json(initial)))},
          {"data", {{"rows", data.count()}, {"visible", data.visible}, {"fnv1a64", fmt::format("{:016x}", fnv1a64(rows))}}},
          {"config", fit_config_json(config)}};
}

// Chains as one hex string each (two digits per node): compact, and exact for any state code.
json states_json(const StateBatch& b) {
  json chains = json::array();
  for (int c = 0; c < b.chains; ++c) {
    std::string hex;
    for (State s : b.chain(c)) hex += fmt::format("{:02x}", s);
    chains.push_back(hex);
  }
  return {{"chains", b.chains}, {"nodes", b.nodes}, {"states", chains}};
}

StateBatch states_from_json(const json& j) {
  StateBatch b(j.at("chains").get<int>(), j.at("nodes").get<int>());
  for (int c = 0; c < b.chains; ++c) {
    const auto hex = j.at("states").at(size_t(c)).get<std::string>();
    if (hex.size() != 2 * size_t(b.nodes)) throw Error("persistent chain of the wrong length");
    for (int i = 0; i < b.nodes; ++i) b.chain(c)[i] = State(std::stoi(hex.substr(2 * size_t(i), 2), nullptr, 16));
  }
  return b;
}

ml::FitEpoch fit_epoch_from(const json& j) {
  ml::FitEpoch e;
  e.epoch = j.at("epoch").get<int>();
  e.learning_rate = j.at("learning_rate").get<double>();
  e.gradient_rms = j.at("gradient_rms").get<double>();
  e.weight_rms = j.at("weight_rms").get<double>();
  e.nll = number_from(j.at("nll"));
  e.reconstruction = number_from(j.at("reconstruction"));
  e.seconds = j.at("seconds").get<double>();
  e.sweeps = j.at("sweeps").get<int64_t>();
  return e;
}

json history_json(const std::vector<ml::FitEpoch>& history) {
  json out = json::array();
  for (const auto& e : history) out.push_back(fit_epoch_json(e));
  return out;
}

std::string checkpoint_path(const std::string& dir) { return (fs::path(dir) / "checkpoint.ckpt").string(); }

void save_checkpoint(const std::string& dir, const ml::FitState& st, const json& made_from) {
  const json doc{{"made_from", made_from},
                 {"epochs_done", st.epochs_done},
                 {"model", json::parse(model_to_json(st.model))},
                 {"adam", {{"t", st.adam.t}, {"m", st.adam.m}, {"v", st.adam.v}}},
                 {"persistent", states_json(st.persistent)},
                 {"history", history_json(st.history)}};
  write_file_atomic(checkpoint_path(dir), checksummed_file(kCheckpointTag, doc.dump()));
}

// The first entry of `made_from` that differs from the checkpoint's, as "config.k" or "data".
std::string first_difference(const json& want, const json& have, const std::string& prefix = "") {
  for (const auto& [key, value] : want.items()) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (!have.contains(key)) return name;
    if (value.is_object() && have[key].is_object()) {
      if (auto d = first_difference(value, have[key], name); !d.empty()) return d;
    } else if (value != have[key]) {
      return name;
    }
  }
  return "";
}

ml::FitState load_checkpoint(const std::string& dir, const json& made_from) {
  const std::string path = checkpoint_path(dir);
  const std::string file = read_file(path);
  const json doc = json::parse(checked_payload(file, kCheckpointTag, path), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw Error(fmt::format("{}: corrupt: not a JSON object", path));
  try {
    if (const auto d = first_difference(made_from, doc.at("made_from")); !d.empty())
      throw Error(fmt::format("{}: made from another {} than this run's; train into another folder, or remove it to "
                              "start over",
                              path, d));
    ml::FitState st;
    st.model = parse_model_json(doc.at("model").dump(), path + ": model");
    st.epochs_done = doc.at("epochs_done").get<int>();
    st.adam.t = doc.at("adam").at("t").get<int64_t>();
    st.adam.m = doc.at("adam").at("m").get<std::vector<double>>();
    st.adam.v = doc.at("adam").at("v").get<std::vector<double>>();
    st.persistent = states_from_json(doc.at("persistent"));
    for (const auto& e : doc.at("history")) st.history.push_back(fit_epoch_from(e));
    return st;
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: corrupt: {}", path, e.what()));
  } catch (const std::invalid_argument&) {
    throw Error(fmt::format("{}: corrupt: a persistent chain is not hexadecimal", path));
  }
}

void write_outputs(const std::string& dir, const ml::FitState& st, const json& made_from) {
  save_model(st.model, (fs::path(dir) / "model.json").string());
  const json report{{"made_from", made_from}, {"epochs_done", st.epochs_done}, {"history", history_json(st.history)}};
  write_file_atomic((fs::path(dir) / "train.json").string(), report.dump(2) + "\n");
}

}  // namespace

ml::FitData fit_data(const NpyArray& a, const std::string& source, const Model& model) {
  require_integer_array(a, source);
  size_t visible = 1;
  for (size_t d = 1; d < a.shape.size(); ++d) visible *= a.shape[d];
  // Too wide to be one row per entry of the first axis: rows along every axis but the last, as in
  // the [samples, chains, nodes] of tsu sample --save-samples.
  if (a.shape.size() > 2 && visible > model.size()) visible = a.shape.back();
  if (a.shape.size() < 2 || a.elements() == 0 || visible > model.size())
    throw Error(fmt::format("{}: shape ({}) is not [rows, visible] with 1 <= visible <= the model's {} nodes", source,
                            fmt::join(a.shape, ", "), model.size()));
  const size_t rows = a.elements() / visible;
  ml::FitData data{int(visible), std::vector<State>(a.elements())};
  for (size_t r = 0; r < rows; ++r)
    for (size_t i = 0; i < visible; ++i)
      data.rows[r * visible + i] = state_code(a, r * visible + i, model.nodes[i], source, r, i);
  return data;
}

NpyArray load_rows(const std::string& path_or_spec) {
  const bool test = path_or_spec.starts_with("fashion-mnist-test:");
  if (!test && !path_or_spec.starts_with("fashion-mnist:")) return read_npy(path_or_spec);
  const std::string rest = path_or_spec.substr(path_or_spec.find(':') + 1);
  int label = -1, pool = 1;
  char tail = 0;
  const int fields = std::sscanf(rest.c_str(), "%d:%d%c", &label, &pool, &tail);
  if ((fields != 1 && fields != 2) || label < 0 || label >= ml::kFashionMnistClasses || pool < 1 ||
      rest.find_first_not_of("0123456789:") != std::string::npos)
    throw Error(fmt::format("{}: expected fashion-mnist[-test]:CLASS or fashion-mnist[-test]:CLASS:POOL with CLASS "
                            "0..9 and POOL >= 1",
                            path_or_spec));
  ml::ImageSet images = ml::load_fashion_mnist(test ? ml::Split::Test : ml::Split::Train);
  if (pool > 1) {
    if (images.rows % pool != 0) throw Error(fmt::format("{}: POOL must divide 28", path_or_spec));
    images = ml::pool_images(images, pool);
  }
  NpyArray out{"|u1", {0, size_t(images.pixels_per_image())}, {}};
  for (size_t i = 0; i < images.size(); ++i) {
    if (images.labels[i] != label) continue;
    for (uint8_t p : images.image(i)) out.bytes.push_back(char(p >= 128));
    ++out.shape[0];
  }
  return out;
}

json fit_config_json(const ml::FitConfig& c) {
  return {{"method", ml::fit_method_name(c.method)},
          {"k", c.k},
          {"positive_sweeps", c.positive_sweeps},
          {"chains", c.chains},
          {"batch", c.batch},
          {"epochs", c.epochs},
          {"optimizer", c.optimizer},
          {"learning_rate", c.learning_rate},
          {"lr_floor", c.lr_floor},
          {"weight_decay", c.adam.weight_decay},
          {"seed", c.seed},
          {"backend", c.backend}};
}

json fit_epoch_json(const ml::FitEpoch& e) {
  return {{"epoch", e.epoch},
          {"learning_rate", e.learning_rate},
          {"gradient_rms", e.gradient_rms},
          {"weight_rms", e.weight_rms},
          {"nll", number_or_null(e.nll)},
          {"reconstruction", number_or_null(e.reconstruction)},
          {"seconds", e.seconds},
          {"sweeps", e.sweeps}};
}

json TrainResult::to_json() const {
  return {{"epochs_done", epochs_done}, {"resumed_from", resumed_from}, {"history", history_json(history)}};
}

TrainResult train(const ModelPtr& initial, const ml::FitData& data, const TrainOptions& options) {
  const ml::FitConfig& config = options.fit;
  config.validate(*initial, data);
  const json made_from = provenance(*initial, data, config);
  const bool to_folder = !options.out.empty();
  if (to_folder) {
    prepare_dir(options.out);
    remove_abandoned_temporaries({checkpoint_path(options.out), (fs::path(options.out) / "model.json").string(),
                                  (fs::path(options.out) / "train.json").string()});
  }
  ml::FitState st = to_folder && fs::exists(checkpoint_path(options.out)) ? load_checkpoint(options.out, made_from)
                                                                          : ml::start_fit(*initial, config);
  TrainResult result;
  result.resumed_from = st.epochs_done;
  const int last = options.stop_after >= 0 ? std::min(options.stop_after, config.epochs) : config.epochs;
  while (st.epochs_done < last) {
    const int epoch = st.epochs_done + 1;
    const auto record = ml::fit_epoch(st, config, data, [&](int64_t done, int64_t total) {
      if (options.progress) options.progress(epoch, done, total);
    });
    if (to_folder) {
      save_checkpoint(options.out, st, made_from);
      write_outputs(options.out, st, made_from);
    }
    if (options.epoch_done) options.epoch_done(record);
  }
  if (to_folder) write_outputs(options.out, st, made_from);  // also after a kill between checkpoint and outputs
  result.model = std::make_shared<const Model>(st.model);
  result.history = st.history;
  result.epochs_done = st.epochs_done;
  return result;
}

}  // namespace tsu::api
