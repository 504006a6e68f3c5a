// tsu compare's work (api/neural.hpp): the DTM on a TSU against neural generators on a GPU, at
// matched quality (docs/compare.md). At a chosen scale it trains (or resumes, or loads) the metric's
// classifier, the DTM and the baselines, generates from each, scores every model with the same metric
// in the same run, prices each on its hardware, and writes compare.json, compare.png and report.html.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <memory>

#include "api/neural.hpp"
#include "baselines/generator.hpp"
#include "baselines/metric.hpp"
#include "hw/device.hpp"
#include "ml/evaluate.hpp"
#include "util/image.hpp"
#include "ml/run.hpp"
#include "sample/npy.hpp"
#include "api/neural/entry.hpp"
#include "util/files.hpp"

namespace tsu::api::neural {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// What a scale trains and how many samples it scores. Each family gets one point per baseline scale
// (a curve over model sizes, as in the paper's Fig. 1) and the DTM one per sweep fraction.
struct Scale {
  std::string name;
  std::string dtm_config;                    // shipped DTM config
  std::vector<std::string> baseline_scales;  // configs/baselines/FAMILY-SCALE.json
  int samples;                               // per model; 10 classes, balanced
};

const std::vector<Scale>& scales() {
  // full: the paper's 5,120 samples, 512 per class (DTM §4.4).
  static const std::vector<Scale> all = {{"tiny", "configs/dtm/tiny.json", {"tiny"}, 200},
                                         {"demo", "configs/dtm/demo.json", {"tiny", "demo"}, 1000},
                                         {"full", "configs/dtm/paper.json", {"tiny", "demo", "full"}, 5120}};
  return all;
}

const Scale& scale_named(const std::string& name) {
  for (const Scale& s : scales())
    if (s.name == name) return s;
  throw Error(fmt::format("--scale: unknown scale '{}' (tiny, demo or full)", name));
}

// DTM generation sweeps (and diffusion sampling steps) as fractions of the config's: fewer cost less
// and score worse, which draws the family's own quality/energy curve.
constexpr double kSweepFractions[] = {0.25, 0.5, 1.0};

// The caller's log, one formatted line per step.
class Reporter {
 public:
  explicit Reporter(const CompareOptions& o) : log_(o.log), progress_(o.progress) {}
  template <class... T>
  void line(fmt::format_string<T...> format, T&&... args) const {
    if (log_) log_(fmt::format(format, std::forward<T>(args)...));
  }
  const StepProgress& progress() const { return progress_; }

