#include "graph/topology.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <numbers>
#include <random>
#include <unordered_set>

namespace tsu {

namespace {

const std::vector<GridRule>& known_rules() {
  static const std::vector<GridRule> rules = {
      {"G8", {{0, 1}, {4, 1}}},
      {"G12", {{0, 1}, {4, 1}, {10, 9}}},
      {"G16", {{0, 1}, {4, 1}, {10, 9}, {11, 14}}},
      {"G20", {{0, 1}, {4, 1}, {10, 9}, {11, 14}, {23, 6}}},
      {"G24", {{0, 1}, {4, 1}, {10, 9}, {11, 14}, {23, 6}, {3, 28}}},
      {"G12-paper", {{0, 1}, {4, 1}, {9, 10}}},
      {"G16-paper", {{0, 1}, {4, 1}, {8, 7}, {14, 9}}},
      // Extropic's Z1 chip, degree 16 ("Thermalizing Stochastic Programs", arXiv:2608.01615, via
      // ../shared/reference/peers-2026.md §2).
      {"Z1", {{1, 0}, {2, 1}, {2, 3}, {4, 1}}},
  };
  return rules;
}

int max_component(const GridRule& rule) {
  int m = 0;
  for (auto [a, b] : rule.offsets) m = std::max({m, std::abs(a), std::abs(b)});
  return m;
}

void check_grid_size(int L, const GridRule& rule, bool torus) {
  constexpr int kMaxSide = 46340;  // L * L must fit in int32 node ids
  if (L < 1 || L > kMaxSide) throw Error(fmt::format("grid: side L = {} must be in 1..{}", L, kMaxSide));
  if (!torus) return;
  if (L % 2 != 0) throw Error(fmt::format("grid: a torus needs an even side L to stay bipartite, got L = {}", L));
  int m = max_component(rule);
  if (L <= 2 * m)
    throw Error(fmt::format("grid: rule {} on a torus needs L > {} (twice its largest offset {}), otherwise "
                            "wrapped offsets coincide; got L = {}",
                            rule.name, 2 * m, m, L));
}

// Uniform integer in [0, bound) by multiply-shift: portable, unlike std::uniform_int_distribution.
uint64_t below(std::mt19937_64& rng, uint64_t bound) {
  return uint64_t((static_cast<unsigned __int128>(rng()) * bound) >> 64);
}

template <class T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(rng, i)]);
}

double uniform_open(std::mt19937_64& rng) { return (double(rng() >> 11) + 0.5) * 0x1.0p-53; }

// Standard normal draws by Box-Muller (both outputs used), portable across standard libraries.
class Gaussian {
 public:
  explicit Gaussian(uint64_t seed) : rng_(seed) {}
  double operator()() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double r = std::sqrt(-2.0 * std::log(uniform_open(rng_)));
    double t = 2.0 * std::numbers::pi * uniform_open(rng_);
    spare_ = r * std::sin(t);
    has_spare_ = true;
    return r * std::cos(t);
  }

 private:
  std::mt19937_64 rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t edge_key(int32_t u, int32_t v) {
  if (u > v) std::swap(u, v);
  return (uint64_t(uint32_t(u)) << 32) | uint32_t(v);
}

// Whether two of the leftover stubs could still be joined by a new edge.
bool can_still_pair(const std::vector<int32_t>& stubs, const std::unordered_set<uint64_t>& edges) {
  std::vector<int32_t> nodes = stubs;
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  for (size_t i = 0; i < nodes.size(); ++i)
    for (size_t j = i + 1; j < nodes.size(); ++j)
      if (!edges.contains(edge_key(nodes[i], nodes[j]))) return true;
  return false;
}

// One attempt of the pairing algorithm: pair shuffled stubs, keep the pairs that form new simple
// edges and reshuffle the rest, until none are left (success) or no valid pair remains (failure).
std::optional<std::vector<Edge>> try_random_regular(int n, int degree, std::mt19937_64& rng) {
  std::vector<int32_t> stubs;
  stubs.reserve(size_t(n) * degree);
  for (int i = 0; i < n; ++i) stubs.insert(stubs.end(), size_t(degree), i);
  std::unordered_set<uint64_t> present;
  std::vector<Edge> edges;
  while (!stubs.empty()) {
    shuffle(stubs, rng);
    std::vector<int32_t> rejected;
    for (size_t k = 0; k + 1 < stubs.size(); k += 2) {
      int32_t u = stubs[k], v = stubs[k + 1];
      if (u != v && present.insert(edge_key(u, v)).second) {
        edges.push_back({std::min(u, v), std::max(u, v)});
      } else {
        rejected.insert(rejected.end(), {u, v});
      }
    }
    if (!rejected.empty() && !can_still_pair(rejected, present)) return std::nullopt;
    stubs = std::move(rejected);
  }
  return edges;
}

