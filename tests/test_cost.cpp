// The cost calculators reproduce the published figures of ../shared/reference/hardware-and-cost.md
// ("H&C") from their inputs. Each tolerance is the rounding of the published figure: a value
// printed as "19 %" must lie within half a unit of its last digit.
#include <gtest/gtest.h>

#include "cli_fixture.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/wait.h>

#include "cost/asic.hpp"
#include "cost/infer.hpp"
#include "cost/llm.hpp"

using namespace tsu::cost;

namespace {

// |value - published| within half a unit of the published figure's last digit.
void expect_rounds_to(double value, double published, double last_digit) {
  EXPECT_LE(std::abs(value - published), last_digit / 2) << value << " does not round to " << published;
}

LlmInputs worked_scenario(double params, double tokens_per_person_day, double reasoning) {
  LlmInputs in = llm_preset("assistant").inputs;  // the §4.6 constants: H100 BF16, MFU 0.3, x1.7, PUE 1.2
  in.params = params, in.queries_per_day = 1, in.tokens_in = 0, in.tokens_out = tokens_per_person_day;
  in.reasoning = reasoning;
  return in;
}

InferInputs infer_on(const std::string& model, const std::string& gpu, double bytes_per_param) {
  Sources sources;
  return infer_inputs(model_spec(model), gpu_spec(gpu), bytes_per_param, sources);
}

template <class Body>
std::string input_error(Body body) {
  try {
    body();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

}  // namespace

// Talk: "about 0.5 % of the grid, about 3 GW". One significant figure gives [0.45, 0.55) %; 0.5 % of
// the 491 GW grid is 2.5 GW, which the talk rounds up to 3 (H&C §4.2), so power must be 2.5 +- 0.5 GW.
TEST(CostLlm, TodayIsHalfAPercentOfTheGrid) {
  const LlmResult r = compute_llm(llm_preset("today").inputs);
  EXPECT_GE(r.grid_percent, 0.45);
  EXPECT_LT(r.grid_percent, 0.55);
  EXPECT_NEAR(r.power_gw, 2.5, 0.5);
}

// Talk: "about 20 %, about 100 GW"; H&C §4.6 row 3 prints 92 GW and 19 %.
TEST(CostLlm, TextAssistantIsTwentyPercentOfTheGrid) {
  const LlmResult r = compute_llm(llm_preset("assistant").inputs);
  expect_rounds_to(r.power_gw, 92, 1);
  expect_rounds_to(r.grid_percent, 19, 1);
  expect_rounds_to(r.grid_percent, 20, 10);  // "about 20 %" at one significant figure
}

// H&C §4.6: every row of the worked-scenario table, at peak and effective J/FLOP.
TEST(CostLlm, ReproducesTheWorkedScenarioTable) {
  struct Row { double params, tokens, m, peak_gw, peak_digit, eff_gw, eff_digit, percent, percent_digit; };
  const Row rows[] = {
      {1e11, 1e4, 1, 0.13, 0.01, 0.9, 0.1, 0.2, 0.1},   {1e11, 1e4, 10, 1.3, 0.1, 9.2, 0.1, 1.9, 0.1},
      {1e11, 1e5, 10, 13.5, 0.1, 92, 1, 19, 1},           {1e12, 1e4, 10, 13.5, 0.1, 92, 1, 19, 1},
      {1e12, 1e5, 10, 135, 1, 916, 1, 187, 1},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(::testing::Message() << "P " << row.params << " tokens " << row.tokens << " M " << row.m);
    const LlmResult r = compute_llm(worked_scenario(row.params, row.tokens, row.m));
    expect_rounds_to(r.power_at_peak_gw, row.peak_gw, row.peak_digit);
    expect_rounds_to(r.power_gw, row.eff_gw, row.eff_digit);
    expect_rounds_to(r.grid_percent, row.percent, row.percent_digit);
  }
  expect_rounds_to(compute_llm(worked_scenario(1e11, 1e4, 1)).j_per_flop_effective * 1e12, 4.8, 0.1);
}

// H&C §4.1: GB300 at 100 fJ/FLOP gives 2 x 1e12 x 1e-13 = 0.2 J per token for 1T active parameters.
TEST(CostLlm, Gb300ExampleCostsPointTwoJoulesPerToken) {
  LlmInputs in = worked_scenario(1e12, 1e4, 1);
  in.j_per_flop = 1e-13, in.utilization = 1, in.overhead = 1, in.pue = 1;
  EXPECT_NEAR(compute_llm(in).j_per_token, 0.2, 1e-12);
}

// Talk: ARC-AGI-level reasoning "around 5 TW" (one significant figure); making LLMs useful to
// everyone "something like 10 TW" (an order of magnitude: checked to a factor of 1.5).
TEST(CostLlm, ReasoningScenariosReachTerawatts) {
  const double arc_tw = compute_llm(llm_preset("arc-agi").inputs).power_gw / 1000;
  expect_rounds_to(arc_tw, 5, 1);
  const double expert_tw = compute_llm(llm_preset("expert").inputs).power_gw / 1000;
  EXPECT_GT(expert_tw, 10 / 1.5);
  EXPECT_LT(expert_tw, 10 * 1.5);
}

TEST(CostLlm, EnergyScalesLinearlyInEachFactorOfTheFormula) {
  const LlmInputs base = worked_scenario(1e11, 1e4, 1);
  const double e = compute_llm(base).j_per_day;
  LlmInputs doubled = base;
  doubled.params *= 2, doubled.users *= 3, doubled.reasoning *= 5, doubled.utilization /= 2;
  EXPECT_NEAR(compute_llm(doubled).j_per_day / e, 2 * 3 * 5 * 2, 1e-9);
}

// Published: Llama 70B in int8 at 30 ms/token needs "about 2.1 TB/s". 70e9 B / 30 ms = 2.33e12 B/s,
// which is 2.12 in units of 2^40 B/s: the published figure matches the binary reading.
TEST(CostInfer, Llama70bInt8At30msNeedsTwoPointOneTerabytesPerSecond) {
  InferInputs in = infer_on("llama-70b", "h100", 1);
  in.target_ms = 30;
  const InferResult r = compute_infer(in);
  EXPECT_NEAR(r.bandwidth_for_target, 70e9 / 0.030, 1);
  expect_rounds_to(r.bandwidth_for_target / std::pow(2.0, 40), 2.1, 0.1);
  EXPECT_TRUE(r.fits_in_memory);  // 70 GB of int8 weights in 80 GB
}

// H&C §3.2: ridge 989e12 / 3.35e12 = 295 FLOP/byte. A decode step does 2 FLOPs per weight per
// sequence, so it stays bandwidth-bound below B* = peak / bandwidth x bytes_per_param / 2.
TEST(CostInfer, H100DecodeIsBandwidthBoundBelowTheRidgeBatch) {
  for (const double bytes : {1.0, 2.0}) {
    SCOPED_TRACE(bytes);
    InferInputs in = infer_on("llama-70b", "h100", bytes);
    const InferResult r = compute_infer(in);
    expect_rounds_to(r.critical_batch, 295, 1);
    EXPECT_DOUBLE_EQ(r.critical_batch, r.ridge * bytes / 2);
    in.batch = 295;
    EXPECT_TRUE(compute_infer(in).memory_bound);
    in.batch = 296;
    EXPECT_FALSE(compute_infer(in).memory_bound);
  }
  expect_rounds_to(compute_infer(infer_on("llama-70b", "h100", 2)).ridge, 295, 1);
}

// H&C §3.2: batch-1 decode runs at ~1-2 FLOP/byte, so MFU is about 0.3-1 %.
TEST(CostInfer, BatchOneDecodeUsesUnderOnePercentOfPeak) {
  const InferResult r = compute_infer(infer_on("llama-70b", "h100", 2));
  EXPECT_DOUBLE_EQ(r.intensity, 1);
  EXPECT_GE(r.achieved_mfu, 0.003);
  EXPECT_LE(r.achieved_mfu, 0.01);
}

// H&C §3.1 ridge table: H100 295, B200 ~280, A100 80 GB ~150, RTX 3090 ~38 FLOP/byte.
TEST(CostInfer, RidgePointsMatchTheReferenceTable) {
  expect_rounds_to(compute_infer(infer_on("llama-8b", "b200", 2)).ridge, 280, 10);
  expect_rounds_to(compute_infer(infer_on("llama-8b", "a100", 2)).ridge, 150, 10);
  expect_rounds_to(compute_infer(infer_on("llama-8b", "rtx3090", 4)).ridge, 38, 1);
}

TEST(CostInfer, KvCacheReadsMoveTheCriticalBatch) {
  InferInputs in = infer_on("llama-8b", "h100", 2);
  in.kv_bytes_per_seq = 2e7, in.mbu = 0.7, in.mfu = 0.5;
  const InferResult r = compute_infer(in);
  in.batch = r.critical_batch;
  const InferResult at = compute_infer(in);
  EXPECT_NEAR(at.t_compute_s / at.t_memory_s, 1, 1e-12);
  in.kv_bytes_per_seq = 1e12;  // KV reads outgrow the FLOPs: never compute-bound
  EXPECT_TRUE(std::isinf(compute_infer(in).critical_batch));
}

TEST(CostInfer, AnEightBitRequestOnAGpuWithoutAnEightBitPathUsesTheNextWiderPeak) {
  EXPECT_EQ(peak_for(gpu_spec("a100"), 1).precision, "BF16");
  EXPECT_EQ(peak_for(gpu_spec("h100"), 1).precision, "FP8");
  EXPECT_EQ(peak_for(gpu_spec("rtx3090"), 8).precision, "FP32");
}

// H&C §5.1 [D]: one HC1 stream at 200 W and 17k tokens/s costs about 12 mJ/token at the card.
TEST(CostAsic, Hc1CostsTwelveMillijoulesPerToken) {
  expect_rounds_to(asic_task("llama8b-token").inputs.asic.j_per_task * 1e3, 12, 1);
}

TEST(CostAsic, PerTaskCostFollowsTheTemplate) {
  AsicInputs in = asic_task("llama8b-token").inputs;
  in.overhead = 1, in.pue = 1, in.price_per_kwh = 0.1, in.utilization = 0.5, in.hardware_years = 2;
  in.model_months = 6, in.demand_per_day = 1e6;
  in.gpu = {3.6e6, 1e-3, 365.25 * 86400};  // 1 kWh per task, 1,000 s per task
  in.asic = {3.6e5, 1e-3, 365.25 * 86400};
  in.asic_mask_usd = 1e6, in.asic_design_usd = 0;
  const AsicResult r = compute_asic(in, {"gpu", "asic"});
  const PlatformCost& gpu = r.platforms[0];
  const PlatformCost& asic = r.platforms[1];
  EXPECT_NEAR(gpu.energy_usd, 0.1, 1e-12);
  EXPECT_NEAR(gpu.capex_usd, 1000, 1e-9);   // 1 year's seconds / (2 y x 0.5 x 1e-3 tasks/s)
  EXPECT_NEAR(asic.capex_usd, 4000, 1e-9);  // its life is capped at the model's 6 months
  EXPECT_NEAR(asic.nre_usd, 1e6 / (1e6 * 365.25 / 2), 1e-12);
  EXPECT_NEAR(gpu.cards, 1e6 / 86400 / (0.5 * 1e-3), 1e-9);
}

// At the break-even volume or model life the ASIC's cost per task equals the GPU's.
TEST(CostAsic, BreakEvenPointsEqualiseTheCosts) {
  AsicInputs in = asic_task("llama8b-token").inputs;
  in.asic.card_usd = 5000;
  const AsicResult r = compute_asic(in, {"gpu", "asic"});
  ASSERT_TRUE(std::isfinite(r.breakeven_tasks));
  ASSERT_TRUE(std::isfinite(r.breakeven_months));
  const auto cost_gap = [](const AsicInputs& x) {
    const AsicResult c = compute_asic(x, {"gpu", "asic"});
    return c.platforms[1].total_usd / c.platforms[0].total_usd - 1;
  };
  AsicInputs at_volume = in;
  at_volume.demand_per_day = r.breakeven_tasks / (in.model_months * 365.25 / 12);
  EXPECT_NEAR(cost_gap(at_volume), 0, 1e-9);
  AsicInputs at_life = in;
  at_life.model_months = r.breakeven_months;
  EXPECT_NEAR(cost_gap(at_life), 0, 1e-9);
  in.model_months = 48;  // beyond the cards' 4-year life: the capex term stops falling
  const AsicResult long_life = compute_asic(in, {"gpu", "asic"});
  AsicInputs at_long = in;
  at_long.model_months = long_life.breakeven_months;
  EXPECT_NEAR(cost_gap(at_long), 0, 1e-9);
}

TEST(CostAsic, NeverBreaksEvenWhenTheAsicCostsMorePerTaskBeforeNre) {
  AsicInputs in = asic_task("llama8b-token").inputs;
  in.asic.card_usd = 1e9;
  in.hardware_years = 0.5;
  const AsicResult r = compute_asic(in, {"gpu", "asic"});
  EXPECT_TRUE(std::isinf(r.breakeven_tasks));
  EXPECT_TRUE(std::isinf(r.breakeven_months));
  EXPECT_TRUE(std::isnan(compute_asic(in, {"gpu"}).breakeven_tasks));  // no ASIC to compare
}

// dtm-paper.md §3.4: 1.6 nJ per step x T = 8; the GPU's ~1e-4 J is ~10,000x more (§4.1).
TEST(CostAsic, DtmSampleIsTenThousandTimesCheaperInEnergyThanTheGpu) {
  const AsicInputs& in = asic_task("fmnist-sample").inputs;
  EXPECT_NEAR(in.tsu.j_per_task, 12.8e-9, 1e-15);
  EXPECT_NEAR(std::log10(in.gpu.j_per_task / in.tsu.j_per_task), 4, 0.5);  // "~10,000x" as an order of magnitude
}

TEST(CostErrors, InvalidNumbersNameTheField) {
  LlmInputs in = llm_preset("today").inputs;
  in.params = -3;
  EXPECT_EQ(input_error([&] { compute_llm(in); }), "params: must be > 0, got -3");
  in.params = 0;
  EXPECT_EQ(input_error([&] { compute_llm(in); }), "params: must be > 0, got 0");
  in.params = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(input_error([&] { compute_llm(in); }), "params: must be a finite number, got nan");
  in = llm_preset("today").inputs;
  in.utilization = 1.5;
  EXPECT_EQ(input_error([&] { compute_llm(in); }), "utilization: must be in (0, 1], got 1.5");
  in = llm_preset("today").inputs;
  in.tokens_in = in.tokens_out = 0;
  EXPECT_NE(input_error([&] { compute_llm(in); }).find("tokens_in + tokens_out"), std::string::npos);

  InferInputs infer = infer_on("llama-70b", "h100", 1);
  infer.mbu = 0;
  EXPECT_EQ(input_error([&] { compute_infer(infer); }), "mbu: must be in (0, 1], got 0");
  AsicInputs asic = asic_task("llama8b-token").inputs;
  asic.asic_mask_usd = -1;
  EXPECT_EQ(input_error([&] { compute_asic(asic, {"gpu", "asic"}); }), "asic_mask_usd: must be >= 0, got -1");
}

TEST(CostErrors, UnknownNamesListTheKnownOnes) {
  EXPECT_EQ(input_error([] { llm_preset("tomorrow"); }),
            "preset: unknown 'tomorrow' (known: today, assistant, video, arc-agi, expert)");
  EXPECT_EQ(input_error([] { gpu_spec("tpu"); }), "gpu: unknown 'tpu' (known: h100, b200, a100, rtx3090)");
  EXPECT_EQ(input_error([] { model_spec("gpt"); }).rfind("model: unknown 'gpt' (known: llama-70b", 0), 0u);
  EXPECT_EQ(input_error([] { asic_task("x"); }).rfind("task: unknown 'x'", 0), 0u);
  const AsicInputs& in = asic_task("llama8b-token").inputs;
  EXPECT_EQ(input_error([&] { compute_asic(in, {"gpu", "fpga"}); }),
            "platforms: unknown 'fpga' (known: gpu, asic, tsu)");
  EXPECT_EQ(input_error([&] { compute_asic(in, {"gpu", "gpu"}); }), "platforms: 'gpu' is listed twice");
  // No TSU figure is published for LLM tokens, so comparing one needs its inputs.
  EXPECT_EQ(input_error([&] { compute_asic(in, {"gpu", "tsu"}); }).rfind("tsu_j_per_task: must be a finite", 0), 0u);
}

TEST(CostErrors, ConfigKeysMustBeKnownNumbers) {
  LlmInputs in = llm_preset("today").inputs;
  Sources sources;
  apply_json(llm_fields(in), nlohmann::json{{"params", 2e11}}, sources, "config c.json");
  EXPECT_EQ(in.params, 2e11);
  EXPECT_EQ(sources["params"], "config c.json");
  EXPECT_EQ(input_error([&] { apply_json(llm_fields(in), nlohmann::json{{"parms", 1}}, sources, "c"); }),
            "\"parms\": unknown key for this calculator (see --help)");
  EXPECT_EQ(input_error([&] { apply_json(llm_fields(in), nlohmann::json{{"par\nms", 1}}, sources, "c"); }),
            "\"par\\nms\": unknown key for this calculator (see --help)");  // one line, whatever the key holds
  EXPECT_EQ(input_error([&] { apply_json(llm_fields(in), nlohmann::json{{"users", "many"}}, sources, "c"); }),
            "users: must be a number, got \"many\"");
  EXPECT_EQ(input_error([&] { apply_json(llm_fields(in), nlohmann::json::array(), sources, "c"); }).rfind("config:", 0),
            0u);
}

TEST(CostReport, JsonCarriesEveryInputWithItsSource) {
  const LlmPreset& preset = llm_preset("assistant");
  const nlohmann::json j = nlohmann::json::parse(to_json(llm_report(preset, preset.inputs, preset.sources)).dump());
  EXPECT_EQ(j["inputs"]["reasoning"]["value"], 10);
  EXPECT_NE(j["inputs"]["grid_gw"]["source"].get<std::string>().find("EIA"), std::string::npos);
  EXPECT_EQ(j["inputs"].size(), 14u);
  expect_rounds_to(j["outputs"]["grid_share"]["value"].get<double>(), 19, 1);
}

namespace {

using CostCli = CliTest;

}  // namespace

TEST_F(CostCli, JsonOutputParsesAndShowsTheInputs) {
  const CliResult llm = tsu("cost llm --preset assistant --users 1e9 --json");
  ASSERT_EQ(llm.status, 0) << llm.err;
  const auto j = nlohmann::json::parse(llm.out);
  EXPECT_EQ(j["inputs"]["users"]["value"], 1e9);
  EXPECT_EQ(j["inputs"]["users"]["source"], "--users (command line)");
  for (const char* args : {"cost infer --json", "cost asic --json", "cost asic --task fmnist-sample --json",
                           "cost list --json"}) {
    const CliResult run = tsu(args);
    ASSERT_EQ(run.status, 0) << args << ": " << run.err;
    EXPECT_TRUE(nlohmann::json::accept(run.out)) << args;
  }
  const CliResult table = tsu("cost infer --model llama-70b --gpu h100 --bytes-per-param 1 --target-ms 30");
  EXPECT_NE(table.out.find("2.122 TiB/s"), std::string::npos) << table.out;
}

TEST_F(CostCli, ConfigFileOverridesAndBadInputExitsTwo) {
  const std::string config = (dir_ / "cost_config.json").string();
  std::ofstream(config) << R"({"params": 1e12})";
  const CliResult from_config = tsu("cost llm --json --config " + config);
  ASSERT_EQ(from_config.status, 0) << from_config.err;
  EXPECT_EQ(nlohmann::json::parse(from_config.out)["inputs"]["params"]["value"], 1e12);

  const CliResult negative = tsu("cost llm --params -3");
  EXPECT_EQ(negative.status, 2);
  EXPECT_EQ(negative.err, "tsu: error: cost llm: --params: must be > 0, got -3\n");
  const CliResult preset = tsu("cost llm --preset tomorrow");
  EXPECT_EQ(preset.status, 2);
  EXPECT_NE(preset.err.find("--preset: unknown 'tomorrow'"), std::string::npos) << preset.err;
  std::ofstream(config) << R"({"utilization": 2})";
  const CliResult bad_config = tsu("cost llm --config " + config);
  EXPECT_EQ(bad_config.status, 2);
  EXPECT_NE(bad_config.err.find(config + ": \"utilization\": must be in (0, 1], got 2"), std::string::npos)
      << bad_config.err;
}
