// tsu dtm: denoising thermodynamic models on Fashion-MNIST (arXiv:2510.23972).
//   tsu dtm train --config FILE --out DIR       train (resumes from DIR/checkpoint.bin)
//   tsu dtm generate --model DIR --n N --out DIR2   ancestral sampling: .npy samples and PNG grids
//   tsu dtm eval --model DIR [--samples FILE.npy]    quality metric of samples (generated if not given)
//   tsu dtm study --config A --config B .. --out DIR  train several configs, tabulate and plot per epoch
//   tsu dtm coverage --model DIR --out DIR2          per-class precision/recall, sweeps, mixing between modes
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <memory>

#include "api/dtm.hpp"
#include "api/neural.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "util/files.hpp"
#include "ml/evaluate.hpp"
#include "ml/run.hpp"
#include "interrupt.hpp"
#include "progress.hpp"

namespace tsu::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace tsu::ml;

std::string quality_text(const json& line) {
  if (!line.contains("quality")) return "";
  const auto& q = line["quality"];
  std::string text = fmt::format(", {} free {:.2f}", q["metric"].get<std::string>(), q["free"].get<double>());
  if (q.contains("clamped")) text += fmt::format(" clamped {:.2f}", q["clamped"].get<double>());
  return text;
}

// --classifier SCALE: score with the Fashion-MNIST classifier's features (src/baselines/metric.hpp),
// trained once and cached, instead of the pixel stand-in. Held for the whole command.
struct ClassifierArgs {
  std::string scale;  // "" = the pixel stand-in
  std::string cache;  // "" = $TSU_CACHE, else ~/.cache/tsu
};

void add_classifier_options(CLI::App& cmd, ClassifierArgs& args) {
  cmd.add_option("--classifier", args.scale,
                 "Score with the classifier features of this scale (tiny, demo, full) instead of fd_pixel")
      ->check(CLI::IsMember({"tiny", "demo", "full"}));
  cmd.add_option("--cache", args.cache, "Classifier cache folder (default $TSU_CACHE or ~/.cache/tsu)");
}

// The ends of generation's beta annealing; unset = the model's config.
void add_beta_options(CLI::App& cmd, std::optional<double>& start, std::optional<double>& end) {
  cmd.add_option("--beta-start", start, "Beta at the first sweep of every step (default: the config's)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--beta-end", end, "Beta at the last sweep of every step (default: the config's)")
      ->check(CLI::PositiveNumber);
}

// The metric of --classifier (empty for the pixel stand-in). Training the classifier, the first time
// a scale is used, takes a minute or more: that is said before it starts.
ml::Metric use_classifier(const ClassifierArgs& args, bool quiet) {
  if (args.scale.empty()) return {};
  if (!quiet) fmt::print("metric: fd_classifier of scale {} (loads it from the cache, or trains it there first)\n", args.scale);
  const auto c = api::classifier_metric(args.scale, args.cache, 0, step_progress(!quiet && stderr_is_terminal()));
  if (!quiet) fmt::print("metric: {} (test accuracy {:.4f})\n", c.path, c.test_accuracy);
  return c.metric;
}

struct TrainArgs {
  std::string config, out;
  int threads = -1;
  int epochs = -1;
  bool quiet = false;
  ClassifierArgs classifier;
};

// What training prints: a progress line on a terminal, and one line per epoch.
class EpochPrinter {
 public:
  EpochPrinter(bool quiet, int epochs) : quiet_(quiet), epochs_(epochs), line_(!quiet && stderr_is_terminal(), epochs, "flips/ns", 1e-9) {}

  void progress(int epoch, double done, double total) { line_.update(epoch, done, total); }

  void epoch_done(const json& line) {
    line_.clear();
    if (quiet_) return;
    const json& ac = line["max_autocorr"];
    fmt::print("epoch {}/{}: {:.1f} s, {:.3g} flips/ns, lr {:.4g}{}{}\n", line["epoch"].get<int>(), epochs_,
               line["seconds"].get<double>(), line["flips_per_ns"].get<double>(), line["learning_rate"].get<double>(),
               ac.is_null() ? "" : fmt::format(", max autocorr {:.4f}", ac.get<double>()), quality_text(line));
    std::fflush(stdout);
  }

