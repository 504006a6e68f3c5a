#include "hw/chip.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <omp.h>

#include "graph/blocks.hpp"
#include "hw/cell.hpp"

namespace tsu::hw {

namespace {

constexpr double kMinGain = 0.05;  // a cell whose gain would be <= 0 is taken as barely responsive
constexpr double kCalibrationLevels[] = {-2, -1, 0, 1, 2};

// Weights and biases through the DAC: clipped to +-range and rounded to one of 2^bits - 1 magnitude
// levels, each with its sign bit (DTM §3.3: conductances with sign bits).
Model quantised(const Model& m, const Device& d) {
  Model q = m;
  double range = d.weight_max;
  if (range == 0)
    for (const auto& g : m.groups)
      for (double w : g.weights) range = std::max(range, std::abs(w));
  if (range == 0) return q;
  const double levels = d.dac_bits > 0 ? std::ldexp(1.0, int(d.dac_bits)) - 1 : 0;
  for (auto& g : q.groups)
    for (double& w : g.weights) {
      double magnitude = std::min(std::abs(w), range);
      if (levels > 0) magnitude = std::round(magnitude / range * levels) * range / levels;
      w = std::copysign(magnitude, w);
    }
  return q;
}

// Softmax of logits, in place.
void softmax(std::span<double> v) {
  const double top = *std::max_element(v.begin(), v.end());
  double total = 0;
  for (double& x : v) total += (x = std::exp(x - top));
  for (double& x : v) x /= total;
}

int draw_from(std::span<const double> probabilities, double u) {
  for (size_t k = 0; k + 1 < probabilities.size(); ++k)
    if ((u -= probabilities[k]) < 0) return int(k);
  return int(probabilities.size()) - 1;
}

// Weighted least squares y = a x + b.
std::pair<double, double> fit_line(std::span<const double> x, std::span<const double> y, std::span<const double> w) {
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sw += w[i];
    sx += w[i] * x[i];
    sy += w[i] * y[i];
    sxx += w[i] * x[i] * x[i];
    sxy += w[i] * x[i] * y[i];
  }
  const double a = (sw * sxy - sx * sy) / (sw * sxx - sx * sx);
  return {a, (sy - a * sx) / sw};
}

}  // namespace

Chip::Chip(const Model& model, Device device, ChipOptions options)
    : model_(std::make_shared<const Model>(model)), device_(std::move(device)), options_(options) {
  validate_device(device_);
  const Model program = options_.quantize ? quantised(model, device_) : model;
  program_ = compile(std::make_shared<const Model>(program));
  gain_scale_ = options_.temperature ? device_.t_ref / device_.temperature : 1.0;
  const size_t n = model.size();
  state_index_.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) state_index_[i + 1] = state_index_[i] + model.nodes[i].states;
  // Frozen disorder: the same draws for every sigma, so that one chip instance can be studied at
  // several mismatch levels.
  auto rng = chain_stream(derive(uint64_t(device_.seed), Purpose::Mismatch), 0, Stream::Aux);
  const double gain_sigma = options_.mismatch ? device_.gain_sigma : 0.0;
  const double offset_sigma = options_.mismatch ? device_.offset_sigma : 0.0;
  gain_.resize(n);
  offset_.assign(size_t(state_index_[n]), 0.0);
  for (size_t i = 0; i < n; ++i) {
    gain_[i] = std::max(kMinGain, 1.0 + gain_sigma * normal(rng));
    const bool spin = model.nodes[i].is_spin();
    for (int64_t k = state_index_[i] + (spin ? 1 : 0); k < state_index_[i + 1]; ++k) offset_[k] = offset_sigma * normal(rng);
  }
  cal_gain_.assign(n, 1.0);
  cal_offset_.assign(offset_.size(), 0.0);
  place_cells();
}

// Row-major on the smallest square array that holds the nodes; a wire runs straight between cells.
void Chip::place_cells() {
  const size_t n = model_->size();
  const auto side = int64_t(std::ceil(std::sqrt(double(n))));
  const auto neighbours = interaction_graph(*model_);
  degree_.resize(n);
  wire_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    double length = 0;
    for (int32_t j : neighbours[i])
      length += std::hypot(double(int64_t(i) / side - j / side), double(int64_t(i) % side - j % side));
    degree_[i] = double(neighbours[i].size());
    wire_[i] = length * device_.pitch;
  }
}

double Chip::cell_logit(size_t node, int state, double programmed, double drift) const {
  const double phi = device_.phi;
  return gain_[node] * gain_scale_ * (programmed + phi) - phi - offset_[state_index_[node] + state] - drift;
}

