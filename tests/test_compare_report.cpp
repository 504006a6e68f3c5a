// The compare report (src/cost/compare, schema): compare.json validates against
// docs/compare.schema.json and broken documents do not; matched-quality ratios follow hand-made
// curves; compare.png is a 640 x 420 PNG with every family drawn; report.html carries the table rows,
// the plot and the sample grids.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "cost/compare.hpp"
#include "cost/sensitivity.hpp"
#include "json_schema.hpp"
#include "error_of.hpp"
#include "util/files.hpp"
#include "decode_png.hpp"
#include "util/image.hpp"
#include "util/plot.hpp"

using namespace tsu::cost;
using tsu::testing::schema_errors;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("tsu_compare_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

CompareModel model(const std::string& family, const std::string& name, double fd, double energy) {
  CompareModel m;
  m.family = family, m.name = name, m.hardware = family == "dtm" ? "tsu paper" : "h100 fp32";
  m.quality = {fd, std::nullopt, std::nullopt, std::nullopt};
  m.energy.primary = energy;
  m.latency_s = 1e-3;
  m.usd_per_million = {1, 2, 3};
  return m;
}

// VAE: log-linear from (10, 1e-3) to (20, 1e-5); GAN: one point at FD 30; DTM at FD 15 and 40.
CompareRun hand_made_run() {
  CompareRun run;
  run.title = "hand-made";
  run.metric = "fd_test";
  run.settings = {{"scale", "test"}};
  run.assumptions = {{"price_per_kwh", "0.08: H&C §4.2"}};
  run.models = {model("dtm", "dtm-a", 15, 1e-8), model("dtm", "dtm-b", 40, 1e-9), model("vae", "vae-big", 10, 1e-3),
                model("vae", "vae-small", 20, 1e-5), model("gan", "gan", 30, 1e-6)};
  run.models[2].energy.ideal = 1e-4, run.models[3].energy.ideal = 1e-6;
  run.models[2].quality.precision = 0.5;
  run.models[2].flops = 1e9, run.models[2].params = 1e6;
  return run;
}

json schema() { return json::parse(tsu::read_file(std::string(TSU_SOURCE_DIR) + "/docs/compare.schema.json")); }

}  // namespace

TEST(CompareReport, JsonValidatesAgainstTheDocumentedSchema) {
  const json doc = compare_json(hand_made_run());
  const std::vector<std::string> errors = schema_errors(schema(), doc);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(doc["format"], "tsu-compare-v1");
  EXPECT_EQ(doc["models"].size(), 5u);
  EXPECT_EQ(doc["models"][2]["quality"]["precision"], 0.5);
  EXPECT_TRUE(doc["models"][2]["quality"]["recall"].is_null());
  EXPECT_EQ(doc["models"][2]["energy_j"]["ideal"], 1e-4);
}

TEST(CompareReport, BrokenDocumentsFailValidation) {
  const json schema_doc = schema(), good = compare_json(hand_made_run());
  auto first_error = [&](const std::function<void(json&)>& breakage) {
    json doc = good;
    breakage(doc);
    const auto errors = schema_errors(schema_doc, doc);
    return errors.empty() ? std::string("(valid)") : errors.front();
  };
  EXPECT_EQ(first_error([](json& d) { d["models"][0]["quality"].erase("fd"); }),
            "/models/0/quality: missing required field \"fd\"");
  EXPECT_EQ(first_error([](json& d) { d.erase("matched_quality"); }), ": missing required field \"matched_quality\"");
  EXPECT_EQ(first_error([](json& d) { d["models"][1]["latency_s"] = "fast"; }),
            "/models/1/latency_s: expected \"number\", got string");
  EXPECT_EQ(first_error([](json& d) { d["models"][1]["energy_j"]["primary"] = -1; }),
            "/models/1/energy_j/primary: -1 is below the minimum 0");
  EXPECT_EQ(first_error([](json& d) { d["matched_quality"][0]["bound"] = "best"; }),
            "/matched_quality/0/bound: \"best\" is not one of [\"primary\",\"ideal\",\"roofline\",\"measured\"]");
  EXPECT_EQ(first_error([](json& d) { d["models"][0]["colour"] = "red"; }), "/models/0: unknown field \"colour\"");
  EXPECT_EQ(first_error([](json& d) { d["models"] = json::array(); }), "/models: 0 items, at least 1 needed");
  EXPECT_EQ(first_error([](json& d) { d["assumptions"]["x"] = 1; }), "/assumptions/x: expected \"string\", got number");
}

