#include "api/logz.hpp"

#include <cmath>
#include <memory>

#include "api/train.hpp"
#include "ml/fit.hpp"
#include "sample/exact.hpp"

namespace tsu::api {

namespace {

using nlohmann::json;

// The rows' mean NLL and its standard error: AIS's error of log Z and the spread of the rows.
void score_rows(LogZResult& r, const CompiledModel& cm, const std::string& source) {
  const ml::FitData data = fit_data(load_rows(source), source, *cm.model);
  double sum = 0, sum_sq = 0;
  for (size_t i = 0; i < data.count(); ++i) {
    const double nll = r.ais.log_z - ml::latent_log_sum(cm, data.row(i));
    sum += nll, sum_sq += nll * nll;
  }
  const double n = double(data.count());
  r.rows = data.count();
  r.nll = sum / n;
  const double variance = n > 1 ? std::max(0.0, (sum_sq - n * r.nll * r.nll) / (n - 1)) : 0.0;
  r.nll_standard_error = std::sqrt(r.ais.standard_error * r.ais.standard_error + variance / n);
}

json number_or_null(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

}  // namespace

LogZResult log_z(const ModelPtr& model, const LogZOptions& options) {
  const Layout layout = layout_for(*model, std::nullopt, "model");
  const CompiledModel cm = compile(model);
  LogZResult r;
  r.model = model;
  r.options = options.ais;
  r.ais = annealed_log_z(cm, layout, options.ais, options.progress);
  double states = 1;
  for (size_t i = 0; i < model->size(); ++i)
    if (!layout.clamped[i]) states *= model->nodes[i].states;
  if (states <= kMaxCheckedStates) r.exact_log_z = exact_moments(*model, layout.clamped, {}, model->beta).log_z;
  if (!options.data.empty()) score_rows(r, cm, options.data);
  return r;
}

json LogZResult::to_json() const {
  json out{{"model", model->name},
           {"log_z", ais.log_z},
           {"standard_error", ais.standard_error},
           {"method", "annealed importance sampling (Neal 2001), linear beta ladder from 0, one sweep per step"},
           {"chains", options.chains},
           {"steps", options.steps},
           {"seed", options.seed},
           {"effective_chains", ais.effective_chains},
           {"thermodynamic_integration", ais.ti_log_z},
           {"log_z0", ais.log_z0},
           {"exact_log_z", exact_log_z ? json(*exact_log_z) : json(nullptr)},
           {"seconds", ais.seconds}};
  if (rows > 0)
    out["data"] = {{"rows", rows}, {"nll", number_or_null(nll)}, {"nll_standard_error", number_or_null(nll_standard_error)}};
  return out;
}

}  // namespace tsu::api
