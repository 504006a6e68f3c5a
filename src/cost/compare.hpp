// The DTM-vs-GPU-generators report behind `tsu compare` (docs/compare.md): a list of models, each with
// its quality, energy per sample on its own hardware (TSU by the src/hw accounting, GPU by the ideal
// and roofline bounds, optionally measured), latency and dollars per million samples, turned into
//   compare.json  (schema docs/compare.schema.json, format "tsu-compare-v1"),
//   compare.png   (energy per sample, log axis, against Frechet distance; one series per family),
//   report.html   (self-contained: the tables, the plot and the sample grids as base64 data URIs),
// plus the energy ratio at matched quality (matched.hpp) of every other family to each DTM point.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cost/dollars.hpp"
#include "cost/fields.hpp"
#include "cost/gpu.hpp"
#include "cost/tsu.hpp"
#include "ml/quality.hpp"
#include "util/plot.hpp"

namespace tsu::cost {

struct Quality {
  double fd;  // Frechet distance in the metric's feature space, lower is better
  std::optional<double> precision, recall, label_accuracy;
  std::optional<double> coverage{};  // share of real points whose k-NN ball holds a sample (Naeem et al. 2020)
  std::optional<double> kid{};       // kernel distance (unbiased MMD^2) in the same features
  // 95 % bootstrap intervals over samples and reference (baselines/metric.hpp), when measured.
  std::optional<ml::Interval> fd_ci{}, precision_ci{}, recall_ci{}, coverage_ci{}, kid_ci{};
  std::vector<double> class_shares{};   // the classifier's label histogram of the samples; empty = none
  std::vector<double> fd_replicates{};  // the bootstrap replicates behind fd_ci, paired across models
};

// A point whose precision or recall is below this generates few images like the data, or covers
// almost none of it: it is marked failed and gives no matched-quality ratio or bound (ASSUMPTION: the
// threshold is tsu's own choice, not from a source).
inline constexpr double kFailedBelow = 0.05;
bool failed(const Quality& q);

struct ModelEnergy {  // J per sample
  double primary;     // what the plot and the first ratio use: TSU accounting, or the GPU roofline bound
  std::optional<double> ideal, roofline, measured;  // GPU bounds; NVML measurement
};

struct CompareModel {
  std::string family;    // "dtm", "vae", "gan", "diffusion", ...
  std::string name;      // unique in the report, e.g. "dtm-t8", "vae-small"
  std::string hardware;  // "tsu paper", "h100 bf16", ...
  Quality quality;
  ModelEnergy energy;
  double latency_s;        // per sample on its hardware
  Dollars usd_per_million;
  std::optional<double> flops, bytes, params;    // per sample (GPU generators)
  std::optional<double> cpu_seconds_per_sample;  // measured wall time on this machine's CPU
  std::string sample_grid;                       // PNG file (path as the caller can open it); "" = none
  // What priced it, so that the sensitivity analysis (sensitivity.hpp) can price it again: a GPU
  // generator's inputs, or a DTM generation's counters and connection rule.
  std::optional<GpuInputs> gpu_inputs{};
  std::optional<ml::SamplingCounters> tsu_counters{};
  std::string tsu_rule{};
};

// A GPU generator priced by `tsu cost gpu`'s bounds: primary = roofline; flops and bytes per sample.
CompareModel gpu_compare_model(const std::string& family, const std::string& name, const std::string& hardware,
                               const GpuInputs& inputs, const Quality& quality);
// A DTM priced on a TSU (family "dtm"), remembering its counters and rule for repricing.
CompareModel tsu_compare_model(const std::string& name, const std::string& hardware, const TsuSampleCost& cost,
                               const Quality& quality);
CompareModel tsu_compare_model(const std::string& name, const hw::Device& device, const std::string& rule,
                               const ml::SamplingCounters& counters, const TsuInputs& inputs, const Quality& quality);

// Held-out real images scored like a model: the quality a perfect generator would reach with the
// same number of samples (the FD of real data against the reference is not 0). They cost nothing to
// generate, so they have no energy: a line in the plot, the first row of the tables.
struct DataFloor {
  std::string name;  // e.g. "test-images"
  int images = 0;
  Quality quality;
  std::string sample_grid;  // PNG file; "" = none
};

struct CompareRun {
  std::string title;                                  // e.g. "tsu compare, scale small"
  std::string metric;                                 // e.g. "fd_classifier"
  nlohmann::json settings = nlohmann::json::object(); // free-form: scale, seeds, sample counts
  Sources assumptions;                                // input key -> value and source (prices, presets)
  std::vector<CompareModel> models;
  std::string reference_family = "dtm";               // the family the ratios are taken against
  std::optional<DataFloor> data_floor;
  // The pricing context of the sensitivity analysis: the TSU device and chip, the GPU preset and
  // precision. Without a device no sensitivity is computed.
  std::optional<hw::Device> device{};
  TsuInputs tsu_inputs{};
  std::string gpu{}, precision{};
};

// When the family's curve stops short of the reference's quality, the ratio can still be bounded
// without extrapolating. If the reference is better than the family's best point (FD q_b, energy E_b),
// the reference reaches q_b too, at no more than its own energy: at FD q_b the ratio is at least
// E_b / reference energy. If the reference is worse than all of the family's curve, the family's
// cheapest frontier point already reaches it: at the reference's FD the ratio is at most E / reference.
struct RatioLimit {
  std::string kind;  // "at_least" or "at_most"
  double value;      // the bound on family energy / reference energy
  double at_fd;      // the quality at which the bound holds
};

struct MatchedRatio {
  std::string reference;  // model name in the reference family
  double reference_fd;
  double reference_energy;
  std::string family;
  std::string bound;  // "primary", "ideal", "roofline", "measured"
  std::optional<double> family_energy;  // J per sample at reference_fd; empty = not comparable
  std::optional<double> ratio;          // family_energy / reference_energy (of the same bound: see docs)
  std::optional<RatioLimit> limit;      // only when not comparable and a one-sided bound exists
  std::string note;
  // From the paired bootstrap replicates of every model's FD: the ratio's 95 % interval, when the
  // ratio is defined in at least 95 % of the replicates.
  std::optional<ml::Interval> ratio_ci;
};

// The working (not failed) model of `family` with the lowest FD; nullptr when there is none.
const CompareModel* best_working(const CompareRun& run, const std::string& family);

// For every reference-family model, every other family and every energy bound that family reports;
// failed points (see kFailedBelow) are left out of every family's curve.
std::vector<MatchedRatio> matched_ratios(const CompareRun& run);

// The answer first, in sentences: the best working DTM point with its interval and energy, the floor,
// and for every other family its best working point, how it compares on quality (intervals apart or
// overlapping) and its energy ratio (or bound) at the DTM's quality; then the caveats that hold for
// every run. Empty without a working DTM point.
std::vector<std::string> verdict(const CompareRun& run);
std::vector<std::string> caveats(const CompareRun& run);

// Throws tsu::Error naming the model and field on a missing name, a repeated name, a non-finite or
// negative number, or a non-positive primary energy.
void validate_run(const CompareRun& run);

nlohmann::json compare_json(const CompareRun& run);  // validates
Plot compare_plot(const CompareRun& run);
// Reads the PNGs; `sensitivity_png_path` may be "" (no tornado chart).
std::string report_html(const CompareRun& run, const std::string& plot_png_path,
                        const std::string& sensitivity_png_path = "");

struct CompareFiles {
  std::string json, png, html, sensitivity_png;  // sensitivity.png only when there is a sensitivity
};

// Writes compare.json, compare.png, sensitivity.png (when the run has a headline and a device) and
// report.html into `dir` (which must exist), each atomically.
CompareFiles write_compare_report(const std::string& dir, const CompareRun& run);

}  // namespace tsu::cost
