// tsu train: fits the weights of any model to data (api/train.hpp); writes DIR/model.json,
// DIR/train.json and DIR/checkpoint.ckpt, and resumes from the checkpoint when DIR has one.
#include <cmath>
#include <fmt/format.h>
#include <memory>

#include "api/train.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "progress.hpp"

namespace tsu::cli {

namespace {

struct TrainArgs {
  ModelArgs model;
  std::string data, out, method = "pcd";
  api::TrainOptions options;
  bool quiet = false;
};

std::string epoch_line(const ml::FitEpoch& e, int epochs) {
  std::string line = fmt::format("epoch {}/{}: {:.2f} s, lr {:.4g}, gradient rms {:.4g}, weight rms {:.4g}", e.epoch,
                                 epochs, e.seconds, e.learning_rate, e.gradient_rms, e.weight_rms);
  if (std::isfinite(e.reconstruction)) line += fmt::format(", reconstruction {:.4f}", e.reconstruction);
  if (std::isfinite(e.nll)) line += fmt::format(", exact NLL {:.5f}", e.nll);
  return line;
}

void run_train(TrainArgs& args) {
  const auto model = api::load(args.model);
  const ml::FitData data = api::fit_data(api::load_rows(args.data), args.data, *model);
  api::TrainOptions& o = args.options;
  o.fit.method = ml::parse_fit_method(args.method);
  o.out = args.out;
  const int epochs = o.fit.epochs;
  EpochProgress line(!args.quiet && stderr_is_terminal(), epochs, "batches/s", 1.0);
  o.progress = [&](int epoch, int64_t done, int64_t total) { line.update(epoch, double(done), double(total)); };
  o.epoch_done = [&](const ml::FitEpoch& e) {
    line.clear();
    if (!args.quiet) fmt::print("{}\n", epoch_line(e, epochs));
    std::fflush(stdout);
  };
  const api::TrainResult r = api::train(model, data, o);
  if (args.quiet) return;
  if (r.resumed_from > 0) fmt::print("resumed from epoch {} of {}\n", r.resumed_from, args.out);
  fmt::print("{} epochs done on {} rows of {} visible nodes ({} latent); wrote {}/model.json and train.json\n",
             r.epochs_done, data.count(), data.visible, model->size() - size_t(data.visible), args.out);
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  ml::FitConfig& fit = args->options.fit;
  auto* cmd = app.add_subcommand(
      "train", "Fit a model's weights to data (maximum likelihood: exact, CD-k or PCD gradients; the nodes after the "
               "data's columns are latent); a folder with a checkpoint resumes where it stopped");
  cmd->footer(
      "Examples:\n"
      "  tsu train rbm:784:64 --j-sigma 0.01 --data fashion-mnist:0 --out out/rbm --epochs 5\n"
      "  tsu train model.json --data rows.npy --out out/fit --method exact --batch 500");
  add_model_options(*cmd, args->model);
  cmd->add_option("--data", args->data,
                  "Training rows: FILE.npy of any integer dtype, [rows, visible] or [rows, ...] (spins -1/+1, or 0/1 "
                  "and 0/255 in unsigned arrays; categoricals 0..K-1), or fashion-mnist:CLASS[:POOL] for the "
                  "binarised training images of one class")
      ->required();
  cmd->add_option("--out", args->out, "Output folder: model.json, train.json, checkpoint.ckpt")->required();
  cmd->add_option("--method", args->method, "exact (enumeration, small models), cd (CD-k) or pcd (persistent chains)")
      ->capture_default_str()
      ->check(CLI::IsMember({"exact", "cd", "pcd"}));
  cmd->add_option("--k", fit.k, "Negative-phase Gibbs sweeps per batch")->capture_default_str()->check(at_least(1));
  cmd->add_option("--positive-sweeps", fit.positive_sweeps, "Sweeps drawing the latent nodes given a row")
      ->capture_default_str()
      ->check(at_least(1));
  cmd->add_option("--chains", fit.chains, "PCD's persistent chains")->capture_default_str()->check(at_least(1));
  cmd->add_option("--batch", fit.batch, "Rows per gradient step")->capture_default_str()->check(at_least(1));
  cmd->add_option("--epochs", fit.epochs, "Passes over the data")->capture_default_str()->check(at_least(0));
  cmd->add_option("--stop-after", args->options.stop_after,
                  "Stop once this many epochs are done; the same command later resumes to the end")
      ->check(at_least(0));
  cmd->add_option("--optimizer", fit.optimizer, "adam or sgd")
      ->capture_default_str()
      ->check(CLI::IsMember({"adam", "sgd"}));
  cmd->add_option("--lr", fit.learning_rate, "Learning rate at the first step (cosine decay to lr x --lr-floor)")
      ->capture_default_str();
  cmd->add_option("--lr-floor", fit.lr_floor, "The schedule's last learning rate as a fraction of --lr (1: constant)")
      ->capture_default_str();
  cmd->add_option("--weight-decay", fit.adam.weight_decay, "Decoupled weight decay per step, times the learning rate")
      ->capture_default_str();
  cmd->add_option("--seed", fit.seed, "Seed of every stream (results do not depend on --threads)")
      ->capture_default_str();
  cmd->add_option("--threads", fit.threads, "Worker threads (0 = every core)")->capture_default_str()->check(at_least(0));
  cmd->add_option("--backend", fit.backend, "Sampling backend")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "reference", "fast"}));
  cmd->add_flag("--quiet", args->quiet, "No progress line and no per-epoch lines");
  cmd->callback([args] { run_train(*args); });
}

}  // namespace tsu::cli
