#include "cost/compare.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <set>

#include "cost/matched.hpp"
#include "cost/sensitivity.hpp"
#include "util/files.hpp"
#include "graph/model.hpp"

namespace tsu::cost {

namespace {

using json = nlohmann::json;
using EnergyBound = std::optional<double> ModelEnergy::*;

const std::vector<std::pair<std::string, EnergyBound>>& optional_bounds() {
  static const std::vector<std::pair<std::string, EnergyBound>> bounds = {
      {"ideal", &ModelEnergy::ideal}, {"roofline", &ModelEnergy::roofline}, {"measured", &ModelEnergy::measured}};
  return bounds;
}

json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

void check_number(const CompareModel& m, const std::string& field, double v, bool positive = false) {
  if (!std::isfinite(v) || v < 0 || (positive && v == 0))
    throw Error(fmt::format("compare: model '{}': {}: must be a finite number {} 0, got {}", m.name, field,
                            positive ? ">" : ">=", v));
}

void check_optional(const CompareModel& m, const std::string& field, const std::optional<double>& v) {
  if (v) check_number(m, field, *v);
}

// Energy points of one family for one bound ("primary" or an optional one), with the model names.
std::vector<CurvePoint> family_curve(const CompareRun& run, const std::string& family, const std::string& bound) {
  std::vector<CurvePoint> curve;
  for (const CompareModel& m : run.models) {
    if (m.family != family || failed(m.quality)) continue;
    if (bound == "primary") {
      curve.push_back({m.quality.fd, m.energy.primary});
      continue;
    }
    for (const auto& [name, member] : optional_bounds())
      if (name == bound && (m.energy.*member)) curve.push_back({m.quality.fd, *(m.energy.*member)});
  }
  return curve;
}

std::vector<std::string> families(const CompareRun& run) {
  std::vector<std::string> names;
  for (const CompareModel& m : run.models)
    if (std::find(names.begin(), names.end(), m.family) == names.end()) names.push_back(m.family);
  return names;
}

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);  // n bytes give n + 1 characters, then '='
    uint32_t chunk = 0;
    for (size_t k = 0; k < 3; ++k) chunk = chunk << 8 | (k < n ? uint8_t(bytes[i + k]) : 0u);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(chunk >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::string png_data_uri(const std::string& path) { return "data:image/png;base64," + base64(read_file(path)); }

std::string cell(const std::optional<double>& v) { return v ? format_number(*v) : "&mdash;"; }

// A value with its interval below it, when there is one.
std::string cell(const std::optional<double>& v, const std::optional<ml::Interval>& ci) {
  if (!v || !ci) return cell(v);
  return fmt::format("{}<br><small>[{}, {}]</small>", format_number(*v), format_number(ci->lo), format_number(ci->hi));
}

std::string quality_cells(const Quality& q) {
  return fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>", cell(q.fd, q.fd_ci),
                     cell(q.precision, q.precision_ci), cell(q.recall, q.recall_ci), cell(q.coverage, q.coverage_ci),
                     cell(q.kid, q.kid_ci), cell(q.label_accuracy));
}

std::string models_table(const CompareRun& run) {
  std::string html =
      "<table>\n<tr><th>family</th><th>model</th><th>hardware</th><th>FD</th><th>precision</th><th>recall</th>"
      "<th>coverage</th><th>KID</th><th>label acc.</th><th>J/sample</th><th>ideal J</th><th>roofline J</th><th>measured J</th>"
      "<th>latency s</th><th>$ / 1e6 samples</th><th>FLOPs</th><th>bytes</th><th>params</th>"
      "<th>CPU s/sample</th></tr>\n";
  if (const auto& f = run.data_floor)
    html += fmt::format(
        "<tr class=\"floor\"><td>real data</td><td>{}</td><td>{} images</td>{}"
        "<td colspan=\"10\">the floor: held-out images scored like a model</td></tr>\n",
        escape_html(f->name), f->images, quality_cells(f->quality));
  for (const CompareModel& m : run.models) {
    const ModelEnergy& e = m.energy;
    html += fmt::format(
        "<tr class=\"model{}\"><td>{}</td><td>{}{}</td><td>{}</td>{}<td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        failed(m.quality) ? " failed" : "", escape_html(m.family), escape_html(m.name),
        failed(m.quality) ? " <strong>(failed)</strong>" : "", escape_html(m.hardware), quality_cells(m.quality),
        format_number(e.primary), cell(e.ideal), cell(e.roofline), cell(e.measured), format_number(m.latency_s),
        format_number(m.usd_per_million.total_usd), cell(m.flops), cell(m.bytes), cell(m.params),
        cell(m.cpu_seconds_per_sample));
  }
  return html + "</table>\n";
}

std::string ratio_cell(const MatchedRatio& r) {
  if (r.ratio && r.ratio_ci)
    return fmt::format("{}&times;<br><small>[{}, {}]</small>", format_number(*r.ratio), format_number(r.ratio_ci->lo),
                       format_number(r.ratio_ci->hi));
  if (r.ratio) return format_number(*r.ratio) + "&times;";
  if (!r.limit) return "not comparable";
  return fmt::format("{} {}&times; at FD {}", r.limit->kind == "at_least" ? "&ge;" : "&le;",
                     format_number(r.limit->value), format_number(r.limit->at_fd));
}

std::string ratios_table(const std::vector<MatchedRatio>& ratios) {
  std::string html =
      "<table>\n<tr><th>reference</th><th>FD</th><th>J/sample</th><th>family</th><th>bound</th>"
      "<th>family J at this FD</th><th>ratio</th><th>note</th></tr>\n";
  for (const MatchedRatio& r : ratios)
    html += fmt::format(
        "<tr class=\"ratio\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "</tr>\n",
        escape_html(r.reference), format_number(r.reference_fd), format_number(r.reference_energy),
        escape_html(r.family), r.bound, cell(r.family_energy), ratio_cell(r), escape_html(r.note));
  return html + "</table>\n";
}

}  // namespace

