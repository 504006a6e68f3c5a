// Plain graph files for combinatorial optimisation: G-set / rudy edge lists (Max-Cut) and DIMACS
// .col files (graph colouring), plus the line reader that the problem-file parsers of src/opt share.
// Every problem is a one-line tsu::Error "FILE:LINE: message" (lines counted from 1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "graph/model.hpp"

namespace tsu {

struct WeightedEdge {
  int32_t u = 0, v = 0;  // 0-based, u != v
  double w = 1.0;
  bool operator==(const WeightedEdge&) const = default;
};

// An undirected graph without self loops or repeated edges; nodes 0..nodes-1.
struct WeightedGraph {
  std::string name;  // the file's stem, e.g. "G22"
  int32_t nodes = 0;
  std::vector<WeightedEdge> edges;
  double total_weight() const;
};

// rudy (G-set): a header "n m", then exactly m lines "i j w" with 1-based i != j and a finite w.
// Rejects a bad header, a wrong edge count, an index out of 1..n, a self loop, a non-numeric
// field and an edge given twice (in either order).
WeightedGraph parse_rudy(std::string_view text, const std::string& source);
WeightedGraph read_rudy(const std::string& path);

// DIMACS colouring format: "c" comment lines, one "p edge n m" (or "p col n m") line, then m lines
// "e i j" with 1-based i != j. An edge listed twice (several public .col files list both (i, j) and
// (j, i)) counts towards m but is kept once. Weights are 1.
WeightedGraph parse_dimacs_col(std::string_view text, const std::string& source);
WeightedGraph read_dimacs_col(const std::string& path);

// Splits a text into lines of whitespace-separated fields, skipping blank lines and lines whose first
// field starts with one of `comment_starts`; errors name the source and the 1-based line.
class TextLines {
 public:
  TextLines(std::string_view text, std::string source, std::string comment_starts = "");

  bool next();  // advances to the next line with fields; false at the end
  const std::vector<std::string_view>& fields() const { return fields_; }
  int line() const { return line_; }
  const std::string& source() const { return source_; }

  // Field `k` as an integer / a finite number; Error naming `what` and the field otherwise.
  int64_t integer(size_t k, std::string_view what) const;
  double number(size_t k, std::string_view what) const;
  // Fails unless the line has `count` fields, showing `expected` (e.g. "\"i j w\"").
  void expect_fields(size_t count, std::string_view expected) const;
  [[noreturn]] void fail(std::string_view what) const;

 private:
  std::string_view text_;
  std::string source_;
  std::string comment_starts_;
  size_t pos_ = 0;
  int line_ = 0;
  std::vector<std::string_view> fields_;
};

// The name a problem file gives its instance: the file name without folders and extension.
std::string instance_name(const std::string& path);

}  // namespace tsu
