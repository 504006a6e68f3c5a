#include "graph/model_io.hpp"

#include "util/files.hpp"
#include "util/json.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

// The "tsu-model-v1" JSON format:
//
//   {"format": "tsu-model-v1", "name": "demo", "beta": 1.0,
//    "nodes": ["spin", "spin", {"categorical": 3}],
//    "factors": [{"spins": [[0], [1]], "w": [0.3, -0.1]},
//                {"spins": [[0]], "cats": [[2]], "w": [[0.4, -0.4, 0.0]]}],
//    "clamp": {"1": -1},
//    "blocks": [[0], [2]]}
//
// - "nodes": one entry per node, "spin" or {"categorical": K}. Runs of equal nodes may be written
//   compactly: {"spin": n} is n spins, {"categorical": K, "count": n} is n K-state nodes.
// - "factors": groups of factors of one shape. "spins" and/or "cats" hold one tuple of node indices
//   per factor (all tuples of a list have one length); "w" holds one entry per factor: a number when
//   the group has no "cats", else a nested table with one dimension per categorical slot, sized K.
// - "clamp" (optional): node index as a string -> state; -1/+1 for a spin, 0..K-1 for a categorical.
// - "blocks" (optional): lists of node indices to sample together; omitted = coloured automatically.
// - "name" (optional) and "beta" (optional, default 1). Unknown fields and duplicate keys are errors.

namespace tsu {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

constexpr std::string_view kFormat = "tsu-model-v1";
// Node counts and indices beyond this are taken as mistakes rather than allocated.
constexpr int kMaxCatSlots = 16;  // as Model::validate() allows
// 2^24 weights (128 MiB) per factor table: checked before a table is read, so that a few bytes naming
// sixteen 256-state nodes cannot ask for an impossible allocation.
constexpr size_t kMaxTableEntries = size_t(1) << 24;

// A field path such as factors[2].w[1], kept on the stack and rendered only when an error is thrown.
// A Field points to its parent, so a derived one must not outlive the full expression that made
// its parent.
struct Field {
  const Field* parent = nullptr;
  std::string_view key;  // member name; empty for an array element
  size_t index = 0;

  Field operator[](size_t i) const { return {this, {}, i}; }
  Field operator/(std::string_view k) const { return {this, k, 0}; }

  std::string str() const {
    if (!parent) return "";
    std::string head = parent->str();
    if (key.empty()) return fmt::format("{}[{}]", head, index);
    // A key that is not a plain name ("3" in clamp, or anything a file may hold) as a JSON literal,
    // so that a message stays one line.
    const bool plain = std::isalpha(static_cast<unsigned char>(key[0])) &&
                       std::all_of(key.begin(), key.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (!plain) return fmt::format("{}[{}]", head, json_literal(std::string(key)));
    return head.empty() ? std::string(key) : fmt::format("{}.{}", head, key);
  }
};

// A string as a JSON literal, for messages (invalid UTF-8 is replaced rather than thrown on).

std::string describe(const json& j) {
  switch (j.type()) {
    case json::value_t::string: {
      auto s = j.get_ref<const std::string&>();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return "string " + json_literal(s);
    }
    case json::value_t::array: return fmt::format("a list of {} entries", j.size());
    case json::value_t::object: return "an object";
    case json::value_t::null: return "null";
    default: return j.dump();
  }
}

// Builds a Model from a parsed document, checking every field on the way.
class JsonReader {
 public:
  JsonReader(std::string_view source, int64_t max_nodes) : source_(source), max_nodes_(max_nodes) {}

  Model read(const json& doc) {
    Field root;
    if (!doc.is_object()) fail(root, "expected a JSON object at the top level, got " + describe(doc));
    check_keys(doc, root, {"format", "name", "beta", "nodes", "factors", "clamp", "blocks"});
    read_format(doc, root);
    if (const json* name = member(doc, "name")) m_.name = string(*name, root / "name");
    if (const json* beta = member(doc, "beta")) m_.beta = finite_number(*beta, root / "beta");
    read_nodes(required(doc, root, "nodes"), root / "nodes");
    read_factors(required(doc, root, "factors"), root / "factors");
    if (const json* clamp = member(doc, "clamp")) read_clamp(*clamp, root / "clamp");
    if (const json* blocks = member(doc, "blocks")) read_blocks(*blocks, root / "blocks");
    try {
      m_.validate();
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}", source_, e.what()));
    }
    return std::move(m_);
  }