CompareModel gpu_compare_model(const std::string& family, const std::string& name, const std::string& hardware,
                               const GpuInputs& inputs, const Quality& quality) {
  const GpuSampleCost c = compute_gpu(inputs);
  CompareModel m;
  m.family = family, m.name = name, m.hardware = hardware, m.quality = quality;
  m.energy = {c.roofline_j, c.ideal_j, c.roofline_j, std::nullopt};
  m.latency_s = c.latency_s;
  m.usd_per_million = c.dollars;
  m.flops = inputs.flops, m.bytes = c.bytes_moved;
  m.gpu_inputs = inputs;
  return m;
}

CompareModel tsu_compare_model(const std::string& name, const std::string& hardware, const TsuSampleCost& cost,
                               const Quality& quality) {
  CompareModel m;
  m.family = "dtm", m.name = name, m.hardware = hardware, m.quality = quality;
  m.energy.primary = cost.joules;
  m.latency_s = cost.latency_s;
  m.usd_per_million = cost.dollars;
  return m;
}

CompareModel tsu_compare_model(const std::string& name, const hw::Device& device, const std::string& rule,
                               const ml::SamplingCounters& counters, const TsuInputs& inputs, const Quality& quality) {
  CompareModel m = tsu_compare_model(name, "tsu " + device.name, tsu_sample_cost(device, rule, counters, inputs), quality);
  m.tsu_counters = counters, m.tsu_rule = rule;
  return m;
}

