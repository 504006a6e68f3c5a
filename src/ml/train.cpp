#include "ml/train.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <fmt/format.h>
#include <mutex>
#include <thread>

#include "ml/mixing.hpp"
#include "sample/backends.hpp"
#include "sample/rng.hpp"

namespace tsu::ml {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::vector<uint32_t> permutation(size_t n, uint64_t seed) {
  std::vector<uint32_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = uint32_t(i);
  uint64_t state = seed;
  for (size_t i = n; i > 1; --i) std::swap(p[i - 1], p[splitmix64(state) % i]);
  return p;
}

void clamp_inputs(const StepGraph& g, StateBatch& batch, std::span<const uint8_t> inputs) {
  if (!g.has_input()) return;
  const size_t bits = size_t(g.visible());
  for (int c = 0; c < batch.chains; ++c) {
    auto state = batch.chain(c);
    for (int v = 0; v < g.visible(); ++v) state[size_t(g.input_node(v))] = inputs[size_t(c) * bits + size_t(v)];
  }
}

// Initial states of one phase: free sites from their biases (StepGraph::initial_states), clamped
// visible sites from `targets` and the inputs from `inputs` (either may be empty).
StateBatch phase_states(const StepGraph& g, std::span<const double> biases, int chains, uint64_t seed, double beta,
                        std::span<const uint8_t> targets, std::span<const uint8_t> inputs) {
  auto batch = g.initial_states(biases, beta, chains, seed);
  const size_t bits = size_t(g.visible());
  if (!targets.empty())
    for (int c = 0; c < chains; ++c) {
      auto state = batch.chain(c);
      for (int v = 0; v < g.visible(); ++v)
        state[size_t(g.visible_node(v))] = targets[size_t(c) * bits + size_t(v)];
    }
  clamp_inputs(g, batch, inputs);
  return batch;
}

double phase_flips(const Layout& layout, int chains, const Schedule& s) {
  return double(layout.free_count()) * double(chains) * double(s.total_sweeps());
}

// `end`, when given, receives the chains' final states.
PhaseMoments run_phase(const StepGraph& g, const CompiledModel& cm, const Layout& layout, const StateBatch& init,
                       const Schedule& schedule, double beta, uint64_t seed, int threads, int bits, bool mean_field,
                       StateBatch* end = nullptr) {
  auto backend = make_backend(cm, layout, EngineOptions{init.chains, seed, threads, "auto", 0, bits});
  backend->set_states(init);
  MomentObserver moments(g.cells(), g.cell_edges(), mean_field);
  Observer* observers[] = {&moments};
  run(*backend, schedule, BetaSchedule::constant(beta), observers);
  if (end) backend->get_states(*end);
  return g.tie(moments.moments());
}

double rms(std::span<const double> v) {
  double s = 0;
  for (double x : v) s += x * x;
  return v.empty() ? 0.0 : std::sqrt(s / double(v.size()));
}

// Serialises progress reports from the worker threads.
class ProgressSink {
 public:
  ProgressSink(const WorkProgress& fn, double total) : fn_(fn), total_(total) {}
  void add(double flips) {
    if (!fn_) return;
    std::lock_guard lock(mutex_);
    done_ += flips;
    fn_(done_, total_);
  }

