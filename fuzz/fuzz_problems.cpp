// DIMACS CNF and QUBO text (opt/formats), chosen by the first byte: a parsed problem written back
// in its own format parses to the same problem.
#include <fmt/format.h>

#include "harness.hpp"
#include "opt/formats.hpp"

using namespace tsu;

namespace {

std::string as_cnf(const opt::Cnf& f) {
  std::string out = fmt::format("p cnf {} {}\n", f.variables, f.clauses.size());
  for (const auto& clause : f.clauses) out += fmt::format("{} 0\n", fmt::join(clause, " "));
  return out;
}

std::string as_qubo(const opt::Qubo& q) {
  std::string out = fmt::format("qubo {}\n", q.variables);
  for (const auto& e : q.entries) out += fmt::format("{} {} {}\n", e.i, e.j, e.q);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  if (data[0] & 1) {
    fuzz::expect_parse_or_clean_error("f.cnf", [&] {
      const opt::Cnf f = opt::parse_cnf(text, "f.cnf");
      const opt::Cnf again = opt::parse_cnf(as_cnf(f), "f.cnf");
      fuzz::require(again.variables == f.variables && again.clauses == f.clauses, "the written CNF reads back differently");
    });
  } else {
    fuzz::expect_parse_or_clean_error("q.txt", [&] {
      const opt::Qubo q = opt::parse_qubo(text, "q.txt");
      const opt::Qubo again = opt::parse_qubo(as_qubo(q), "q.txt");
      fuzz::require(again.variables == q.variables && again.entries == q.entries, "the written QUBO reads back differently");
    });
  }
  return 0;
}