void validate_run(const CompareRun& run) {
  std::set<std::string> names;
  for (const CompareModel& m : run.models) {
    if (m.name.empty()) throw Error("compare: a model has no name");
    if (m.family.empty()) throw Error(fmt::format("compare: model '{}': family: empty", m.name));
    if (!names.insert(m.name).second) throw Error(fmt::format("compare: model '{}' is listed twice", m.name));
    if (!std::isfinite(m.quality.fd)) throw Error(fmt::format("compare: model '{}': quality.fd: not a number", m.name));
    check_optional(m, "quality.precision", m.quality.precision);
    check_optional(m, "quality.recall", m.quality.recall);
    check_optional(m, "quality.label_accuracy", m.quality.label_accuracy);
    check_number(m, "energy.primary", m.energy.primary, true);
    for (const auto& [bound, member] : optional_bounds()) check_optional(m, "energy." + bound, m.energy.*member);
    check_number(m, "latency_s", m.latency_s);
    check_number(m, "usd_per_million.total", m.usd_per_million.total_usd);
    check_optional(m, "flops", m.flops);
    check_optional(m, "bytes", m.bytes);
    check_optional(m, "params", m.params);
    check_optional(m, "cpu_seconds_per_sample", m.cpu_seconds_per_sample);
  }
  if (const auto& f = run.data_floor) {
    if (f->name.empty() || f->images <= 0) throw Error("compare: data_floor: needs a name and a positive image count");
    if (!std::isfinite(f->quality.fd) || f->quality.fd < 0)
      throw Error(fmt::format("compare: data_floor: quality.fd: must be a finite number >= 0, got {}", f->quality.fd));
  }
}

namespace {

RatioLimit ratio_limit(const CompareModel& ref, const CurvePoint& nearest) {
  const double ratio = nearest.energy / ref.energy.primary;
  if (ref.quality.fd < nearest.fd) return {"at_least", ratio, nearest.fd};
  return {"at_most", ratio, ref.quality.fd};
}

bool family_reports(const CompareRun& run, const std::string& family, const std::string& bound) {
  for (const CompareModel& m : run.models) {
    if (m.family != family) continue;
    if (bound == "primary") return true;
    for (const auto& [name, member] : optional_bounds())
      if (name == bound && (m.energy.*member)) return true;
  }
  return false;
}

// The ratios at the models' point estimates of quality.
std::vector<MatchedRatio> point_ratios(const CompareRun& run) {
  std::vector<MatchedRatio> ratios;
  for (const CompareModel& ref : run.models) {
    if (ref.family != run.reference_family) continue;
    for (const std::string& family : families(run)) {
      if (family == run.reference_family) continue;
      for (const std::string bound : {"primary", "ideal", "roofline", "measured"}) {
        if (!family_reports(run, family, bound)) continue;
        const std::vector<CurvePoint> curve = family_curve(run, family, bound);
        MatchedRatio r{ref.name, ref.quality.fd, ref.energy.primary, family, bound, std::nullopt, std::nullopt,
                       std::nullopt, "", std::nullopt};
        if (curve.empty()) {
          r.note = fmt::format("every point of this family failed (precision or recall below {:g}): no ratio or bound",
                               kFailedBelow);
        } else {
          const EnergyAtQuality at = energy_at_quality(curve, ref.quality.fd);
          r.family_energy = at.energy, r.note = at.note;
          if (at.energy) r.ratio = *at.energy / ref.energy.primary;
          if (at.nearest) r.limit = ratio_limit(ref, *at.nearest);
        }
        if (failed(ref.quality)) r.note = "the reference itself failed (precision or recall below 0.05); " + r.note;
        ratios.push_back(r);
      }
    }
  }
  return ratios;
}

// The number of bootstrap replicates every model carries; 0 when any model has none.
size_t paired_replicates(const CompareRun& run) {
  size_t n = run.models.empty() ? 0 : run.models.front().quality.fd_replicates.size();
  for (const CompareModel& m : run.models) n = std::min(n, m.quality.fd_replicates.size());
  return n;
}

}  // namespace

bool failed(const Quality& q) {
  return (q.precision && *q.precision < kFailedBelow) || (q.recall && *q.recall < kFailedBelow);
}