// DTM at FD 15 sits halfway (in log) between the VAE's points: 1e-4 J (primary) and 1e-5 J (ideal),
// so the ratios to its 1e-8 J are 1e4 and 1e3. The GAN's one point (FD 30) and the DTM at FD 40 are
// outside the other curves: not comparable, but bounded. dtm-a beats the GAN's best (FD 30, 1e-6 J),
// so at FD 30 the ratio is at least 1e-6 / 1e-8; dtm-b (FD 40, 1e-9 J) is worse than every VAE and
// GAN point, so the cheapest (VAE 1e-5 J, GAN 1e-6 J) bound the ratio from above at FD 40.
TEST(CompareReport, MatchedQualityRatiosFollowTheCurves) {
  const std::vector<MatchedRatio> ratios = matched_ratios(hand_made_run());
  auto find = [&](const std::string& ref, const std::string& family, const std::string& bound) {
    for (const MatchedRatio& r : ratios)
      if (r.reference == ref && r.family == family && r.bound == bound) return r;
    ADD_FAILURE() << ref << " " << family << " " << bound << " missing";
    return MatchedRatio{};
  };
  EXPECT_NEAR(*find("dtm-a", "vae", "primary").ratio, 1e4, 1e-6);
  EXPECT_NEAR(*find("dtm-a", "vae", "ideal").ratio, 1e3, 1e-7);
  EXPECT_FALSE(find("dtm-a", "gan", "primary").ratio);
  EXPECT_FALSE(find("dtm-b", "vae", "primary").family_energy);
  EXPECT_EQ(find("dtm-b", "gan", "primary").note.rfind("not comparable", 0), 0u);
  EXPECT_FALSE(find("dtm-a", "vae", "primary").limit);
  auto expect_limit = [&](const MatchedRatio& r, const std::string& kind, double value, double at_fd) {
    ASSERT_TRUE(r.limit) << r.reference << " " << r.family;
    EXPECT_EQ(r.limit->kind, kind);
    EXPECT_NEAR(r.limit->value, value, value * 1e-12);
    EXPECT_EQ(r.limit->at_fd, at_fd);
  };
  expect_limit(find("dtm-a", "gan", "primary"), "at_least", 100, 30);
  expect_limit(find("dtm-b", "vae", "primary"), "at_most", 1e4, 40);
  expect_limit(find("dtm-b", "vae", "ideal"), "at_most", 1e3, 40);
  expect_limit(find("dtm-b", "gan", "primary"), "at_most", 1e3, 40);
  const json doc = compare_json(hand_made_run());
  const json& first_limit = doc["matched_quality"][2]["ratio_limit"];  // dtm-a vs gan, primary
  EXPECT_EQ(first_limit["kind"], "at_least");
  EXPECT_EQ(first_limit["at_fd"], 30);
  EXPECT_EQ(ratios.size(), 2u * (2 + 1));  // per DTM point: vae primary + ideal, gan primary
}

TEST(CompareReport, InvalidModelsAreErrorsNamingModelAndField) {
  CompareRun run = hand_made_run();
  run.models[1].name = "dtm-a";
  EXPECT_EQ(error_of([&] { compare_json(run); }), "compare: model 'dtm-a' is listed twice");
  run = hand_made_run();
  run.models[3].energy.primary = 0;
  EXPECT_EQ(error_of([&] { compare_json(run); }), "compare: model 'vae-small': energy.primary: must be a finite number > 0, got 0");
  run = hand_made_run();
  run.models[2].energy.roofline = -1;
  EXPECT_EQ(error_of([&] { compare_json(run); }), "compare: model 'vae-big': energy.roofline: must be a finite number >= 0, got -1");
}

