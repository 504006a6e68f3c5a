#include "ml/fit.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <memory>
#include <numeric>

#include "graph/blocks.hpp"
#include "sample/program.hpp"
#include "sample/rng.hpp"

namespace tsu::ml {

namespace {

// The free layout (every node sampled) and the positive one (visible nodes held at the data).
struct FitLayouts {
  Layout free, positive;
};

std::vector<uint8_t> visible_mask(const Model& model, int visible) {
  std::vector<uint8_t> mask(model.size(), 0);
  std::fill(mask.begin(), mask.begin() + visible, uint8_t(1));
  return mask;
}

FitLayouts make_layouts(const Model& model, int visible) {
  return {make_layout(model, std::vector<uint8_t>(model.size(), 0)), make_layout(model, visible_mask(model, visible))};
}

int latent_count(const Model& model, const FitData& data) { return int(model.size()) - data.visible; }

// The current weights compiled once for every phase of a batch.
CompiledModel compile_copy(const Model& model) { return compile(std::make_shared<const Model>(model)); }

// Runs `sweeps` sweeps of block Gibbs on `states` in place.
void run_chains(const CompiledModel& cm, const Layout& layout, StateBatch& states, int sweeps, uint64_t seed,
                const FitConfig& config) {
  EngineOptions options;
  options.chains = states.chains;
  options.seed = seed;
  options.threads = config.threads;
  options.backend = config.backend;
  auto backend = make_backend(cm, layout, options);
  backend->set_states(states);
  backend->sweeps(sweeps, BetaSchedule::constant(cm.model->beta), 0);
  backend->get_states(states);
}

// Every chain's node codes as bit planes: bit c % 64 of word [node * words + c / 64] is set where
// chain c's node holds code 1 (spin +1).
std::vector<uint64_t> bit_planes(const StateBatch& states, size_t words) {
  std::vector<uint64_t> planes(size_t(states.nodes) * words, 0);
  for (int c = 0; c < states.chains; ++c) {
    const auto chain = states.chain(c);
    for (int i = 0; i < states.nodes; ++i)
      planes[size_t(i) * words + size_t(c) / 64] |= uint64_t(chain[i] == 1) << (c % 64);
  }
  return planes;
}

// One chain per row: the row's visible codes, latent nodes drawn uniformly from `seed`'s init streams.
StateBatch chains_at_rows(const CompiledModel& cm, const Layout& layout, const FitData& data,
                          std::span<const size_t> rows, uint64_t seed) {
  StateBatch states = initial_states(cm, layout, int(rows.size()), seed, InitKind::Uniform, cm.model->beta);
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto row = data.row(rows[r]);
    std::copy(row.begin(), row.end(), states.chain(int(r)).begin());
  }
  return states;
}

// The batch's chains with the latent nodes drawn given each row (none to draw: the rows as they are).
StateBatch positive_chains(const CompiledModel& cm, const FitLayouts& layouts, const FitConfig& config,
                           const FitData& data, std::span<const size_t> rows, uint64_t seed) {
  StateBatch states = chains_at_rows(cm, layouts.positive, data, rows, derive(seed, Purpose::FitPositive));
  if (latent_count(*cm.model, data) > 0)
    run_chains(cm, layouts.positive, states, config.positive_sweeps, derive(seed, Purpose::FitPositive, {1}),
               config);
  return states;
}

std::vector<double> exact_positive_statistics(const Model& model, const FitData& data, std::span<const size_t> rows) {
  const auto mask = visible_mask(model, data.visible);
  std::vector<State> state(model.size(), 0);
  std::vector<double> mean(weight_count(model), 0.0);
  for (size_t r : rows) {
    std::copy(data.row(r).begin(), data.row(r).end(), state.begin());
    const Enumerated e = enumerate_statistics(model, mask, state);
    for (size_t k = 0; k < mean.size(); ++k) mean[k] += e.mean[k] / double(rows.size());
  }
  return mean;
}

struct Phases {
  std::vector<double> positive, negative;
  int64_t sweeps = 0;
};

Phases phase_statistics(FitState& st, const FitLayouts& layouts, const FitConfig& config, const FitData& data,
                        std::span<const size_t> rows, uint64_t seed) {
  const Model& model = st.model;
  const bool latent = latent_count(model, data) > 0;
  Phases out;
  if (config.method == FitMethod::Exact) {
    out.positive = exact_positive_statistics(model, data, rows);
    out.negative = enumerate_statistics(model, std::vector<uint8_t>(model.size(), 0), std::vector<State>(model.size(), 0)).mean;
    return out;
  }
  const CompiledModel cm = compile_copy(model);
  StateBatch states = positive_chains(cm, layouts, config, data, rows, seed);
  out.positive = mean_statistics(model, states);
  out.sweeps = latent ? int64_t(states.chains) * config.positive_sweeps : 0;
  StateBatch& negative = config.method == FitMethod::CD ? states : st.persistent;
  run_chains(cm, layouts.free, negative, config.k, derive(seed, Purpose::FitNegative), config);
  out.negative = mean_statistics(model, negative);
  out.sweeps += int64_t(negative.chains) * config.k;
  return out;
}

std::vector<double> gradient_from(const Phases& p, double beta) {
  std::vector<double> g(p.positive.size());
  for (size_t k = 0; k < g.size(); ++k) g[k] = -beta * (p.positive[k] - p.negative[k]);
  return g;
}

double rms(std::span<const double> v) {
  double s = 0;
  for (double x : v) s += x * x;
  return v.empty() ? 0.0 : std::sqrt(s / double(v.size()));
}

void step_parameters(FitState& st, const FitConfig& config, std::span<const double> gradient, double lr) {
  std::vector<double> theta = flat_weights(st.model);
  if (config.optimizer == "adam") {
    adam_step(config.adam, st.adam, theta, gradient, lr);
  } else {
    for (size_t k = 0; k < theta.size(); ++k) theta[k] -= lr * (gradient[k] + config.adam.weight_decay * theta[k]);
  }
  set_flat_weights(st.model, theta);
}

// See FitEpoch::reconstruction.
double reconstruction_error(const Model& model, const FitLayouts& layouts, const FitConfig& config,
                            const FitData& data, std::span<const size_t> rows, uint64_t seed) {
  const CompiledModel cm = compile_copy(model);
  StateBatch states = positive_chains(cm, layouts, config, data, rows, seed);
  run_chains(cm, layouts.free, states, 1, derive(seed, Purpose::FitReconstruction), config);
  int64_t changed = 0;
  for (size_t r = 0; r < rows.size(); ++r)
    for (int i = 0; i < data.visible; ++i) changed += states.chain(int(r))[i] != data.row(rows[r])[i];
  return double(changed) / (double(rows.size()) * data.visible);
}

std::vector<size_t> epoch_order(size_t count, uint64_t seed, int epoch) {
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), size_t(0));
  Xoshiro128p rng = chain_stream(derive(seed, Purpose::FitPermutation, {uint64_t(epoch)}), 0);
  for (size_t i = count; i > 1; --i) {
    const uint64_t r = (uint64_t(rng.next()) << 32) | rng.next();
    std::swap(order[i - 1], order[r % i]);
  }
  return order;
}