 private:
  std::string_view source_;
  int64_t max_nodes_;
  Model m_;

  [[noreturn]] void fail(const Field& at, std::string_view what) const {
    std::string path = at.str();
    if (path.empty()) throw Error(fmt::format("{}: {}", source_, what));
    throw Error(fmt::format("{}: {}: {}", source_, path, what));
  }

  static const json* member(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }

  const json& required(const json& obj, const Field& at, const char* key) const {
    const json* j = member(obj, key);
    if (!j) fail(at / key, "missing");
    return *j;
  }

  void check_keys(const json& obj, const Field& at, std::initializer_list<std::string_view> known) const {
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (std::find(known.begin(), known.end(), it.key()) == known.end())
        fail(at / it.key(), fmt::format("unknown field; expected one of \"{}\"", fmt::join(known, "\", \"")));
  }

  const json& list(const json& j, const Field& at, std::string_view what) const {
    if (!j.is_array()) fail(at, fmt::format("expected {}, got {}", what, describe(j)));
    return j;
  }

  std::string string(const json& j, const Field& at) const {
    if (!j.is_string()) fail(at, "expected a string, got " + describe(j));
    return j.get<std::string>();
  }

  int64_t integer(const json& j, const Field& at, std::string_view what) const {
    if (j.is_number_unsigned()) return int64_t(std::min<uint64_t>(j.get<uint64_t>(), INT64_MAX));
    if (j.is_number_integer()) return j.get<int64_t>();
    fail(at, fmt::format("expected {}, got {}", what, describe(j)));
  }

  // nlohmann already rejects numbers that overflow a double; the check keeps that assumption local.
  double finite_number(const json& j, const Field& at) const {
    if (!j.is_number()) fail(at, "expected a number, got " + describe(j));
    double v = j.get<double>();
    if (const auto problem = magnitude_problem(v); !problem.empty()) fail(at, problem);
    return v;
  }

  int32_t node_index(const json& j, const Field& at) const {
    int64_t i = integer(j, at, "a node index");
    if (i < 0 || i >= int64_t(m_.size()))
      fail(at, fmt::format("node index {} out of range ({} nodes)", i, m_.size()));
    return int32_t(i);
  }

  void read_format(const json& doc, const Field& root) const {
    const json* format = member(doc, "format");
    if (!format) fail(root / "format", fmt::format("missing; expected \"{}\"", kFormat));
    if (!format->is_string() || format->get_ref<const std::string&>() != kFormat)
      fail(root / "format", fmt::format("expected \"{}\", got {}", kFormat, describe(*format)));
  }

  void read_nodes(const json& nodes, const Field& at) {
    list(nodes, at, "a list of node kinds");
    for (size_t i = 0; i < nodes.size(); ++i) read_node_spec(nodes[i], at[i]);
  }

  void read_node_spec(const json& spec, const Field& at) {
    if (spec.is_string()) {
      const auto& kind = spec.get_ref<const std::string&>();
      if (kind == "spin") return add_nodes(NodeKind::spin(), 1, at);
      if (kind == "categorical") fail(at, "a categorical node needs its state count, e.g. {\"categorical\": 3}");
      fail(at, "unknown node kind " + json_literal(kind));
    }
    if (!spec.is_object())
      fail(at, "expected \"spin\" or an object such as {\"categorical\": 3}, got " + describe(spec));
    for (auto it = spec.begin(); it != spec.end(); ++it)
      if (it.key() != "spin" && it.key() != "categorical" && it.key() != "count")
        fail(at, "unknown node kind " + json_literal(it.key()));
    const json* spin = member(spec, "spin");
    const json* categorical = member(spec, "categorical");
    const json* count = member(spec, "count");
    if (bool(spin) == bool(categorical)) fail(at, "expected exactly one of \"spin\" or \"categorical\"");
    if (spin) {
      if (count) fail(at / "count", "not used with \"spin\"; write {\"spin\": n} for n spins");
      return add_nodes(NodeKind::spin(), integer(*spin, at / "spin", "a node count"), at / "spin");
    }
    int64_t k = integer(*categorical, at / "categorical", "a state count");
    if (k < 2 || k > kMaxCategories)
      fail(at / "categorical", fmt::format("categorical nodes need 2..{} states, got {}", kMaxCategories, k));
    int64_t n = count ? integer(*count, at / "count", "a node count") : 1;
    add_nodes(NodeKind::categorical(int(k)), n, count ? at / "count" : at);
  }

