#include "ml/dtm.hpp"

#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "graph/quantize.hpp"
#include "util/checksum.hpp"
#include "util/files.hpp"
#include "util/json.hpp"
#include "sample/rng.hpp"

namespace tsu::ml {

namespace {

// v3: the v2 layout (a JSON header line, then the body) behind a size and checksum line
// (util/checksum.hpp). v2 (no checksum) is still read. v2: step k's visible placement is seeded by
// derive(seed, StepGraph, k) (v1: seed + k, which made seed s + 1 repeat seed s's graphs shifted by
// one step); a v1 checkpoint would load onto other graphs.
constexpr std::string_view kTag = "tsu-dtm-checkpoint-v3";
constexpr std::string_view kMagicV2 = "tsu-dtm-checkpoint-v2\n";
constexpr std::string_view kMagicV1 = "tsu-dtm-checkpoint-v1\n";

// The checkpoint's body: per step theta, adam.m, adam.v as little-endian doubles, then the
// persistent negative chains' states, one byte per node (absent from older checkpoints).
void append_doubles(std::string& out, const std::vector<double>& v) {
  static_assert(std::endian::native == std::endian::little, "checkpoints are little-endian");
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
}

std::vector<double> take_doubles(std::string_view& in, size_t count, const std::string& path) {
  if (in.size() < count * sizeof(double)) throw Error(fmt::format("{}: truncated checkpoint", path));
  std::vector<double> v(count);
  if (count > 0) std::memcpy(v.data(), in.data(), count * sizeof(double));  // data() may be null when empty
  in.remove_prefix(count * sizeof(double));
  return v;
}

StateBatch take_states(std::string_view& in, int chains, int nodes, const std::string& path) {
  if (chains == 0) return {};
  if (chains < 0) throw Error(fmt::format("{}: {} persistent chains", path, chains));
  StateBatch batch(chains, nodes);
  if (in.size() < batch.data.size()) throw Error(fmt::format("{}: truncated checkpoint", path));
  std::memcpy(batch.data.data(), in.data(), batch.data.size());
  in.remove_prefix(batch.data.size());
  for (State v : batch.data)
    if (v > 1) throw Error(fmt::format("{}: a persistent chain holds the state {}, not a spin", path, int(v)));
  return batch;
}

// Names the first value that is not finite (a diverged optimiser, or a corrupt file).
void check_finite(const std::vector<double>& v, const std::string& what) {
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) throw Error(fmt::format("{} {} is {}", what, i, v[i]));
}

void check_finite(const StepState& s, int step) {
  check_finite(s.theta, fmt::format("step {}: parameter", step));
  check_finite(s.adam.m, fmt::format("step {}: Adam first moment", step));
  check_finite(s.adam.v, fmt::format("step {}: Adam second moment", step));
}

// The model a checkpoint header and body describe (json exceptions pass to the caller).
Dtm restore(const nlohmann::json& header, std::string_view in, const std::string& path) {
  Dtm dtm(parse_dtm_config(header.at("config"), path + " (stored config)"));
  const auto& steps = header.at("steps");
  if (!steps.is_array() || int(steps.size()) != dtm.steps())
    throw Error(fmt::format("{}: {} step records for a config with {} steps", path, steps.size(), dtm.steps()));
  for (int k = 0; k < dtm.steps(); ++k) {
    const auto& rec = steps[size_t(k)];
    auto& s = dtm.state(k);
    if (rec.at("parameters").get<size_t>() != s.theta.size())
      throw Error(fmt::format("{}: step {} stores {} parameters, its graph has {}", path, k,
                              rec.at("parameters").get<size_t>(), s.theta.size()));
    s.theta = take_doubles(in, s.theta.size(), path);
    const size_t moments = rec.at("adam_moments").get<bool>() ? s.theta.size() : 0;
    s.adam.m = take_doubles(in, moments, path);
    s.adam.v = take_doubles(in, moments, path);
    s.adam.t = rec.at("adam_steps").get<int64_t>();
    s.acp.lambda = rec.at("acp_lambda").get<double>();
    s.acp.previous = rec.at("acp_previous").get<double>();
    s.negative = take_states(in, rec.value("negative_chains", 0), dtm.graph(k).nodes(), path);
    with_context(path, [&] { check_finite(s, k); });
  }
  if (!in.empty()) throw Error(fmt::format("{}: {} unexpected bytes after the last step", path, in.size()));
  dtm.set_epochs_done(header.at("epochs_done").get<int>());
  return dtm;
}

}  // namespace