TEST(CompareReport, WritesThePlotAndASelfContainedHtmlReport) {
  const fs::path dir = temp_dir("report");
  CompareRun run = hand_made_run();
  run.models[0].sample_grid = (dir / "grid-dtm.png").string();
  tsu::write_png(run.models[0].sample_grid, tsu::image_grid(std::vector<float>(4 * 4 * 4, 1.0f), 4, 4, 4, 2));
  const CompareFiles files = write_compare_report(dir.string(), run);

  EXPECT_TRUE(schema_errors(schema(), json::parse(tsu::read_file(files.json))).empty());
  const tsu::Image image = decode_png(tsu::read_file(files.png));
  EXPECT_EQ(image.width, 640);
  EXPECT_EQ(image.height, 420);
  ASSERT_EQ(image.channels, 3);
  const std::string raw(image.pixels.begin(), image.pixels.end());
  for (size_t family = 0; family < 3; ++family) {  // dtm, vae, gan: each drawn in its palette colour
    const auto colour = tsu::series_colour(family);
    EXPECT_NE(raw.find(std::string(colour.begin(), colour.end())), std::string::npos) << family;
  }
  const tsu::Plot plot = compare_plot(run);
  EXPECT_TRUE(plot.log_y);
  ASSERT_EQ(plot.series.size(), 3u);
  EXPECT_EQ(plot.series[1].x, (std::vector<double>{10, 20}));  // the VAE's points, sorted by FD

  const std::string html = tsu::read_file(files.html);
  size_t rows = 0;
  for (size_t at = html.find("<tr class=\"model\">"); at != std::string::npos; at = html.find("<tr class=\"model\">", at + 1))
    ++rows;
  EXPECT_EQ(rows, run.models.size());
  for (const CompareModel& m : run.models) EXPECT_NE(html.find("<td>" + m.name + "</td>"), std::string::npos) << m.name;
  EXPECT_NE(html.find("<td>1e+04&times;</td>"), std::string::npos);  // the DTM-vs-VAE ratio
  size_t images = 0;
  for (size_t at = html.find("src=\"data:image/png;base64,iVBORw0KGgo"); at != std::string::npos;
       at = html.find("src=\"data:image/png;base64,iVBORw0KGgo", at + 1))
    ++images;
  EXPECT_EQ(images, 2u);  // the plot and the one sample grid, embedded
  fs::remove_all(dir);
}

// The real-data floor: in the JSON (schema-valid, null when absent), as a vertical line across the
// models' energies in the plot, as the first row of the table; a floor without a finite FD is refused.
TEST(CompareReport, TheRealDataFloorIsAJsonFieldALineAndTheFirstRow) {
  CompareRun run = hand_made_run();
  EXPECT_TRUE(compare_json(run)["data_floor"].is_null());
  run.data_floor = DataFloor{"test-images", 100, {4.5, 0.7, 0.8, 0.9}, ""};
  const json doc = compare_json(run);
  EXPECT_EQ(schema_errors(schema(), doc), std::vector<std::string>{});
  EXPECT_EQ(doc["data_floor"]["quality"]["fd"], 4.5);
  EXPECT_EQ(doc["data_floor"]["images"], 100);
  const tsu::Plot plot = compare_plot(run);
  ASSERT_EQ(plot.series.size(), 4u);
  EXPECT_EQ(plot.series.back().x, (std::vector<double>{4.5, 4.5}));
  EXPECT_EQ(plot.series.back().y, (std::vector<double>{1e-9 / 3, 1e-3 * 3}));  // beyond the cheapest and dearest model
  const fs::path dir = temp_dir("floor");
  const std::string html = tsu::read_file(write_compare_report(dir.string(), run).html);
  fs::remove_all(dir);
  EXPECT_LT(html.find("<tr class=\"floor\"><td>real data</td><td>test-images</td>"), html.find("<tr class=\"model\">"));
  run.data_floor->quality.fd = NAN;
  EXPECT_EQ(error_of([&] { compare_json(run); }), "compare: data_floor: quality.fd: must be a finite number >= 0, got nan");
}

