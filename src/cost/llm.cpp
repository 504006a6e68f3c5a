#include "cost/llm.hpp"

#include <fmt/format.h>

namespace tsu::cost {

namespace {

constexpr double kSecondsPerDay = 86400;
constexpr double kHoursPerYear = 8766;  // 365.25 days
constexpr double kWorldPopulation = 8.2e9;

// Values every scenario shares unless it says otherwise. "H&C" is
// ../shared/reference/hardware-and-cost.md; each entry names its section and primary source.
LlmInputs common_inputs() {
  return {.params = 1e11, .users = kWorldPopulation, .queries_per_day = 1, .tokens_in = 0, .tokens_out = 0,
          .reasoning = 1, .j_per_flop = 0.71e-12, .utilization = 0.3, .overhead = 1.7, .pue = 1.2,
          .grid_gw = 491, .capex_per_gw = 10e9, .capex_all_in_per_gw = 35e9, .price_per_kwh = 0.08};
}

Sources common_sources() {
  return {
      {"params", "H&C §4.6: the worked scenarios' 1e11 active parameters"},
      {"users", "H&C §4.4: world population 8.2e9 in 2025 (UN World Population Prospects 2024)"},
      {"reasoning", "1: counted tokens only"},
      {"j_per_flop", "H&C §3.1: H100 SXM 700 W / 989 TFLOPS BF16 dense (NVIDIA specs via glennklockwood.com)"},
      {"utilization", "H&C §3.2/§4.6: MFU 0.3 (prefill 0.5-0.76, batch-1 decode <1 %; Pope et al. 2023)"},
      {"overhead", "H&C §3.2: x1.7 chip -> system (Google, Aug 2025: TPU 58 % of 0.24 Wh per prompt)"},
      {"pue", "H&C §3.2/§4.6: facility PUE 1.2"},
      {"grid_gw", "H&C §4.2: US net generation 2024 4,304,039 GWh (EIA) -> 491 GW average load"},
      {"capex_per_gw", "H&C §4.5: facility only $9-12 B/GW (the talk's $10 B per GW)"},
      {"capex_all_in_per_gw", "H&C §4.5: all-in with GPUs, Bernstein $35 B/GW (NVIDIA says $50-60 B)"},
      {"price_per_kwh", "H&C §4.2: EIA Table 5.6.B 2024, industrial 7-9 cents/kWh"},
  };
}

LlmPreset make_preset(std::string name, std::string summary, std::string claim, LlmInputs in, Sources own) {
  Sources sources = common_sources();
  for (auto& [key, text] : own) sources[key] = std::move(text);
  return {std::move(name), std::move(summary), std::move(claim), in, std::move(sources)};
}

std::vector<LlmPreset> build_presets() {
  std::vector<LlmPreset> presets;

  LlmInputs today = common_inputs();
  today.queries_per_day = 13, today.tokens_in = 1500, today.tokens_out = 500;
  presets.push_back(make_preset(
      "today", "LLM use today: Google's measured token volume, doubled for the other providers",
      "talk: about 0.5 % of the US grid, about 3 GW (H&C §4.2: 0.5 % of 491 GW = 2.5 GW)", today,
      {{"queries_per_day",
        "H&C §4.4: Google 3.2e15 tokens/month (I/O, May 2026) = 13,000 tokens/day per resident; x2 ASSUMES "
        "Google serves half of all LLM tokens; 13 x (1500 + 500) = 26,000, only the product matters"},
       {"tokens_in", "illustrative split of the 26,000 tokens/day (see queries_per_day)"},
       {"tokens_out", "illustrative split of the 26,000 tokens/day (see queries_per_day)"},
       {"reasoning", "1: Google's token counts already include hidden reasoning tokens (H&C §4.4)"}}));

  LlmInputs assistant = common_inputs();
  assistant.queries_per_day = 25, assistant.tokens_in = 3000, assistant.tokens_out = 1000, assistant.reasoning = 10;
  const Sources assistant_sources = {
      {"queries_per_day", "H&C §4.4/§4.6: 1e5 tokens/person/day ('heavy use or voice'); 25 x (3000 + 1000)"},
      {"tokens_in", "illustrative split of 1e5 tokens/day (see queries_per_day)"},
      {"tokens_out", "illustrative split of 1e5 tokens/day (see queries_per_day)"},
      {"reasoning", "H&C §4.6: M = 10 hidden tokens per visible token"}};
  presets.push_back(make_preset("assistant", "a text assistant for everyone (H&C §4.6, row 3)",
                                "talk: about 20 % of the US grid, about 100 GW (H&C §4.6: 92 GW, 19 %)", assistant,
                                assistant_sources));

  LlmInputs video = common_inputs();
  video.queries_per_day = 86400, video.tokens_in = 263, video.tokens_out = 0;
  presets.push_back(make_preset(
      "video", "an assistant watching 1 fps video around the clock",
      "talk: roughly 10x the US grid (H&C §4.3); these inputs give about 4x, the talk's figure needs "
      "about 600 tokens per frame or a larger model",
      video,
      {{"queries_per_day", "one frame per second for 24 h (ASSUMPTION: always on)"},
       {"tokens_in", "263 tokens per second of video (Gemini API token counting, ai.google.dev/gemini-api/docs/"
                     "tokens; not in H&C)"},
       {"tokens_out", "0: the frames are input only"}}));

  LlmInputs arc = assistant;
  arc.reasoning = 500;
  Sources arc_sources = assistant_sources;
  arc_sources["reasoning"] =
      "H&C §4.6: ARC-AGI-level reasoning M ~ 100-1,000; 500 is the value in that range that gives the talk's 5 TW";
  presets.push_back(make_preset("arc-agi", "the text assistant at ARC-AGI-level reasoning",
                                "talk: about 10x today's grid, around 5 TW (H&C §4.3, §4.6)", arc, arc_sources));

  LlmInputs expert = common_inputs();
  expert.params = 1e12, expert.queries_per_day = 10, expert.tokens_in = 900'000, expert.tokens_out = 100'000;
  presets.push_back(make_preset(
      "expert", "expert queries: autonomous multi-step work for everyone on a 1T-active model",
      "talk: something like 10 TW to make LLMs useful to everyone (H&C §4.3)", expert,
      {{"params", "H&C §4.1/§4.6: 1e12 active parameters (the GB300 example's 1T-active model)"},
       {"queries_per_day", "H&C §4.4: ~1e7 tokens per human-workday-equivalent of agentic work (SemiAnalysis, "
                           "via the EA forum); 10 queries x 1e6 tokens"},
       {"tokens_in", "illustrative split of 1e6 tokens per query"},
       {"tokens_out", "illustrative split of 1e6 tokens per query"},
       {"reasoning", "1: agentic token counts already include the reasoning (H&C §4.4)"}}));
  return presets;
}

}  // namespace

const std::vector<LlmPreset>& llm_presets() {
  static const std::vector<LlmPreset> presets = build_presets();
  return presets;
}

const LlmPreset& llm_preset(const std::string& name) {
  std::string known;
  for (const LlmPreset& p : llm_presets()) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  throw InputError("preset", fmt::format("unknown '{}' (known: {})", name, known));
}

std::vector<Field> llm_fields(LlmInputs& in) {
  return {
      {"params", "", "active parameters P", &in.params},
      {"users", "", "people served", &in.users},
      {"queries_per_day", "1/day", "queries per user per day", &in.queries_per_day},
      {"tokens_in", "tokens", "input tokens per query", &in.tokens_in, Bound::non_negative},
      {"tokens_out", "tokens", "output tokens per query", &in.tokens_out, Bound::non_negative},
      {"reasoning", "x", "reasoning multiplier M", &in.reasoning},
      {"j_per_flop", "J/FLOP", "peak chip energy per FLOP", &in.j_per_flop},
      {"utilization", "", "model FLOP utilisation (MFU)", &in.utilization, Bound::fraction},
      {"overhead", "x", "chip -> system factor", &in.overhead},
      {"pue", "x", "facility power usage effectiveness", &in.pue},
      {"grid_gw", "GW", "US average electric load", &in.grid_gw},
      {"capex_per_gw", "USD/GW", "facility capital per GW", &in.capex_per_gw},
      {"capex_all_in_per_gw", "USD/GW", "all-in capital per GW", &in.capex_all_in_per_gw},
      {"price_per_kwh", "USD/kWh", "electricity price", &in.price_per_kwh},
  };
}

LlmResult compute_llm(const LlmInputs& in) {
  LlmInputs copy = in;
  check_fields(llm_fields(copy));
  if (in.tokens_in + in.tokens_out <= 0) throw InputError("tokens_out", "tokens_in + tokens_out must be > 0");
  LlmResult r{};
  r.tokens_per_day = in.users * in.queries_per_day * (in.tokens_in + in.tokens_out);
  r.flop_per_day = 2 * in.params * r.tokens_per_day * in.reasoning;
  r.j_per_flop_effective = in.j_per_flop / in.utilization * in.overhead * in.pue;
  r.j_per_token = 2 * in.params * in.reasoning * r.j_per_flop_effective;
  r.j_per_day = r.flop_per_day * r.j_per_flop_effective;
  r.power_gw = r.j_per_day / kSecondsPerDay / 1e9;
  r.power_at_peak_gw = r.flop_per_day * in.j_per_flop / kSecondsPerDay / 1e9;
  r.grid_percent = 100 * r.power_gw / in.grid_gw;
  r.capex_facility_usd = r.power_gw * in.capex_per_gw;
  r.capex_all_in_usd = r.power_gw * in.capex_all_in_per_gw;
  r.electricity_usd_per_year = r.power_gw * 1e6 * kHoursPerYear * in.price_per_kwh;
  return r;
}

Report llm_report(const LlmPreset& preset, const LlmInputs& in, const Sources& sources) {
  const LlmResult r = compute_llm(in);
  LlmInputs copy = in;
  Report report{"llm", preset.name, preset.summary, input_rows(llm_fields(copy), sources), {}, {preset.claim}};
  report.outputs = {
      {"tokens_per_day", r.tokens_per_day, "tokens", "N = users * queries_per_day * (tokens_in + tokens_out)"},
      {"flop_per_day", r.flop_per_day, "FLOP", "2 * P * N * M"},
      {"j_per_flop_effective", r.j_per_flop_effective, "J/FLOP", "eps = j_per_flop / utilization * overhead * pue"},
      {"j_per_token", r.j_per_token, "J", "2 * P * M * eps"},
      {"energy_per_day", r.j_per_day, "J", "E = 2 * P * N * M * eps"},
      {"power", r.power_gw, "GW", "E / 86400 s"},
      {"power_at_peak", r.power_at_peak_gw, "GW", "2 * P * N * M * j_per_flop / 86400 s (chip peak only)"},
      {"grid_share", r.grid_percent, "%", "power / grid_gw"},
      {"capex_facility", r.capex_facility_usd, "USD", "power * capex_per_gw"},
      {"capex_all_in", r.capex_all_in_usd, "USD", "power * capex_all_in_per_gw"},
      {"electricity_per_year", r.electricity_usd_per_year, "USD", "power * 8766 h * price_per_kwh"},
  };
  return report;
}

}  // namespace tsu::cost
