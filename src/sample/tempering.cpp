#include "sample/tempering.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <utility>

#include "sample/bit_planes.hpp"

namespace tsu {

std::vector<double> geometric_ladder(int replicas, double lowest) {
  if (replicas < 2 || replicas > 64)
    throw Error(fmt::format("tempering: replicas must be between 2 and 64, got {}", replicas));
  if (!(lowest > 0 && lowest < 1))
    throw Error(fmt::format("tempering: the lowest beta factor must be between 0 and 1, got {}", lowest));
  std::vector<double> ladder(static_cast<size_t>(replicas));
  for (int k = 0; k < replicas; ++k) ladder[size_t(k)] = std::pow(lowest, 1.0 - double(k) / (replicas - 1));
  ladder.back() = 1.0;
  return ladder;
}

void validate_ladder(std::span<const double> ladder) {
  if (ladder.size() < 2 || ladder.size() > 64)
    throw Error(fmt::format("tempering ladder: needs 2 to 64 beta factors, got {}", ladder.size()));
  for (size_t k = 0; k < ladder.size(); ++k) {
    if (!(ladder[k] > 0 && ladder[k] <= 1))
      throw Error(fmt::format("tempering ladder: [{}] = {} is not in (0, 1]", k, ladder[k]));
    if (k > 0 && !(ladder[k] > ladder[k - 1]))
      throw Error(fmt::format("tempering ladder: [{}] = {} does not exceed [{}] = {}", k, ladder[k], k - 1, ladder[k - 1]));
  }
  if (ladder.back() != 1.0) throw Error(fmt::format("tempering ladder: must end at 1 (the model's beta), got {}", ladder.back()));
}

void exchange_replicas(int parity, std::span<const double> betas, std::span<const double> energy,
                       std::span<int> temp_of, std::span<int> chain_at, std::span<Xoshiro128p> rng,
                       std::span<double> tries, std::span<double> accepted) {
  const size_t rungs = betas.size();
  for (size_t l = 0; l < chain_at.size() / rungs; ++l)
    for (size_t k = size_t(parity); k + 1 < rungs; k += 2) {
      int& a = chain_at[l * rungs + k];
      int& b = chain_at[l * rungs + k + 1];
      const double log_p = (betas[k] - betas[k + 1]) * (energy[size_t(a)] - energy[size_t(b)]);
      tries[k] += 1;
      if (log_p >= 0 || rng[l].uniform() < std::exp(log_p)) {
        accepted[k] += 1;
        std::swap(a, b);
        temp_of[size_t(a)] = int(k);
        temp_of[size_t(b)] = int(k + 1);
      }
    }
}

TemperedBackend::TemperedBackend(std::unique_ptr<Backend> inner, const Model& model, std::vector<double> ladder,
                                 int chains, uint64_t seed, int64_t first_chain, int64_t swap_every, int threads)
    : inner_(std::move(inner)), model_(model), ladder_(std::move(ladder)), chains_(chains), swap_every_(swap_every),
      threads_(threads) {
  validate_ladder(ladder_);
  if (swap_every < 1) throw Error(fmt::format("tempering: swaps every {} sweeps; must be at least 1", swap_every));
  const size_t replicas = ladder_.size(), all = size_t(chains) * replicas;
  temp_of_.resize(all);
  chain_at_.resize(all);
  for (size_t i = 0; i < all; ++i) temp_of_[i] = int(i % replicas), chain_at_[i] = int(i);
  for (int c = 0; c < chains; ++c)
    rng_.push_back(chain_stream(derive(seed, Purpose::TemperingSwap), uint64_t(first_chain + c)));
  tries_.assign(replicas - 1, 0.0);
  accepted_.assign(replicas - 1, 0.0);
  all_ = StateBatch(int(all), int(model.size()));
  energy_.resize(all);
  apply_factors();
}

std::string TemperedBackend::name() const { return inner_->name() + "+tempering"; }

void TemperedBackend::apply_factors() {
  std::vector<double> factors(temp_of_.size());
  for (size_t i = 0; i < factors.size(); ++i) factors[i] = ladder_[size_t(temp_of_[i])];
  inner_->set_beta_factors(factors);
}

void TemperedBackend::swap_round(double beta) {
  chain_factor_sums(*inner_, model_, threads_, energy_);
  for (double& e : energy_) e = -e;
  std::vector<double> betas(ladder_.size());
  for (size_t r = 0; r < ladder_.size(); ++r) betas[r] = beta * ladder_[r];
  exchange_replicas(int(rounds_++ % 2), betas, energy_, temp_of_, chain_at_, rng_, tries_, accepted_);
  apply_factors();
}

void TemperedBackend::sweeps(int64_t count, const BetaSchedule& beta, int64_t first_sweep) {
  for (int64_t done = 0; done < count;) {
    const int64_t n = std::min(count - done, swap_every_ - sweeps_done_ % swap_every_);
    inner_->sweeps(n, beta, first_sweep + done);
    done += n;
    sweeps_done_ += n;
    if (sweeps_done_ % swap_every_ == 0) swap_round(beta.at(first_sweep + done - 1));
  }
}

void TemperedBackend::get_states(StateBatch& out) const {
  StateBatch all(all_.chains, all_.nodes);
  inner_->get_states(all);
  out = StateBatch(chains_, all_.nodes);
  const size_t cold = ladder_.size() - 1;
  for (int c = 0; c < chains_; ++c) {
    const auto from = all.chain(chain_at_[size_t(c) * ladder_.size() + cold]);
    std::copy(from.begin(), from.end(), out.chain(c).begin());
  }
}

bool TemperedBackend::get_packed_states(PackedStates& out) const {
  PackedStates inner;
  if (!inner_->get_packed_states(inner)) return false;
  // A chain's cold replica moves between inner chains as replicas swap, while observers keep each
  // chain's counts at its bit: chain c gets bit c of its own, holding its cold replica's states.
  if (inner.chains != all_.chains || inner.nodes != all_.nodes)
    throw Error(fmt::format("tempering: the inner backend's planes hold {} chains x {} nodes, expected {} x {}",
                            inner.chains, inner.nodes, all_.chains, all_.nodes));
  std::vector<size_t> bit_of(size_t(all_.chains));
  for (size_t bit = 0; bit < inner.chain_of_bit.size(); ++bit)
    if (const int32_t i = inner.chain_of_bit[bit]; i >= 0) bit_of[size_t(i)] = bit;
  out.chains = chains_, out.nodes = inner.nodes, out.words = (chains_ + 63) / 64;
  out.chain_of_bit.assign(size_t(out.words) * 64, -1);
  out.bits.assign(size_t(out.nodes) * size_t(out.words), 0);
  const size_t cold = ladder_.size() - 1;
  for (size_t c = 0; c < size_t(chains_); ++c) {
    out.chain_of_bit[c] = int32_t(c);
    const size_t from = bit_of[size_t(chain_at_[c * ladder_.size() + cold])];
    for (size_t i = 0; i < size_t(out.nodes); ++i) {
      const uint64_t value = inner.bits[i * size_t(inner.words) + from / 64] >> (from % 64) & 1;
      out.bits[i * size_t(out.words) + c / 64] |= value << (c % 64);
    }
  }
  return true;
}

void TemperedBackend::set_states(const StateBatch& in) {
  if (in.chains != chains_ || in.nodes != all_.nodes)
    throw Error(fmt::format("set_states: batch of {} chains x {} nodes, the tempered run has {} x {}", in.chains,
                            in.nodes, chains_, all_.nodes));
  for (size_t i = 0; i < size_t(all_.chains); ++i) {
    const auto from = in.chain(int(i / ladder_.size()));
    std::copy(from.begin(), from.end(), all_.chain(int(i)).begin());
  }
  inner_->set_states(all_);
}

void TemperedBackend::set_beta_factors(std::span<const double>) {
  throw Error("tempering: the ladder sets every replica's beta; per-chain factors cannot be set on top");
}

std::vector<double> TemperedBackend::swap_rates() const {
  std::vector<double> rates(tries_.size());
  for (size_t k = 0; k < rates.size(); ++k) rates[k] = tries_[k] > 0 ? accepted_[k] / tries_[k] : 0.0;
  return rates;
}

}  // namespace tsu