void check_data(const Model& model, const FitData& data) {
  if (data.visible < 1 || size_t(data.visible) > model.size())
    throw Error(fmt::format("data: {} visible columns for a model of {} nodes", data.visible, model.size()));
  for (size_t r = 0; r < data.count(); ++r)
    for (int i = 0; i < data.visible; ++i)
      if (data.row(r)[i] >= model.nodes[i].states)
        throw Error(fmt::format("data: row {}, node {}: state {} out of range 0..{}", r, i, int(data.row(r)[i]),
                                model.nodes[i].states - 1));
}

}  // namespace

// The statistics' means over the chains. Biases and spin couplings, nearly every weight of a
// large model, count agreements by XOR-popcount over the bit planes; other groups term by term.
std::vector<double> mean_statistics(const Model& model, const StateBatch& states) {
  const size_t words = (size_t(states.chains) + 63) / 64;
  const auto planes = bit_planes(states, words);
  auto ones = [&](int32_t a) {
    int64_t n = 0;
    for (size_t w = 0; w < words; ++w) n += std::popcount(planes[size_t(a) * words + w]);
    return n;
  };
  auto differences = [&](int32_t a, int32_t b) {
    int64_t n = 0;
    for (size_t w = 0; w < words; ++w) n += std::popcount(planes[size_t(a) * words + w] ^ planes[size_t(b) * words + w]);
    return n;
  };
  const double chains = states.chains;
  std::vector<double> sums(weight_count(model), 0.0);
  size_t base = 0;
  for (const auto& g : model.groups) {
    const std::span<double> out(sums.data() + base, g.weights.size());
    if (g.n_cat == 0 && g.n_spin == 1) {
      for (size_t f = 0; f < out.size(); ++f) out[f] = (2.0 * double(ones(g.spins[f])) - chains) / chains;
    } else if (g.n_cat == 0 && g.n_spin == 2) {
      for (size_t f = 0; f < out.size(); ++f)
        out[f] = (chains - 2.0 * double(differences(g.spins[2 * f], g.spins[2 * f + 1]))) / chains;
    } else {
      for (int c = 0; c < states.chains; ++c) add_group_statistics(g, states.chain(c), 1.0 / chains, out);
    }
    base += g.weights.size();
  }
  return sums;
}