 private:
  bool quiet_;
  int epochs_;
  EpochProgress line_;
};

// `metric` scores the evaluated epochs (the pixel stand-in when empty).
void run_train(const TrainArgs& args, const ml::Metric& metric) {
  const int epochs = args.epochs >= 0 ? args.epochs : load_dtm_config(args.config).training.epochs;
  prepare_out_dir(args.out);
  EpochPrinter printer(args.quiet, epochs);
  api::DtmTrainOptions o{args.config, args.out, args.threads, args.epochs, metric, {}, {}};
  o.progress = [&](int epoch, double done, double total) { printer.progress(epoch, done, total); };
  o.epoch_done = [&](const json& line) { printer.epoch_done(line); };
  const int done = api::dtm_train(o);
  if (!args.quiet) fmt::print("{} epochs done; model in {}\n", done, checkpoint_path(args.out));
}

struct GenerateArgs {
  api::DtmGenerateOptions options;
  bool quiet = false;
};

void run_generate(GenerateArgs& args) {
  prepare_out_dir(args.options.out);
  cli::Progress progress(!args.quiet && stderr_is_terminal(), 1.0);
  args.options.progress = [&](const std::string&, double done, double total) {
    progress.update(int64_t(done), int64_t(total));
  };
  const json report = api::dtm_generate(args.options);
  progress.finish();
  if (args.quiet) return;
  for (const std::string mode : {"free", "clamped"}) {
    if (!report.contains(mode)) continue;
    const json& c = report[mode];
    fmt::print("{}: {} samples, {} steps x {} sweeps in {:.1f} s ({:.3g} flips/ns)\n", mode, c["samples"].get<int64_t>(),
               c["steps"].get<int>(), c["sweeps_per_step"].get<int>(), c["seconds"].get<double>(),
               c["flips_per_ns"].get<double>());
  }
  fmt::print("wrote samples, grids and generate.json to {}\n", args.options.out);
}

struct EvalArgs {
  api::DtmEvalOptions options;
  std::string out;
  bool quiet = false;
  ClassifierArgs classifier;
};

void run_eval(EvalArgs& args) {
  args.options.metric = use_classifier(args.classifier, args.quiet);
  const json report = api::dtm_eval(args.options);
  if (!args.quiet) {
    const std::string metric = report["metric"];
    if (report.contains("value"))
      fmt::print("{} of {}: {:.3f}\n", metric, args.options.samples, report["value"].get<double>());
    else
      fmt::print("{} ({} samples, epoch {}): free {:.3f}{}\n", metric, report["count"].get<int>(),
                 report["epochs"].get<int>(), report["free"].get<double>(),
                 report.contains("clamped") ? fmt::format(", clamped {:.3f}", report["clamped"].get<double>()) : "");
  }
  if (!args.out.empty()) write_file_atomic(args.out, report.dump(1) + "\n");
}

struct StudyArgs {
  std::vector<std::string> configs;
  std::string out;
  int threads = -1;
  std::string target;
  bool quiet = false;
  ClassifierArgs classifier;
};

// The scaling fits and their predictions, as study.json holds them.
void print_scaling(const json& scaling) {
  for (const std::string mode : {"free", "clamped"}) {
    const json& m = scaling[mode];
    if (m["fit"].is_null()) {
      fmt::print("scaling, {}: no fit ({} scored runs; it needs 3 of more than one training compute)\n", mode,
                 m["points"].size());
      continue;
    }
    const json& fit = m["fit"];
    fmt::print("scaling, {}: FD = {:.4g} C^({:.3f} +- {:.3f}) over {} runs' last epochs (C = training flips)\n", mode,
               fit["a"].get<double>(), fit["b"].get<double>(), fit["se_b"].get<double>(), fit["points"].get<int>());
    if (m["prediction"].is_null()) continue;
    const json& p = m["prediction"];
    fmt::print("scaling, {}: {} ({:.3g} training flips) predicted FD {:.3g}, {:.0f} % interval {:.3g} .. {:.3g}\n", mode,
               scaling["target"]["name"].get<std::string>(), scaling["target"]["train_flips"].get<double>(),
               p["value"].get<double>(), 100 * p["level"].get<double>(), p["low"].get<double>(),
               p["high"].get<double>());
  }
}