double Chip::spin_logit(size_t node, double z, double drift) const {
  return cell_logit(node, 1, (z - cal_offset_[state_index_[node] + 1]) / cal_gain_[node], drift);
}

void Chip::categorical_logits(size_t node, std::span<double> logits, std::span<const double> drift) const {
  const int64_t base = state_index_[node];
  for (size_t k = 0; k < logits.size(); ++k) {
    const double programmed = (logits[k] - cal_offset_[base + k]) / cal_gain_[node];
    logits[k] = cell_logit(node, int(k), programmed, drift.empty() ? 0.0 : drift[k]);
  }
}

std::pair<double, double> Chip::transfer_error() const {
  const size_t n = model_->size();
  double sum = 0, worst = 0;
  std::vector<double> ideal(kMaxCategories), chip(kMaxCategories);
  for (size_t i = 0; i < n; ++i) {
    const int states = model_->nodes[i].states;
    double cell_sum = 0;
    int points = 0;
    for (int k = 1; k < states; ++k)
      for (double t = -3; t <= 3; t += 0.5) {
        std::span<double> p(ideal.data(), size_t(states)), q(chip.data(), size_t(states));
        std::fill(p.begin(), p.end(), 0.0);
        p[k] = t;
        std::copy(p.begin(), p.end(), q.begin());
        if (states == 2 && model_->nodes[i].is_spin()) {
          q[1] = spin_logit(i, t, 0.0);
        } else {
          categorical_logits(i, q, {});
        }
        softmax(p);
        softmax(q);
        double error = 0;
        for (int s = 0; s < states; ++s) error = std::max(error, std::abs(p[s] - q[s]));
        cell_sum += error;
        worst = std::max(worst, error);
        ++points;
      }
    sum += cell_sum / points;
  }
  return {sum / double(n), worst};
}

Calibration Chip::calibrate(int64_t samples_per_point, uint64_t seed, int threads) {
  if (samples_per_point < 1) throw Error(fmt::format("calibration samples: must be >= 1, got {}", samples_per_point));
  Calibration result;
  result.samples_per_point = samples_per_point;
  std::tie(result.before_mean, result.before_max) = transfer_error();
  std::fill(cal_gain_.begin(), cal_gain_.end(), 1.0);
  std::fill(cal_offset_.begin(), cal_offset_.end(), 0.0);
  const double keep = keep_probability(device_.clock_period, device_.tau);
  const double read_error = options_.readout ? device_.readout_error : 0.0;
  const double drift_sigma = options_.drift ? device_.drift_sigma : 0.0;
  const auto n = int64_t(model_->size());
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads > 0 ? threads : omp_get_max_threads())
  for (int64_t i = 0; i < n; ++i) {
    auto rng = chain_stream(derive(seed, Purpose::Calibration), uint64_t(i), Stream::Aux);
    const int states = model_->nodes[i].states;
    const bool spin = model_->nodes[i].is_spin();
    const auto size = size_t(states);
    std::vector<double> drift(size, 0.0), logits(size), counts(size);
    for (int s = spin ? 1 : 0; s < states; ++s) drift[s] = drift_sigma * normal(rng);  // a snapshot
    double gain_sum = 0;
    for (int k = 1; k < states; ++k) {
      std::vector<double> x, y, w;
      for (double level : kCalibrationLevels) {
        // The cell's response to the test input `level` on state k, measured as a clocked read-out.
        for (int s = 0; s < states; ++s) logits[s] = cell_logit(size_t(i), s, s == k ? level : 0.0, drift[s]);
        if (spin) logits[0] = 0;  // a p-bit has one logit: P(1) = sigmoid(logits[1])
        softmax(logits);
        std::fill(counts.begin(), counts.end(), 0.0);
        int state = draw_from(logits, open_uniform(rng));
        for (int64_t m = 0; m < samples_per_point; ++m) {
          if (open_uniform(rng) >= keep) state = draw_from(logits, open_uniform(rng));
          int read = state;
          if (open_uniform(rng) < read_error)
            read = (state + 1 + int(open_uniform(rng) * (states - 1))) % states;  // any other state
          counts[read] += 1;
        }
        x.push_back(level);
        y.push_back(std::log((counts[k] + 0.5) / (counts[0] + 0.5)));
        w.push_back(1.0 / (1.0 / (counts[k] + 0.5) + 1.0 / (counts[0] + 0.5)));
      }
      const auto [slope, intercept] = fit_line(x, y, w);
      gain_sum += slope;
      cal_offset_[state_index_[i] + k] = intercept;
    }
    cal_gain_[i] = std::max(kMinGain, gain_sum / (states - 1));
  }
  std::tie(result.after_mean, result.after_max) = transfer_error();
  return result;
}

}  // namespace tsu::hw