 private:
  const WorkProgress& fn_;
  double total_;
  double done_ = 0;
  std::mutex mutex_;
};

// The long-lag autocorrelation of step k's free chains, started on noised test items.
double measure_mixing(const Dtm& dtm, int k, const TrainingData& data, int epoch, int threads, ProgressSink& sink,
                      double& flips) {
  const auto& cfg = dtm.config();
  const auto& g = dtm.graph(k);
  const int images = int(std::min<size_t>(size_t(cfg.mixing.images), data.mixing_count()));
  if (images == 0) throw Error("mixing: no test items to measure the autocorrelation on");
  const int chains = images * cfg.mixing.chains_per_image;
  const size_t bits = size_t(g.visible());
  std::vector<uint8_t> inputs(size_t(chains) * bits);
  const double t_in = dtm.times()[size_t(k) + 1];
  for (int i = 0; i < images; ++i) {
    auto rng = chain_stream(derive(cfg.seed, Purpose::MixingNoise, {uint64_t(k)}), uint64_t(i), Stream::Aux);
    const auto item = std::span(data.mixing).subspan(size_t(i) * bits, bits);
    std::vector<uint8_t> noised(item.begin(), item.end());
    noise_item(cfg, noised, data.mixing_labels[size_t(i)], t_in, rng);
    for (int c = 0; c < cfg.mixing.chains_per_image; ++c)
      std::copy(noised.begin(), noised.end(),
                inputs.begin() + std::ptrdiff_t((size_t(i) * cfg.mixing.chains_per_image + size_t(c)) * bits));
  }
  const auto cm = compile(dtm.sampled_model(k, cfg.training.beta));
  const auto& layout = g.negative_layout();
  const uint64_t seed = derive(cfg.seed, Purpose::MixingChains, {uint64_t(epoch), uint64_t(k)});
  auto backend = make_backend(cm, layout, EngineOptions{chains, seed, threads, "auto", 0, cfg.sampler.bits});
  backend->set_states(phase_states(g, dtm.biases(k), chains, seed, cfg.training.beta, {}, inputs));
  std::vector<int32_t> image_nodes(g.visible_nodes().begin(), g.visible_nodes().begin() + data.encoding.image_bits());
  ProjectionObserver projection(std::move(image_nodes), cfg.mixing.dims, derive(cfg.seed, Purpose::Projection));
  Observer* observers[] = {&projection};
  run(*backend, cfg.mixing.chain, BetaSchedule::constant(cfg.training.beta), observers);
  const double f = phase_flips(layout, chains, cfg.mixing.chain);
  flips += f;
  sink.add(f);
  return long_lag_autocorrelation(projection.series(), chains, projection.observations(), projection.dims(),
                                  cfg.mixing.chains_per_image);
}

StepReport train_step_epoch(Dtm& dtm, int k, const TrainingData& data, const std::vector<uint32_t>& order, int threads,
                            ProgressSink& sink) {
  const auto start = Clock::now();
  const auto& cfg = dtm.config();
  const auto& tr = cfg.training;
  const auto& g = dtm.graph(k);
  auto& state = dtm.state(k);
  const int epoch = dtm.epochs_done();
  const int64_t batches = batches_per_epoch(cfg, data.train_count());
  const size_t bits = size_t(g.visible());
  const int chains = tr.batch;
  StepReport report;
  report.tc_lambda = state.acp.lambda;
  std::vector<uint8_t> targets(size_t(chains) * bits), inputs(size_t(chains) * bits);
  const uint64_t pair_seed = derive(cfg.seed, Purpose::Pairs, {uint64_t(epoch), uint64_t(k)});
  for (int64_t b = 0; b < batches; ++b) {
    for (int c = 0; c < chains; ++c) {
      const uint32_t row = order[size_t(b * chains + c)];
      auto rng = chain_stream(pair_seed, row, Stream::Aux);
      make_training_pair(dtm, k, std::span(data.train.data() + size_t(row) * bits, bits), data.train_labels[row], rng,
                         std::span(targets).subspan(size_t(c) * bits, bits),
                         std::span(inputs).subspan(size_t(c) * bits, bits));
    }
    const uint64_t seed = derive(cfg.seed, Purpose::BatchChains, {uint64_t(epoch), uint64_t(k), uint64_t(b)});
    const double lambda = state.acp.lambda;
    const auto moments = sample_batch(dtm, k, targets, inputs, chains, seed, lambda > 0, threads,
                                      tr.negative.persists(k, dtm.steps()) ? &state.negative : nullptr);
    const double f = phase_flips(g.positive_layout(), chains, tr.chain) +
                     phase_flips(g.negative_layout(), chains, tr.negative_chain());
    report.flips += f;
    sink.add(f);
    Gradient grad = nll_gradient(moments.positive, moments.negative, tr.beta);
    report.grad_rms += rms(grad.values) / double(batches);
    if (lambda > 0) add_scaled(grad, tc_gradient(moments.negative, tr.beta), lambda);
    const double lr =
        cosine_learning_rate(tr.learning_rate, tr.alpha, state.adam.t, int64_t(tr.decay_epochs) * batches);
    adam_step(tr.adam, state.adam, state.theta, grad.values, lr);
  }
  if (cfg.mixing.enabled) {
    report.autocorrelation = measure_mixing(dtm, k, data, epoch, threads, sink, report.flips);
    if (cfg.penalty.acp.enabled) acp_update(cfg.penalty.acp, state.acp, report.autocorrelation);
  }
  report.tc_lambda_next = state.acp.lambda;
  report.weight_rms = rms(dtm.weights(k));
  report.bias_rms = rms(dtm.biases(k));
  report.seconds = seconds_since(start);
  return report;
}

}  // namespace