TEST(CompareReport, GpuAndTsuModelsCarryTheirBounds) {
  Sources sources;
  GpuInputs in = gpu_inputs(gpu_preset("h100"), Precision::fp32, sources);
  in.flops = 1e9, in.bytes = 1e7;
  const CompareModel gpu = gpu_compare_model("vae", "vae", "h100 fp32", in, {30, {}, {}, {}});
  const GpuSampleCost c = compute_gpu(in);
  EXPECT_EQ(gpu.energy.primary, c.roofline_j);
  EXPECT_EQ(*gpu.energy.ideal, c.ideal_j);
  EXPECT_EQ(*gpu.bytes, 1e7);
  tsu::ml::SamplingCounters counters;
  counters.steps = 8, counters.sweeps_per_step = 250, counters.sites = 4900, counters.visible = 784;
  const TsuSampleCost t = tsu_sample_cost(tsu::hw::device_preset("paper"), "G12", counters, default_tsu_inputs(sources));
  const CompareModel dtm = tsu_compare_model("dtm", "tsu paper", t, {25, {}, {}, {}});
  EXPECT_EQ(dtm.family, "dtm");
  EXPECT_EQ(dtm.energy.primary, t.joules);
  EXPECT_EQ(dtm.latency_s, t.latency_s);
  EXPECT_FALSE(dtm.energy.ideal);
}

// A point with precision or recall below kFailedBelow is marked failed in the JSON and the table and
// gives no ratio or bound; a family whose every point failed says so.
TEST(CompareReport, FailedPointsGiveNoRatioOrBound) {
  CompareRun run = hand_made_run();
  run.models.push_back(model("bernoulli", "means", 60, 1e-6));
  run.models.back().quality.precision = 0.6, run.models.back().quality.recall = 0.004;
  run.models[4].quality.recall = 0.2;  // the GAN works
  const json doc = compare_json(run);
  EXPECT_EQ(schema_errors(schema(), doc), std::vector<std::string>{});
  EXPECT_EQ(doc["models"][5]["failed"], true);
  EXPECT_EQ(doc["models"][4]["failed"], false);
  for (const MatchedRatio& r : matched_ratios(run)) {
    if (r.family != "bernoulli") continue;
    EXPECT_FALSE(r.ratio);
    EXPECT_FALSE(r.limit);  // without the failed mark: at least 100x at FD 60 against dtm-a
    EXPECT_EQ(r.note, "every point of this family failed (precision or recall below 0.05): no ratio or bound");
  }
  run.models[4].quality.recall = 0.01;  // and a failed point within a family leaves the curve
  for (const MatchedRatio& r : matched_ratios(run)) {
    if (r.family == "gan") {
      EXPECT_FALSE(r.limit);
    }
  }
  const fs::path dir = temp_dir("failed");
  const std::string html = tsu::read_file(write_compare_report(dir.string(), run).html);
  fs::remove_all(dir);
  EXPECT_NE(html.find("<tr class=\"model failed\"><td>bernoulli</td><td>means <strong>(failed)</strong>"),
            std::string::npos);
}

