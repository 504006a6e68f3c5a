// Backends come from a registry: a new one is an entry, chosen by name or by "auto" priority.
#include <gtest/gtest.h>

#include "error_of.hpp"
#include "sample/backends.hpp"
#include "sample/engine.hpp"

using namespace tsu;

namespace {

Model chain(int n) {
  Model m;
  m.add_spin_nodes(n);
  for (int i = 0; i + 1 < n; ++i) m.add_coupling(i, i + 1, 0.4);
  return m;
}

}  // namespace

TEST(BackendRegistry, BuiltinAutoPrefersFastForPairwiseSpins) {
  const CompiledModel cm = compile(std::make_shared<const Model>(chain(4)));
  const Layout layout = default_layout(*cm.model);
  EXPECT_EQ(make_backend(cm, layout, {8, 1, 1, "auto"})->name(), "fast");
  EXPECT_EQ(make_backend(cm, layout, {8, 1, 1, "reference"})->name(), "reference");
  Model potts;
  potts.add_categorical_nodes(2, 3);
  const CompiledModel pc = compile(std::make_shared<const Model>(potts));
  EXPECT_EQ(make_backend(pc, default_layout(potts), {8, 1, 1, "auto"})->name(), "reference");
}

TEST(BackendRegistry, ANewEntryIsChosenByNameAndByPriority) {
  BackendRegistry registry = BackendRegistry::builtin();
  int made = 0;
  registry.add({"mine", 100, [](const Model& m) { return m.size() < 10; },
                [&](const CompiledModel& cm, const Layout& l, const EngineOptions& o) {
                  ++made;
                  return make_reference_backend(cm, l, o);
                }});
  const CompiledModel small = compile(std::make_shared<const Model>(chain(4)));
  const CompiledModel large = compile(std::make_shared<const Model>(chain(20)));
  make_backend(small, default_layout(*small.model), {8, 1, 1, "auto"}, registry);
  EXPECT_EQ(made, 1);  // preferred where it takes the model
  EXPECT_EQ(make_backend(large, default_layout(*large.model), {8, 1, 1, "auto"}, registry)->name(), "fast");
  make_backend(large, default_layout(*large.model), {8, 1, 1, "mine"}, registry);
  EXPECT_EQ(made, 2);  // by name, whatever it says it supports
  EXPECT_EQ(registry.names(), (std::vector<std::string>{"reference", "fast", "mine"}));
  EXPECT_EQ(BackendRegistry::builtin().names(), (std::vector<std::string>{"reference", "fast"}));
}

TEST(BackendRegistry, UnknownAndDuplicateNamesAreErrors) {
  const CompiledModel cm = compile(std::make_shared<const Model>(chain(4)));
  EXPECT_EQ(error_of([&] { make_backend(cm, default_layout(*cm.model), {8, 1, 1, "gpu"}); }),
            "backend: unknown backend \"gpu\" (expected auto, reference, fast)");
  BackendRegistry registry;
  registry.add({"x", 0, {}, &make_reference_backend});
  EXPECT_NE(error_of([&] { registry.add({"x", 0, {}, &make_reference_backend}); }).find("taken"), std::string::npos);
  EXPECT_NE(error_of([&] { registry.add({"auto", 0, {}, &make_reference_backend}); }).find("taken"), std::string::npos);
}

// Runs over disjoint chain ranges (first_chain) sample exactly the chains of one run over all of
// them: the same states, chain by chain, for both built-in backends.
TEST(ChainRanges, SplitRunsDrawTheChainsOfTheWholeRun) {
  for (const char* backend : {"reference", "fast"}) {
    const CompiledModel cm = compile(std::make_shared<const Model>(chain(6)));
    const Layout layout = default_layout(*cm.model);
    auto states_of = [&](int chains, int64_t first) {
      auto b = make_backend(cm, layout, {chains, 9, 1, backend, first});
      b->set_states(initial_states(cm, layout, chains, 9, InitKind::Uniform, 1.0, first));
      b->sweeps(20, BetaSchedule::constant(1.0), 0);
      StateBatch s;
      b->get_states(s);
      return s.data;
    };
    // 128 chains are two 64-chain tiles on the fast backend; 64 + 64 the same tiles, run apart.
    const auto whole = states_of(128, 0);
    auto parts = states_of(64, 0);
    const auto rest = states_of(64, 64);
    parts.insert(parts.end(), rest.begin(), rest.end());
    EXPECT_EQ(parts, whole) << backend;
    EXPECT_NE(states_of(64, 0), rest) << backend;  // the ranges really differ
  }
}
