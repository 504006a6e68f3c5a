// A denoising thermodynamic model (arXiv:2510.23972): T Boltzmann machines, step k (0-based)
// denoising x^{k+1} -> x^k over the forward-process interval [t_k, t_{k+1}], each with its own
// graph (same grid, visible placement seeded by derive(seed, StepGraph, k)), parameters, Adam state and ACP state.
// Checkpoints hold all of it, so that a resumed run continues exactly as an uninterrupted one.
#pragma once

#include <string>
#include <vector>

#include "ml/config.hpp"
#include "ml/optim.hpp"
#include "ml/step_graph.hpp"

namespace tsu::ml {

struct StepState {
  std::vector<double> theta;  // edge weights, then site biases (the Gradient layout)
  AdamState adam;
  AcpState acp;  // acp.lambda: the total-correlation strength of the next epoch
  StateBatch negative;  // training.negative.persistent: the negative chains' states after the last batch
};

class Dtm {
 public:
  // Builds the graphs; parameters start at 0 and acp.lambda at penalty.tc.
  explicit Dtm(DtmConfig config);

  const DtmConfig& config() const { return config_; }
  int steps() const { return int(graphs_.size()); }
  const StepGraph& graph(int k) const { return graphs_.at(size_t(k)); }
  StepState& state(int k) { return states_.at(size_t(k)); }
  const StepState& state(int k) const { return states_.at(size_t(k)); }
  const std::vector<double>& times() const { return times_; }  // t_0 .. t_T
  int epochs_done() const { return epochs_done_; }
  void set_epochs_done(int epochs) { epochs_done_ = epochs; }

  // Adopts `config` for the rest of a resumed run: it may differ from the stored one only in the
  // thread count (results do not depend on it) and the number of epochs; Error naming `source`
  // and the first differing field otherwise.
  void continue_with(const DtmConfig& config, const std::string& source);

  std::span<const double> weights(int k) const;
  std::span<const double> biases(int k) const;
  // Step k's model as the chains sample it: on the grid of sampler.bits when set (quantize()).
  std::shared_ptr<const Model> sampled_model(int k, double beta) const;

  // Atomic, fsynced write of a checksummed file; Error (and nothing written) when a parameter or an
  // optimiser moment is not finite. load() checks the magic, the checksum, the sizes, that the stored
  // arrays fit the stored config and that every value is finite; Error names the file.
  void save(const std::string& path) const;
  static Dtm load(const std::string& path);

 private:
  DtmConfig config_;
  std::vector<double> times_;
  std::vector<StepGraph> graphs_;
  std::vector<StepState> states_;
  int epochs_done_ = 0;
};

}  // namespace tsu::ml
