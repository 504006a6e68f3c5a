#include "sample/ais.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <vector>

#include "sample/bit_planes.hpp"

namespace tsu {

void AisOptions::validate() const {
  if (chains < 2) throw Error(fmt::format("chains: must be at least 2, got {}", chains));
  if (steps < 1) throw Error(fmt::format("steps: must be at least 1, got {}", steps));
}

namespace {

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / double(v.size());
}

}  // namespace

AisResult annealed_log_z(const CompiledModel& cm, const Layout& layout, const AisOptions& options,
                         const ProgressFn& progress) {
  options.validate();
  const auto start = std::chrono::steady_clock::now();
  const Model& model = *cm.model;
  const double beta = model.beta;
  AisResult r;
  for (size_t i = 0; i < model.size(); ++i)
    if (!layout.clamped[i]) r.log_z0 += std::log(double(model.nodes[i].states));

  EngineOptions eo;
  eo.chains = options.chains;
  eo.seed = options.seed;
  eo.threads = options.threads;
  eo.backend = options.backend;
  auto backend = make_backend(cm, layout, eo);
  backend->set_states(initial_states(cm, layout, options.chains, options.seed, InitKind::Uniform, 0.0));

  std::vector<double> log_w(size_t(options.chains), 0.0), sums(size_t(options.chains));
  chain_factor_sums(*backend, model, options.threads, sums);
  double previous_b = 0, previous_mean = mean(sums), ti = 0;
  for (int64_t k = 1; k <= options.steps; ++k) {
    const double b = double(k) / double(options.steps);
    for (size_t c = 0; c < sums.size(); ++c) log_w[c] += (b - previous_b) * beta * sums[c];
    backend->sweeps(1, BetaSchedule::constant(beta * b), 0);
    chain_factor_sums(*backend, model, options.threads, sums);
    const double m = mean(sums);
    ti += 0.5 * (b - previous_b) * beta * (previous_mean + m);
    previous_b = b, previous_mean = m;
    if (progress && (k % 64 == 0 || k == options.steps)) progress(k, options.steps);
  }

  const double top = *std::max_element(log_w.begin(), log_w.end());
  double sum = 0, sum_sq = 0;
  for (double lw : log_w) {
    const double w = std::exp(lw - top);
    sum += w, sum_sq += w * w;
  }
  const double n = double(options.chains), m = sum / n;
  const double variance = std::max(0.0, (sum_sq / n - m * m) * n / (n - 1));
  r.log_z = r.log_z0 + top + std::log(m);
  r.standard_error = std::sqrt(variance / n) / m;
  r.effective_chains = sum * sum / sum_sq;
  r.ti_log_z = r.log_z0 + ti;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace tsu