const CompareModel* best_working(const CompareRun& run, const std::string& family) {
  const CompareModel* best = nullptr;
  for (const CompareModel& m : run.models)
    if (m.family == family && !failed(m.quality) && (!best || m.quality.fd < best->quality.fd)) best = &m;
  return best;
}

std::vector<MatchedRatio> matched_ratios(const CompareRun& run) {
  std::vector<MatchedRatio> ratios = point_ratios(run);
  const size_t replicates = paired_replicates(run);
  if (replicates == 0) return ratios;
  std::vector<std::vector<double>> drawn(ratios.size());
  CompareRun resampled = run;
  for (size_t b = 0; b < replicates; ++b) {
    for (size_t i = 0; i < run.models.size(); ++i) resampled.models[i].quality.fd = run.models[i].quality.fd_replicates[b];
    const std::vector<MatchedRatio> at_b = point_ratios(resampled);  // same entries, same order
    for (size_t i = 0; i < ratios.size(); ++i)
      if (at_b[i].ratio) drawn[i].push_back(std::log(*at_b[i].ratio));
  }
  for (size_t i = 0; i < ratios.size(); ++i) {
    if (!ratios[i].ratio) continue;
    if (double(drawn[i].size()) >= 0.95 * double(replicates)) {  // the interval of log(ratio)
      const ml::Interval log_ci = ml::bootstrap_interval(std::log(*ratios[i].ratio), drawn[i]);
      ratios[i].ratio_ci = ml::Interval{std::exp(log_ci.lo), std::exp(log_ci.hi)};
    } else {
      ratios[i].note += fmt::format("; no interval: the ratio is defined in only {} of {} bootstrap replicates",
                                    drawn[i].size(), replicates);
    }
  }
  return ratios;
}

namespace {

json interval_json(const std::optional<ml::Interval>& ci) { return ci ? json::array({ci->lo, ci->hi}) : json(nullptr); }

}  // namespace

json quality_json(const Quality& q) {
  return {{"fd", q.fd},
          {"fd_ci", interval_json(q.fd_ci)},
          {"precision", optional_json(q.precision)},
          {"precision_ci", interval_json(q.precision_ci)},
          {"recall", optional_json(q.recall)},
          {"recall_ci", interval_json(q.recall_ci)},
          {"coverage", optional_json(q.coverage)},
          {"coverage_ci", interval_json(q.coverage_ci)},
          {"kid", optional_json(q.kid)},
          {"kid_ci", interval_json(q.kid_ci)},
          {"label_accuracy", optional_json(q.label_accuracy)},
          {"class_shares", q.class_shares.empty() ? json(nullptr) : json(q.class_shares)}};
}

json headline_json(const std::optional<Headline>& h) {
  if (!h) return nullptr;
  return {{"reference", h->reference}, {"family", h->family}, {"kind", h->kind}, {"value", h->value}};
}

json sensitivity_json(const std::vector<Sensitivity>& factors) {
  json out = json::array();
  const auto side = [](const SensitivityCase& c) { return json{{"setting", c.setting}, {"value", optional_json(c.value)}}; };
  for (const Sensitivity& f : factors)
    out.push_back({{"factor", f.factor}, {"base", f.base}, {"low", side(f.low)}, {"high", side(f.high)}});
  return out;
}

json data_floor_json(const std::optional<DataFloor>& floor) {
  if (!floor) return nullptr;
  return {{"name", floor->name},
          {"images", floor->images},
          {"quality", quality_json(floor->quality)},
          {"sample_grid", floor->sample_grid.empty() ? json(nullptr) : json(floor->sample_grid)}};
}