// Trains every config into OUT/<config name> (resuming), then tabulates and plots their logs side by
// side: the training-stability experiment (MEBM vs DTM vs DTM + ACP) and the degree ablation of
// docs/dtm.md are `tsu dtm study` over configs/dtm/study/.
void run_study(const StudyArgs& args) {
  api::DtmStudyOptions o{args.configs, args.out, args.threads, args.target,
                         use_classifier(args.classifier, args.quiet), {}, {}, {}};
  std::unique_ptr<EpochPrinter> printer;
  o.config_started = [&](const std::string& path, const std::string& dir, int epochs) {
    printer.reset();
    if (!args.quiet) fmt::print("== {} -> {}\n", path, dir);
    printer = std::make_unique<EpochPrinter>(args.quiet, epochs);
  };
  o.progress = [&](int epoch, double done, double total) { printer->progress(epoch, done, total); };
  o.epoch_done = [&](const json& line) { printer->epoch_done(line); };
  const json report = api::dtm_study(o);
  printer.reset();
  if (args.quiet) return;
  print_scaling(report["scaling"]);
  fmt::print("wrote study.json, study.csv, quality-free.png, quality-clamped.png, autocorr.png, "
             "scaling-{{free,clamped}}.png, energy-quality.png to {}\n", args.out);
}

struct CoverageArgs {
  api::DtmCoverageOptions options;
  bool quiet = false;
};

void run_coverage(CoverageArgs& args) {
  prepare_out_dir(args.options.out);
  args.options.progress = step_progress(!args.quiet && stderr_is_terminal());
  args.options.log = [quiet = args.quiet](const std::string& line) {
    if (!quiet) fmt::print("{}\n", line);
    stop_if_interrupted();
  };
  const json report = api::dtm_coverage(args.options);
  if (!args.quiet) fmt::print("wrote {}\n", report["files"]["report"].get<std::string>());
}

}  // namespace

