// G-set rudy and DIMACS .col graphs (graph/graph_io), chosen by the first byte: a parsed graph
// written back in its own format parses to the same edges.
#include <fmt/format.h>

#include "graph/graph_io.hpp"
#include "harness.hpp"

using namespace tsu;

namespace {

std::string as_rudy(const WeightedGraph& g) {
  std::string out = fmt::format("{} {}\n", g.nodes, g.edges.size());
  for (const auto& e : g.edges) out += fmt::format("{} {} {}\n", e.u + 1, e.v + 1, e.w);
  return out;
}

std::string as_col(const WeightedGraph& g) {
  std::string out = fmt::format("p edge {} {}\n", g.nodes, g.edges.size());
  for (const auto& e : g.edges) out += fmt::format("e {} {}\n", e.u + 1, e.v + 1);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  if (data[0] & 1) {
    fuzz::expect_parse_or_clean_error("G.txt", [&] {
      const WeightedGraph g = parse_rudy(text, "G.txt");
      const WeightedGraph again = parse_rudy(as_rudy(g), "G.txt");
      fuzz::require(again.nodes == g.nodes && again.edges == g.edges, "the written rudy graph reads back differently");
    });
  } else {
    fuzz::expect_parse_or_clean_error("g.col", [&] {
      const WeightedGraph g = parse_dimacs_col(text, "g.col");
      const WeightedGraph again = parse_dimacs_col(as_col(g), "g.col");
      fuzz::require(again.nodes == g.nodes && again.edges == g.edges, "the written .col graph reads back differently");
    });
  }
  return 0;
}
