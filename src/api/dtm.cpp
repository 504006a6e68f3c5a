#include "api/dtm.hpp"
#include "util/json.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <fmt/format.h>
#include <sstream>

#include "ml/evaluate.hpp"
#include "ml/run.hpp"
#include "ml/scaling.hpp"
#include "ml/train.hpp"
#include "sample/npy.hpp"
#include "util/files.hpp"
#include "util/plot.hpp"

namespace tsu::api {

using nlohmann::json;
using namespace tsu::ml;

namespace {

// Samples as uint8 intensities 0..255, shape [n, side, side].
void save_samples_npy(const std::string& path, const DtmConfig& config, const Generated& g) {
  const int side = image_side(config);
  const auto images = decode_images(config.data.encoding, g.x, size_t(g.samples));
  NpyArray a;
  a.dtype = "|u1";
  a.shape = {size_t(g.samples), size_t(side), size_t(side)};
  a.bytes.resize(images.size());
  for (size_t i = 0; i < images.size(); ++i) a.bytes[i] = char(uint8_t(std::lround(images[i] * 255)));
  write_npy(path, a);
}

void save_labels_npy(const std::string& path, const std::vector<int>& labels) {
  NpyArray a;
  a.dtype = "|u1";
  a.shape = {labels.size()};
  for (int l : labels) a.bytes.push_back(char(uint8_t(l)));
  write_npy(path, a);
}

json counters_json(const SamplingCounters& c) {
  return json{{"steps", c.steps},     {"sweeps_per_step", c.sweeps_per_step},
              {"sites", c.sites},     {"copies", c.copies},   {"visible", c.visible},
              {"samples", c.samples}, {"flips", c.flips},
              {"seconds", c.seconds}, {"flips_per_ns", c.seconds > 0 ? c.flips / c.seconds * 1e-9 : 0.0}};
}

NpyArray read_samples_npy(const std::string& path, int side) {
  NpyArray a = read_npy(path);
  if (a.dtype != "|u1" || a.shape.size() != 3 || a.shape[1] != size_t(side) || a.shape[2] != size_t(side) ||
      a.shape[0] < 2)
    throw Error(fmt::format("{}: expected uint8 samples of shape [n >= 2, {}, {}] (as tsu dtm generate writes)", path,
                            side, side));
  return a;
}

// One config's log.jsonl as per-epoch series.
struct StudyRun {
  std::string name;
  std::vector<double> epoch, free, clamped, autocorr, seconds, flips_per_ns;
  std::vector<double> train_flips;  // cumulative, to the end of the epoch
  std::vector<double> j_per_sample;  // an evaluated sample's price on the config's TSU device
};

double number_or_nan(const json& j, const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN; }

StudyRun read_study_run(const std::string& name, const std::string& dir) {
  StudyRun r{name, {}, {}, {}, {}, {}, {}, {}, {}};
  const std::string path = log_path(dir);
  std::istringstream lines(read_file(path));
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    const json j = parse_json(line, fmt::format("{}: line {}", path, ++number));
    const json q = j.value("quality", json::object());
    r.epoch.push_back(j["epoch"].get<double>());
    r.free.push_back(number_or_nan(q, "free"));
    r.clamped.push_back(number_or_nan(q, "clamped"));
    r.autocorr.push_back(number_or_nan(j, "max_autocorr"));
    r.seconds.push_back(number_or_nan(j, "seconds"));
    r.flips_per_ns.push_back(number_or_nan(j, "flips_per_ns"));
    r.train_flips.push_back((r.train_flips.empty() ? 0.0 : r.train_flips.back()) + number_or_nan(j, "flips"));
    r.j_per_sample.push_back(number_or_nan(q.value("energy", json::object()), "j_per_sample"));
  }
  return r;
}

// study.csv and the three per-epoch plots; returns the files written.
std::vector<std::string> write_study_outputs(const std::filesystem::path& out, const std::vector<StudyRun>& runs,
                                             const std::string& metric) {
  std::string csv = "config,epoch,fd_free,fd_clamped,max_autocorr,seconds,flips_per_ns,train_flips,j_per_sample\n";
  for (const StudyRun& r : runs)
    for (size_t i = 0; i < r.epoch.size(); ++i)
      csv += fmt::format("{},{:g},{:.6g},{:.6g},{:.6g},{:.4g},{:.4g},{:.4g},{:.4g}\n", r.name, r.epoch[i], r.free[i],
                         r.clamped[i], r.autocorr[i], r.seconds[i], r.flips_per_ns[i], r.train_flips[i],
                         r.j_per_sample[i]);
  std::vector<std::string> files{(out / "study.csv").string()};
  write_file_atomic(files.back(), csv);
  auto plot = [&](const std::string& file, const std::string& title, const std::string& y_label,
                  std::vector<double> StudyRun::*series) {
    Plot p{title, "epoch", y_label, false, false, {}};
    for (const StudyRun& r : runs) p.series.push_back({r.name, r.epoch, r.*series});
    files.push_back((out / file).string());
    write_plot_png(files.back(), p);
  };
  plot("quality-free.png", "Free generation quality per epoch", metric, &StudyRun::free);
  plot("quality-clamped.png", "Label-clamped generation quality per epoch", metric, &StudyRun::clamped);
  plot("autocorr.png", "Max long-lag autocorrelation per epoch", "autocorrelation", &StudyRun::autocorr);
  return files;
}

// Each run's last scored epoch in one mode (free or clamped), where the scaling fit takes its points.
struct ScalingPoint {
  std::string config;
  double train_flips, fd, j_per_sample;
};

std::vector<ScalingPoint> last_epochs(const std::vector<StudyRun>& runs, std::vector<double> StudyRun::*fd) {
  std::vector<ScalingPoint> points;
  for (const StudyRun& r : runs)
    for (size_t i = r.epoch.size(); i-- > 0;)
      if (std::isfinite((r.*fd)[i])) {
        points.push_back({r.name, r.train_flips[i], (r.*fd)[i], r.j_per_sample[i]});
        break;
      }
  std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.j_per_sample < b.j_per_sample; });
  return points;
}