Dtm::Dtm(DtmConfig config) : config_(std::move(config)) {
  const auto& d = config_.diffusion;
  times_ = diffusion_times(d.steps, d.schedule, d.linear_end);
  for (int k = 0; k < d.steps; ++k) {
    const double coupling = input_coupling(d.image_rate, times_[size_t(k) + 1] - times_[size_t(k)]);
    try {
      graphs_.emplace_back(config_.graph, config_.visible(), coupling, derive(config_.seed, Purpose::StepGraph, {uint64_t(k)}), config_.tying());
    } catch (const Error& e) {
      throw Error(fmt::format("graph (side {}, rule {}): {}", config_.graph.side, config_.graph.rule, e.what()));
    }
    StepState s;
    s.theta.assign(graphs_.back().edges().size() + size_t(graphs_.back().sites()), 0.0);
    s.acp.lambda = config_.penalty.tc;
    states_.push_back(std::move(s));
  }
}

void Dtm::continue_with(const DtmConfig& config, const std::string& source) {
  DtmConfig stored = config_;
  stored.threads = config.threads;
  stored.training.epochs = config.training.epochs;
  const auto diff = nlohmann::json::diff(to_json(stored), to_json(config));
  if (!diff.empty())
    throw Error(
        fmt::format("{}: was written by a run with another configuration (first difference at {}); "
                    "use another output folder",
                    source, diff[0].value("path", std::string("?"))));
  config_ = config;
}

std::span<const double> Dtm::weights(int k) const {
  return std::span<const double>(state(k).theta).first(graph(k).edges().size());
}

std::span<const double> Dtm::biases(int k) const {
  return std::span<const double>(state(k).theta).subspan(graph(k).edges().size());
}

std::shared_ptr<const Model> Dtm::sampled_model(int k, double beta) const {
  auto model = graph(k).model(weights(k), biases(k), beta);
  if (config_.sampler.bits == 0) return model;
  return std::make_shared<const Model>(quantize(*model, config_.sampler.bits).model);
}

void Dtm::save(const std::string& path) const {
  // A model that is not finite is never written: the last good checkpoint stays.
  for (int k = 0; k < steps(); ++k)
    with_context(fmt::format("{}: not written after epoch {}: training diverged", path, epochs_done_), [&] { check_finite(state(k), k); });
  nlohmann::json header{{"config", to_json(config_)}, {"epochs_done", epochs_done_}};
  std::string body;
  for (int k = 0; k < steps(); ++k) {
    const auto& s = state(k);
    header["steps"].push_back({{"parameters", s.theta.size()},
                               {"adam_steps", s.adam.t},
                               {"adam_moments", !s.adam.m.empty()},
                               {"acp_lambda", s.acp.lambda},
                               {"acp_previous", s.acp.previous},
                               {"negative_chains", s.negative.chains}});
    append_doubles(body, s.theta);
    append_doubles(body, s.adam.m);
    append_doubles(body, s.adam.v);
    body.append(reinterpret_cast<const char*>(s.negative.data.data()), s.negative.data.size());
  }
  write_file_atomic(path, checksummed_file(kTag, header.dump() + '\n' + body));
}

Dtm Dtm::load(const std::string& path) {
  const std::string text = read_file(path);
  std::string_view in(text);
  if (in.starts_with(kMagicV1))
    throw Error(fmt::format("{}: a v1 checkpoint, from before the step graphs' seeds changed (docs/dtm.md): its "
                            "parameters belong to other graphs; train the model again",
                            path));
  if (in.starts_with(kMagicV2))
    in.remove_prefix(kMagicV2.size());
  else if (in.starts_with(kTag))
    in = checked_payload(in, kTag, path);
  else
    throw Error(fmt::format("{}: not a tsu DTM checkpoint (bad magic)", path));
  const size_t newline = in.find('\n');
  if (newline == std::string_view::npos) throw Error(fmt::format("{}: truncated checkpoint header", path));
  try {
    const nlohmann::json header = parse_json(in.substr(0, newline), path + ": checkpoint header");
    return restore(header, in.substr(newline + 1), path);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: corrupt checkpoint header: {}", path, e.what()));
  }
}
}  // namespace tsu::ml