TrainingData make_training_data(const DtmConfig& config, const ImageSet& train, const ImageSet& test) {
  TrainingData data;
  data.encoding = config.data.encoding;
  ImageSet pooled_train = pool_images(train, config.data.pool);
  if (config.data.train_images > 0 && config.data.train_images < pooled_train.size()) {
    pooled_train.labels.resize(config.data.train_images);
    pooled_train.pixels.resize(config.data.train_images * size_t(pooled_train.pixels_per_image()));
  }
  ImageSet pooled_test = pool_images(test, config.data.pool);
  const size_t keep = std::min<size_t>(size_t(config.mixing.images), pooled_test.size());
  pooled_test.labels.resize(keep);
  pooled_test.pixels.resize(keep * size_t(pooled_test.pixels_per_image()));
  data.train = encode_set(data.encoding, pooled_train);
  data.train_labels = pooled_train.labels;
  data.mixing = encode_set(data.encoding, pooled_test);
  data.mixing_labels = pooled_test.labels;
  if (data.train_count() < size_t(config.training.batch))
    throw Error(fmt::format("training.batch: {} is more than the {} training images", config.training.batch,
                            data.train_count()));
  return data;
}

TrainingData load_training_data(const DtmConfig& config) {
  const auto train = load_fashion_mnist(Split::Train, config.data.dir, config.data.train_images);
  const auto test = load_fashion_mnist(Split::Test, config.data.dir, size_t(config.mixing.images));
  return make_training_data(config, train, test);
}

int noise_item(const DtmConfig& config, std::span<uint8_t> bits, int label, double dt, Xoshiro128p& rng) {
  const auto& d = config.diffusion;
  const auto& e = config.data.encoding;
  const auto image_bits = size_t(e.image_bits());
  noise_bits(bits.first(image_bits), d.image_rate, dt, rng);
  if (d.label_noise == LabelNoise::Binary) {
    noise_bits(bits.subspan(image_bits), d.label_rate, dt, rng);
    return label;
  }
  label = noise_category(label, e.classes, d.label_rate, dt, rng);
  encode_label(e, label, bits.subspan(image_bits));
  return label;
}

void make_training_pair(const Dtm& dtm, int k, std::span<const uint8_t> item, int label, Xoshiro128p& rng,
                        std::span<uint8_t> target, std::span<uint8_t> input) {
  const auto& d = dtm.config().diffusion;
  const double t_target = dtm.times()[size_t(k)] * (1.0 - d.offset);
  const double t_input = dtm.times()[size_t(k) + 1] * (1.0 + d.offset);
  std::copy(item.begin(), item.end(), target.begin());
  const int target_label = noise_item(dtm.config(), target, label, t_target, rng);
  std::copy(target.begin(), target.end(), input.begin());
  noise_item(dtm.config(), input, target_label, t_input - t_target, rng);
}