 private:
  std::function<void(const std::string&)> log_;
  StepProgress progress_;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

cost::Quality quality_of(const baselines::QualityReport& r) {
  cost::Quality q{r.fd, r.precision, r.recall, r.label_accuracy};
  q.coverage = r.coverage, q.kid = r.kid;
  q.fd_ci = r.fd_ci, q.precision_ci = r.precision_ci, q.recall_ci = r.recall_ci, q.coverage_ci = r.coverage_ci;
  q.kid_ci = r.kid_ci, q.class_shares = r.class_shares, q.fd_replicates = r.fd_replicates;
  return q;
}

// The first 100 samples, 10 per row; label-clamped ones as one row per class (the first 10 of each).
void write_grid(const std::string& path, std::span<const float> images, int count, int side,
                std::span<const int> labels = {}) {
  const size_t pixels = size_t(side * side);
  std::vector<float> shown;
  if (labels.empty()) {
    shown.assign(images.begin(), images.begin() + long(size_t(std::min(count, 100)) * pixels));
  } else {
    for (int c = 0; c < ml::kFashionMnistClasses; ++c)
      for (size_t i = 0, taken = 0; i < labels.size() && taken < 10; ++i)
        if (labels[i] == c) shown.insert(shown.end(), images.begin() + long(i * pixels), images.begin() + long((i + 1) * pixels)), ++taken;
  }
  write_png(path, image_grid(shown, int(shown.size() / pixels), side, side, 10));
}

// Everything one run shares: the metric, the GPU and TSU pricing inputs, the output folder.
struct Context {
  const CompareOptions& args;
  const Scale& scale;
  int samples;
  fs::path out;
  Reporter report;
  const baselines::Classifier& classifier;
  const baselines::QualityMetric& metric;
  cost::Sources sources;  // the run's assumptions
  cost::GpuInputs gpu;    // flops and bytes filled per model
  hw::Device device;
  cost::TsuInputs tsu;
};

// The real-data floor: the first samples / 10 held-out test images of each class, binarised as the
// reference is, scored like a model.
cost::DataFloor data_floor(Context& cx) {
  const ml::ImageSet test = ml::load_fashion_mnist(ml::Split::Test);
  const std::vector<float> images = baselines::held_out_images(test, size_t(cx.samples / 10));
  const size_t count = images.size() / size_t(test.pixels_per_image());
  cost::DataFloor floor{"test-images", int(count), quality_of(cx.metric.evaluate(images, count)),
                        (cx.out / "test-images.png").string()};
  write_grid(floor.sample_grid, images, int(count), test.rows);
  cx.report.line("{:<22} FD {:8.3f}  (real data: the floor)", floor.name, floor.quality.fd);
  return floor;
}

std::vector<cost::CompareModel> dtm_models(Context& cx) {
  const std::string dir = cx.args.dtm.empty() ? (cx.out / "dtm").string() : cx.args.dtm;
  if (cx.args.dtm.empty()) {
    ml::DtmConfig config = ml::load_dtm_config(find_shipped_file(cx.scale.dtm_config));
    if (cx.args.threads > 0) config.threads = cx.args.threads;
    cx.report.line("dtm: training {} into {} ({} epochs; resumes if interrupted)", cx.scale.dtm_config, dir,
                   config.training.epochs);
    ml::RunHooks hooks;
    hooks.metric = cx.classifier.metric();  // the DTM's own per-epoch evaluation scores with it too
    ml::run_training(config, dir, hooks);
  }
  const ml::Dtm dtm = ml::Dtm::load(ml::checkpoint_path(dir));
  const ml::DtmConfig& config = dtm.config();
  const int side = ml::image_side(config);
  std::vector<cost::CompareModel> models;
  for (double fraction : kSweepFractions) {
    const int sweeps = std::max(1, int(std::lround(fraction * config.generation.sweeps)));
    for (const bool clamped : {false, true}) {
      if (clamped && (config.data.encoding.label_spots == 0 || fraction != 1.0)) continue;
      ml::GenerateOptions options;
      options.samples = cx.samples;
      options.seed = cx.args.seed;
      options.sweeps = sweeps;
      options.threads = cx.args.threads;
      if (clamped) options.labels = ml::balanced_labels(cx.samples, config.data.encoding.classes);
      const ml::Generated g = ml::generate(dtm, options);
      const std::vector<float> images = ml::decode_images(config.data.encoding, g.x, size_t(g.samples));
      const auto quality = cx.metric.evaluate(images, size_t(g.samples), side, options.labels);
      const std::string name = fmt::format("dtm-k{}{}", sweeps, clamped ? "-clamped" : "");
      cost::CompareModel m =
          cost::tsu_compare_model(name, cx.device, config.graph.rule, g.counters, cx.tsu, quality_of(quality));
      m.cpu_seconds_per_sample = g.counters.seconds / g.samples;
      m.sample_grid = (cx.out / (name + ".png")).string();
      write_grid(m.sample_grid, images, g.samples, side, options.labels);
      cx.report.line("{:<22} FD {:8.3f}  {:.3g} J/sample on the TSU  ({:.3g} s CPU/sample)", name, quality.fd,
                     m.energy.primary, *m.cpu_seconds_per_sample);
      models.push_back(std::move(m));
    }
  }
  return models;
}

// The GPU pricing of one generated sample: its exact FLOPs, activation traffic, and the weights read
// once per batch (every sampling step of a diffusion model reads them again).
cost::GpuInputs gpu_inputs_for(const cost::GpuInputs& base, const baselines::NetCost& c) {
  cost::GpuInputs in = base;
  in.flops = c.flops();
  in.bytes = c.activation_bytes();
  in.weight_bytes = c.param_bytes();
  return in;
}

cost::CompareModel baseline_model(Context& cx, baselines::Generator& gen, const std::string& name) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<float> images = gen.sample(size_t(cx.samples), cx.args.seed);
  const double cpu_seconds = seconds_since(start) / cx.samples;
  const auto quality = cx.metric.evaluate(images, size_t(cx.samples));
  const baselines::NetCost net = gen.sample_cost();
  cost::CompareModel m = cost::gpu_compare_model(gen.config().family, name,
                                                 fmt::format("{} {}", cx.args.gpu, cx.args.precision),
                                                 gpu_inputs_for(cx.gpu, net), quality_of(quality));
  m.params = gen.params();
  m.cpu_seconds_per_sample = cpu_seconds;
  m.sample_grid = (cx.out / (name + ".png")).string();
  write_grid(m.sample_grid, images, cx.samples, 28);
  cx.report.line("{:<22} FD {:8.3f}  {:.3g} J/sample on the GPU (roofline; ideal {:.3g})  {:.3g} FLOP/sample",
                 name, quality.fd, m.energy.primary, m.energy.ideal.value_or(NAN), net.flops());
  return m;
}

// The first `count` images of an --extra samples file as intensities: [n, 28, 28] or [n, 784] of floats
// in [0, 1] or of integers 0/1. Errors name the file (and the option's model).
std::vector<float> extra_images(const api::ExtraModel& extra, size_t count) {
  const NpyArray a = read_npy(extra.samples);
  const auto where = [&] { return fmt::format("--extra {}: {}", extra.name, extra.samples); };
  const bool shaped = (a.shape.size() == 3 && a.shape[1] == 28 && a.shape[2] == 28) ||
                      (a.shape.size() == 2 && a.shape[1] == 784);
  if (!shaped) throw Error(fmt::format("{}: shape must be [n, 28, 28] or [n, 784]", where()));
  if (a.shape[0] < count)
    throw Error(fmt::format("{}: {} images, the comparison scores {} of every model", where(), a.shape[0], count));
  std::vector<float> images(count * 784);
  const bool integer = !npy_is_float(a.dtype);
  for (size_t i = 0; i < images.size(); ++i) {
    const double v = npy_value(a, i);
    if (!(v >= 0 && v <= 1) || (integer && v != 0 && v != 1))
      throw Error(fmt::format("{}: value {} at element {}: {}", where(), v, i,
                              integer ? "integer pixels must be 0 or 1" : "intensities must be in [0, 1]"));
    images[i] = float(v);
  }
  return images;
}

// The --extra models, scored from `extra_sets[i]`, the checked images of extra i (read before anything trains).
std::vector<cost::CompareModel> extra_models(Context& cx, const std::vector<std::vector<float>>& extra_sets) {
  std::vector<cost::CompareModel> models;
  for (size_t e = 0; e < cx.args.extras.size(); ++e) {
    const api::ExtraModel& extra = cx.args.extras[e];
    const std::vector<float>& images = extra_sets[e];
    const auto quality = cx.metric.evaluate(images, size_t(cx.samples));
    cost::GpuInputs in = cx.gpu;
    in.flops = extra.flops, in.bytes = extra.bytes, in.weight_bytes = extra.weight_bytes;
    cost::CompareModel m = cost::gpu_compare_model(extra.name, extra.name,
                                                   fmt::format("{} {}", cx.args.gpu, cx.args.precision), in,
                                                   quality_of(quality));
    m.sample_grid = (cx.out / (extra.name + ".png")).string();
    write_grid(m.sample_grid, images, cx.samples, 28);
    cx.report.line("{:<22} FD {:8.3f}  {:.3g} J/sample on the GPU (roofline; ideal {:.3g}; --extra)", extra.name,
                   quality.fd, m.energy.primary, m.energy.ideal.value_or(NAN));
    models.push_back(std::move(m));
  }
  return models;
}

// A diffusion model samples with 1/4, 1/2 and all of its sampling steps (fewer steps: cheaper and
// worse, its own quality/energy curve); other families have one way to sample (0 = as configured).
std::vector<int> sampling_steps_of(const baselines::GeneratorConfig& config) {
  if (config.family != "diffusion") return {0};
  const int all = config.sampling_steps > 0 ? config.sampling_steps : config.steps;
  std::vector<int> steps;
  for (double fraction : kSweepFractions) {
    const int s = std::max(1, int(std::lround(fraction * all)));
    if (steps.empty() || s != steps.back()) steps.push_back(s);
  }
  return steps;
}

std::vector<cost::CompareModel> family_models(Context& cx, const std::string& family) {
  std::vector<cost::CompareModel> models;
  for (const std::string& bscale : cx.scale.baseline_scales) {
    baselines::GeneratorConfig config =
        baselines::load_generator_config(baselines::generator_config_path(family, bscale));
    if (cx.args.threads > 0) config.threads = cx.args.threads;
    const std::string dir = (cx.out / config.name).string();
    const std::string images = config.train_images ? fmt::format("{}", config.train_images) : "all";
    if (family == "bernoulli")
      cx.report.line("{}: fitting {} (class means of {} training images)", family, config.name, images);
    else if (family == "mixture")
      cx.report.line("{}: fitting {} ({} Bernoulli images per class, {} EM iterations on {} training images)", family,
                     config.name, config.components, config.epochs, images);
    else
      cx.report.line("{}: training {} ({} epochs; resumes if interrupted)", family, config.name, config.epochs);
    baselines::make_generator(config)->train(dir, cx.report.progress());
    for (const int steps : sampling_steps_of(config)) {
      baselines::GeneratorConfig sampler = config;
      sampler.sampling_steps = steps;
      auto gen = baselines::make_generator(sampler);
      gen->train(dir);  // already trained: loads the checkpoint
      models.push_back(baseline_model(cx, *gen, steps ? fmt::format("{}-s{}", config.name, steps) : config.name));
    }
  }
  return models;
}

}  // namespace

