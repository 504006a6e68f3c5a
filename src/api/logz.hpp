// Partition functions through the API (`tsu logz`, tsu.log_z): annealed importance sampling for
// any model (sample/ais.hpp), enumeration beside it when the model is small, and the NLL of data
// rows, with the latent nodes summed in closed form (ml/fit.hpp's latent_log_sum).
#pragma once

#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/model.hpp"
#include "sample/ais.hpp"

namespace tsu::api {

struct LogZOptions {
  AisOptions ais;
  std::string data;  // "" or rows as api::load_rows names them (FILE.npy, fashion-mnist[-test]:CLASS)
  ProgressFn progress;  // in ladder steps
};

struct LogZResult {
  ModelPtr model;
  AisOptions options;
  AisResult ais;
  std::optional<double> exact_log_z;  // when the free nodes have at most kMaxCheckedStates configurations
  size_t rows = 0;                    // data rows scored (0: no data)
  double nll = std::numeric_limits<double>::quiet_NaN();  // mean per row: log Z - the latent sum
  double nll_standard_error = std::numeric_limits<double>::quiet_NaN();  // AIS's and the rows' spread

  nlohmann::json to_json() const;  // logz.json
};

constexpr double kMaxCheckedStates = 1 << 20;

// Errors name the option or the data's file and entry.
LogZResult log_z(const ModelPtr& model, const LogZOptions& options);

}  // namespace tsu::api