// The flips a config's whole training takes (the trainer's own count), without training it.
double training_flips(const DtmConfig& config) {
  const size_t images = config.data.train_images == 0 ? kFashionMnistTrainImages
                                                      : std::min(config.data.train_images, kFashionMnistTrainImages);
  return epoch_flips(Dtm(config), images) * config.training.epochs;
}

// One mode's power law through the runs' last epochs and its prediction at `target_flips` (0 = none),
// drawn in scaling-MODE.png with every epoch of every run.
json mode_scaling(const std::filesystem::path& out, const std::vector<StudyRun>& runs, const std::string& metric,
                  const std::string& mode, double target_flips, std::vector<std::string>& files) {
  auto series = mode == "free" ? &StudyRun::free : &StudyRun::clamped;
  const std::vector<ScalingPoint> points = last_epochs(runs, series);
  json report{{"points", json::array()}, {"fit", nullptr}, {"prediction", nullptr}};
  std::vector<double> x, y;
  for (const ScalingPoint& p : points) {
    report["points"].push_back(
        {{"config", p.config}, {"train_flips", p.train_flips}, {"fd", p.fd}, {"j_per_sample", p.j_per_sample}});
    x.push_back(p.train_flips), y.push_back(p.fd);
  }
  Plot curve{mode + " quality against training compute", "training flips", metric, true, true, {}};
  for (const StudyRun& r : runs) curve.series.push_back({r.name, r.train_flips, r.*series});
  // Runs of one size and length (a seed study) have no compute axis to fit along.
  const bool fittable = points.size() >= 3 &&
                        *std::min_element(x.begin(), x.end()) < *std::max_element(x.begin(), x.end()) &&
                        *std::min_element(y.begin(), y.end()) > 0;
  if (fittable) {
    const PowerLawFit fit = fit_power_law(x, y);
    report["fit"] = {{"a", std::exp(fit.log_a)}, {"b", fit.b}, {"se_b", fit.se_b},
                     {"residual_sd_log", fit.residual_sd}, {"points", fit.points}};
    double x_end = *std::max_element(x.begin(), x.end());
    if (target_flips > 0) {
      const PowerLawPrediction at = predict(fit, target_flips, 0.9);
      report["prediction"] = {{"value", at.value}, {"low", at.low}, {"high", at.high}, {"level", at.level}};
      curve.series.push_back({"target (predicted, 90 %)", {target_flips, target_flips, target_flips},
                              {at.low, at.value, at.high}});
      x_end = std::max(x_end, target_flips);
    }
    const double x_begin = *std::min_element(x.begin(), x.end());
    curve.series.push_back({fmt::format("fit: FD ~ C^{:.2f}", fit.b), {x_begin, x_end},
                            {predict(fit, x_begin, 0.9).value, predict(fit, x_end, 0.9).value}});
  }
  files.push_back((out / ("scaling-" + mode + ".png")).string());
  write_plot_png(files.back(), curve);
  return report;
}