json compare_json(const CompareRun& run) {
  validate_run(run);
  json models = json::array(), ratios = json::array();
  for (const CompareModel& m : run.models) {
    json energy = {{"primary", m.energy.primary}};
    for (const auto& [bound, member] : optional_bounds()) energy[bound] = optional_json(m.energy.*member);
    models.push_back({
        {"family", m.family},
        {"name", m.name},
        {"hardware", m.hardware},
        {"quality", quality_json(m.quality)},
        {"failed", failed(m.quality)},
        {"energy_j", energy},
        {"latency_s", m.latency_s},
        {"usd_per_million",
         {{"energy", m.usd_per_million.energy_usd}, {"hardware", m.usd_per_million.hardware_usd},
          {"total", m.usd_per_million.total_usd}}},
        {"flops", optional_json(m.flops)},
        {"bytes", optional_json(m.bytes)},
        {"params", optional_json(m.params)},
        {"cpu_seconds_per_sample", optional_json(m.cpu_seconds_per_sample)},
        {"sample_grid", m.sample_grid.empty() ? json(nullptr) : json(m.sample_grid)},
    });
  }
  for (const MatchedRatio& r : matched_ratios(run))
    ratios.push_back({{"reference", r.reference},
                      {"reference_fd", r.reference_fd},
                      {"reference_energy_j", r.reference_energy},
                      {"family", r.family},
                      {"bound", r.bound},
                      {"family_energy_j", optional_json(r.family_energy)},
                      {"ratio", optional_json(r.ratio)},
                      {"ratio_limit", r.limit ? json{{"kind", r.limit->kind}, {"value", r.limit->value},
                                                     {"at_fd", r.limit->at_fd}}
                                              : json(nullptr)},
                      {"ratio_ci", interval_json(r.ratio_ci)},
                      {"note", r.note}});
  return {{"format", "tsu-compare-v1"}, {"title", run.title},        {"metric", run.metric},
          {"settings", run.settings},   {"assumptions", run.assumptions}, {"reference_family", run.reference_family},
          {"models", models},           {"matched_quality", ratios}, {"data_floor", data_floor_json(run.data_floor)},
          {"verdict", verdict(run)},    {"caveats", caveats(run)},
          {"headline", headline_json(headline(run))}, {"sensitivity", sensitivity_json(sensitivity(run))}};
}

namespace {

std::string with_ci(double v, const std::optional<ml::Interval>& ci) {
  if (!ci) return format_number(v);
  return fmt::format("{} [{}, {}]", format_number(v), format_number(ci->lo), format_number(ci->hi));
}

// "better than", "worse than" or "indistinguishable from" on FD, by the 95 % intervals when both have one.
std::string fd_comparison(const Quality& a, const Quality& b) {
  if (a.fd_ci && b.fd_ci && a.fd_ci->hi >= b.fd_ci->lo && b.fd_ci->hi >= a.fd_ci->lo)
    return "indistinguishable on FD from";
  return a.fd < b.fd ? "better on FD than" : "worse on FD than";
}

std::string ratio_phrase(const MatchedRatio& r) {
  if (r.ratio)
    return fmt::format("at the DTM's FD it needs {}x the DTM's energy per sample{}", format_number(*r.ratio),
                       r.ratio_ci ? fmt::format(" (95 % interval {} to {})", format_number(r.ratio_ci->lo),
                                                format_number(r.ratio_ci->hi))
                                  : "");
  if (r.limit)
    return fmt::format("its energy per sample is {} {}x the DTM's at FD {} (a bound: the curves do not overlap)",
                       r.limit->kind == "at_least" ? "at least" : "at most", format_number(r.limit->value),
                       format_number(r.limit->at_fd));
  return "no energy ratio: " + r.note;
}

}  // namespace