  void add_nodes(NodeKind kind, int64_t n, const Field& at) {
    if (n < 1) fail(at, fmt::format("node count must be at least 1, got {}", n));
    if (n > max_nodes_ - int64_t(m_.size()))
      fail(at, fmt::format("{} more nodes would exceed the limit of {} nodes", n, max_nodes_));
    m_.nodes.insert(m_.nodes.end(), size_t(n), kind);
  }

  void read_factors(const json& factors, const Field& at) {
    list(factors, at, "a list of factor groups");
    for (size_t g = 0; g < factors.size(); ++g) read_group(factors[g], at[g]);
  }

  void read_group(const json& spec, const Field& at) {
    if (!spec.is_object())
      fail(at, "expected an object with \"spins\" and/or \"cats\" and \"w\", got " + describe(spec));
    check_keys(spec, at, {"spins", "cats", "w"});
    const json* spins = member(spec, "spins");
    const json* cats = member(spec, "cats");
    if (!spins && !cats) fail(at, "a factor group needs \"spins\" and/or \"cats\"");
    const json& w = required(spec, at, "w");
    FactorGroup g;
    size_t count = 0;
    if (spins) count = read_tuples(*spins, at / "spins", true, g.n_spin, g.spins);
    if (cats) {
      size_t n = read_tuples(*cats, at / "cats", false, g.n_cat, g.cats);
      if (spins && n != count)
        fail(at / "cats", fmt::format("{} tuples but \"spins\" has {}; both hold one tuple per factor", n, count));
      count = n;
      read_cat_dims(g, at / "cats");
    }
    check_distinct_members(g, at);
    read_weights(w, at / "w", g, count);
    m_.groups.push_back(std::move(g));
  }

  // Reads a list of equal-length node tuples into `out` (factor-major); returns the tuple count.
  size_t read_tuples(const json& tuples, const Field& at, bool spin, int& arity, std::vector<int32_t>& out) const {
    list(tuples, at, "a list of node-index tuples, one per factor");
    if (tuples.empty()) fail(at, "empty; a factor group needs at least one factor");
    for (size_t f = 0; f < tuples.size(); ++f) {
      const json& tuple = list(tuples[f], at[f], "a tuple of node indices such as [0, 1]");
      if (f == 0) {
        if (tuple.empty()) fail(at[f], "empty tuple");
        if (!spin && tuple.size() > size_t(kMaxCatSlots))
          fail(at[f], fmt::format("at most {} categorical members per factor, got {}", kMaxCatSlots, tuple.size()));
        arity = int(tuple.size());
        out.reserve(tuples.size() * tuple.size());
      } else if (tuple.size() != size_t(arity)) {
        fail(at[f], fmt::format("tuple has {} entries but the first has {}; all tuples of a group have one length",
                                tuple.size(), arity));
      }
      for (size_t s = 0; s < tuple.size(); ++s) out.push_back(member_node(tuple[s], at[f][s], spin));
    }
    return tuples.size();
  }

  int32_t member_node(const json& j, const Field& at, bool want_spin) const {
    int32_t node = node_index(j, at);
    if (m_.nodes[node].is_spin() != want_spin)
      fail(at, want_spin ? fmt::format("node {} is categorical; list it under \"cats\"", node)
                         : fmt::format("node {} is a spin; list it under \"spins\"", node));
    return node;
  }

  // The table dimensions come from the first factor's nodes; every factor must match them.
  void read_cat_dims(FactorGroup& g, const Field& at) const {
    size_t entries = 1;
    for (int j = 0; j < g.n_cat; ++j) {
      g.cat_dims.push_back(m_.nodes[g.cats[j]].states);
      entries *= size_t(g.cat_dims.back());
      if (entries > kMaxTableEntries)
        fail(at[0], fmt::format("the weight table of these nodes would exceed {} entries per factor", kMaxTableEntries));
    }
    for (size_t f = 0, n = g.cats.size() / g.n_cat; f < n; ++f)
      for (int j = 0; j < g.n_cat; ++j) {
        int32_t node = g.cats[f * g.n_cat + j];
        if (m_.nodes[node].states != g.cat_dims[j])
          fail(at[f][j], fmt::format("node {} has {} states but slot {} of this group has {} (from {}[0][{}])", node,
                                     m_.nodes[node].states, j, g.cat_dims[j], at.key, j));
      }
  }