// The scaling fits of free and clamped FD against training flips and, with a target config, their
// predictions there; energy-quality.png puts the runs on the paper's Fig. 1 axes.
json scaling_report(const std::filesystem::path& out, const std::vector<StudyRun>& runs, const std::string& metric,
                    const std::string& target, const std::optional<DtmConfig>& target_config,
                    std::vector<std::string>& files) {
  const double target_flips = target_config ? training_flips(*target_config) : 0;
  json report{{"x", "cumulative training flips"},
              {"y", metric + " at each run's last scored epoch"},
              {"target", target_config ? json{{"config", target}, {"name", target_config->name},
                                              {"train_flips", target_flips}}
                                       : json(nullptr)}};
  Plot frontier{"Energy per sample against quality (last epochs)", "J per sample (TSU model)", metric, true, false, {}};
  for (const std::string mode : {"free", "clamped"}) {
    report[mode] = mode_scaling(out, runs, metric, mode, target_flips, files);
    Series s{mode, {}, {}};
    for (const json& p : report[mode]["points"])
      s.x.push_back(p["j_per_sample"].get<double>()), s.y.push_back(p["fd"].get<double>());
    frontier.series.push_back(std::move(s));
  }
  files.push_back((out / "energy-quality.png").string());
  write_plot_png(files.back(), frontier);
  return report;
}

}  // namespace

json dtm_generate(const DtmGenerateOptions& args) {
  const Dtm dtm = Dtm::load(checkpoint_path(args.model));
  const auto& config = dtm.config();
  const auto out = prepare_dir(args.out);
  const AnnealingEnds beta = annealing_ends(config, args.beta_start, args.beta_end);
  json report{{"model", args.model},
              {"epochs", dtm.epochs_done()},
              {"seed", args.seed},
              {"beta", {{"start", beta.start}, {"end", beta.end}}}};
  for (const std::string mode : {"free", "clamped"}) {
    if (args.mode != "both" && args.mode != mode) continue;
    if (mode == "clamped" && config.data.encoding.label_spots == 0) {
      if (args.mode == "clamped") throw Error("--mode clamped: the model has no label variables");
      continue;
    }
    GenerateOptions options;
    options.samples = args.n;
    options.seed = args.seed;
    options.sweeps = args.sweeps;
    options.beta_start = args.beta_start, options.beta_end = args.beta_end;
    options.threads = args.threads;
    options.trajectory = args.trajectory;
    if (mode == "clamped") options.labels = balanced_labels(args.n, config.data.encoding.classes);
    const auto g = generate(dtm, options, [&](double done, double total) {
      if (args.progress) args.progress(mode, done, total);
    });
    save_samples_npy((out / ("samples-" + mode + ".npy")).string(), config, g);
    if (mode == "clamped") save_labels_npy((out / "labels-clamped.npy").string(), options.labels);
    const int per_class = std::min(10, args.n / config.data.encoding.classes);
    if (mode == "clamped" && per_class > 0) {
      // One row per class: the first `per_class` samples of each.
      Generated rows = g;
      rows.x.clear();
      const int per_label = args.n / config.data.encoding.classes;
      for (int c = 0; c < config.data.encoding.classes; ++c)
        for (int i = 0; i < per_class; ++i) {
          const auto first = g.x.begin() + std::ptrdiff_t(size_t(c * per_label + i) * size_t(g.bits));
          rows.x.insert(rows.x.end(), first, first + g.bits);
        }
      rows.samples = per_class * config.data.encoding.classes;
      write_sample_grid((out / "grid-clamped.png").string(), config, rows, rows.samples, per_class);
    } else {
      write_sample_grid((out / ("grid-" + mode + ".png")).string(), config, g, 100, 10);
    }
    if (args.trajectory > 0) write_trajectory_grid((out / ("trajectory-" + mode + ".png")).string(), config, g);
    report[mode] = counters_json(g.counters);
  }
  write_file_atomic((out / "generate.json").string(), report.dump(1) + "\n");
  return report;
}


