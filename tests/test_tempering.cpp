// Parallel tempering (sample/tempering, tsu sample --tempering): the cold replicas sample the model
// (marginals and energy against enumeration within 5 of their own MCSE, and a model 10 % off in
// beta told apart), the same seed gives the same run at any thread count and over chain ranges,
// and bad ladders are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "api/exact.hpp"
#include "api/sample.hpp"
#include "error_of.hpp"
#include "random_models.hpp"
#include "graph/blocks.hpp"
#include "sample/engine.hpp"
#include "sample/observers.hpp"
#include "sample/program.hpp"
#include "sample/tempering.hpp"

using namespace tsu;

namespace {

api::ModelPtr frustrated_model(double beta) {
  Model m = test_models::random_pairwise(12, 1.2, 0.3, 17).model;
  m.beta = beta;
  return std::make_shared<const Model>(m);
}

api::SampleOptions tempered(int chains) {
  api::SampleOptions o;
  o.chains = chains;
  o.schedule = {200, 2000, 2};
  o.seed = 5;
  o.tempering = 6;
  o.tempering_lowest = 0.2;
  return o;
}

// Nodes whose sampled P(+1) lies more than 5 MCSE from `exact`'s.
int nodes_off(const api::SampleResult& r, const api::ExactResult& exact) {
  const auto mcse = r.diagnostics()["marginals"]["mcse"];
  int off = 0;
  for (size_t i = 0; i < r.marginals.size(); ++i)
    off += std::abs(r.marginals[i][1] - exact.marginals[i][1]) > 5 * mcse[i].get<double>() + 1e-3;
  return off;
}

}  // namespace

TEST(Tempering, ColdReplicasSampleTheModel) {
  const auto model = frustrated_model(1.5);
  const api::SampleResult r = api::sample(model, tempered(32));
  const api::ExactResult exact = api::exact(model);
  EXPECT_EQ(nodes_off(r, exact), 0);
  const double energy_mcse = r.diagnostics()["energy"]["mcse"].get<double>();
  EXPECT_LT(std::abs(r.energy_mean - exact.energy_mean), 5 * energy_mcse) << r.energy_mean << " vs " << exact.energy_mean;
  ASSERT_EQ(r.run.swap_rates.size(), 5u);
  for (double rate : r.run.swap_rates) {
    EXPECT_GT(rate, 0.0);
    EXPECT_LT(rate, 1.0);
  }
  EXPECT_EQ(r.run.backend.find("+tempering") != std::string::npos, true) << r.run.backend;
  // The same bounds see a model whose beta is 10 % off.
  EXPECT_GT(nodes_off(r, api::exact(frustrated_model(1.65))), 0);
}

TEST(Tempering, SameSeedSameRunAtAnyThreadCountAndOverChainRanges) {
  const auto model = frustrated_model(1.5);
  auto o = tempered(16);
  o.schedule = {20, 50, 1};
  o.threads = 1;
  const auto one = api::sample(model, o);
  o.threads = 2;
  const auto two = api::sample(model, o);
  EXPECT_EQ(one.marginals, two.marginals);
  EXPECT_EQ(one.run.swap_rates, two.run.swap_rates);
  auto half = o;
  half.chains = 8;
  auto merged = api::sample(model, half);
  half.first_chain = 8;
  merged.merge(api::sample(model, half));
  for (size_t i = 0; i < one.marginals.size(); ++i) EXPECT_NEAR(merged.marginals[i][1], one.marginals[i][1], 1e-12);
  for (size_t k = 0; k < one.run.swap_rates.size(); ++k) EXPECT_NEAR(merged.run.swap_rates[k], one.run.swap_rates[k], 1e-12);
}

// Hides that an observer reads bit planes, so that the run hands it unpacked states.
class Unpacked final : public Observer {
 public:
  explicit Unpacked(Observer& inner) : inner_(inner) {}
  void observe(const StateBatch& states, int64_t index) override { inner_.observe(states, index); }

 private:
  Observer& inner_;
};

// Observers read a tempered run's bit planes as they read its states: each chain's cold replica,
// wherever the swaps have moved it, so that every per-chain statistic (the diagnostics' counts
// included) is the same as from unpacked states.
TEST(Tempering, BitPlanesGiveWhatUnpackedStatesGive) {
  const auto model = frustrated_model(1.5);
  const CompiledModel cm = compile(model);
  const Layout layout = make_layout(*model, std::vector<uint8_t>(model->size(), 0));
  const int chains = 10, replicas = 4;  // 40 inner chains: more than run as lone chains, so in tiles
  const Schedule schedule{5, 40, 3};
  auto observe = [&](bool packed) {
    auto inner = make_backend(cm, layout, {chains * replicas, 3, 1, "fast", 0, 0});
    TemperedBackend backend(std::move(inner), *model, geometric_ladder(replicas, 0.3), chains, 3, 0);
    backend.set_states(initial_states(cm, layout, chains, 3, InitKind::Uniform, model->beta));
    auto marginals = std::make_unique<MarginalObserver>(*model);
    marginals->track_diagnostics(schedule.samples);
    Unpacked hidden(*marginals);
    Observer* observers[] = {packed ? static_cast<Observer*>(marginals.get()) : &hidden};
    run(backend, schedule, BetaSchedule::constant(model->beta), observers);
    EXPECT_GT(backend.swap_rates()[0], 0.0);
    return marginals;
  };
  const auto packed = observe(true), unpacked = observe(false);
  EXPECT_EQ(packed->marginals(), unpacked->marginals());
  for (size_t e = 0; e < model->size(); ++e) {
    const Diagnostic a = packed->diagnostics().at(e), b = unpacked->diagnostics().at(e);
    EXPECT_EQ(a.mcse, b.mcse) << "node " << e;
    EXPECT_TRUE(a.ess == b.ess || (std::isnan(a.ess) && std::isnan(b.ess))) << "node " << e;
    EXPECT_TRUE(a.rhat == b.rhat || (std::isnan(a.rhat) && std::isnan(b.rhat))) << "node " << e;
  }
}

TEST(Tempering, BadLaddersAreRefused) {
  const auto model = frustrated_model(1.0);
  auto o = tempered(4);
  o.tempering = 1;
  EXPECT_EQ(error_of([&] { api::sample(model, o); }), "tempering: replicas must be between 2 and 64, got 1");
  o.tempering_ladder = {0.5, 0.9};
  EXPECT_EQ(error_of([&] { api::sample(model, o); }), "tempering ladder: must end at 1 (the model's beta), got 0.9");
  o.tempering_ladder = {0.5, 0.4, 1.0};
  EXPECT_EQ(error_of([&] { api::sample(model, o); }), "tempering ladder: [1] = 0.4 does not exceed [0] = 0.5");
  o.tempering_ladder = {};
  o.tempering = 4;
  o.tempering_lowest = 1.5;
  EXPECT_EQ(error_of([&] { api::sample(model, o); }),
            "tempering: the lowest beta factor must be between 0 and 1, got 1.5");
}
