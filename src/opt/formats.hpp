// Problem files that are not graphs: DIMACS CNF (k-SAT) and QUBO text, and the solution files that
// tsu maxcut / color / sat / qubo write and read back. Errors name the file and the 1-based line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graph/model.hpp"

namespace tsu::opt {

// DIMACS CNF: "c" comments, "p cnf VARIABLES CLAUSES", then clauses as signed 1-based literals, each
// ended by 0 (a clause may span lines; several may share one). A "%" line ends the formula (SATLIB).
struct Cnf {
  std::string name;
  int32_t variables = 0;
  std::vector<std::vector<int32_t>> clauses;  // literals as in the file: +v true, -v false
};
Cnf parse_cnf(std::string_view text, const std::string& source);
Cnf read_cnf(const std::string& path);

// QUBO text, minimise f(x) = sum over entries of Q_ij x_i x_j, x in {0, 1}:
//   "#" comment lines; a header "qubo N"; then lines "i j Q" with 0-based i, j < N. i == j is the
//   linear term of x_i; i != j a quadratic term (entries for (i, j) and (j, i) add up).
struct QuboEntry {
  int32_t i = 0, j = 0;
  double q = 0;
  bool operator==(const QuboEntry&) const = default;
};
struct Qubo {
  std::string name;
  int32_t variables = 0;
  std::vector<QuboEntry> entries;
};
Qubo parse_qubo(std::string_view text, const std::string& source);
Qubo read_qubo(const std::string& path);
// True when the first non-comment line of the text is a "qubo N" header.
bool looks_like_qubo(std::string_view text);

// Solution files: "#" comment lines, then one integer per line for node 0, 1, ... (a side 0/1, a
// colour 0..K-1, a truth value 0/1, an x 0/1, or a spin -1/+1).
void write_solution(const std::string& path, const std::vector<int>& values, const std::string& comment);
// Reads exactly `count` values, each in [lo, hi]; Error naming the file and line otherwise.
std::vector<int> read_solution(const std::string& path, size_t count, int lo, int hi);

// A best-known value from a CSV "instance,best_known_cut,note" (../shared/data/gset/best-known.csv);
// nullopt when the instance is not listed. Error naming the file and line for a malformed row.
struct BestKnown {
  double value = 0;
  std::string source;  // the row's note
};
std::optional<BestKnown> read_best_known(const std::string& csv_path, const std::string& instance);

}  // namespace tsu::opt
