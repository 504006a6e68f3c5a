// Backend factories. The engine picks one through make_backend (engine.hpp).
#pragma once

#include "sample/engine.hpp"

namespace tsu {

// Scalar, general (spins, categoricals, any factor order); parallel over chains. Kept simple: it
// is the definition the fast backends are tested against.
std::unique_ptr<Backend> make_reference_backend(const CompiledModel& cm, const Layout& layout,
                                                const EngineOptions& opt);

// Vectorised CPU backend for pairwise spin models (is_pairwise_spin); throws Error otherwise.
std::unique_ptr<Backend> make_fast_backend(const CompiledModel& cm, const Layout& layout, const EngineOptions& opt);

// Number of threads a run uses: `requested`, or every available core when 0.
int resolve_threads(int requested);

}  // namespace tsu
