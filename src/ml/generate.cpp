#include "ml/generate.hpp"

#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <numeric>

#include "sample/backends.hpp"
#include "sample/rng.hpp"

namespace tsu::ml {

StateBatch step_states(const StepGraph& g, std::span<const double> biases, const Encoding& e,
                       const std::vector<uint8_t>& x_in, const std::vector<int>& labels, int chains, uint64_t seed,
                       double beta) {
  auto batch = g.initial_states(biases, beta, chains, seed);
  const size_t bits = size_t(g.visible());
  std::vector<uint8_t> label_bits(size_t(e.label_bits()));
  for (int c = 0; c < chains; ++c) {
    auto state = batch.chain(c);
    if (g.has_input())
      for (int v = 0; v < g.visible(); ++v) state[size_t(g.input_node(v))] = x_in[size_t(c) * bits + size_t(v)];
    if (labels.empty()) continue;
    encode_label(e, labels[size_t(c)], label_bits);
    for (int j = 0; j < e.label_bits(); ++j)
      state[size_t(g.visible_node(e.image_bits() + j))] = label_bits[size_t(j)];
  }
  return batch;
}

std::vector<int> balanced_labels(int samples, int classes) {
  std::vector<int> labels(size_t(std::max(samples, 0)));
  for (int i = 0; i < samples; ++i) labels[size_t(i)] = int(int64_t(i) * classes / samples);
  return labels;
}

AnnealingEnds annealing_ends(const DtmConfig& config, const std::optional<double>& start,
                             const std::optional<double>& end) {
  const AnnealingEnds ends{start.value_or(config.generation.beta_start), end.value_or(config.generation.beta_end)};
  if (!(ends.start > 0) || !(ends.end > 0) || !std::isfinite(ends.start) || !std::isfinite(ends.end))
    throw Error(fmt::format("beta: the annealing's ends must be finite and > 0, got {} and {}", ends.start, ends.end));
  return ends;
}

Generated generate(const Dtm& dtm, const GenerateOptions& options, const WorkProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  const auto& cfg = dtm.config();
  const auto& e = cfg.data.encoding;
  if (options.samples < 1) throw Error(fmt::format("samples: must be >= 1, got {}", options.samples));
  const bool clamped = !options.labels.empty();
  if (clamped && e.label_spots == 0) throw Error("clamped generation: the model has no label variables");
  if (clamped && int(options.labels.size()) != options.samples)
    throw Error(fmt::format("clamped generation: {} labels for {} samples", options.labels.size(), options.samples));
  for (int l : options.labels)
    if (l < 0 || l >= e.classes) throw Error(fmt::format("label: {} is outside 0..{}", l, e.classes - 1));
  const int chains = options.samples, bits = cfg.visible();
  const int sweeps = options.sweeps > 0 ? options.sweeps : cfg.generation.sweeps;
  const int threads = options.threads > 0 ? options.threads : cfg.threads;
  const AnnealingEnds ends = annealing_ends(cfg, options.beta_start, options.beta_end);
  const BetaSchedule beta{BetaSchedule::Kind::Linear, ends.start, ends.end, sweeps};
  const Schedule schedule{sweeps, 1, 1};
  const bool partial = !options.start.empty();
  const int first = partial ? options.from_step : dtm.steps() - 1;
  if (partial && (first < 0 || first >= dtm.steps()))
    throw Error(fmt::format("from_step: must be in 0..{}, got {}", dtm.steps() - 1, first));
  if (partial && options.start.size() != size_t(chains) * size_t(bits))
    throw Error(fmt::format("start: {} bits are not {} samples of {} visible bits", options.start.size(), chains, bits));

  Generated out;
  out.samples = chains;
  out.bits = bits;
  out.x = options.start;
  if (!partial) {
    out.x.resize(size_t(chains) * size_t(bits));
    auto rng = chain_stream(derive(options.seed, Purpose::GenerateNoise), 0, Stream::Aux);
    for (auto& b : out.x) b = rng.uniform() < 0.5f;  // x^T: uniform noise
  }
  const size_t kept = size_t(std::min(options.trajectory, chains)) * size_t(bits);
  auto record = [&] {
    if (kept) out.trajectory.emplace_back(out.x.begin(), out.x.begin() + std::ptrdiff_t(kept));
  };
  record();

  std::vector<int> label_vars(size_t(clamped ? e.label_bits() : 0));
  std::iota(label_vars.begin(), label_vars.end(), e.image_bits());
  double total = 0;
  for (int k = 0; k <= first; ++k)
    total += double(dtm.graph(k).cells() - int(label_vars.size())) * chains * sweeps;
  double done = 0;
  for (int k = first; k >= 0; --k) {
    const auto& g = dtm.graph(k);
    const auto cm = compile(dtm.sampled_model(k, 1.0));
    const Layout layout = clamped ? g.layout(label_vars) : g.negative_layout();
    const uint64_t seed = derive(options.seed, Purpose::GenerateChains, {uint64_t(k)});
    auto backend = make_backend(cm, layout, EngineOptions{chains, seed, threads, "auto", 0, dtm.config().sampler.bits});
    backend->set_states(step_states(g, dtm.biases(k), e, out.x, options.labels, chains, seed, beta.at(0)));
    run(*backend, schedule, beta, {}, [&](int64_t sweeps_done, int64_t) {
      if (progress) progress(done + double(layout.free_count()) * chains * double(sweeps_done), total);
    });
    done += double(layout.free_count()) * chains * sweeps;
    StateBatch states;
    backend->get_states(states);
    for (int c = 0; c < chains; ++c)
      for (int v = 0; v < bits; ++v)
        out.x[size_t(c) * size_t(bits) + size_t(v)] = states.chain(c)[size_t(g.visible_node(v))];
    record();
  }
  const auto& g0 = dtm.graph(0);
  out.counters = {.steps = first + 1,
                  .sweeps_per_step = sweeps,
                  .sites = g0.sites(),
                  .copies = g0.cells() - g0.sites(),
                  .visible = bits,
                  .samples = chains,
                  .flips = done,
                  .seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
  return out;
}

hw::EnergyReport tsu_sample_energy(const hw::Device& device, const std::string& rule, const SamplingCounters& counters) {
  const auto side = int64_t(std::llround(std::sqrt(double(counters.sites))));
  if (counters.sites < 1 || side * side != counters.sites)
    throw Error(fmt::format("sampling counters: sites: {} is not an L x L grid", counters.sites));
  if (counters.copies < 0)
    throw Error(fmt::format("sampling counters: copies: must be >= 0, got {}", counters.copies));
  if (counters.visible < 0 || counters.visible > counters.cells())
    throw Error(fmt::format("sampling counters: visible: must be in 0..{}, got {}", counters.cells(), counters.visible));
  // Tied copies are priced as cells of the grid's degree and wire length (their site's).
  hw::ArrayShape shape = hw::grid_shape(device, int(side), rule);
  shape.cells = counters.cells();
  return hw::energy_report(device, shape, hw::Workload{counters.sweeps_per_step, counters.steps, counters.visible});
}

}  // namespace tsu::ml