CompareResult run_compare(const CompareOptions& args) {
  const Scale& scale = scale_named(args.scale);
  const fs::path out = prepare_dir(args.out);
  remove_abandoned_temporaries_in(out.string());  // of a report or grid a kill interrupted
  const Reporter report(args);
  const int samples = args.samples > 0 ? args.samples : scale.samples;
  if (samples < 10 || samples % 10 != 0) throw Error(fmt::format("--samples: must be a multiple of 10 >= 10, got {}", samples));
  // Every baseline's config is found before the classifier and the DTM train, not hours later.
  for (const std::string& family : args.families)
    for (const std::string& bscale : scale.baseline_scales) baselines::generator_config_path(family, bscale);
  std::vector<std::vector<float>> extra_sets;  // and every --extra file is read and checked
  for (const api::ExtraModel& extra : args.extras) extra_sets.push_back(extra_images(extra, size_t(samples)));

  baselines::ClassifierConfig cconfig =
      baselines::load_classifier_config(baselines::classifier_config_path(scale.name));
  if (args.threads > 0) cconfig.threads = args.threads;
  const std::string cache = args.cache.empty() ? baselines::default_cache_dir() : args.cache;
  const auto classifier = baselines::Classifier::load_or_train(cache, cconfig, report.progress());
  report.line("metric: classifier {} (test accuracy {:.4f})", classifier.path(), classifier.test_accuracy());
  const ml::ImageSet train = ml::load_fashion_mnist(ml::Split::Train);
  if (args.bootstrap < 0) throw Error(fmt::format("--bootstrap: must be >= 0 replicates, got {}", args.bootstrap));
  const baselines::QualityMetric metric(classifier, train, samples / 10, args.seed, 3, args.bootstrap);

  Context cx{args, scale, samples, out, report, classifier, metric, {}, {}, hw::load_device(args.device), {}};
  const cost::GpuPreset& preset = cost::gpu_preset(args.gpu);
  cx.gpu = cost::gpu_inputs(preset, cost::parse_precision(args.precision), cx.sources);
  cx.gpu.batch = args.batch;
  cx.sources["batch"] = fmt::format("{:g}: ASSUMPTION, samples a GPU generates together (--batch)", args.batch);
  cx.tsu = cost::default_tsu_inputs(cx.sources);

  cost::CompareRun run;
  run.title = fmt::format("tsu compare, scale {}", scale.name);
  run.metric = "fd_classifier";
  run.settings = {{"scale", scale.name},
                  {"samples", samples},
                  {"seed", args.seed},
                  {"bootstrap_replicates", args.bootstrap},
                  {"classifier", {{"path", classifier.path()}, {"test_accuracy", classifier.test_accuracy()}}},
                  {"reference_images", metric.reference_count()},
                  {"gpu", args.gpu},
                  {"precision", args.precision},
                  {"device", cx.device.name}};
  run.data_floor = data_floor(cx);
  run.models = dtm_models(cx);
  for (const std::string& family : args.families) {
    auto models = family_models(cx, family);
    run.models.insert(run.models.end(), models.begin(), models.end());
  }
  const auto extras = extra_models(cx, extra_sets);
  run.models.insert(run.models.end(), extras.begin(), extras.end());
  run.assumptions = cx.sources;
  run.device = cx.device, run.tsu_inputs = cx.tsu, run.gpu = args.gpu, run.precision = args.precision;
  const cost::CompareFiles files = cost::write_compare_report(out.string(), run);
  return {std::move(run), files};
}


}  // namespace tsu::api::neural
