// GPU and TSU energy per generated sample (src/cost/gpu, tsu, dollars, matched, nvml): the presets
// reproduce the reference's per-FLOP figures (H&C §3.1), the two bounds and the dollars match hand
// computation, the TSU accounting reproduces the DTM paper's per-sample energy (DTM §3.4), and the
// matched-quality interpolation handles points inside, outside and off the Pareto frontier.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cli_fixture.hpp"
#include "cost/dollars.hpp"
#include "cost/gpu.hpp"
#include "cost/matched.hpp"
#include "cost/nvml.hpp"
#include "cost/tsu.hpp"
#include "error_of.hpp"

using namespace tsu::cost;

namespace {

GpuInputs on(const std::string& gpu, Precision precision, double flops, double bytes) {
  Sources sources;
  GpuInputs in = gpu_inputs(gpu_preset(gpu), precision, sources);
  in.flops = flops, in.bytes = bytes;
  return in;
}

std::string input_error(const std::function<void()>& body) {
  try {
    body();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

// The paper's DTM (DTM §3.4): L = 70 (4,900 cells), K = 250 sweeps per step, every cell read out.
tsu::ml::SamplingCounters paper_counters(int steps) {
  tsu::ml::SamplingCounters c;
  c.steps = steps, c.sweeps_per_step = 250, c.sites = 4900, c.visible = 4900, c.samples = 1;
  return c;
}

TsuSampleCost paper_cost(int steps) {
  Sources sources;
  return tsu_sample_cost(tsu::hw::device_preset("paper"), "G12", paper_counters(steps), default_tsu_inputs(sources));
}

}  // namespace

// H&C §3.1 gives TDP / dense peak in pJ/FLOP to two digits; the ideal bound of 1 FLOP is exactly that.
TEST(CostGpu, PresetsReproduceTheReferenceEnergyPerFlop) {
  struct Row { const char* gpu; Precision p; double pj, digit; };
  for (const Row& row : {Row{"h100", Precision::bf16, 0.71, 0.01}, Row{"h100", Precision::fp32, 10.4, 0.1},
                         Row{"b200", Precision::bf16, 0.44, 0.01}, Row{"a100", Precision::bf16, 1.28, 0.01},
                         Row{"a100", Precision::fp32, 20.5, 0.1}, Row{"rtx3090", Precision::fp32, 9.8, 0.1}}) {
    const double pj = compute_gpu(on(row.gpu, row.p, 1, 0)).ideal_j * 1e12;
    EXPECT_LE(std::abs(pj - row.pj), row.digit / 2) << row.gpu << " " << precision_name(row.p) << ": " << pj;
  }
  const GpuPreset& h100 = gpu_preset("h100");
  EXPECT_EQ(h100.bandwidth, 3.35e12);
  EXPECT_EQ(h100.power_w, 700);
  EXPECT_EQ(gpu_preset("b200").bandwidth, 8e12);
  EXPECT_EQ(gpu_preset("a100").bandwidth, 2.039e12);
  EXPECT_EQ(gpu_preset("rtx3090").bandwidth, 936e9);
  EXPECT_EQ(gpu_preset("rtx3090").tf32, 35.6e12);
}

TEST(CostGpu, EveryPresetNumberHasASourceAndNonReferenceOnesSaySo) {
  for (const GpuPreset& g : gpu_presets()) {
    EXPECT_LE(g.fp32, g.tf32) << g.name;  // tensor cores at least match CUDA cores
    EXPECT_LE(g.tf32, g.bf16) << g.name;
    for (const char* key : {"fp32", "tf32", "bf16", "bandwidth", "power_w", "card_usd"}) {
      const std::string source = g.sources.at(key);
      const bool from_reference = source.starts_with("H&C") || source.starts_with("[D] H&C");
      const bool marked = source.find("not in H&C") != std::string::npos;
      EXPECT_TRUE(from_reference || marked) << g.name << " " << key << ": " << source;
    }
  }
  EXPECT_EQ(input_error([] { gpu_preset("v100"); }), "preset: unknown 'v100' (known: h100, b200, a100, rtx3090)");
  EXPECT_EQ(input_error([] { parse_precision("fp4"); }).rfind("precision: unknown 'fp4'", 0), 0u);
  Sources sources;  // FP8 where the GPU has it (H&C §3.1), an error naming the GPU where it has not
  EXPECT_EQ(gpu_inputs(gpu_preset("h100"), Precision::fp8, sources).peak_flops, 1979e12);
  EXPECT_EQ(gpu_inputs(gpu_preset("b200"), parse_precision("fp8"), sources).peak_flops, 4.5e15);
  EXPECT_EQ(input_error([&] { gpu_inputs(gpu_preset("a100"), Precision::fp8, sources); }),
            "precision: the a100 has no fp8 peak");
}

// 1 GFLOP and 10 MB per sample on an H100 at FP32: compute-bound.
TEST(CostGpu, BoundsMatchHandComputation) {
  const GpuSampleCost c = compute_gpu(on("h100", Precision::fp32, 1e9, 1e7));
  EXPECT_NEAR(c.ideal_j, 1e9 / 67e12 * 700, 1e-15);
  const double t_compute = 1e9 / (67e12 * 0.5), t_memory = 1e7 / (3.35e12 * 0.7);
  EXPECT_NEAR(c.t_compute, t_compute, 1e-18);
  EXPECT_NEAR(c.t_memory, t_memory, 1e-18);
  EXPECT_FALSE(c.memory_bound);
  EXPECT_NEAR(c.roofline_j, t_compute * 700, 1e-15);
  EXPECT_NEAR(c.latency_s, t_compute, 1e-18);
  EXPECT_NEAR(c.intensity, 100, 1e-9);
}

TEST(CostGpu, LowArithmeticIntensityIsBandwidthBound) {
  const GpuSampleCost c = compute_gpu(on("h100", Precision::bf16, 1e6, 1e8));  // 0.01 FLOP/byte
  EXPECT_TRUE(c.memory_bound);
  EXPECT_NEAR(c.roofline_j, 1e8 / (3.35e12 * 0.7) * 700, 1e-12);
  EXPECT_GT(c.roofline_j, 1000 * c.ideal_j);  // the ideal bound ignores memory traffic
}

TEST(CostGpu, IdealNeverExceedsRooflineAndWeightsAreSharedByTheBatch) {
  for (const GpuPreset& g : gpu_presets())
    for (Precision p : {Precision::fp32, Precision::tf32, Precision::bf16})
      for (double bytes : {0.0, 1e3, 1e6, 1e9}) {
        const GpuSampleCost c = compute_gpu(on(g.name, p, 1e8, bytes));
        EXPECT_LE(c.ideal_j, c.roofline_j) << g.name << " " << precision_name(p) << " " << bytes;
      }
  GpuInputs in = on("a100", Precision::fp32, 1e6, 1e5);
  in.weight_bytes = 1e9, in.batch = 100;
  const GpuSampleCost c = compute_gpu(in);
  EXPECT_DOUBLE_EQ(c.bytes_moved, 1e5 + 1e7);
  EXPECT_DOUBLE_EQ(c.latency_s, 100 * c.t_sample);
  EXPECT_DOUBLE_EQ(c.samples_per_s, 1 / c.t_sample);
}

TEST(CostGpu, InvalidInputsNameTheField) {
  Sources sources;
  const GpuInputs required = gpu_inputs(gpu_preset("h100"), Precision::fp32, sources);
  EXPECT_EQ(input_error([&] { compute_gpu(required); }), "flops: must be a finite number, got nan");
  GpuInputs in = on("h100", Precision::fp32, 1, 1);
  in.u_mem = 1.5;
  EXPECT_EQ(input_error([&] { compute_gpu(in); }), "u_mem: must be in (0, 1], got 1.5");
}

// 36 J at $0.1/kWh is $1e-6; $31,557,600 over a one-year life busy all the time is $1/s.
TEST(CostDollars, EnergyAndAmortisationPerMillionSamples) {
  const DollarInputs in{0.1, 365.25 * 86400, 1, 1};
  const Dollars d = dollars_per_million(in, 36, 1e-6);
  EXPECT_NEAR(d.energy_usd, 1, 1e-12);
  EXPECT_NEAR(d.hardware_usd, 1, 1e-12);
  EXPECT_NEAR(d.total_usd, 2, 1e-12);
  EXPECT_NEAR(dollars_per_million({0.1, 365.25 * 86400, 2, 0.5}, 0, 1e-6).hardware_usd, 1, 1e-12);
  EXPECT_EQ(input_error([] { dollars_per_million({0.1, 1, 1, 0}, 1, 1); }), "utilization: must be in (0, 1], got 0");
  EXPECT_EQ(input_error([] { dollars_per_million({0.1, 1, 1, 1}, -1, 1); }),
            "joules_per_sample: must be >= 0, got -1");
}

// DTM §3.4: "≈1.6·T nJ per sample" (App. D.4) at L = 70, K = 250, G12; "≈13 nJ" at T = 8. The
// figures are rounded to two significant digits, so the model must lie within half a unit of them.
TEST(CostTsu, PaperConfigReproducesThePublishedEnergyPerSample) {
  const TsuSampleCost one = paper_cost(1), eight = paper_cost(8);
  EXPECT_LE(std::abs(one.joules - 1.6e-9), 0.05e-9) << one.joules;
  EXPECT_LE(std::abs(eight.joules - 13e-9), 0.5e-9) << eight.joules;
  EXPECT_DOUBLE_EQ(eight.joules, 8 * one.joules);
  // DTM §3.5 [D]: 2 colours x 100 ns per sweep, K = 250: 50 us per step, 0.4 ms per sample.
  EXPECT_NEAR(eight.latency_s, 0.4e-3, 1e-12);
  EXPECT_EQ(eight.arrays, 51);  // floor(250,000 / 4,900)
  EXPECT_NEAR(eight.seconds_per_sample, 0.4e-3 / 51, 1e-15);
  // DTM §4.1 [D]: the GPU parity point ~1e-4 J per sample is ~10^4 times the DTM.
  EXPECT_NEAR(std::log10(1e-4 / eight.joules), 4, 0.5);
}

TEST(CostTsu, FewerReadOutsCostLessAndBadCountersAreErrors) {
  tsu::ml::SamplingCounters c = paper_counters(8);
  c.visible = 784;
  Sources sources;
  const TsuInputs in = default_tsu_inputs(sources);
  const tsu::hw::Device paper = tsu::hw::device_preset("paper");
  EXPECT_LT(tsu_sample_cost(paper, "G12", c, in).joules, paper_cost(8).joules);
  // Tied grey-level copies are cells too: they sample and take room on the chip.
  tsu::ml::SamplingCounters tied = paper_counters(8);
  tied.copies = 4900;
  const TsuSampleCost doubled = tsu_sample_cost(paper, "G12", tied, in);
  EXPECT_NEAR(doubled.energy.e_samp, 2 * paper_cost(8).energy.e_samp, 1e-9 * doubled.energy.e_samp);
  EXPECT_EQ(doubled.arrays, 25);  // floor(250,000 / 9,800)
  tied.copies = -1;
  EXPECT_EQ(error_of([&] { tsu_sample_cost(paper, "G12", tied, in); }), "sampling counters: copies: must be >= 0, got -1");
  c.sites = 4901;
  EXPECT_EQ(error_of([&] { tsu_sample_cost(paper, "G12", c, in); }),
            "sampling counters: sites: 4901 is not an L x L grid");
  c = paper_counters(0);
  EXPECT_EQ(error_of([&] { tsu_sample_cost(paper, "G12", c, in); }), "steps: must be >= 1, got 0");
  EXPECT_NE(sources.at("chip_usd").find("ASSUMPTION"), std::string::npos);
}

TEST(CostMatched, InterpolatesLogEnergyInsideTheCurve) {
  const std::vector<CurvePoint> curve = {{20, 1e-5}, {10, 1e-3}};  // unsorted on purpose
  const EnergyAtQuality mid = energy_at_quality(curve, 15);
  ASSERT_TRUE(mid.energy);
  EXPECT_NEAR(*mid.energy, 1e-4, 1e-16);  // halfway in log: sqrt(1e-3 * 1e-5)
  EXPECT_NEAR(*energy_at_quality(curve, 12.5).energy, std::pow(10.0, -3.5), 1e-16);
  EXPECT_DOUBLE_EQ(*energy_at_quality(curve, 10).energy, 1e-3);
  EXPECT_DOUBLE_EQ(*energy_at_quality(curve, 20).energy, 1e-5);
}

TEST(CostMatched, OutsideTheRangeIsNotComparable) {
  const std::vector<CurvePoint> curve = {{10, 1e-3}, {20, 1e-5}};
  for (double fd : {9.99, 20.01, double(NAN)}) {
    const EnergyAtQuality at = energy_at_quality(curve, fd);
    EXPECT_FALSE(at.energy) << fd;
    EXPECT_EQ(at.note.rfind("not comparable", 0), 0u) << at.note;
  }
  EXPECT_EQ(energy_at_quality(curve, 9.99).nearest->fd, 10);   // the best point
  EXPECT_EQ(energy_at_quality(curve, 20.01).nearest->fd, 20);  // the cheapest point
  EXPECT_FALSE(energy_at_quality(curve, NAN).nearest);
  EXPECT_FALSE(energy_at_quality(curve, 15).nearest);
  EXPECT_FALSE(energy_at_quality({}, 10).energy);
  EXPECT_FALSE(energy_at_quality({{10, 0}, {12, NAN}}, 10).energy);  // no usable point
  EXPECT_DOUBLE_EQ(*energy_at_quality({{10, 2e-3}}, 10).energy, 2e-3);
  EXPECT_FALSE(energy_at_quality({{10, 2e-3}}, 11).energy);
}

// A point that another beats in both quality and energy is off the frontier and ignored; past the
// frontier's cheapest point the family already reaches the quality at that point's energy.
TEST(CostMatched, NonMonotoneCurvesUseTheParetoFrontier) {
  const std::vector<CurvePoint> curve = {{10, 1e-3}, {15, 1e-2}, {20, 1e-5}, {25, 1e-4}};
  const std::vector<CurvePoint> frontier = pareto_frontier(curve);
  ASSERT_EQ(frontier.size(), 2u);
  EXPECT_EQ(frontier[0].fd, 10);
  EXPECT_EQ(frontier[1].fd, 20);
  EXPECT_NEAR(*energy_at_quality(curve, 15).energy, 1e-4, 1e-16);
  const EnergyAtQuality past = energy_at_quality(curve, 22);
  EXPECT_DOUBLE_EQ(*past.energy, 1e-5);
  EXPECT_NE(past.note.find("cheapest point"), std::string::npos) << past.note;
}

// Without a GPU (CI) every NVML call reports "none" and the work still runs; with one, the counter
// only grows.
TEST(CostNvml, ReportsNoGpuCleanlyOrMeasuresTheCounter) {
  std::string why;
  const std::optional<GpuMeter> meter = open_gpu_meter(0, &why);
  int runs = 0;
  const std::optional<GpuMeasurement> m = measure_gpu_energy([&] { ++runs; });
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(open_gpu_meter(-1));
  if (!meter) {
    EXPECT_FALSE(why.empty());
    EXPECT_FALSE(gpu_energy_joules());
    EXPECT_FALSE(m);
    GTEST_SKIP() << "no GPU: " << why;
  }
  ASSERT_TRUE(m);
  EXPECT_GE(m->joules, 0);
  EXPECT_GE(*gpu_energy_joules(), 0);
}

namespace {
using CostGpuCli = CliTest;
}  // namespace

TEST_F(CostGpuCli, PrintsBothBoundsWithSourcesAndNamesBadOptions) {
  const CliResult run = tsu("cost gpu --preset a100 --precision bf16 --flops 1e9 --bytes 1e7 --json");
  ASSERT_EQ(run.status, 0) << run.err;
  const auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["command"], "gpu");
  EXPECT_NEAR(j["outputs"]["energy_ideal"]["value"].get<double>(), 1e9 / 312e12 * 400, 1e-12);
  EXPECT_NE(j["inputs"]["peak_flops"]["source"].get<std::string>().find("H&C §3.1"), std::string::npos);
  EXPECT_EQ(j["inputs"]["flops"]["source"], "--flops (command line)");
  const CliResult table = tsu("cost gpu --flops 1e9 --bytes 1e7");
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("energy_roofline"), std::string::npos) << table.out;
  const CliResult missing = tsu("cost gpu --bytes 1e7");
  EXPECT_EQ(missing.status, 2);
  EXPECT_EQ(missing.err,
            "tsu: error: cost gpu: --flops is required (FLOPs per generated sample; or in a --config file as \"flops\")\n");
  const CliResult precision = tsu("cost gpu --precision fp4 --flops 1 --bytes 1");
  EXPECT_EQ(precision.status, 2);
  EXPECT_NE(precision.err.find("--precision: unknown 'fp4'"), std::string::npos) << precision.err;
  EXPECT_EQ(tsu("cost gpu --precision fp8 --flops 1 --bytes 1").status, 0);
  const CliResult no_fp8 = tsu("cost gpu --preset a100 --precision fp8 --flops 1 --bytes 1");
  EXPECT_EQ(no_fp8.status, 2);
  EXPECT_NE(no_fp8.err.find("the a100 has no fp8 peak"), std::string::npos) << no_fp8.err;
  const CliResult list = tsu("cost list --json");
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out)["gpu_presets"].size(), 4u);
}