  void check_distinct_members(const FactorGroup& g, const Field& at) const {
    Field spins = at / "spins", cats = at / "cats";
    size_t count = g.n_spin ? g.spins.size() / g.n_spin : g.cats.size() / g.n_cat;
    std::vector<int32_t> members;
    for (size_t f = 0; f < count; ++f) {
      members.assign(g.spins.begin() + f * g.n_spin, g.spins.begin() + (f + 1) * g.n_spin);
      members.insert(members.end(), g.cats.begin() + f * g.n_cat, g.cats.begin() + (f + 1) * g.n_cat);
      for (size_t a = 1; a < members.size(); ++a)
        for (size_t b = 0; b < a; ++b)
          if (members[a] == members[b]) {
            auto what = fmt::format("node {} appears twice in one factor", members[a]);
            if (a < size_t(g.n_spin)) fail(spins[f][a], what);
            fail(cats[f][a - g.n_spin], what);
          }
    }
  }

  void read_weights(const json& w, const Field& at, FactorGroup& g, size_t count) const {
    list(w, at, g.n_cat ? "a list of weight tables, one per factor" : "a list of weights, one per factor");
    if (w.size() != count) fail(at, fmt::format("{} entries but the group has {} factors", w.size(), count));
    for (size_t f = 0; f < count; ++f) read_table(w[f], at[f], g.cat_dims, 0, g.weights);
  }

  // A nested table of shape dims[depth..] in row-major order; a plain weight when depth == dims.size().
  void read_table(const json& t, const Field& at, const std::vector<int>& dims, size_t depth,
                  std::vector<double>& out) const {
    if (depth == dims.size()) return out.push_back(finite_number(t, at));
    auto shape = [&] { return fmt::format("[{}]", fmt::join(dims.begin() + long(depth), dims.end(), ", ")); };
    if (!t.is_array()) fail(at, fmt::format("expected a table of shape {}, got {}", shape(), describe(t)));
    if (t.size() != size_t(dims[depth]))
      fail(at, fmt::format("expected a table of shape {}, got {} entries", shape(), t.size()));
    for (size_t k = 0; k < t.size(); ++k) read_table(t[k], at[k], dims, depth + 1, out);
  }

  void read_clamp(const json& clamp, const Field& at) {
    if (!clamp.is_object())
      fail(at, "expected an object mapping node indices to states, e.g. {\"3\": -1}, got " + describe(clamp));
    if (clamp.empty()) return;
    m_.clamp.assign(m_.size(), std::nullopt);
    for (auto it = clamp.begin(); it != clamp.end(); ++it) {
      Field entry = at / it.key();
      int32_t node = clamp_key(it.key(), entry);
      if (m_.clamp[node]) fail(entry, fmt::format("node {} is clamped twice", node));
      m_.clamp[node] = clamp_state(it.value(), entry, node);
    }
  }

  int32_t clamp_key(const std::string& key, const Field& at) const {
    int64_t node = -1;
    auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), node);
    if (key.empty() || !std::isdigit(static_cast<unsigned char>(key[0])) || end != key.data() + key.size())
      fail(at, "expected a node index as the key");
    if (ec != std::errc() || node >= int64_t(m_.size()))
      fail(at, fmt::format("node index {} out of range ({} nodes)", key, m_.size()));
    return int32_t(node);
  }

  State clamp_state(const json& value, const Field& at, int32_t node) const {
    const NodeKind& kind = m_.nodes[node];
    int64_t v = integer(value, at, kind.is_spin() ? "-1 or +1" : "an integer state");
    if (kind.is_spin()) {
      if (v != -1 && v != 1) fail(at, fmt::format("node {} is a spin: clamp it to -1 or +1, not {}", node, v));
      return spin_code(int(v));
    }
    if (v < 0 || v >= kind.states)
      fail(at, fmt::format("node {} has {} states: clamp it to 0..{}, not {}", node, kind.states, kind.states - 1, v));
    return State(v);
  }

  void read_blocks(const json& blocks, const Field& at) {
    list(blocks, at, "a list of blocks (lists of node indices)");
    for (size_t b = 0; b < blocks.size(); ++b) {
      const json& block = list(blocks[b], at[b], "a list of node indices");
      std::vector<int32_t> nodes;
      nodes.reserve(block.size());
      for (size_t k = 0; k < block.size(); ++k) nodes.push_back(node_index(block[k], at[b][k]));
      m_.blocks.push_back(std::move(nodes));
    }
  }
};