int64_t batches_per_epoch(const DtmConfig& config, size_t train_count) {
  return int64_t(train_count / size_t(config.training.batch));
}

double epoch_flips(const Dtm& dtm, size_t train_count) {
  const auto& cfg = dtm.config();
  const double batches = double(batches_per_epoch(cfg, train_count));
  double total = 0;
  for (int k = 0; k < dtm.steps(); ++k) {
    const auto& g = dtm.graph(k);
    total += batches * (phase_flips(g.positive_layout(), cfg.training.batch, cfg.training.chain) +
                        phase_flips(g.negative_layout(), cfg.training.batch, cfg.training.negative_chain()));
    if (cfg.mixing.enabled)
      total += phase_flips(g.negative_layout(), cfg.mixing.images * cfg.mixing.chains_per_image, cfg.mixing.chain);
  }
  return total;
}

BatchMoments sample_batch(const Dtm& dtm, int k, std::span<const uint8_t> targets, std::span<const uint8_t> inputs,
                          int chains, uint64_t seed, bool mean_field, int threads, StateBatch* persistent) {
  const auto& cfg = dtm.config();
  const auto& g = dtm.graph(k);
  const double beta = cfg.training.beta;
  const auto cm = compile(dtm.sampled_model(k, beta));
  const uint64_t pos_seed = derive(seed, Purpose::PositiveChains), neg_seed = derive(seed, Purpose::NegativeChains);
  BatchMoments m;
  m.positive =
      run_phase(g, cm, g.positive_layout(), phase_states(g, dtm.biases(k), chains, pos_seed, beta, targets, inputs),
                cfg.training.chain, beta, pos_seed, threads, cfg.sampler.bits, false);
  StateBatch negative_start;
  if (persistent && persistent->chains == chains) {
    negative_start = *persistent;
    clamp_inputs(g, negative_start, inputs);
  } else {
    negative_start = phase_states(g, dtm.biases(k), chains, neg_seed, beta, {}, inputs);
  }
  m.negative = run_phase(g, cm, g.negative_layout(), negative_start, cfg.training.negative_chain(), beta, neg_seed,
                         threads, cfg.sampler.bits, mean_field, persistent);
  return m;
}

EpochReport train_epoch(Dtm& dtm, const TrainingData& data, const WorkProgress& progress) {
  const auto start = Clock::now();
  const auto& cfg = dtm.config();
  if (data.encoding.bits() != cfg.visible()) throw Error("training data: encoded for another configuration");
  EpochReport report;
  report.epoch = dtm.epochs_done() + 1;
  const int64_t batches = batches_per_epoch(cfg, data.train_count());
  report.learning_rate = cosine_learning_rate(cfg.training.learning_rate, cfg.training.alpha, dtm.state(0).adam.t,
                                              int64_t(cfg.training.decay_epochs) * batches);
  const auto order =
      permutation(data.train_count(), derive(cfg.seed, Purpose::Permutation, {uint64_t(dtm.epochs_done())}));
  ProgressSink sink(progress, epoch_flips(dtm, data.train_count()));

  // Steps are independent: spread them over workers, each sampling with its share of the threads.
  const int threads = resolve_threads(cfg.threads);
  const int workers = std::min(threads, dtm.steps());
  const int inner = std::max(1, threads / workers);
  report.steps.resize(size_t(dtm.steps()));
  std::atomic<int> next{0};
  std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
  auto work = [&](int w) {
    try {
      for (int k; (k = next++) < dtm.steps();)
        report.steps[size_t(k)] = train_step_epoch(dtm, k, data, order, inner, sink);
    } catch (...) {
      errors[size_t(w)] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);

  dtm.set_epochs_done(report.epoch);
  for (const auto& s : report.steps) report.flips += s.flips;
  report.seconds = seconds_since(start);
  return report;
}

}  // namespace tsu::ml
