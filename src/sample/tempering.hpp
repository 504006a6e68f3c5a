// Parallel tempering (replica exchange; Swendsen and Wang 1986, Geyer 1991): every chain runs as K
// replicas at beta factors f_0 < ... < f_{K-1} = 1 of the schedule's beta, and after every sweep
// neighbouring replicas of a chain exchange temperatures with the Metropolis probability
// min(1, exp((b_k - b_{k+1}) (E_k - E_{k+1}))), on rungs of alternating parity (every sweep, or
// every `swap_every` sweeps: each round evaluates every replica's energy). The cold replicas
// are the chains a run observes; hot ones cross the barriers that trap a cold chain.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sample/engine.hpp"
#include "sample/rng.hpp"

namespace tsu {

// K factors from `lowest` to 1, evenly spaced in log beta.
std::vector<double> geometric_ladder(int replicas, double lowest);
// Error naming the entry unless 2..64 factors, ascending, in (0, 1], the last 1.
void validate_ladder(std::span<const double> ladder);

// One round of swaps over every group of replicas: group l's rung k is held by chain
// chain_at[l * K + k] (temp_of is its inverse); rungs (k, k + 1) with k of `parity` are tried, with
// energies indexed by chain and `betas` the rungs' betas. tries and accepted count per rung k.
void exchange_replicas(int parity, std::span<const double> betas, std::span<const double> energy,
                       std::span<int> temp_of, std::span<int> chain_at, std::span<Xoshiro128p> rng,
                       std::span<double> tries, std::span<double> accepted);

// The Backend of `chains` cold chains over an inner backend of chains x K replicas (chain c's rung k
// starts as inner chain c * K + k). set_states puts chain c's state on all its replicas; get_states
// returns the cold replicas. The swap streams derive from (seed, first_chain + c), so runs over
// chain ranges merge exactly as plain runs do.
class TemperedBackend : public Backend {
 public:
  // `threads` compute the replicas' energies for the swaps side by side (0 = every core).
  TemperedBackend(std::unique_ptr<Backend> inner, const Model& model, std::vector<double> ladder, int chains,
                  uint64_t seed, int64_t first_chain, int64_t swap_every = 1, int threads = 0);
  std::string name() const override;
  void sweeps(int64_t count, const BetaSchedule& beta, int64_t first_sweep) override;
  void get_states(StateBatch& out) const override;
  void set_states(const StateBatch& in) override;
  void set_beta_factors(std::span<const double>) override;  // Error: the ladder sets them
  // The cold replicas as bit planes, chain c at bit c whichever inner chain holds its cold replica;
  // false when the inner backend holds no planes.
  bool get_packed_states(PackedStates& out) const override;
  // Accepted / tried per neighbouring pair (k, k + 1); 0 before any try.
  std::vector<double> swap_rates() const;

 private:
  void apply_factors();
  void swap_round(double beta);

  std::unique_ptr<Backend> inner_;
  const Model& model_;
  std::vector<double> ladder_;
  int chains_;
  std::vector<int> temp_of_, chain_at_;
  std::vector<Xoshiro128p> rng_;
  std::vector<double> tries_, accepted_;
  int64_t swap_every_;
  int threads_;
  int64_t rounds_ = 0;
  int64_t sweeps_done_ = 0;
  StateBatch all_;
  std::vector<double> energy_;
};

}  // namespace tsu