void add_dtm_command(CLI::App& app) {
  auto* dtm = app.add_subcommand("dtm", "Denoising thermodynamic models on Fashion-MNIST (train, generate, eval)");
  dtm->require_subcommand(1);
  dtm->footer(
      "Examples:\n"
      "  tsu dtm train --config configs/dtm/demo.json --out out/demo\n"
      "  tsu dtm generate --model out/demo --n 1000 --out out/demo/gen\n"
      "  tsu dtm eval --model out/demo --samples out/demo/gen/samples-free.npy");

  auto train = std::make_shared<TrainArgs>();
  auto* t = dtm->add_subcommand("train", "Train a DTM; a folder with a checkpoint resumes where it stopped");
  t->add_option("--config", train->config, "Run configuration (JSON, e.g. configs/dtm/tiny.json)")->required();
  t->add_option("--out", train->out, "Output folder: checkpoint.bin, log.jsonl, config.json, samples/")->required();
  t->add_option("--threads", train->threads, "Worker threads (0 = every core; overrides the config)")
      ->check(at_least(0));
  t->add_option("--epochs", train->epochs, "Train to this many epochs (overrides the config)")->check(at_least(0));
  t->add_flag("--quiet", train->quiet, "No progress line and no per-epoch lines");
  add_classifier_options(*t, train->classifier);
  t->callback([train] { run_train(*train, use_classifier(train->classifier, train->quiet)); });

  auto gen = std::make_shared<GenerateArgs>();
  auto* g = dtm->add_subcommand("generate", "Ancestral sampling from a trained DTM");
  g->add_option("--model", gen->options.model, "Training output folder (holds checkpoint.bin)")->required();
  g->add_option("--n", gen->options.n, "Samples per mode")->capture_default_str()->check(at_least(1));
  g->add_option("--out", gen->options.out, "Output folder: samples-*.npy, grid-*.png, trajectory-*.png, generate.json")
      ->required();
  g->add_option("--mode", gen->options.mode, "free (labels sampled), clamped (labels held, classes balanced) or both")
      ->capture_default_str()
      ->check(CLI::IsMember({"free", "clamped", "both"}));
  g->add_option("--seed", gen->options.seed, "Seed of the noise and the chains")->capture_default_str();
  g->add_option("--sweeps", gen->options.sweeps, "Sweeps per step (0 = the config's)")->check(at_least(0));
  add_beta_options(*g, gen->options.beta_start, gen->options.beta_end);
  g->add_option("--threads", gen->options.threads, "Threads (0 = the config's)")->check(at_least(0));
  g->add_option("--trajectory", gen->options.trajectory, "Denoising trajectories drawn in trajectory-*.png")
      ->capture_default_str()
      ->check(at_least(0));
  g->add_flag("--quiet", gen->quiet, "No progress and no summary");
  g->callback([gen] { run_generate(*gen); });

  auto eval = std::make_shared<EvalArgs>();
  auto* e = dtm->add_subcommand("eval", "Quality of samples: Frechet distance to the binarised training set");
  e->add_option("--model", eval->options.model, "Training output folder (holds checkpoint.bin)")->required();
  e->add_option("--samples", eval->options.samples, "samples-*.npy from tsu dtm generate (default: generate eval.samples)");
  e->add_option("--n", eval->options.n, "Samples to generate when no --samples (0 = the config's eval.samples)")
      ->check(at_least(0));
  e->add_option("--seed", eval->options.seed, "Seed when generating")->capture_default_str();
  e->add_option("--out", eval->out, "Also write the report to this JSON file");
  e->add_flag("--quiet", eval->quiet, "No summary");
  add_classifier_options(*e, eval->classifier);
  e->callback([eval] { run_eval(*eval); });

  auto study = std::make_shared<StudyArgs>();
  auto* st = dtm->add_subcommand("study", "Train several configs and compare them per epoch (CSV and plots)");
  st->add_option("--config", study->configs, "A run configuration (repeat; e.g. configs/dtm/study/*.json)")
      ->required();
  st->add_option("--out", study->out, "Output folder: one run folder per config, study.csv, *.png")->required();
  st->add_option("--threads", study->threads, "Worker threads (0 = every core)")->check(at_least(0));
  st->add_option("--target", study->target,
                 "A config, not trained, at whose training flips the scaling fits predict free and clamped FD "
                 "(e.g. configs/dtm/paper.json)");
  st->add_flag("--quiet", study->quiet, "No per-epoch lines");
  add_classifier_options(*st, study->classifier);
  st->callback([study] { run_study(*study); });

  auto coverage = std::make_shared<CoverageArgs>();
  auto& co = coverage->options;
  auto* c = dtm->add_subcommand("coverage",
                                "Where samples fall short of the data: per-class precision/recall against sweeps, and "
                                "the noisiest step's mixing between modes");
  c->add_option("--model", co.model, "Training output folder (holds checkpoint.bin)")->required();
  c->add_option("--out", co.out, "Output folder: coverage.json, quality-sweeps.png, modes.png")->required();
  c->add_option("--classifier", co.classifier, "The classifier's scale (tiny, demo, full)")
      ->capture_default_str()
      ->check(CLI::IsMember({"tiny", "demo", "full"}));
  c->add_option("--cache", co.cache, "Classifier cache folder (default $TSU_CACHE or ~/.cache/tsu)");
  c->add_option("--n", co.samples, "Samples per mode and sweeps value (a multiple of 10)")->capture_default_str();
  c->add_option("--sweeps", co.sweeps, "Sweeps per step to score, e.g. --sweeps 25 100 400 (default: the config's)");
  add_beta_options(*c, co.beta_start, co.beta_end);
  c->add_option("--mode-chains", co.mode_chains, "Chains of the mode-mixing run (0 = none)")
      ->capture_default_str()
      ->check(at_least(0));
  c->add_option("--snapshots", co.snapshots, "Snapshots of the noisiest step per chain")
      ->capture_default_str()
      ->check(at_least(2));
  c->add_option("--every", co.every, "Sweeps between snapshots")->capture_default_str()->check(at_least(1));
  c->add_option("--seed", co.seed, "Seed of the samples and the reference")->capture_default_str();
  c->add_option("--threads", co.threads, "Threads (0 = the config's)")->check(at_least(0));
  c->add_flag("--quiet", coverage->quiet, "No progress and no summary");
  c->callback([coverage] { run_coverage(*coverage); });
}

}  // namespace tsu::cli
