#include "opt/formats.hpp"

#include <fmt/format.h>

#include "util/files.hpp"
#include "graph/graph_io.hpp"

namespace tsu::opt {

namespace {

constexpr int64_t kMaxVariables = int64_t(1) << 30;

int32_t variable_count(const TextLines& lines, size_t k) {
  const int64_t n = lines.integer(k, "variable count");
  if (n < 1 || n > kMaxVariables) lines.fail(fmt::format("variable count must be in 1..{}, got {}", kMaxVariables, n));
  return int32_t(n);
}

}  // namespace

Cnf parse_cnf(std::string_view text, const std::string& source) {
  TextLines lines(text, source, "c");
  if (!lines.next() || lines.fields()[0] != "p")
    throw Error(fmt::format("{}:{}: expected the problem line \"p cnf VARIABLES CLAUSES\"", source, lines.line()));
  lines.expect_fields(4, "\"p cnf VARIABLES CLAUSES\"");
  if (lines.fields()[1] != "cnf") lines.fail(fmt::format("expected \"p cnf\", got format \"{}\"", lines.fields()[1]));
  Cnf cnf;
  cnf.name = instance_name(source);
  cnf.variables = variable_count(lines, 2);
  const int64_t m = lines.integer(3, "clause count");
  if (m < 0) lines.fail(fmt::format("clause count must be >= 0, got {}", m));
  std::vector<int32_t> open;  // literals of the clause being read
  int open_line = 0;
  while (lines.next() && lines.fields()[0] != "%") {
    if (lines.fields()[0] == "p") lines.fail("a second problem line");
    for (size_t k = 0; k < lines.fields().size(); ++k) {
      const int64_t lit = lines.integer(k, "literal");
      if (lit == 0) {
        if (int64_t(cnf.clauses.size()) == m) lines.fail(fmt::format("more clauses than the {} of the problem line", m));
        if (open.empty()) lines.fail("empty clause (a 0 with no literals before it)");
        cnf.clauses.push_back(std::move(open));
        open.clear();
        continue;
      }
      if (lit < -cnf.variables || lit > cnf.variables)
        lines.fail(fmt::format("literal {} names a variable outside 1..{}", lit, cnf.variables));
      if (open.empty()) open_line = lines.line();
      open.push_back(int32_t(lit));
    }
  }
  if (!open.empty())
    throw Error(fmt::format("{}:{}: the clause that starts here does not end with 0", source, open_line));
  if (int64_t(cnf.clauses.size()) != m)
    throw Error(fmt::format("{}:{}: {} clauses, but the problem line says {}", source, lines.line(), cnf.clauses.size(), m));
  return cnf;
}

Cnf read_cnf(const std::string& path) { return parse_cnf(read_file(path), path); }

bool looks_like_qubo(std::string_view text) {
  TextLines lines(text, "", "#");
  return lines.next() && lines.fields()[0] == "qubo";
}

Qubo parse_qubo(std::string_view text, const std::string& source) {
  TextLines lines(text, source, "#");
  if (!lines.next() || lines.fields()[0] != "qubo")
    throw Error(fmt::format("{}:{}: expected the header \"qubo N\"", source, lines.line()));
  lines.expect_fields(2, "the header \"qubo N\"");
  Qubo q;
  q.name = instance_name(source);
  q.variables = variable_count(lines, 1);
  while (lines.next()) {
    lines.expect_fields(3, "\"i j Q\"");
    int32_t ij[2];
    for (int e = 0; e < 2; ++e) {
      const int64_t v = lines.integer(e, "variable index");
      if (v < 0 || v >= q.variables)
        lines.fail(fmt::format("variable index {} is out of range 0..{} (indices are 0-based)", v, q.variables - 1));
      ij[e] = int32_t(v);
    }
    q.entries.push_back({ij[0], ij[1], lines.number(2, "Q")});
  }
  return q;
}

Qubo read_qubo(const std::string& path) { return parse_qubo(read_file(path), path); }

void write_solution(const std::string& path, const std::vector<int>& values, const std::string& comment) {
  std::string text = "# " + comment + "\n";
  text.reserve(text.size() + 3 * values.size());
  for (int v : values) text += fmt::format("{}\n", v);
  write_file_atomic(path, text);
}

std::vector<int> read_solution(const std::string& path, size_t count, int lo, int hi) {
  const std::string text = read_file(path);
  TextLines lines(text, path, "#");
  std::vector<int> values;
  values.reserve(count);
  while (lines.next()) {
    lines.expect_fields(1, "one value per line");
    if (values.size() == count) lines.fail(fmt::format("more than the {} values of the problem", count));
    const int64_t v = lines.integer(0, "value");
    if (v < lo || v > hi) lines.fail(fmt::format("value {} is out of range {}..{}", v, lo, hi));
    values.push_back(int(v));
  }
  if (values.size() != count)
    throw Error(fmt::format("{}:{}: {} values, but the problem has {}", path, lines.line(), values.size(), count));
  return values;
}

std::optional<BestKnown> read_best_known(const std::string& csv_path, const std::string& instance) {
  const std::string text = read_file(csv_path);
  std::string_view rest = text;
  int line = 0;
  while (!rest.empty()) {
    const size_t end = std::min(rest.find('\n'), rest.size());
    std::string_view row = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    ++line;
    if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
    if (line == 1 || row.empty()) continue;  // the header
    const size_t c1 = row.find(','), c2 = row.find(',', c1 == row.npos ? c1 : c1 + 1);
    if (c1 == row.npos || c2 == row.npos)
      throw Error(fmt::format("{}:{}: expected \"instance,value,note\"", csv_path, line));
    if (row.substr(0, c1) != instance) continue;
    const std::string value(row.substr(c1 + 1, c2 - c1 - 1));
    try {
      size_t used = 0;
      BestKnown b{std::stod(value, &used), std::string(row.substr(c2 + 1))};
      if (used != value.size()) throw std::invalid_argument(value);
      return b;
    } catch (const std::exception&) {
      throw Error(fmt::format("{}:{}: expected a number as the best-known value, got \"{}\"", csv_path, line, value));
    }
  }
  return std::nullopt;
}

}  // namespace tsu::opt