int parse_int(const std::string& text, const std::string& spec, const char* what) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw Error(fmt::format("topology spec \"{}\": {} \"{}\" is not an integer", spec, what, text));
  return value;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t pos; (pos = s.find(sep, start)) != std::string::npos; start = pos + 1)
    parts.push_back(s.substr(start, pos - start));
  parts.push_back(s.substr(start));
  return parts;
}

Model grid_from_spec(const std::vector<std::string>& parts, const std::string& spec, double j_sigma,
                     double h_sigma, uint64_t seed) {
  if (parts.size() != 3 && parts.size() != 4)
    throw Error(fmt::format("topology spec \"{}\": expected grid:L:RULE or grid:L:RULE:open|torus", spec));
  bool torus = true;
  if (parts.size() == 4) {
    if (parts[3] != "open" && parts[3] != "torus")
      throw Error(fmt::format("topology spec \"{}\": boundary must be \"open\" or \"torus\", got \"{}\"", spec,
                              parts[3]));
    torus = parts[3] == "torus";
  }
  return grid_ising(parse_int(parts[1], spec, "side L"), parts[2], torus, j_sigma, h_sigma, seed);
}

Model random_regular_from_spec(const std::vector<std::string>& parts, const std::string& spec, double j_sigma,
                               double h_sigma, uint64_t seed) {
  if (parts.size() != 3) throw Error(fmt::format("topology spec \"{}\": expected rr:N:DEGREE", spec));
  int n = parse_int(parts[1], spec, "node count");
  int degree = parse_int(parts[2], spec, "degree");
  return ising_model(n, random_regular_edges(n, degree, seed), j_sigma, h_sigma, seed,
                     fmt::format("random {}-regular, n = {}", degree, n));
}

Model rbm_from_spec(const std::vector<std::string>& parts, const std::string& spec, double j_sigma, double h_sigma,
                    uint64_t seed) {
  if (parts.size() != 3) throw Error(fmt::format("topology spec \"{}\": expected rbm:VISIBLE:HIDDEN", spec));
  return rbm_model(parse_int(parts[1], spec, "visible count"), parse_int(parts[2], spec, "hidden count"), j_sigma,
                   h_sigma, seed);
}

}  // namespace

GridRule grid_rule(const std::string& name) {
  std::string known;
  for (const auto& rule : known_rules()) {
    if (rule.name == name) return rule;
    known += (known.empty() ? "" : ", ") + rule.name;
  }
  throw Error(fmt::format("grid rule \"{}\" is unknown (known: {})", name, known));
}

std::vector<Edge> grid_edges(int L, const GridRule& rule, bool torus) {
  check_grid_size(L, rule, torus);
  // Half of each offset's four rotations; the other half are their negatives (the same edges).
  std::vector<std::pair<int, int>> half;
  for (auto [a, b] : rule.offsets) half.insert(half.end(), {{a, b}, {-b, a}});
  std::vector<Edge> edges;
  edges.reserve(size_t(L) * L * half.size());
  for (int r = 0; r < L; ++r)
    for (int c = 0; c < L; ++c)
      for (auto [dr, dc] : half) {
        int r2 = r + dr, c2 = c + dc;
        if (torus) {
          r2 = (r2 % L + L) % L;
          c2 = (c2 % L + L) % L;
        } else if (r2 < 0 || r2 >= L || c2 < 0 || c2 >= L) {
          continue;
        }
        int32_t p = r * L + c, q = r2 * L + c2;
        edges.push_back({std::min(p, q), std::max(p, q)});
      }
  return edges;
}

