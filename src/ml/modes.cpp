#include "ml/modes.hpp"

#include <fmt/format.h>

#include "ml/evaluate.hpp"
#include "ml/generate.hpp"
#include "sample/backends.hpp"
#include "sample/rng.hpp"

namespace tsu::ml {

namespace {

// Copies the visible variables of every chain at each observation: [snapshot][chain][variable].
class SnapshotObserver : public Observer {
 public:
  explicit SnapshotObserver(const std::vector<int32_t>& nodes) : nodes_(nodes) {}
  void observe(const StateBatch& states, int64_t) override {
    for (int c = 0; c < states.chains; ++c) {
      const auto chain = states.chain(c);
      for (int32_t node : nodes_) record_.push_back(chain[size_t(node)]);
    }
  }
  std::span<const uint8_t> snapshot(int j, int chains) const {
    const size_t n = size_t(chains) * nodes_.size();
    return std::span(record_).subspan(size_t(j) * n, n);
  }

 private:
  const std::vector<int32_t>& nodes_;
  std::vector<uint8_t> record_;
};

void check_options(const ModeMixingOptions& o) {
  if (o.chains < 2) throw Error(fmt::format("mode mixing: chains: must be >= 2, got {}", o.chains));
  if (o.snapshots < 2) throw Error(fmt::format("mode mixing: snapshots: must be >= 2, got {}", o.snapshots));
  if (o.every < 1) throw Error(fmt::format("mode mixing: every: must be >= 1 sweep, got {}", o.every));
  if (o.sweeps < 0) throw Error(fmt::format("mode mixing: sweeps: must be >= 0, got {}", o.sweeps));
}

// Shares of the classes 0..classes-1 at snapshot j (a class -1 counts towards none of them).
std::vector<double> shares_at(std::span<const int> seq, int chains, int snapshots, int classes, int j) {
  std::vector<double> shares(size_t(classes), 0.0);
  for (int c = 0; c < chains; ++c) {
    const int v = seq[size_t(c) * size_t(snapshots) + size_t(j)];
    if (v >= 0) shares[size_t(v)] += 1.0 / chains;
  }
  return shares;
}

// Agreement of two shares vectors' independent draws (a class -1 on both sides agrees too).
double independent_agreement(const std::vector<double>& p, const std::vector<double>& q) {
  double same = 0, p_none = 1, q_none = 1;
  for (size_t c = 0; c < p.size(); ++c) same += p[c] * q[c], p_none -= p[c], q_none -= q[c];
  return same + std::max(p_none, 0.0) * std::max(q_none, 0.0);
}

}  // namespace

ModeStatistics mode_statistics(std::span<const int> a, std::span<const int> b, int chains, int snapshots,
                               int classes) {
  const size_t n = size_t(chains) * size_t(snapshots);
  if (chains < 1 || snapshots < 1 || a.size() != n || b.size() != n)
    throw Error(fmt::format("mode statistics: {} and {} classes are not {} chains x {} snapshots", a.size(), b.size(),
                            chains, snapshots));
  for (std::span<const int> seq : {a, b})
    for (int v : seq)
      if (v < -1 || v >= classes) throw Error(fmt::format("mode statistics: class {} is outside -1..{}", v, classes - 1));
  std::vector<std::vector<double>> pa, pb;
  for (int j = 0; j < snapshots; ++j)
    pa.push_back(shares_at(a, chains, snapshots, classes, j)), pb.push_back(shares_at(b, chains, snapshots, classes, j));
  ModeStatistics s;
  s.first_shares = pa.front();
  s.last_shares = pa.back();
  for (int lag = 0; lag < snapshots; ++lag) {
    double same = 0, independent = 0, pairs = 0;
    for (int j = 0; j + lag < snapshots; ++j) {
      for (int c = 0; c < chains; ++c) {
        const size_t at = size_t(c) * size_t(snapshots) + size_t(j);
        same += (a[at] == b[at + size_t(lag)]) + (b[at] == a[at + size_t(lag)]);
      }
      independent += independent_agreement(pa[size_t(j)], pb[size_t(j + lag)]) +
                     independent_agreement(pb[size_t(j)], pa[size_t(j + lag)]);
      pairs += 2;
    }
    s.agreement.push_back(same / (pairs * chains));
    s.independent.push_back(independent / pairs);
  }
  for (int lag = 0; lag < snapshots; ++lag) {
    const double room = s.agreement[0] - s.independent[size_t(lag)];
    s.mixed.push_back(lag == 0 ? 0.0 : room > 0 ? (s.agreement[0] - s.agreement[size_t(lag)]) / room : NAN);
  }
  return s;
}

ModeStatistics ModeMixing::images() const { return mode_statistics(classes_a, classes_b, chains, snapshots, classes); }

ModeStatistics ModeMixing::label_bits() const {
  if (labels.empty()) throw Error("mode mixing: the model has no label variables");
  return mode_statistics(labels, labels, chains, snapshots, classes);
}

ModeMixing mode_mixing(const Dtm& dtm, const ModeMixingOptions& options, const Classify& classify,
                       const WorkProgress& progress) {
  check_options(options);
  const auto& cfg = dtm.config();
  const auto& e = cfg.data.encoding;
  const int k = dtm.steps() - 1, chains = options.chains, bits = cfg.visible();
  const int threads = options.threads > 0 ? options.threads : cfg.threads;
  const auto& g = dtm.graph(k);
  ModeMixing out;
  out.chains = chains, out.snapshots = options.snapshots, out.every = options.every, out.classes = e.classes;
  out.denoise_sweeps = options.sweeps > 0 ? options.sweeps : cfg.generation.sweeps;

  // The long run of step T-1 at beta = 1, from the biases as in generation (inputs: x^T noise).
  const uint64_t seed = derive(options.seed, Purpose::ModeChains);
  std::vector<uint8_t> noise(size_t(chains) * size_t(bits));
  auto rng = chain_stream(seed, 0, Stream::Aux);
  for (auto& b : noise) b = rng.uniform() < 0.5f;
  const Layout& layout = g.negative_layout();
  auto backend = make_backend(compile(dtm.sampled_model(k, 1.0)), layout,
                              EngineOptions{chains, seed, threads, "auto", 0, cfg.sampler.bits});
  backend->set_states(step_states(g, dtm.biases(k), e, noise, {}, chains, seed, 1.0));
  SnapshotObserver snapshots(g.visible_nodes());
  Observer* observers[] = {&snapshots};
  const Schedule schedule{options.every, options.snapshots, options.every};
  run(*backend, schedule, BetaSchedule::constant(1.0), observers);
  out.flips = double(layout.free_count()) * chains * double(schedule.total_sweeps());

  const int side = image_side(cfg);
  const size_t n = size_t(chains) * size_t(options.snapshots);
  out.classes_a.resize(n);
  out.classes_b.resize(n);
  if (e.label_spots > 0) out.labels.resize(n);
  auto store = [&](std::vector<int>& into, const std::vector<int>& classes, int j) {
    if (classes.size() != size_t(chains))
      throw Error(fmt::format("mode mixing: the classifier gave {} classes for {} images", classes.size(), chains));
    for (int c = 0; c < chains; ++c) into[size_t(c) * size_t(options.snapshots) + size_t(j)] = classes[size_t(c)];
  };
  for (int j = 0; j < options.snapshots; ++j) {
    const auto x = snapshots.snapshot(j, chains);
    if (!out.labels.empty()) {
      std::vector<int> votes(static_cast<size_t>(chains));
      for (int c = 0; c < chains; ++c) votes[size_t(c)] = decode_label(e, x.subspan(size_t(c) * size_t(bits), size_t(bits)));
      store(out.labels, votes, j);
    }
    for (int r = 0; r < 2; ++r) {
      std::vector<uint8_t> image_bits(x.begin(), x.end());
      if (k > 0) {  // denoise through steps T-2 .. 0; for T = 1 the snapshot is the image, read exactly twice
        GenerateOptions denoise;
        denoise.samples = chains, denoise.threads = threads, denoise.sweeps = out.denoise_sweeps;
        denoise.seed = derive(options.seed, Purpose::ModeDenoise, {uint64_t(j), uint64_t(r)});
        denoise.start = std::move(image_bits), denoise.from_step = k - 1;
        Generated denoised = generate(dtm, denoise);
        out.flips += denoised.counters.flips;
        image_bits = std::move(denoised.x);
      }
      const std::vector<float> images = decode_images(e, image_bits, size_t(chains));
      store(r == 0 ? out.classes_a : out.classes_b, classify(images, size_t(chains), side), j);
    }
    if (progress) progress(j + 1, options.snapshots);
  }
  return out;
}

}  // namespace tsu::ml
