// tsu dtm coverage: where a DTM's samples fall short of the data (api/neural.hpp, docs/dtm.md).
#include <chrono>
#include <cmath>
#include <fmt/format.h>

#include "api/neural/entry.hpp"
#include "baselines/metric.hpp"
#include "ml/evaluate.hpp"
#include "ml/generate.hpp"
#include "ml/modes.hpp"
#include "ml/run.hpp"
#include "util/files.hpp"
#include "util/plot.hpp"

namespace tsu::api::neural {

namespace {

using nlohmann::json;

json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json quality_json(const baselines::QualityReport& r) {
  json classes = json::array();
  for (size_t c = 0; c < r.per_class.size(); ++c) {
    const baselines::ClassQuality& q = r.per_class[c];
    classes.push_back({{"class", c},
                       {"name", ml::kFashionMnistClassNames[c]},
                       {"share", q.share},
                       {"precision", finite_or_null(q.precision)},
                       {"recall", q.recall},
                       {"coverage", q.coverage}});
  }
  json j{{"fd", r.fd},   {"precision", r.precision}, {"recall", r.recall},
         {"coverage", r.coverage}, {"kid", r.kid}, {"class_imbalance", baselines::class_imbalance(r)},
         {"classes", classes}};
  if (r.label_accuracy) j["label_accuracy"] = *r.label_accuracy;
  return j;
}

json statistics_json(const ml::ModeStatistics& s) {
  json mixed = json::array();
  for (double m : s.mixed) mixed.push_back(finite_or_null(m));
  return {{"first_shares", s.first_shares}, {"last_shares", s.last_shares}, {"agreement", s.agreement},
          {"independent", s.independent}, {"mixed", mixed}};
}

std::string quality_line(const std::string& what, const baselines::QualityReport& r) {
  int lowest = 0;
  for (int c = 1; c < int(r.per_class.size()); ++c)
    if (r.per_class[size_t(c)].recall < r.per_class[size_t(lowest)].recall) lowest = c;
  return fmt::format(
      "{:<16} FD {:7.2f}  precision {:.3f}  recall {:.3f}  coverage {:.3f}  class imbalance {:.3f}  (lowest recall: {} "
      "{:.3f})",
      what, r.fd, r.precision, r.recall, r.coverage, baselines::class_imbalance(r), ml::kFashionMnistClassNames[lowest],
      r.per_class[size_t(lowest)].recall);
}

struct Scored {
  int sweeps = 0;
  std::optional<baselines::QualityReport> free, clamped;
};

void write_sweeps_plot(const std::string& path, const std::vector<Scored>& rows) {
  Plot plot{"DTM quality against sweeps per step", "sweeps per step", "share", true, false, {}};
  for (const bool clamped : {false, true})
    for (const std::string what : {"precision", "recall", "coverage", "class imbalance"}) {
      Series s{fmt::format("{} {}", clamped ? "clamped" : "free", what), {}, {}};
      for (const Scored& row : rows) {
        const auto& r = clamped ? row.clamped : row.free;
        if (!r) continue;
        s.x.push_back(row.sweeps);
        s.y.push_back(what == "precision"  ? r->precision
                      : what == "recall"   ? r->recall
                      : what == "coverage" ? r->coverage
                                           : baselines::class_imbalance(*r));
      }
      if (!s.x.empty()) plot.series.push_back(std::move(s));
    }
  write_plot_png(path, plot);
}

void write_modes_plot(const std::string& path, const ml::ModeStatistics& s, int every) {
  Plot plot{"Noisiest step: class agreement of snapshots a lag apart", "lag (sweeps)", "P(same class)", false, false,
            {}};
  Series agreement{"sampled chains", {}, {}}, independent{"independent draws", {}, {}};
  for (size_t lag = 0; lag < s.agreement.size(); ++lag) {
    agreement.x.push_back(double(lag) * every), agreement.y.push_back(s.agreement[lag]);
    independent.x.push_back(double(lag) * every), independent.y.push_back(s.independent[lag]);
  }
  plot.series = {agreement, independent};
  write_plot_png(path, plot);
}

void check_options(const DtmCoverageOptions& o) {
  if (o.samples < 10 || o.samples % 10 != 0)
    throw Error(fmt::format("samples: must be a multiple of 10 >= 10, got {}", o.samples));
  for (int k : o.sweeps)
    if (k < 1) throw Error(fmt::format("sweeps: every value must be >= 1, got {}", k));
  if (o.mode_chains < 0) throw Error(fmt::format("mode chains: must be >= 0, got {}", o.mode_chains));
}

}  // namespace

json run_dtm_coverage(const DtmCoverageOptions& o) {
  check_options(o);
  const auto out = prepare_dir(o.out);
  const auto log = [&](const std::string& line) {
    if (o.log) o.log(line);
  };
  const ml::Dtm dtm = ml::Dtm::load(ml::checkpoint_path(o.model));
  const ml::DtmConfig& config = dtm.config();
  const ml::AnnealingEnds beta = ml::annealing_ends(config, o.beta_start, o.beta_end);
  const int side = ml::image_side(config);
  baselines::ClassifierConfig cconfig = baselines::load_classifier_config(baselines::classifier_config_path(o.classifier));
  if (o.threads > 0) cconfig.threads = o.threads;
  const auto classifier = baselines::Classifier::load_or_train(
      o.cache.empty() ? baselines::default_cache_dir() : o.cache, cconfig, o.progress);
  const ml::ImageSet train = ml::load_fashion_mnist(ml::Split::Train, config.data.dir);
  const baselines::QualityMetric metric(classifier, train, o.samples / 10, o.seed);
  json report{{"model", o.model},
              {"epochs", dtm.epochs_done()},
              {"metric", "fd_classifier"},
              {"classifier", {{"path", classifier.path()}, {"test_accuracy", classifier.test_accuracy()}}},
              {"samples", o.samples},
              {"beta", {{"start", beta.start}, {"end", beta.end}}},
              {"reference", metric.reference_count()}};

  const ml::ImageSet test = ml::load_fashion_mnist(ml::Split::Test, config.data.dir);
  const std::vector<float> held_out = baselines::held_out_images(test, size_t(o.samples / 10));
  const auto floor = metric.evaluate(held_out, size_t(o.samples));
  report["test_images"] = quality_json(floor);
  log(quality_line("test images", floor));

  std::vector<Scored> rows;
  json sweeps = json::array();
  const bool has_labels = config.data.encoding.label_spots > 0;
  for (int k : o.sweeps.empty() ? std::vector<int>{config.generation.sweeps} : o.sweeps) {
    Scored row{k, {}, {}};
    json line{{"sweeps", k}};
    for (const bool clamped : {false, true}) {
      if (clamped && !has_labels) continue;
      ml::GenerateOptions g;
      g.samples = o.samples, g.seed = o.seed, g.sweeps = k, g.threads = o.threads;
      g.beta_start = o.beta_start, g.beta_end = o.beta_end;
      if (clamped) g.labels = ml::balanced_labels(o.samples, config.data.encoding.classes);
      const ml::Generated samples = ml::generate(dtm, g);
      const std::vector<float> images = ml::decode_images(config.data.encoding, samples.x, size_t(o.samples));
      auto r = metric.evaluate(images, size_t(o.samples), side, g.labels);
      log(quality_line(fmt::format("{} K={}", clamped ? "clamped" : "free", k), r));
      line[clamped ? "clamped" : "free"] = quality_json(r);
      (clamped ? row.clamped : row.free) = std::move(r);
    }
    sweeps.push_back(line);
    rows.push_back(std::move(row));
  }
  report["sweeps"] = sweeps;
  const std::string sweeps_plot = (out / "quality-sweeps.png").string();
  write_sweeps_plot(sweeps_plot, rows);
  json files{{"quality_sweeps", sweeps_plot}};

  if (o.mode_chains > 0) {
    const auto start = std::chrono::steady_clock::now();
    ml::ModeMixingOptions m;
    m.chains = o.mode_chains, m.snapshots = o.snapshots, m.every = o.every, m.seed = o.seed, m.threads = o.threads;
    const ml::Classify classify = [&](std::span<const float> images, size_t count, int image_side) {
      return classifier.predict(images, count, image_side);
    };
    const ml::ModeMixing mixing = ml::mode_mixing(dtm, m, classify, [&](double done, double total) {
      if (o.progress) o.progress("mode mixing", done, total);
    });
    const ml::ModeStatistics images = mixing.images();
    json modes{{"step", dtm.steps() - 1},
               {"chains", mixing.chains},
               {"snapshots", mixing.snapshots},
               {"every", mixing.every},
               {"denoise_sweeps", mixing.denoise_sweeps},
               {"images", statistics_json(images)},
               {"flips", mixing.flips},
               {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
    if (!mixing.labels.empty()) modes["label_bits"] = statistics_json(mixing.label_bits());
    report["modes"] = modes;
    const size_t last = images.mixed.size() - 1;
    log(fmt::format("modes: step {} agreement {:.3f} (same snapshot) -> {:.3f} after {} sweeps; independent {:.3f}; "
                    "mixed {:.3f}",
                    dtm.steps() - 1, images.agreement[0], images.agreement[last], last * size_t(mixing.every),
                    images.independent[last], images.mixed[last]));
    const std::string modes_plot = (out / "modes.png").string();
    write_modes_plot(modes_plot, images, mixing.every);
    files["modes"] = modes_plot;
  }
  const std::string path = (out / "coverage.json").string();
  files["report"] = path;
  report["files"] = files;
  report["note"] =
      "precision/recall/coverage: k-NN manifold estimates (k = 3) in the classifier's features against a class-"
      "balanced reference of as many binarised training images; per class, a share and a precision of the samples "
      "the classifier puts in the class and a recall and coverage of the reference's images of the class";
  write_file_atomic(path, report.dump(1) + "\n");
  return report;
}

}  // namespace tsu::api::neural