// Intervals: the models' bootstrap intervals are JSON pairs; the ratio's interval comes from the
// paired FD replicates through the curve, on the log scale, and is withheld when the curve is out of
// range in more than 5 % of the replicates.
TEST(CompareReport, RatioIntervalsComeFromThePairedReplicates) {
  CompareRun run = hand_made_run();
  const int replicates = 200;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 1);
  for (CompareModel& m : run.models) {
    for (int b = 0; b < replicates; ++b) m.quality.fd_replicates.push_back(m.quality.fd + 0.5 * noise(rng));
    m.quality.fd_ci = tsu::ml::Interval{m.quality.fd - 1, m.quality.fd + 1};
  }
  run.models[0].quality.kid = 0.01;
  run.models[0].quality.class_shares = std::vector<double>(10, 0.1);
  const json doc = compare_json(run);
  EXPECT_EQ(schema_errors(schema(), doc), std::vector<std::string>{});
  EXPECT_EQ(doc["models"][0]["quality"]["fd_ci"], json::array({14, 16}));
  EXPECT_TRUE(doc["models"][0]["quality"]["recall_ci"].is_null());
  EXPECT_EQ(doc["models"][0]["quality"]["class_shares"].size(), 10u);
  const MatchedRatio vae = matched_ratios(run)[0];  // dtm-a (FD 15) vs the VAE, primary
  ASSERT_EQ(vae.family, "vae");
  ASSERT_TRUE(vae.ratio_ci);
  // log10 of the VAE's interpolated energy at FD q between its points (f1, -3) and (f2, -5) moves by
  // -0.2 per unit of q and +0.1 per unit of f1 and of f2 (at q = 15, f1 = 10, f2 = 20); each FD has sd
  // 0.5, so log10(ratio) has sd 0.5 sqrt(0.2^2 + 0.1^2 + 0.1^2) = 0.122 and the 95 % interval spans
  // 10^(+-0.240), within +-25 % with 200 replicates (the quantiles' own noise is about 7 %).
  const double half_width = 0.5 * std::log10(vae.ratio_ci->hi / vae.ratio_ci->lo);
  EXPECT_NEAR(half_width, 1.96 * 0.5 * std::sqrt(0.06), 0.25 * 0.240);
  EXPECT_LT(vae.ratio_ci->lo, *vae.ratio);
  EXPECT_GT(vae.ratio_ci->hi, *vae.ratio);
  EXPECT_EQ(doc["matched_quality"][0]["ratio_ci"].size(), 2u);
  // dtm-a at FD 15 against a VAE whose best point sits at 14.5 +- 0.5: often out of range.
  run.models[2].quality.fd = 14.5;
  for (int b = 0; b < replicates; ++b) run.models[2].quality.fd_replicates[size_t(b)] = 14.5 + 0.5 * noise(rng);
  const MatchedRatio edge = matched_ratios(run)[0];
  ASSERT_TRUE(edge.ratio);
  EXPECT_FALSE(edge.ratio_ci);
  EXPECT_NE(edge.note.find("bootstrap replicates"), std::string::npos) << edge.note;
  run.models[1].quality.fd_replicates.clear();  // a model without replicates: no ratio intervals at all
  for (const MatchedRatio& r : matched_ratios(run)) EXPECT_FALSE(r.ratio_ci);
}

// The verdict comes first: the best working DTM point, then each family's best point with its FD
// comparison and its ratio or bound at the DTM's quality; failed families say so; the caveats
// count the assumptions. The report shows both before the tables.
TEST(CompareReport, TheVerdictLeadsWithTheAnswer) {
  CompareRun run = hand_made_run();
  run.assumptions["chip_usd"] = "ASSUMPTION: $1,000 per chip";
  run.models.push_back(model("bernoulli", "means", 60, 1e-6));
  run.models.back().quality.recall = 0.004;
  const std::vector<std::string> lines = verdict(run);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "Best DTM point: dtm-a, FD 15 at 1e-08 J per sample on the modelled TSU (tsu paper).");
  EXPECT_EQ(lines[1], "vae: best vae-big, FD 10 (better on FD than the DTM); at the DTM's FD it needs 1e+04x the DTM's "
                      "energy per sample.");
  EXPECT_EQ(lines[2], "gan: best gan, FD 30 (worse on FD than the DTM); its energy per sample is at least 100x the "
                      "DTM's at FD 30 (a bound: the curves do not overlap).");
  EXPECT_EQ(lines[3], "bernoulli: every point failed (precision or recall below 0.05): no ratio or bound.");
  run.models[2].quality.fd_ci = tsu::ml::Interval{9, 16}, run.models[0].quality.fd_ci = tsu::ml::Interval{14, 17};
  EXPECT_NE(verdict(run)[1].find("FD 10 [9, 16] (indistinguishable on FD from the DTM)"), std::string::npos);
  const std::vector<std::string> notes = caveats(run);
  EXPECT_EQ(notes.back(), "1 of the 2 pricing inputs below are assumptions, not sourced constants.");
  const json doc = compare_json(run);
  EXPECT_EQ(doc["verdict"].size(), 4u);
  EXPECT_EQ(schema_errors(schema(), doc), std::vector<std::string>{});
  const fs::path dir = temp_dir("verdict");
  const std::string html = tsu::read_file(write_compare_report(dir.string(), run).html);
  fs::remove_all(dir);
  EXPECT_LT(html.find("<ul class=\"verdict\">\n<li>Best DTM point: dtm-a"), html.find("<h2>Models</h2>"));
  for (CompareModel& m : run.models) m.quality.recall = 0.01;  // nothing works: no verdict
  EXPECT_TRUE(verdict(run).empty());
}

