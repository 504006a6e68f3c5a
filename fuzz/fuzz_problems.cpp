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

bool same_cnf(const opt::Cnf& a, const opt::Cnf& b) { return a.variables == b.variables && a.clauses == b.clauses; }
bool same_qubo(const opt::Qubo& a, const opt::Qubo& b) { return a.variables == b.variables && a.entries == b.entries; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  if (data[0] & 1)
    fuzz::expect_round_trip("f.cnf", text, [](std::string_view t) { return opt::parse_cnf(t, "f.cnf"); }, as_cnf, same_cnf);
  else
    fuzz::expect_round_trip("q.txt", text, [](std::string_view t) { return opt::parse_qubo(t, "q.txt"); }, as_qubo, same_qubo);
  return 0;
}
