// The functions behind libtsu_neural.so's entry points (api/neural.hpp); internal to this library.
#pragma once

#include "api/neural.hpp"

namespace tsu::api::neural {

ClassifierMetric classifier_metric(const std::string& scale, const std::string& cache, int threads,
                                   const StepProgress& progress);
CompareResult run_compare(const CompareOptions& options);
nlohmann::json run_dtm_coverage(const DtmCoverageOptions& options);

}  // namespace tsu::api::neural