json dtm_eval(const DtmEvalOptions& args) {
  const ml::Metric& metric = args.metric;
  const Dtm dtm = Dtm::load(checkpoint_path(args.model));
  const auto& config = dtm.config();
  const auto train = load_fashion_mnist(Split::Train, config.data.dir, config.eval.reference_images);
  const QualityEvaluator evaluator(config, train, metric);
  json report{{"model", args.model}, {"metric", evaluator.metric()}, {"reference", evaluator.reference_count()}};
  if (!args.samples.empty()) {
    const NpyArray a = read_samples_npy(args.samples, image_side(config));
    std::vector<float> images(a.bytes.size());
    for (size_t i = 0; i < images.size(); ++i) images[i] = float(uint8_t(a.bytes[i])) / 255.0f;
    report["samples"] = args.samples;
    report["count"] = a.shape[0];
    report["value"] = evaluator.score_images(images, a.shape[0]);
  } else {
    GenerateOptions options;
    options.samples = args.n > 0 ? args.n : config.eval.samples;
    options.seed = args.seed;
    report["count"] = options.samples;
    report["free"] = evaluator.score(generate(dtm, options));
    if (config.data.encoding.label_spots > 0) {
      options.labels = balanced_labels(options.samples, config.data.encoding.classes);
      report["clamped"] = evaluator.score(generate(dtm, options));
    }
    report["epochs"] = dtm.epochs_done();
  }
  report["note"] = evaluator.metric() == "fd_pixel"
                       ? "stand-in: Frechet distance of pixel intensities, not the paper's FID (see docs/dtm.md)"
                       : "Frechet distance in the Fashion-MNIST classifier's feature space";
  return report;
}


int dtm_train(const DtmTrainOptions& options) {
  DtmConfig config = load_dtm_config(options.config);
  if (options.threads >= 0) config.threads = options.threads;
  if (options.epochs >= 0) config.training.epochs = options.epochs;
  RunHooks hooks;
  hooks.metric = options.metric;
  hooks.progress = options.progress;
  hooks.epoch_done = options.epoch_done;
  return run_training(config, options.out, hooks);
}

json dtm_study(const DtmStudyOptions& options) {
  const auto out = prepare_dir(options.out);
  std::vector<DtmConfig> configs;  // every config read before the first one trains
  for (const std::string& path : options.configs) configs.push_back(load_dtm_config(path));
  const std::optional<DtmConfig> target =
      options.target.empty() ? std::nullopt : std::optional<DtmConfig>(load_dtm_config(options.target));
  std::vector<StudyRun> runs;
  json report{{"metric", options.metric ? "fd_classifier" : "fd_pixel"}, {"runs", json::array()}};
  for (size_t k = 0; k < configs.size(); ++k) {
    const std::string dir = (out / configs[k].name).string();
    if (options.config_started) options.config_started(options.configs[k], dir, configs[k].training.epochs);
    const int epochs = dtm_train({options.configs[k], dir, options.threads, -1, options.metric, options.progress,
                                  options.epoch_done});
    runs.push_back(read_study_run(configs[k].name, dir));
    report["runs"].push_back({{"config", options.configs[k]}, {"dir", dir}, {"epochs", epochs}});
  }
  std::vector<std::string> files = write_study_outputs(out, runs, report["metric"]);
  report["scaling"] = scaling_report(out, runs, report["metric"], options.target, target, files);
  files.push_back((out / "study.json").string());
  report["files"] = files;
  write_file_atomic(files.back(), report.dump(1) + "\n");
  return report;
}

}  // namespace tsu::api
