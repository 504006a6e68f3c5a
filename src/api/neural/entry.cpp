// libtsu_neural.so's one exported symbol: the table that api/neural.cpp loads.
#include "api/neural/entry.hpp"

#include "baselines/metric.hpp"

namespace tsu::api::neural {

ClassifierMetric classifier_metric(const std::string& scale, const std::string& cache, int threads,
                                   const StepProgress& progress) {
  auto config = baselines::load_classifier_config(baselines::classifier_config_path(scale));
  if (threads > 0) config.threads = threads;
  const auto classifier =
      baselines::Classifier::load_or_train(cache.empty() ? baselines::default_cache_dir() : cache, config, progress);
  return {classifier.metric(), classifier.path(), classifier.test_accuracy()};
}

}  // namespace tsu::api::neural

extern "C" __attribute__((visibility("default"))) const tsu::api::NeuralEntryPoints* tsu_neural_entry_points() {
  static const tsu::api::NeuralEntryPoints table{tsu::api::kNeuralEntryPointsVersion,
                                                 &tsu::api::neural::classifier_metric,
                                                 &tsu::api::neural::run_compare,
                                                 &tsu::api::neural::run_dtm_coverage};
  return &table;
}