// The sensitivity analysis reprices every model one input at a time: the headline is the smallest
// ratio against the best working DTM point, and each factor moves it the way its physics says (more
// TSU energy per update or more sweeps: a smaller ratio; a smaller GPU batch or lower utilisation:
// a larger one; the skeptic's ideal bf16 bound: a smaller one). Without a device there is none.
TEST(CompareReport, SensitivityRepricesOneInputAtATime) {
  Sources sources;
  const GpuInputs base = gpu_inputs(gpu_preset("h100"), Precision::fp32, sources);
  const auto gpu_model = [&](const std::string& family, const std::string& name, double fd, double flops) {
    GpuInputs in = base;
    in.flops = flops, in.bytes = 1e6, in.weight_bytes = 1e8, in.batch = 256;
    Quality q{fd, 0.5, 0.5, std::nullopt};
    return gpu_compare_model(family, name, "h100 fp32", in, q);
  };
  tsu::ml::SamplingCounters counters;
  counters.steps = 4, counters.sweeps_per_step = 100, counters.sites = 2500, counters.visible = 784;
  CompareRun run;
  run.title = "sensitivity";
  run.metric = "fd_test";
  run.device = tsu::hw::device_preset("paper");
  run.tsu_inputs = default_tsu_inputs(sources);
  run.gpu = "h100", run.precision = "fp32";
  run.models = {tsu_compare_model("dtm-k100", *run.device, "G12", counters, run.tsu_inputs, Quality{15, 0.8, 0.3, {}}),
                gpu_model("vae", "vae-big", 10, 1e9), gpu_model("vae", "vae-small", 20, 1e7)};
  const std::optional<Headline> h = headline(run);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->kind, "ratio");
  EXPECT_EQ(h->family, "vae");
  const std::vector<Sensitivity> factors = sensitivity(run);
  ASSERT_EQ(factors.size(), 7u);
  auto factor = [&](const std::string& name) {
    for (const Sensitivity& f : factors)
      if (f.factor == name) return f;
    ADD_FAILURE() << name;
    return Sensitivity{};
  };
  EXPECT_NEAR(*factor("TSU device").low.value, h->value, 1e-9 * h->value);  // the run's own device
  EXPECT_LT(*factor("TSU device").high.value, h->value);                   // z1: more energy per update
  EXPECT_GT(*factor("sweeps per step").low.value, h->value);
  EXPECT_LT(*factor("sweeps per step").high.value, h->value);
  EXPECT_GT(*factor("GPU utilisation").low.value, h->value);
  EXPECT_GT(*factor("batch").low.value, h->value);  // batch 1 reads the weights for every sample
  EXPECT_LE(*factor("batch").high.value, h->value);
  EXPECT_LT(*factor("GPU bound").high.value, h->value);
  const json doc = compare_json(run);
  EXPECT_EQ(schema_errors(schema(), doc), std::vector<std::string>{});
  EXPECT_EQ(doc["headline"]["family"], "vae");
  EXPECT_EQ(doc["sensitivity"].size(), 7u);
  const fs::path dir = temp_dir("sensitivity");
  const CompareFiles files = write_compare_report(dir.string(), run);
  EXPECT_TRUE(fs::exists(files.sensitivity_png));
  EXPECT_NE(tsu::read_file(files.html).find("<tr class=\"sensitivity\"><td>batch</td>"), std::string::npos);
  fs::remove_all(dir);
  run.device.reset();
  EXPECT_TRUE(sensitivity(run).empty());
}