std::vector<std::string> verdict(const CompareRun& run) {
  const CompareModel* dtm = best_working(run, run.reference_family);
  if (!dtm) return {};
  std::vector<std::string> lines;
  lines.push_back(fmt::format("Best DTM point: {}, FD {} at {} J per sample on the modelled TSU ({}).", dtm->name,
                              with_ci(dtm->quality.fd, dtm->quality.fd_ci), format_number(dtm->energy.primary),
                              dtm->hardware));
  if (run.data_floor)
    lines.push_back(fmt::format("Real data ({} held-out images) scores FD {}: the floor at this sample size.",
                                run.data_floor->images, with_ci(run.data_floor->quality.fd, run.data_floor->quality.fd_ci)));
  const std::vector<MatchedRatio> ratios = matched_ratios(run);
  for (const std::string& family : families(run)) {
    if (family == run.reference_family) continue;
    const CompareModel* best = best_working(run, family);
    if (!best) {
      lines.push_back(fmt::format("{}: every point failed (precision or recall below {:g}): no ratio or bound.", family,
                                  kFailedBelow));
      continue;
    }
    std::string sentence = fmt::format("{}: best {}, FD {} ({} the DTM)", family, best->name,
                                       with_ci(best->quality.fd, best->quality.fd_ci),
                                       fd_comparison(best->quality, dtm->quality));
    for (const MatchedRatio& r : ratios)
      if (r.reference == dtm->name && r.family == family && r.bound == "primary") sentence += "; " + ratio_phrase(r);
    lines.push_back(sentence + ".");
  }
  return lines;
}

std::vector<std::string> caveats(const CompareRun& run) {
  std::vector<std::string> out = {
      "Both sides are models, not measurements: the TSU by tsu's hardware energy model of an unbuilt chip, the GPU "
      "by roofline and ideal bounds from its datasheet (a measured figure appears only where NVML measured one).",
      "Quality is measured in the features of a small Fashion-MNIST classifier trained by tsu (InceptionV3 cannot be "
      "had here): compare trends with the paper's FID, not values.",
      "Intervals are 95 % bootstrap intervals over samples and reference; those of precision and recall are about 25 % "
      "too narrow (docs/compare.md).",
      fmt::format("A point with precision or recall below {:g} is marked failed (an assumption of tsu's) and gives no "
                  "ratio or bound.",
                  kFailedBelow)};
  size_t assumed = 0;
  for (const auto& [key, source] : run.assumptions) assumed += source.find("ASSUMPTION") != std::string::npos;
  if (assumed)
    out.push_back(fmt::format("{} of the {} pricing inputs below are assumptions, not sourced constants.", assumed,
                              run.assumptions.size()));
  return out;
}

Plot compare_plot(const CompareRun& run) {
  Plot plot{"Energy per sample vs quality", "Frechet distance (lower is better)", "J per sample", false, true, {}};
  for (const std::string& family : families(run)) {
    std::vector<CurvePoint> points = family_curve(run, family, "primary");
    std::sort(points.begin(), points.end(), [](const CurvePoint& a, const CurvePoint& b) { return a.fd < b.fd; });
    Series series{family, {}, {}};
    for (const CurvePoint& p : points) series.x.push_back(p.fd), series.y.push_back(p.energy);
    plot.series.push_back(series);
  }
  if (run.data_floor) {  // a vertical line at the real images' FD, across the models' energies
    double low = INFINITY, high = 0;
    for (const CompareModel& m : run.models) low = std::min(low, m.energy.primary), high = std::max(high, m.energy.primary);
    if (run.models.empty()) low = high = 1;
    plot.series.push_back({run.data_floor->name + " (real data)", {run.data_floor->quality.fd, run.data_floor->quality.fd},
                           {low / 3, high * 3}});
  }
  return plot;
}

namespace {

std::string list_items(const std::vector<std::string>& lines) {
  std::string html;
  for (const std::string& line : lines) html += "<li>" + escape_html(line) + "</li>\n";
  return html;
}

}  // namespace

std::string sensitivity_table(const std::vector<Sensitivity>& factors) {
  std::string html = "<table>\n<tr><th>factor</th><th>this run</th><th>low</th><th>headline</th><th>high</th><th>headline</th></tr>\n";
  for (const Sensitivity& f : factors)
    html += fmt::format("<tr class=\"sensitivity\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                        escape_html(f.factor), escape_html(f.base), escape_html(f.low.setting), cell(f.low.value),
                        escape_html(f.high.setting), cell(f.high.value));
  return html + "</table>\n";
}

