#include "api/exact.hpp"

#include "api/model.hpp"
#include "sample/exact.hpp"
#include "sample/observers.hpp"
#include "util/files.hpp"

namespace tsu::api {

ExactResult exact(const ModelPtr& model, const std::string& model_name) {
  const std::string name = model_name.empty() ? model->name : model_name;
  layout_for(*model, std::nullopt, name);  // the model's own blocks are checked as sampling checks them
  // The pair moments are among the factor moments: enumerating them as pairs too would count them twice.
  const auto r = with_context(name, [&] { return exact_moments(*model, clamp_mask(*model), {}, model->beta); });
  return {model, r.marginals, two_spin_pairs(*model), two_spin_moments(*model, r.factor_moments), r.factor_moments,
          r.log_z, r.mean_energy, name};
}

nlohmann::json ExactResult::to_json() const {
  nlohmann::json doc = moments_json(*model, marginals, pair_moments);
  doc["factor_moments"] = factor_moments_json(*model, factor_moments);
  doc["log_z"] = log_z;
  doc["energy"] = {{"mean", energy_mean}};
  doc["run"] = {{"model", model_name}, {"beta", model->beta}, {"method", "exact enumeration"}};
  return doc;
}

std::vector<std::string> save(const ExactResult& result, const std::string& dir) {
  const std::string path = (prepare_dir(dir) / "moments.json").string();
  write_file_atomic(path, result.to_json().dump(1) + "\n");
  return {path};
}

}  // namespace tsu::api
