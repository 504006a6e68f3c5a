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

bool same_graph(const WeightedGraph& a, const WeightedGraph& b) { return a.nodes == b.nodes && a.edges == b.edges; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  if (data[0] & 1)
    fuzz::expect_round_trip("G.txt", text, [](std::string_view t) { return parse_rudy(t, "G.txt"); }, as_rudy, same_graph);
  else
    fuzz::expect_round_trip("g.col", text, [](std::string_view t) { return parse_dimacs_col(t, "g.col"); }, as_col, same_graph);
  return 0;
}