std::string report_html(const CompareRun& run, const std::string& plot_png_path, const std::string& sensitivity_png_path) {
  validate_run(run);
  std::string assumptions;
  for (const auto& [key, source] : run.assumptions)
    assumptions += fmt::format("<li><code>{}</code>: {}</li>\n", escape_html(key), escape_html(source));
  std::string grids;
  if (run.data_floor && !run.data_floor->sample_grid.empty())
    grids += fmt::format("<figure><img alt=\"{0}\" src=\"{1}\"><figcaption>{0} (real data, FD {2})</figcaption></figure>\n",
                         escape_html(run.data_floor->name), png_data_uri(run.data_floor->sample_grid),
                         format_number(run.data_floor->quality.fd));
  for (const CompareModel& m : run.models)
    if (!m.sample_grid.empty())
      grids += fmt::format("<figure><img alt=\"{0} samples\" src=\"{1}\"><figcaption>{0} ({2}, FD {3})</figcaption></figure>\n",
                           escape_html(m.name), png_data_uri(m.sample_grid), escape_html(m.family),
                           format_number(m.quality.fd));
  return fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{0}</title>\n<style>"
      "body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse;margin:1em 0}} "
      "td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}} td:nth-child(-n+3){{text-align:left}} "
      "figure{{display:inline-block;margin:0.5em}}</style></head>\n<body>\n<h1>{0}</h1>\n"
      "<p>Quality metric: <code>{1}</code> (Frechet distance, lower is better). Energy per sample on each model's "
      "own hardware: TSU by the hardware energy model, GPU by the roofline bound (ideal bound beside it); "
      "method in docs/compare.md.</p>\n<h2>Verdict</h2>\n<ul class=\"verdict\">\n{8}</ul>\n"
      "<h2>Caveats</h2>\n<ul class=\"caveats\">\n{9}</ul>\n<h2>Models</h2>\n{2}<h2>Energy at matched quality</h2>\n{3}"
      "<h2>Energy per sample vs quality</h2>\n<img alt=\"energy per sample vs quality\" src=\"{4}\">\n"
      "<h2>Sensitivity of the headline</h2>\n{10}{11}<h2>Samples</h2>\n{5}<h2>Settings</h2>\n<pre>{6}</pre>\n<h2>Assumptions and sources</h2>\n<ul>\n{7}</ul>\n"
      "</body></html>\n",
      escape_html(run.title), escape_html(run.metric), models_table(run), ratios_table(matched_ratios(run)),
      png_data_uri(plot_png_path), grids, escape_html(run.settings.dump(2)), assumptions, list_items(verdict(run)),
      list_items(caveats(run)), sensitivity_table(sensitivity(run)),
      sensitivity_png_path.empty() ? std::string()
                                   : fmt::format("<img alt=\"sensitivity of the headline ratio\" src=\"{}\">\n",
                                                 png_data_uri(sensitivity_png_path)));
}

CompareFiles write_compare_report(const std::string& dir, const CompareRun& run) {
  const std::filesystem::path d(dir);
  const CompareFiles files{(d / "compare.json").string(), (d / "compare.png").string(), (d / "report.html").string(),
                           (d / "sensitivity.png").string()};
  write_file_atomic(files.json, compare_json(run).dump(2) + "\n");
  write_plot_png(files.png, compare_plot(run));
  const std::vector<Sensitivity> factors = sensitivity(run);
  if (!factors.empty()) write_plot_png(files.sensitivity_png, sensitivity_plot(run, factors));
  write_file_atomic(files.html, report_html(run, files.png, factors.empty() ? "" : files.sensitivity_png));
  return files;
}

}  // namespace tsu::cost
