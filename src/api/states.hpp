// Node states in integer .npy arrays, as `--init` and `--data` take them: spins -1/+1 in a signed
// array, 0/1 (or 0/255, the images of tsu dtm generate) in an unsigned or bool one; categoricals
// 0..K-1 in any.
#pragma once

#include <string>

#include "graph/model.hpp"
#include "sample/npy.hpp"

namespace tsu::api {

// Error "SOURCE: dtype D is not supported (...)" for a float array.
void require_integer_array(const NpyArray& a, const std::string& source);

// The state code (graph/model.hpp) that element k, the entry [row, node] of the array, stands for at
// a node of this kind. Errors "SOURCE: [row, node]: ..." name the node and what it needs.
State state_code(const NpyArray& a, size_t k, const NodeKind& kind, const std::string& source, size_t row,
                 size_t node);

}  // namespace tsu::api