ordered_json table_json(std::span<const double> table, std::span<const int> dims) {
  if (dims.empty()) return table[0];
  ordered_json rows = ordered_json::array();
  size_t stride = table.size() / size_t(dims[0]);
  for (int k = 0; k < dims[0]; ++k) rows.push_back(table_json(table.subspan(k * stride, stride), dims.subspan(1)));
  return rows;
}

ordered_json tuples_json(const std::vector<int32_t>& flat, int arity) {
  ordered_json tuples = ordered_json::array();
  for (size_t f = 0; f < flat.size(); f += size_t(arity))
    tuples.push_back(std::vector<int32_t>(flat.begin() + long(f), flat.begin() + long(f) + arity));
  return tuples;
}

ordered_json group_json(const FactorGroup& g) {
  ordered_json out = ordered_json::object();
  if (g.n_spin) out["spins"] = tuples_json(g.spins, g.n_spin);
  if (g.n_cat) out["cats"] = tuples_json(g.cats, g.n_cat);
  ordered_json w = ordered_json::array();
  for (size_t f = 0, n = g.count(); f < n; ++f) w.push_back(table_json(g.table_of(f), g.cat_dims));
  out["w"] = std::move(w);
  return out;
}

// Runs of equal nodes are written compactly ({"spin": n}, {"categorical": K, "count": n}).
ordered_json nodes_json(const std::vector<NodeKind>& nodes) {
  ordered_json out = ordered_json::array();
  for (size_t i = 0; i < nodes.size();) {
    size_t run = 1;
    while (i + run < nodes.size() && nodes[i + run] == nodes[i]) ++run;
    const NodeKind& kind = nodes[i];
    if (kind.is_spin())
      out.push_back(run == 1 ? ordered_json("spin") : ordered_json{{"spin", run}});
    else if (run == 1)
      out.push_back(ordered_json{{"categorical", kind.states}});
    else
      out.push_back(ordered_json{{"categorical", kind.states}, {"count", run}});
    i += run;
  }
  return out;
}

ordered_json clamp_json(const Model& m) {
  ordered_json out = ordered_json::object();
  for (size_t i = 0; i < m.size(); ++i)
    if (m.is_clamped(i)) {
      int state = *m.clamp[i];
      out[std::to_string(i)] = m.nodes[i].is_spin() ? spin_value(State(state)) : state;
    }
  return out;
}

std::string dump(const ordered_json& j) { return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace); }

// ---- Ising edge list ----

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  constexpr std::string_view kBlank = " \t\r\v\f";
  for (size_t pos = line.find_first_not_of(kBlank); pos != line.npos; pos = line.find_first_not_of(kBlank, pos)) {
    size_t end = std::min(line.find_first_of(kBlank, pos), line.size());
    fields.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  return fields;
}

// std::from_chars over the whole field; a partial parse is invalid_argument.
template <class T>
std::errc parse_number(std::string_view s, T& v) {
  if constexpr (std::is_floating_point_v<T>)
    if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && end != s.data() + s.size()) return std::errc::invalid_argument;
  return ec;
}

template <class T>
bool parse_number_ok(std::string_view s) {
  T v;
  return parse_number(s, v) == std::errc();
}

class EdgeListReader {
 public:
  EdgeListReader(std::string_view source, int64_t max_nodes) : source_(source), max_nodes_(max_nodes) {}

  Model read(std::istream& in) {
    std::string line;
    bool named = false;
    while (std::getline(in, line)) {
      ++line_no_;
      auto fields = split_fields(line);
      if (fields.empty() || fields[0].starts_with('#')) continue;
      if (named) {
        read_entry(fields);
      } else {
        read_name(line, fields);
        named = true;
      }
    }
    if (in.bad()) throw Error(fmt::format("{}: read error", source_));
    if (!named) throw Error(fmt::format("{}: empty; expected a name line, then \"i j w\" lines", source_));
    if (first_line_.empty()) throw Error(fmt::format("{}: no \"i j w\" lines after the name", source_));
    m_.add_spin_nodes(int(max_index_ + 1));
    return std::move(m_);
  }

 private:
  std::string_view source_;
  int64_t max_nodes_;
  Model m_;
  int line_no_ = 0;
  int64_t max_index_ = -1;
  std::unordered_map<uint64_t, int> first_line_;  // edge (or bias) -> the line that gave it

  [[noreturn]] void fail(std::string_view what) const {
    throw Error(fmt::format("{}:{}: {}", source_, line_no_, what));
  }