double configurations(const Model& model, std::span<const uint8_t> fixed) {
  double n = 1;
  for (size_t i = 0; i < model.size(); ++i)
    if (!fixed[i]) n *= model.nodes[i].states;
  return n;
}

Enumerated enumerate_statistics(const Model& model, std::span<const uint8_t> fixed, std::span<const State> state,
                                bool with_statistics) {
  if (configurations(model, fixed) > kMaxFitEnumeration)
    throw Error(fmt::format("exact: {:.3g} configurations to enumerate, more than the limit of {:.0f}",
                            configurations(model, fixed), kMaxFitEnumeration));
  std::vector<int32_t> free;
  for (size_t i = 0; i < model.size(); ++i)
    if (!fixed[i]) free.push_back(int32_t(i));
  std::vector<State> x(state.begin(), state.end());
  for (int32_t i : free) x[i] = 0;
  // Advances x to the next configuration of the free nodes (lowest first); false after the last.
  auto next = [&] {
    for (int32_t i : free) {
      if (++x[i] < model.nodes[i].states) return true;
      x[i] = 0;
    }
    return false;
  };
  std::vector<double> log_weights;
  do log_weights.push_back(model.beta * factor_sum(model, x));
  while (next());
  const double top = *std::max_element(log_weights.begin(), log_weights.end());
  double z = 0;
  for (double& lw : log_weights) z += (lw = std::exp(lw - top));
  Enumerated out{top + std::log(z), {}};
  if (!with_statistics) return out;
  out.mean.assign(weight_count(model), 0.0);
  size_t index = 0;
  do add_statistics(model, x, log_weights[index++] / z, out.mean);
  while (next());
  return out;
}

FitMethod parse_fit_method(const std::string& name) {
  if (name == "exact") return FitMethod::Exact;
  if (name == "cd") return FitMethod::CD;
  if (name == "pcd") return FitMethod::PCD;
  throw Error(fmt::format("method: unknown \"{}\" (expected exact, cd or pcd)", name));
}

std::string fit_method_name(FitMethod method) {
  return method == FitMethod::Exact ? "exact" : method == FitMethod::CD ? "cd" : "pcd";
}

void FitConfig::validate(const Model& model, const FitData& data) const {
  auto at_least = [](const char* field, int64_t v, int64_t min) {
    if (v < min) throw Error(fmt::format("{}: must be at least {}, got {}", field, min, v));
  };
  at_least("k", k, 1);
  at_least("positive_sweeps", positive_sweeps, 1);
  at_least("chains", chains, 1);
  at_least("batch", batch, 1);
  at_least("epochs", epochs, 0);
  if (optimizer != "adam" && optimizer != "sgd")
    throw Error(fmt::format("optimizer: unknown \"{}\" (expected adam or sgd)", optimizer));
  if (!(learning_rate > 0) || !std::isfinite(learning_rate))
    throw Error(fmt::format("learning_rate: must be a positive number, got {}", learning_rate));
  if (!(lr_floor >= 0 && lr_floor <= 1)) throw Error(fmt::format("lr_floor: must be between 0 and 1, got {}", lr_floor));
  if (!(adam.weight_decay >= 0) || !std::isfinite(adam.weight_decay))
    throw Error(fmt::format("weight_decay: must be a number >= 0, got {}", adam.weight_decay));
  for (size_t i = 0; i < model.size(); ++i)
    if (model.is_clamped(i))
      throw Error(fmt::format("model: node {} is clamped; training fits a model without clamps", i));
  if (weight_count(model) == 0) throw Error("model: has no weights to fit");
  check_data(model, data);
  if (size_t(batch) > data.count())
    throw Error(fmt::format("batch: {} rows per batch, but the data has only {}", batch, data.count()));
  if (method != FitMethod::Exact) return;
  const double all = configurations(model, std::vector<uint8_t>(model.size(), 0));
  const double per_row = configurations(model, visible_mask(model, data.visible));
  if (all > kMaxFitEnumeration || per_row * batch > kMaxFitEnumeration)
    throw Error(fmt::format("method: exact needs {:.3g} configurations per batch, more than the limit of {:.0f}; use "
                            "cd or pcd",
                            all + per_row * batch, kMaxFitEnumeration));
}

FitState start_fit(Model initial, const FitConfig& config) {
  FitState st;
  st.model = std::move(initial);
  if (config.method == FitMethod::PCD) {
    const Layout free = make_layout(st.model, std::vector<uint8_t>(st.model.size(), 0));
    st.persistent = initial_states(compile_copy(st.model), free, config.chains,
                                   derive(config.seed, Purpose::FitPersistent), InitKind::Uniform, st.model.beta);
  }
  return st;
}

