#include <cmath>
#include <omp.h>

#include "sample/backends.hpp"
#include "sample/rng.hpp"

namespace tsu {
namespace {

class ReferenceBackend final : public Backend {
 public:
  ReferenceBackend(const CompiledModel& cm, const Layout& layout, const EngineOptions& opt)
      : cm_(cm),
        layout_(layout),
        states_(opt.chains, int(cm.size())),
        beta_factors_(size_t(opt.chains), 1.0),
        threads_(resolve_threads(opt.threads)) {
    for (int c = 0; c < opt.chains; ++c) rngs_.push_back(chain_stream(opt.seed, uint64_t(opt.first_chain + c)));
  }

  std::string name() const override { return "reference"; }

  void sweeps(int64_t count, const BetaSchedule& beta, int64_t first_sweep) override {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (int c = 0; c < states_.chains; ++c) {
      std::vector<double> logits(kMaxCategories);
      for (int64_t k = 0; k < count; ++k) sweep_chain(c, beta.at(first_sweep + k) * beta_factors_[c], logits);
    }
  }

  void get_states(StateBatch& out) const override { out = states_; }
  void set_states(const StateBatch& in) override {
    if (in.chains != states_.chains || in.nodes != states_.nodes)
      throw Error("set_states: batch shape does not match the backend's chains and nodes");
    states_ = in;
  }
  void set_beta_factors(std::span<const double> factors) override {
    validate_beta_factors(factors, states_.chains);
    beta_factors_.assign(factors.begin(), factors.end());
  }

 private:
  // Nodes of one block share no factor, so updating them in place, in order, equals a parallel
  // update from the state before the block.
  void sweep_chain(int c, double beta, std::vector<double>& logits) {
    auto state = states_.chain(c);
    auto& rng = rngs_[c];
    for (const auto& block : layout_.blocks) {
      for (int32_t node : block) {
        const float u = rng.uniform();
        const auto& kind = cm_.model->nodes[node];
        if (kind.is_spin()) {
          state[node] = draw_spin(spin_field(cm_, node, state), beta, u);
        } else {
          std::span<double> l(logits.data(), size_t(kind.states));
          categorical_logits(cm_, node, state, l);
          state[node] = draw_softmax(l, beta, u);
        }
      }
    }
  }

  const CompiledModel& cm_;
  Layout layout_;
  StateBatch states_;
  std::vector<double> beta_factors_;
  std::vector<Xoshiro128p> rngs_;
  int threads_;
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend(const CompiledModel& cm, const Layout& layout,
                                                const EngineOptions& opt) {
  return std::make_unique<ReferenceBackend>(cm, layout, opt);
}

int resolve_threads(int requested) { return requested > 0 ? requested : omp_get_max_threads(); }

}  // namespace tsu
