#include "ml/run.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <optional>
#include <sstream>

#include "util/files.hpp"
#include "ml/evaluate.hpp"
#include "ml/generate.hpp"

namespace tsu::ml {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The sample grid of one epoch's evaluation; `kind` is "free" or "clamped".
std::string sample_grid_path(const std::string& out_dir, int epoch, const char* kind) {
  return (fs::path(out_dir) / "samples" / fmt::format("epoch-{:04}-{}.png", epoch, kind)).string();
}

// The model to continue: the folder's checkpoint when it has one (made from the same config), else new.
Dtm resume_or_start(const DtmConfig& config, const std::string& dir) {
  const auto path = checkpoint_path(dir);
  if (!fs::exists(path)) return Dtm(config);
  Dtm dtm = Dtm::load(path);
  dtm.continue_with(config, path);
  return dtm;
}

json step_json(int k, const StepReport& s) {
  return json{{"step", k},
              {"autocorr", s.autocorrelation},
              {"tc_lambda", s.tc_lambda},
              {"tc_lambda_next", s.tc_lambda_next},
              {"grad_rms", s.grad_rms},
              {"weight_rms", s.weight_rms},
              {"bias_rms", s.bias_rms},
              {"seconds", s.seconds},
              {"flips", s.flips}};
}

// One evaluated sample's price on the config's TSU device (the hw accounting; DTM §3.4).
json sample_energy_json(const DtmConfig& cfg, const SamplingCounters& counters) {
  const hw::EnergyReport r = tsu_sample_energy(hw::device_preset(cfg.eval.device), cfg.graph.rule, counters);
  return {{"device", cfg.eval.device},
          {"j_per_sample", r.e_total},
          {"j_per_step", r.e_step},
          {"s_per_sample", r.t_total},
          {"sweeps_per_step", counters.sweeps_per_step}};
}

// Free and (with labels) clamped samples of the current model: their quality, and sample grids.
json evaluate_epoch(const Dtm& dtm, const QualityEvaluator& evaluator, const std::string& out_dir) {
  const auto& cfg = dtm.config();
  const int epoch = dtm.epochs_done();
  json out{{"metric", evaluator.metric()}, {"samples", cfg.eval.samples}, {"reference", evaluator.reference_count()}};
  prepare_dir((fs::path(out_dir) / "samples").string());
  GenerateOptions free;
  free.samples = cfg.eval.samples;
  free.seed = derive(cfg.seed, Purpose::EvalFree, {uint64_t(epoch)});
  const auto g = generate(dtm, free);
  out["free"] = evaluator.score(g);
  write_sample_grid(sample_grid_path(out_dir, epoch, "free"), cfg, g, 100, 10);
  if (cfg.data.encoding.label_spots > 0) {
    GenerateOptions clamped = free;
    clamped.seed = derive(cfg.seed, Purpose::EvalClamped, {uint64_t(epoch)});
    clamped.labels = balanced_labels(cfg.eval.samples, cfg.data.encoding.classes);
    const auto gc = generate(dtm, clamped);
    out["clamped"] = evaluator.score(gc);
    write_sample_grid(sample_grid_path(out_dir, epoch, "clamped"), cfg, gc, 100, 10);
  }
  out["seconds"] = g.counters.seconds;
  out["energy"] = sample_energy_json(cfg, g.counters);
  return out;
}

}  // namespace

std::string checkpoint_path(const std::string& out_dir) { return (fs::path(out_dir) / "checkpoint.bin").string(); }
std::string log_path(const std::string& out_dir) { return (fs::path(out_dir) / "log.jsonl").string(); }

int run_training(const DtmConfig& config, const std::string& out_dir, const RunHooks& hooks) {
  prepare_dir(out_dir);
  const std::string config_path = (fs::path(out_dir) / "config.json").string();
  remove_abandoned_temporaries({checkpoint_path(out_dir), config_path, log_path(out_dir)});  // of a killed run
  Dtm dtm = resume_or_start(config, out_dir);
  remove_abandoned_temporaries_in((fs::path(out_dir) / "samples").string());  // of a grid a kill interrupted
  if (!fs::exists(checkpoint_path(out_dir))) dtm.save(checkpoint_path(out_dir));  // the untrained model, epoch 0
  write_file_atomic(config_path, to_json(config).dump(2) + "\n");
  trim_epoch_log(log_path(out_dir), dtm.epochs_done());
  const int last = hooks.stop_after >= 0 ? std::min(hooks.stop_after, config.training.epochs) : config.training.epochs;
  if (dtm.epochs_done() >= last) return dtm.epochs_done();

  const size_t reference = config.eval.every > 0 ? config.eval.reference_images : 0;
  const size_t limit = config.data.train_images == 0 ? 0 : std::max(config.data.train_images, reference);
  const ImageSet train = load_fashion_mnist(Split::Train, config.data.dir, limit);
  const ImageSet test = load_fashion_mnist(Split::Test, config.data.dir, size_t(config.mixing.images));
  const TrainingData data = make_training_data(config, train, test);
  std::optional<QualityEvaluator> evaluator;
  if (config.eval.every > 0) evaluator.emplace(config, train, hooks.metric);

  while (dtm.epochs_done() < last) {
    const int epoch = dtm.epochs_done() + 1;
    const EpochReport report = train_epoch(dtm, data, [&](double done, double total) {
      if (hooks.progress) hooks.progress(epoch, done, total);
    });
    json line{{"epoch", report.epoch},
              {"seconds", report.seconds},
              {"flips", report.flips},
              {"flips_per_ns", report.seconds > 0 ? report.flips / report.seconds * 1e-9 : 0.0},
              {"learning_rate", report.learning_rate}};
    double max_autocorr = 0;
    for (int k = 0; k < dtm.steps(); ++k) {
      line["steps"].push_back(step_json(k, report.steps[size_t(k)]));
      if (report.steps[size_t(k)].autocorrelation > max_autocorr)
        max_autocorr = report.steps[size_t(k)].autocorrelation;
    }
    line["max_autocorr"] = config.mixing.enabled ? json(max_autocorr) : json(nullptr);
    if (evaluator && (epoch % config.eval.every == 0 || epoch == config.training.epochs))
      line["quality"] = evaluate_epoch(dtm, *evaluator, out_dir);
    // The log before the checkpoint: a kill between the two leaves it one line ahead, trimmed on resume.
    append_line_atomic(log_path(out_dir), line.dump());
    dtm.save(checkpoint_path(out_dir));
    if (hooks.epoch_done) hooks.epoch_done(line);
  }
  return dtm.epochs_done();
}

void trim_epoch_log(const std::string& path, int epochs_done) {
  if (!fs::exists(path)) return;
  std::istringstream in(read_file(path));
  std::string kept, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const json entry = json::parse(line, nullptr, false);
    // A line cut short by a kill, or one past the checkpoint, ends what is kept.
    if (entry.is_discarded() || !entry.is_object() || entry.value("epoch", 0) > epochs_done) break;
    kept += line + "\n";
  }
  write_file_atomic(path, kept);
}

}  // namespace tsu::ml
