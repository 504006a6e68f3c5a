#include "hw/study.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "graph/blocks.hpp"
#include "graph/topology.hpp"
#include "hw/cell.hpp"
#include "sample/exact.hpp"
#include "sample/observers.hpp"

namespace tsu::hw {

namespace {

constexpr double kFreshClock = 40;  // clock phases of 40 tau: every latched sample is fresh

ChipOptions only(bool ChipOptions::*flag) {
  ChipOptions o = ChipOptions::ideal();
  if (flag) o.*flag = true;
  return o;
}

Device with_fresh_clock(Device d) {
  d.clock_period = kFreshClock * d.tau;
  return d;
}

// The mean of `measure` over chip instances (device seeds 1..instances).
template <class Measure>
std::vector<double> over_instances(int instances, Measure measure) {
  std::vector<double> mean;
  for (int s = 1; s <= instances; ++s) {
    const std::vector<double> v = measure(uint64_t(s));
    if (mean.empty()) mean.assign(v.size(), 0.0);
    for (size_t k = 0; k < v.size(); ++k) mean[k] += v[k] / instances;
  }
  return mean;
}

Table mismatch_study(const Model& m, const Device& base, const StudyOptions& opt) {
  Table t{{"sigma", "marginal_raw", "moment_raw", "marginal_calibrated", "moment_calibrated", "residual"}, {}};
  for (double sigma : {0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8}) {
    const auto row = over_instances(opt.instances, [&](uint64_t seed) {
      Device d = with_fresh_clock(base);
      d.gain_sigma = d.offset_sigma = sigma;
      d.seed = double(seed);
      Chip chip(m, d, only(&ChipOptions::mismatch));
      const Accuracy raw = chip_accuracy(chip, opt);
      const Calibration cal = chip.calibrate(opt.calibration_samples, seed, opt.threads);
      const Accuracy fixed = chip_accuracy(chip, opt);
      return std::vector<double>{raw.marginal, raw.moment, fixed.marginal, fixed.moment, cal.after_mean};
    });
    t.rows.push_back({sigma, row[0], row[1], row[2], row[3], row[4]});
  }
  return t;
}

Table dac_study(const Model& m, const Device& base, const StudyOptions& opt) {
  Table t{{"dac_bits", "marginal", "moment"}, {}};
  for (int bits : {1, 2, 3, 4, 5, 6, 8, 10}) {
    Device d = with_fresh_clock(base);
    d.dac_bits = bits;
    d.weight_max = 0;
    const Accuracy a = chip_accuracy(Chip(m, d, only(&ChipOptions::quantize)), opt);
    t.rows.push_back({double(bits), a.marginal, a.moment});
  }
  return t;
}

// Short phases give correlated samples, so each point runs about tau / phase times longer.
StudyOptions stretched(StudyOptions opt, double phase_over_tau) {
  const auto stretch = int64_t(std::ceil(std::max(1.0, 1.0 / phase_over_tau)));
  opt.schedule.warmup *= stretch;
  opt.schedule.every *= stretch;
  return opt;
}

Table clock_study(const Model& m, const Device& base, const StudyOptions& opt) {
  Table t{{"phase_over_tau", "marginal", "moment", "marginal_bias_delay", "moment_bias_delay"}, {}};
  for (double ratio : {0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0}) {
    Device d = base;
    d.clock_period = ratio * d.tau;
    const StudyOptions o = stretched(opt, ratio);
    const Accuracy a = chip_accuracy(Chip(m, d, only(nullptr)), o);
    const Accuracy delayed = chip_accuracy(Chip(m, d, only(&ChipOptions::bias_delay)), o);
    t.rows.push_back({ratio, a.marginal, a.moment, delayed.marginal, delayed.moment});
  }
  return t;
}

Table async_study(const Model& m, const Device& base, const StudyOptions& opt) {
  Table t{{"tau_bias_over_tau", "marginal", "moment"}, {}};
  for (double ratio : {0.0, 0.03, 0.1, 0.3, 1.0, 3.0}) {
    Device d = base;
    d.clock_period = d.tau;  // one "sweep" = 2 tau of chip time
    d.tau_bias = ratio * d.tau;
    ChipOptions o = only(&ChipOptions::bias_delay);
    o.mode = ChipMode::Async;
    const Accuracy a = chip_accuracy(Chip(m, d, o), opt);
    t.rows.push_back({ratio, a.marginal, a.moment});
  }
  return t;
}

Table calibration_study(const Model& m, const Device& base, const StudyOptions& opt) {
  Table t{{"samples_per_point", "residual_fresh", "residual_clock_tau", "residual_max_fresh", "before"}, {}};
  for (int64_t samples : {30, 100, 300, 1000, 3000, 10000}) {
    const auto row = over_instances(opt.instances, [&](uint64_t seed) {
      Device d = with_fresh_clock(base);
      d.gain_sigma = d.offset_sigma = 0.3;
      d.seed = double(seed);
      Chip fresh(m, d, only(&ChipOptions::mismatch));
      const Calibration a = fresh.calibrate(samples, seed, opt.threads);
      d.clock_period = d.tau;
      Chip correlated(m, d, only(&ChipOptions::mismatch));
      const Calibration b = correlated.calibrate(samples, seed, opt.threads);
      return std::vector<double>{a.after_mean, b.after_mean, a.after_max, a.before_mean};
    });
    t.rows.push_back({double(samples), row[0], row[1], row[2], row[3]});
  }
  return t;
}

Table pbit_study(const Device& d) {
  const double dt = d.tau / 10, p = sigmoid(0.5);
  const auto trace = telegraph_trace(p, d.tau, dt, 400000, 1);
  const auto acf = autocorrelation(trace, 40);
  Table t{{"t_over_tau", "acf_simulated", "acf_closed_form"}, {}};
  for (size_t lag = 0; lag < acf.size(); ++lag) {
    const double x = double(lag) * dt / d.tau;
    t.rows.push_back({x, acf[lag], std::exp(-x)});
  }
  return t;
}

Table transfer_study(const Device& d) {
  Table t{{"v_b", "p_simulated", "p_closed_form"}, {}};
  for (int k = -10; k <= 10; ++k) {
    const double v = 0.5 * k * d.v_s, p = pbit_probability(v, d.v_s, d.phi);
    const auto trace = telegraph_trace(p, d.tau, d.tau, 20000, uint64_t(k + 100));
    double ones = 0;
    for (uint8_t x : trace) ones += x;
    t.rows.push_back({v, ones / double(trace.size()), p});
  }
  return t;
}

}  // namespace

std::string Table::csv() const {
  std::string text = fmt::format("{}\n", fmt::join(columns, ","));
  for (const auto& row : rows) text += fmt::format("{:.6g}\n", fmt::join(row, ","));
  return text;
}

Accuracy chip_accuracy(const Chip& chip, const StudyOptions& opt) {
  const Model& m = chip.model();
  const Layout layout = default_layout(m);
  const CompiledModel cm = compile(std::make_shared<const Model>(m));
  auto backend = make_chip_backend(chip, layout, EngineOptions{opt.chains, opt.seed, opt.threads});
  backend->set_states(initial_states(cm, layout, opt.chains, opt.seed, InitKind::Uniform, m.beta));
  const auto pairs = two_spin_pairs(m);
  MarginalObserver marginals(m);
  PairMomentObserver moments(pairs);
  std::vector<Observer*> observers = {&marginals, &moments};
  run(*backend, opt.schedule, BetaSchedule::constant(m.beta), observers);
  const ExactResult exact = exact_moments(m, layout.clamped, pairs, m.beta);
  Accuracy a;
  const auto sampled = marginals.marginals();
  for (size_t i = 0; i < m.size(); ++i) {
    double tv = 0;
    for (size_t k = 0; k < sampled[i].size(); ++k) tv += 0.5 * std::abs(sampled[i][k] - exact.marginals[i][k]);
    a.marginal += tv / double(layout.free_count());
  }
  const auto sampled_moments = moments.moments();
  for (size_t k = 0; k < pairs.size(); ++k)
    a.moment += std::abs(sampled_moments[k] - exact.pair_moments[k]) / double(pairs.size());
  return a;
}

Model study_model() { return grid_ising(4, "G8", false, 0.6, 0.3, 7); }

std::vector<std::string> study_names() { return {"mismatch", "dac", "clock", "async", "calibration", "pbit", "transfer"}; }

Table run_study(const std::string& name, const Model& model, const Device& device, const StudyOptions& opt) {
  if (name == "mismatch") return mismatch_study(model, device, opt);
  if (name == "dac") return dac_study(model, device, opt);
  if (name == "clock") return clock_study(model, device, opt);
  if (name == "async") return async_study(model, device, opt);
  if (name == "calibration") return calibration_study(model, device, opt);
  if (name == "pbit") return pbit_study(device);
  if (name == "transfer") return transfer_study(device);
  throw Error(fmt::format("study: unknown study \"{}\" (expected {})", name, fmt::join(study_names(), ", ")));
}

Plot study_plot(const std::string& name, const Table& table) {
  struct Spec {
    const char* name;
    const char* title;
    const char* x_label;
    const char* y_label;
    bool log_x, log_y;
  };
  static const Spec specs[] = {
      {"mismatch", "Chip vs exact: gain and offset mismatch", "mismatch sigma", "distance", false, true},
      {"dac", "Chip vs exact: DAC resolution", "DAC bits", "distance", false, true},
      {"clock", "Chip vs exact: clock phase (clocked)", "phase / tau", "distance", true, true},
      {"async", "Chip vs exact: bias delay (asynchronous)", "tau_bias / tau", "distance", true, true},
      {"calibration", "Calibration residual (mean over cells of P_chip - P)", "samples per point", "residual", true, true},
      {"pbit", "p-bit autocorrelation", "t / tau", "autocorrelation", false, false},
      {"transfer", "p-bit transfer curve", "V_b (V)", "P(1)", false, false},
  };
  const auto* spec = std::find_if(std::begin(specs), std::end(specs), [&](const Spec& s) { return name == s.name; });
  if (spec == std::end(specs)) throw Error(fmt::format("study: no plot for \"{}\"", name));
  Plot plot{spec->title, spec->x_label, spec->y_label, spec->log_x, spec->log_y, {}};
  for (size_t col = 1; col < table.columns.size(); ++col) {
    if (name == "calibration" && table.columns[col] == "before") continue;
    Series s{table.columns[col], {}, {}};
    for (const auto& row : table.rows) {
      s.x.push_back(row[0]);
      s.y.push_back(row[col]);
    }
    plot.series.push_back(std::move(s));
  }
  if (name == "calibration")
    plot.series.push_back({"target 0.05", {table.rows.front()[0], table.rows.back()[0]}, {0.05, 0.05}});
  return plot;
}

}  // namespace tsu::hw
