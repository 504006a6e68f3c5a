// The configuration of a DTM run (configs/dtm/*.json). Every field has a default (the replication's
// Fig. 5b settings where it has one); unknown fields and bad values are Errors naming the file and
// the field, e.g. "configs/dtm/x.json: training.batch: must be >= 1, got 0".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ml/encoding.hpp"
#include "ml/forward.hpp"
#include "ml/optim.hpp"
#include "ml/step_graph.hpp"
#include "sample/engine.hpp"

namespace tsu::ml {

enum class LabelNoise { Binary, Categorical };

struct DtmConfig {
  std::string name = "dtm";
  uint64_t seed = 1;
  int threads = 0;  // 0 = every core; results do not depend on it

  struct Data {
    std::string dir;          // "" = fashion_mnist_dir()
    size_t train_images = 0;  // 0 = the whole training split
    int pool = 1;             // average-pool the 28 x 28 images by this factor first
    Encoding encoding;        // pixels follow from pool
    bool tied_trials = false;  // grey_units "tied": a pixel's trials share a site (paper); "untied" (replication)
  } data;

  GridSpec graph;

  struct Diffusion {
    int steps = 8;  // T; 1 is a monolithic EBM (MEBM)
    ScheduleKind schedule = ScheduleKind::Log;
    double linear_end = 4.0;  // t_T of the linear schedule
    double offset = 0.15;     // training noise offset delta (replication; 0 = paper form)
    double image_rate = 0.9;
    double label_rate = 0.2;
    LabelNoise label_noise = LabelNoise::Binary;  // binary: each label bit alone; categorical: the class jumps
  } diffusion;

  struct Training {
    int epochs = 150;
    int batch = 400;
    Schedule chain{400, 50, 8};  // per phase: warmup sweeps, observations, sweeps between them
    // The negative phase (input clamped, everything else free). Fresh chains start every batch
    // from the biases, so a step learns what `chain` sweeps from there reach (a short-run sampler);
    // persistent chains carry their states from batch to batch (PCD), inputs re-clamped, so the
    // negative moments come from chains that have run the whole training long. PCD is sound for
    // the noisiest step, whose input coupling is 0 (an unconditional model of the noised data);
    // elsewhere a persistent state belongs to another batch's input.
    enum class Persistent { None, Noisiest, All };
    struct Negative {
      Persistent persistent = Persistent::None;
      bool persists(int step, int steps) const {
        return persistent == Persistent::All || (persistent == Persistent::Noisiest && step == steps - 1);
      }
      std::optional<Schedule> chain;  // unset: training.chain
    } negative;
    const Schedule& negative_chain() const { return negative.chain ? *negative.chain : chain; }
    double beta = 1.0;
    double learning_rate = 0.016;
    int decay_epochs = 20;  // cosine decay length; 0 = constant
    double alpha = 0.18;    // final fraction of the learning rate
    AdamConfig adam;
  } training;

  // How the chains sample: every training phase, mixing measurement and generation runs the step's
  // model on the B-bit grid of graph/quantize.hpp (what a chip's B-bit DACs would hold), with the
  // fast backend's exact quantized kernels; the parameters themselves stay in float, so training
  // is quantization-aware. 0 = the fp32 rule on the float weights.
  struct Sampler {
    int bits = 0;
  } sampler;

  struct Penalty {
    double tc = 0;  // initial (without ACP: fixed) total-correlation strength
    AcpConfig acp{true, AcpVariant::Replication, 0.008, 0.001, 0.2};
  } penalty;

  struct Mixing {
    bool enabled = true;  // measured after every epoch (needed by ACP)
    int images = 64;      // test images, noised to each step's input time
    int chains_per_image = 16;
    Schedule chain{200, 800, 4};
    int dims = 32;  // random projection of the image variables
  } mixing;

  struct Generation {
    int sweeps = 800;         // per step; only the final state is kept
    double beta_start = 0.8;  // linear annealing over the sweeps (replication)
    double beta_end = 1.2;
  } generation;

  struct Eval {
    int every = 1;                    // epochs between quality evaluations (0 = never during training)
    int samples = 1000;               // free and clamped samples each
    size_t reference_images = 10000;  // binarised training images behind the reference statistics
    std::string device = "paper";     // hw device preset that prices each evaluated sample (hw/device.hpp)
  } eval;

  int visible() const { return data.encoding.bits(); }
  Tying tying() const { return data.tied_trials ? Tying{data.encoding.pixels, data.encoding.grey_levels} : Tying{}; }
  int visible_sites() const { return visible() - tying().groups * (tying().size - 1); }
};

// Parses a config document; `source` (a file name) prefixes every error.
DtmConfig parse_dtm_config(const nlohmann::json& doc, const std::string& source);
DtmConfig load_dtm_config(const std::string& path);
nlohmann::json to_json(const DtmConfig& config);

}  // namespace tsu::ml
