#include "graph/graph_io.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <unordered_map>

#include "util/files.hpp"

namespace tsu {

double WeightedGraph::total_weight() const {
  double total = 0;
  for (const auto& e : edges) total += e.w;
  return total;
}

TextLines::TextLines(std::string_view text, std::string source, std::string comment_starts)
    : text_(text), source_(std::move(source)), comment_starts_(std::move(comment_starts)) {}

bool TextLines::next() {
  constexpr std::string_view kBlank = " \t\r\v\f";
  while (pos_ < text_.size()) {
    const size_t end = std::min(text_.find('\n', pos_), text_.size());
    const std::string_view line = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    ++line_;
    fields_.clear();
    for (size_t p = line.find_first_not_of(kBlank); p != line.npos; p = line.find_first_not_of(kBlank, p)) {
      const size_t e = std::min(line.find_first_of(kBlank, p), line.size());
      fields_.push_back(line.substr(p, e - p));
      p = e;
    }
    if (!fields_.empty() && comment_starts_.find(fields_[0][0]) == std::string::npos) return true;
  }
  fields_.clear();
  return false;
}

void TextLines::fail(std::string_view what) const { throw Error(fmt::format("{}:{}: {}", source_, line_, what)); }

void TextLines::expect_fields(size_t count, std::string_view expected) const {
  if (fields_.size() != count) fail(fmt::format("expected {}, got {} fields", expected, fields_.size()));
}

int64_t TextLines::integer(size_t k, std::string_view what) const {
  const std::string_view s = fields_.at(k);
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) fail(fmt::format("{} {} is out of range", what, s));
  if (ec != std::errc() || end != s.data() + s.size()) fail(fmt::format("expected an integer {}, got \"{}\"", what, s));
  return v;
}

double TextLines::number(size_t k, std::string_view what) const {
  std::string_view s = fields_.at(k);
  if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) fail(fmt::format("expected a number as {}, got \"{}\"", what, s));
  if (!std::isfinite(v)) fail(fmt::format("{} \"{}\" is NaN or infinite", what, s));
  return v;
}

std::string instance_name(const std::string& path) { return std::filesystem::path(path).stem().string(); }

namespace {

constexpr int64_t kMaxGraphNodes = int64_t(1) << 30;

// Checks the header's "n m" (fields n_field, n_field + 1). `listings` is how often a file may list
// one edge: DIMACS files often give both directions.
WeightedGraph graph_of_header(const TextLines& lines, size_t n_field, const std::string& source, int64_t listings) {
  const int64_t n = lines.integer(n_field, "node count"), m = lines.integer(n_field + 1, "edge count");
  if (n < 1 || n > kMaxGraphNodes) lines.fail(fmt::format("node count must be in 1..{}, got {}", kMaxGraphNodes, n));
  const int64_t max_m = listings * n * (n - 1) / 2;
  if (m < 0 || m > max_m) lines.fail(fmt::format("edge count must be in 0..{} for {} nodes, got {}", max_m, n, m));
  WeightedGraph g;
  g.name = instance_name(source);
  g.nodes = int32_t(n);
  return g;
}

// Reads the two 1-based endpoints in fields k, k + 1 and returns them 0-based.
std::pair<int32_t, int32_t> endpoints(const TextLines& lines, size_t k, int32_t nodes) {
  int32_t ends[2];
  for (int e = 0; e < 2; ++e) {
    const int64_t i = lines.integer(k + e, "node index");
    if (i < 1 || i > nodes) lines.fail(fmt::format("node index {} is out of range 1..{}", i, nodes));
    ends[e] = int32_t(i - 1);
  }
  if (ends[0] == ends[1]) lines.fail(fmt::format("self loop at node {}", ends[0] + 1));
  return {ends[0], ends[1]};
}

uint64_t edge_key(int32_t u, int32_t v) { return uint64_t(std::min(u, v)) << 32 | uint64_t(std::max(u, v)); }

}  // namespace

WeightedGraph parse_rudy(std::string_view text, const std::string& source) {
  TextLines lines(text, source);
  if (!lines.next()) throw Error(fmt::format("{}: empty; expected a rudy header \"n m\"", source));
  lines.expect_fields(2, "the rudy header \"n m\"");
  WeightedGraph g = graph_of_header(lines, 0, source, 1);
  const auto m = size_t(lines.integer(1, "edge count"));
  std::unordered_map<uint64_t, int> first_line;
  while (lines.next()) {
    if (g.edges.size() == m) lines.fail(fmt::format("more edges than the {} of the header", m));
    lines.expect_fields(3, "\"i j w\"");
    const auto [u, v] = endpoints(lines, 0, g.nodes);
    const double w = lines.number(2, "weight");
    const auto [it, fresh] = first_line.emplace(edge_key(u, v), lines.line());
    if (!fresh) lines.fail(fmt::format("duplicate edge ({}, {}) (first on line {})", u + 1, v + 1, it->second));
    g.edges.push_back({u, v, w});
  }
  if (g.edges.size() != m)
    throw Error(fmt::format("{}:{}: {} edges, but the header says {}", source, lines.line(), g.edges.size(), m));
  return g;
}

WeightedGraph read_rudy(const std::string& path) { return parse_rudy(read_file(path), path); }

WeightedGraph parse_dimacs_col(std::string_view text, const std::string& source) {
  TextLines lines(text, source, "c");
  if (!lines.next() || lines.fields()[0] != "p")
    throw Error(fmt::format("{}:{}: expected the problem line \"p edge n m\"", source, lines.line()));
  lines.expect_fields(4, "\"p edge n m\"");
  if (lines.fields()[1] != "edge" && lines.fields()[1] != "col")
    lines.fail(fmt::format("expected \"p edge n m\", got format \"{}\"", lines.fields()[1]));
  WeightedGraph g = graph_of_header(lines, 2, source, 2);
  const int64_t m = lines.integer(3, "edge count");
  int64_t seen = 0;
  std::unordered_map<uint64_t, int> first_line;
  while (lines.next()) {
    if (lines.fields()[0] == "p") lines.fail("a second problem line");
    if (lines.fields()[0] != "e") lines.fail(fmt::format("expected an edge line \"e i j\", got \"{}\"", lines.fields()[0]));
    if (++seen > m) lines.fail(fmt::format("more edges than the {} of the problem line", m));
    lines.expect_fields(3, "\"e i j\"");
    const auto [u, v] = endpoints(lines, 1, g.nodes);
    if (first_line.emplace(edge_key(u, v), lines.line()).second) g.edges.push_back({u, v, 1.0});
  }
  if (seen != m)
    throw Error(fmt::format("{}:{}: {} edge lines, but the problem line says {}", source, lines.line(), seen, m));
  return g;
}

WeightedGraph read_dimacs_col(const std::string& path) { return parse_dimacs_col(read_file(path), path); }

}  // namespace tsu
