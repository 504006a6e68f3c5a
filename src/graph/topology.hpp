// Graph generators: the DTM paper's grid connection rules, random regular graphs, RBMs, and Ising models
// with Gaussian weights on them.
#pragma once

#include "graph/model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tsu {

// Connection rules of the DTM paper (arXiv:2510.23972), replication presets (pschilliOrange/dtm-replication):
// G8 (0,1),(4,1); G12 + (10,9); G16 + (11,14); G20 + (23,6); G24 + (3,28). Each offset (a,b) = (rows, columns)
// joins a node to (a,b), (-b,a), (-a,-b), (b,-a), so the degree is 4 per offset. Also the paper's Table II
// variants "G12-paper" ((0,1),(4,1),(9,10)) and "G16-paper" ((0,1),(4,1),(8,7),(14,9)), and Extropic's Z1
// lattice ((1,0),(2,1),(2,3),(4,1); arXiv:2608.01615). Every offset has a + b odd, so each edge joins
// opposite checkerboard colours.
struct GridRule {
  std::string name;
  std::vector<std::pair<int, int>> offsets;
};
GridRule grid_rule(const std::string& name);  // "G8".."G24", "G12-paper", "G16-paper", "Z1"; Error otherwise

struct Edge {
  int32_t a, b;
};

// Node id = row * L + col; each undirected edge once, with a < b. Open grids drop the edges that would
// leave the grid. A torus needs L even (to stay bipartite) and L > 2 * the largest offset component
// (so that no wrapped offsets coincide, which would make multi-edges or self-loops); Error otherwise.
std::vector<Edge> grid_edges(int L, const GridRule& rule, bool torus);

// A uniformly-ish random simple d-regular graph (pairing algorithm with restarts, as networkx does).
// Needs n * degree even and 0 <= degree < n; Error otherwise. Edges sorted, a < b.
std::vector<Edge> random_regular_edges(int n, int degree, uint64_t seed);

// An Ising model on n spins: one coupling per edge with J ~ N(0, j_sigma) and, if h_sigma > 0, one bias
// per spin with h ~ N(0, h_sigma). Couplings and biases use separate streams derived from `seed`, so
// the couplings do not depend on h_sigma. Deterministic across platforms (own Box-Muller).
Model ising_model(int n, const std::vector<Edge>& edges, double j_sigma, double h_sigma, uint64_t seed,
                  std::string name);
// A restricted Boltzmann machine: visible spins 0..V-1, hidden spins V..V+H-1, every visible-hidden
// coupling (J ~ N(0, j_sigma)) and a bias on every node (h ~ N(0, h_sigma); present even when 0, so
// that training can fit it). Error for V or H below 1 or more than 10^8 couplings.
Model rbm_model(int visible, int hidden, double j_sigma, double h_sigma, uint64_t seed);
Model grid_ising(int L, const std::string& rule, bool torus, double j_sigma, double h_sigma, uint64_t seed);

// Parses a compact topology spec used by the CLI: "grid:70:G12" (torus), "grid:70:G12:open" (or
// ":torus"), "rr:1000:3" (random regular n:degree), "rbm:784:64" (visible:hidden). Anything else is
// taken as a file path, and the result is empty. A malformed spec throws Error naming it.
std::optional<Model> model_from_spec(const std::string& spec, double j_sigma, double h_sigma, uint64_t seed);

}  // namespace tsu
