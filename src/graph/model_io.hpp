// Reading and writing model files: the JSON format "tsu-model-v1" and the Ising edge list of
// ../shared/data/README.md. Every problem in a file is reported as a one-line tsu::Error that names
// the file and the field path (JSON) or the line number (edge list).
#pragma once

#include "graph/model.hpp"

#include <cstdint>
#include <istream>
#include <string>

namespace tsu {

// Loads a model file: JSON "tsu-model-v1" when the first non-blank character is '{', otherwise the
// Ising edge-list format. Throws Error naming the file and the field or line.
Model load_model(const std::string& path);

// The most nodes a model file may declare. A caller may ask for fewer (the fuzzers do, so that one
// input stays milliseconds under the sanitizers).
inline constexpr int64_t kMaxModelNodes = 100'000'000;

// Parses a "tsu-model-v1" document; `source_name` prefixes every error message.
Model parse_model_json(const std::string& text, const std::string& source_name, int64_t max_nodes = kMaxModelNodes);

// Parses an Ising edge list (a name line, then "i j w" lines; "i i h" is a bias).
Model parse_edge_list(std::istream& in, const std::string& source_name, int64_t max_nodes = kMaxModelNodes);

// A "tsu-model-v1" document that parse_model_json reads back into an equal model. Groups without
// factors are left out (the format cannot state their shape).
std::string model_to_json(const Model& m);

// Writes model_to_json(m) to `path` atomically: a temporary file beside it, then a rename.
void save_model(const Model& m, const std::string& path);

}  // namespace tsu
