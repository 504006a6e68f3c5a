// Placeholder until the vectorised backend lands: the reference backend, restricted to what the
// fast backend will accept.
#include "sample/backends.hpp"

namespace tsu {

std::unique_ptr<Backend> make_fast_backend(const CompiledModel& cm, const Layout& layout, const EngineOptions& opt) {
  if (!is_pairwise_spin(*cm.model))
    throw Error("backend fast: supports pairwise spin models only (use --backend reference)");
  return make_reference_backend(cm, layout, opt);
}

}  // namespace tsu