  // A first line of numbers means the name is missing (or the file is a G-set "n m" file), which
  // would otherwise silently drop an edge or shift every index.
  void read_name(std::string_view line, const std::vector<std::string_view>& fields) {
    auto is_int = parse_number_ok<int64_t>;
    if (fields.size() == 2 && is_int(fields[0]) && is_int(fields[1]))
      fail("looks like a G-set (rudy) header \"n m\"; expected the Ising edge list (a name line, then "
           "0-based \"i j w\" lines)");
    if (fields.size() == 3 && is_int(fields[0]) && is_int(fields[1]) && parse_number_ok<double>(fields[2]))
      fail("expected a name line before the \"i j w\" lines");
    size_t begin = line.find_first_not_of(" \t"), end = line.find_last_not_of(" \t\r");
    m_.name = std::string(line.substr(begin, end + 1 - begin));
  }

  void read_entry(const std::vector<std::string_view>& fields) {
    if (fields.size() != 3) fail(fmt::format("expected \"i j w\", got {} fields", fields.size()));
    int32_t i = node_index(fields[0]);
    int32_t j = node_index(fields[1]);
    double w = weight(fields[2]);
    uint64_t key = uint64_t(std::min(i, j)) << 32 | uint64_t(std::max(i, j));
    auto [it, fresh] = first_line_.emplace(key, line_no_);
    if (!fresh && i == j) fail(fmt::format("duplicate bias of node {} (first on line {})", i, it->second));
    if (!fresh) fail(fmt::format("duplicate edge ({}, {}) (first on line {})", i, j, it->second));
    if (i == j)
      m_.add_bias(i, w);
    else
      m_.add_coupling(i, j, w);
  }

  int32_t node_index(std::string_view field) {
    int64_t i;
    std::errc ec = parse_number(field, i);
    if (ec == std::errc::result_out_of_range) fail(fmt::format("node index {} is out of range", field));
    if (ec != std::errc()) fail(fmt::format("expected an integer node index, got \"{}\"", field));
    if (i < 0) fail(fmt::format("negative node index {}", i));
    if (i >= max_nodes_) fail(fmt::format("node index {} is too large (limit {})", i, max_nodes_ - 1));
    max_index_ = std::max(max_index_, i);
    return int32_t(i);
  }

  double weight(std::string_view field) const {
    double w;
    std::errc ec = parse_number(field, w);
    if (ec == std::errc::result_out_of_range) fail(fmt::format("weight {} is out of the range of a double", field));
    if (ec != std::errc()) fail(fmt::format("expected a number as weight, got \"{}\"", field));
    if (const auto problem = magnitude_problem(w); !problem.empty()) fail(fmt::format("weight \"{}\": {}", field, problem));
    return w;
  }
};

}  // namespace

Model parse_model_json(const std::string& text, const std::string& source_name, int64_t max_nodes) {
  return JsonReader(source_name, max_nodes).read(parse_json(text, source_name));
}

Model parse_edge_list(std::istream& in, const std::string& source_name, int64_t max_nodes) {
  return EdgeListReader(source_name, max_nodes).read(in);
}

Model load_model(const std::string& path) {
  std::string text = read_file(path);
  size_t start = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // a UTF-8 byte-order mark
  size_t first = text.find_first_not_of(" \t\r\n", start);
  if (first != text.npos && text[first] == '{') return parse_model_json(text, path);
  std::istringstream lines(std::move(text));
  return parse_edge_list(lines, path);
}

std::string model_to_json(const Model& m) {
  m.validate();  // an invalid model (e.g. a NaN weight) would not read back
  std::string out = fmt::format("{{\n  \"format\": \"{}\",\n", kFormat);
  if (!m.name.empty()) out += fmt::format("  \"name\": {},\n", dump(m.name));
  out += fmt::format("  \"beta\": {},\n  \"nodes\": {},\n  \"factors\": [", dump(m.beta), dump(nodes_json(m.nodes)));
  const char* sep = "\n    ";
  for (const auto& g : m.groups)
    if (g.count()) {
      out += sep + dump(group_json(g));
      sep = ",\n    ";
    }
  out += "\n  ]";
  if (m.free_count() < m.size()) out += ",\n  \"clamp\": " + dump(clamp_json(m));
  if (!m.blocks.empty()) out += ",\n  \"blocks\": " + dump(m.blocks);
  return out + "\n}\n";
}

void save_model(const Model& m, const std::string& path) { write_file_atomic(path, model_to_json(m)); }

}  // namespace tsu