std::vector<double> nll_gradient(FitState& state, const FitConfig& config, const FitData& data,
                                 std::span<const size_t> rows, uint64_t seed) {
  const FitLayouts layouts = make_layouts(state.model, data.visible);
  return gradient_from(phase_statistics(state, layouts, config, data, rows, seed), state.model.beta);
}

FitEpoch fit_epoch(FitState& st, const FitConfig& config, const FitData& data, const FitProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  const FitLayouts layouts = make_layouts(st.model, data.visible);
  const int epoch = st.epochs_done + 1;
  const auto order = epoch_order(data.count(), config.seed, epoch);
  const int64_t batches = int64_t(data.count()) / config.batch;
  const int64_t total_steps = int64_t(config.epochs) * batches;
  FitEpoch rec;
  rec.epoch = epoch;
  for (int64_t b = 0; b < batches; ++b) {
    const std::span<const size_t> rows(order.data() + b * config.batch, size_t(config.batch));
    const uint64_t seed = derive(config.seed, Purpose::FitBatch, {uint64_t(epoch), uint64_t(b)});
    const Phases phases = phase_statistics(st, layouts, config, data, rows, seed);
    const auto gradient = gradient_from(phases, st.model.beta);
    const double lr = cosine_learning_rate(config.learning_rate, config.lr_floor,
                                           int64_t(st.epochs_done) * batches + b, total_steps);
    if (b == 0) rec.learning_rate = lr;
    step_parameters(st, config, gradient, lr);
    rec.gradient_rms += rms(gradient) / double(batches);
    rec.sweeps += phases.sweeps;
    if (b + 1 == batches)
      rec.reconstruction = reconstruction_error(st.model, layouts, config, data, rows,
                                                derive(seed, Purpose::FitReconstruction));
    if (progress) progress(b + 1, batches);
  }
  rec.weight_rms = rms(flat_weights(st.model));
  rec.nll = exact_nll(st.model, data);
  rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  st.epochs_done = epoch;
  st.history.push_back(rec);
  return rec;
}

double latent_log_sum(const CompiledModel& cm, std::span<const State> row) {
  const Model& model = *cm.model;
  const size_t visible = row.size();
  std::vector<State> x(model.size(), 0);
  std::copy(row.begin(), row.end(), x.begin());
  const double beta = model.beta;
  double sum = beta * factor_sum(model, x);  // every latent node at code 0
  std::vector<double> logits;
  for (size_t j = visible; j < model.size(); ++j) {
    for (const auto& inc : cm.incidence_of(j)) {
      const FactorGroup& g = model.groups[size_t(inc.group)];
      for (int32_t other : g.spins_of(size_t(inc.factor)))
        if (size_t(other) >= visible && size_t(other) != j)
          throw Error(fmt::format("latent nodes {} and {} share a factor of group {}: the latent sum has no closed form",
                                  j, other, inc.group));
      for (int32_t other : g.cats_of(size_t(inc.factor)))
        if (size_t(other) >= visible && size_t(other) != j)
          throw Error(fmt::format("latent nodes {} and {} share a factor of group {}: the latent sum has no closed form",
                                  j, other, inc.group));
    }
    if (model.nodes[j].is_spin()) {
      const double f = beta * spin_field(cm, j, x);  // the terms of s_j are s_j * f
      sum += std::max(f, -f) + std::log1p(std::exp(-2 * std::abs(f))) + f;  // log(e^f + e^-f) - (-f)
    } else {
      logits.resize(size_t(model.nodes[j].states));
      categorical_logits(cm, j, x, logits);
      double top = -std::numeric_limits<double>::infinity();
      for (double& l : logits) top = std::max(top, l *= beta);
      double z = 0;
      for (double l : logits) z += std::exp(l - top);
      sum += top + std::log(z) - logits[0];
    }
  }
  return sum;
}

double exact_nll(const Model& model, const FitData& data) {
  const auto mask = visible_mask(model, data.visible);
  const double all = configurations(model, std::vector<uint8_t>(model.size(), 0));
  const double per_row = configurations(model, mask);
  if (all + per_row * double(data.count()) > kMaxFitEnumeration) return std::numeric_limits<double>::quiet_NaN();
  std::vector<State> state(model.size(), 0);
  const double log_z = enumerate_statistics(model, std::vector<uint8_t>(model.size(), 0), state, false).log_z;
  double sum = 0;
  for (size_t r = 0; r < data.count(); ++r) {
    std::copy(data.row(r).begin(), data.row(r).end(), state.begin());
    sum += log_z - enumerate_statistics(model, mask, state, false).log_z;
  }
  return sum / double(data.count());
}

}  // namespace tsu::ml