std::vector<Edge> random_regular_edges(int n, int degree, uint64_t seed) {
  if (n < 1) throw Error(fmt::format("random regular graph: node count must be positive, got {}", n));
  if (degree < 0 || degree >= n)
    throw Error(fmt::format("random regular graph: degree must be in 0..{} for {} nodes, got {}", n - 1, n, degree));
  if ((int64_t(n) * degree) % 2 != 0)
    throw Error(fmt::format("random regular graph: n * degree must be even, got {} * {}", n, degree));
  std::mt19937_64 rng(seed);
  constexpr int kAttempts = 1000;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (auto edges = try_random_regular(n, degree, rng)) {
      std::sort(edges->begin(), edges->end(), [](Edge x, Edge y) { return std::pair(x.a, x.b) < std::pair(y.a, y.b); });
      return *edges;
    }
  }
  throw Error(fmt::format("random regular graph: no simple {}-regular graph on {} nodes found in {} attempts",
                          degree, n, kAttempts));
}

Model ising_model(int n, const std::vector<Edge>& edges, double j_sigma, double h_sigma, uint64_t seed,
                  std::string name) {
  if (n < 0) throw Error(fmt::format("ising model: node count must not be negative, got {}", n));
  if (!(j_sigma >= 0 && std::isfinite(j_sigma)))
    throw Error(fmt::format("ising model: j_sigma must be finite and >= 0, got {}", j_sigma));
  if (!(h_sigma >= 0 && std::isfinite(h_sigma)))
    throw Error(fmt::format("ising model: h_sigma must be finite and >= 0, got {}", h_sigma));
  Model model;
  model.name = std::move(name);
  model.add_spin_nodes(n);
  Gaussian coupling_noise(splitmix64(seed)), bias_noise(splitmix64(seed ^ 0x5bd1e995ULL));
  for (size_t e = 0; e < edges.size(); ++e) {
    auto [a, b] = edges[e];
    if (a < 0 || a >= n || b < 0 || b >= n || a == b)
      throw Error(fmt::format("ising model: edges[{}] = ({}, {}) is a self-loop or out of range for {} nodes", e, a,
                              b, n));
    model.add_coupling(a, b, j_sigma * coupling_noise());
  }
  if (h_sigma > 0)
    for (int i = 0; i < n; ++i) model.add_bias(i, h_sigma * bias_noise());
  return model;
}

Model rbm_model(int visible, int hidden, double j_sigma, double h_sigma, uint64_t seed) {
  constexpr int64_t kMaxCouplings = 100'000'000;
  if (visible < 1 || hidden < 1 || int64_t(visible) * hidden > kMaxCouplings)
    throw Error(fmt::format("rbm: needs at least one visible and one hidden node and at most {} couplings, got {} x {}",
                            kMaxCouplings, visible, hidden));
  std::vector<Edge> edges;
  edges.reserve(size_t(visible) * size_t(hidden));
  for (int v = 0; v < visible; ++v)
    for (int h = 0; h < hidden; ++h) edges.push_back({v, visible + h});
  Model model = ising_model(visible + hidden, edges, j_sigma, 0.0, seed,
                            fmt::format("rbm {} visible x {} hidden", visible, hidden));
  Gaussian bias_noise(splitmix64(seed ^ 0x5bd1e995ULL));
  for (int i = 0; i < visible + hidden; ++i) model.add_bias(i, h_sigma * bias_noise());
  return model;
}

Model grid_ising(int L, const std::string& rule, bool torus, double j_sigma, double h_sigma, uint64_t seed) {
  GridRule r = grid_rule(rule);
  auto edges = grid_edges(L, r, torus);  // checks L before L * L is formed
  return ising_model(L * L, edges, j_sigma, h_sigma, seed,
                     fmt::format("grid {}x{} {} {}", L, L, r.name, torus ? "torus" : "open"));
}

std::optional<Model> model_from_spec(const std::string& spec, double j_sigma, double h_sigma, uint64_t seed) {
  auto parts = split(spec, ':');
  if (parts[0] == "grid" && parts.size() > 1) return grid_from_spec(parts, spec, j_sigma, h_sigma, seed);
  if (parts[0] == "rr" && parts.size() > 1) return random_regular_from_spec(parts, spec, j_sigma, h_sigma, seed);
  if (parts[0] == "rbm" && parts.size() > 1) return rbm_from_spec(parts, spec, j_sigma, h_sigma, seed);
  return std::nullopt;
}

}  // namespace tsu
