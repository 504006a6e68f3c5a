// Optimisation problems as tsu models, and their objectives computed from the parsed problem alone
// (never from the model), so that a solution is verified independently of the sampler.
//
// Encodings (E(x) = -beta * sum of factor terms, model.hpp; node state = the solution's value):
//   Max-Cut:   spin per node, factor -w_ij s_i s_j per edge:  E = W - 2 cut   (pairwise: fast backend)
//   colouring: categorical node with K states per node, a K x K table per edge with -1 on the diagonal
//              (Potts):  E = number of edges whose ends share a colour
//   k-SAT:     spin per variable (+1 = true); clause unsatisfied indicator prod_l (1 - sigma_l s_l) / 2
//              expanded into spin products of every order:  E = unsatisfied clauses - const
//   QUBO:      x = (1 + s) / 2 turns sum Q_ij x_i x_j into biases and couplings:  E = f(x) - const
//   Ising:     a tsu model as given; the objective is its energy at beta = 1.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "graph/graph_io.hpp"
#include "graph/model.hpp"
#include "opt/formats.hpp"

namespace tsu::opt {

struct Problem {
  std::string kind;  // "maxcut", "color", "sat", "qubo", "ising"
  std::string name;
  std::string value_name;  // "cut", "conflicts", "unsatisfied", "objective", "energy"
  bool maximise = false;
  std::shared_ptr<const Model> model;  // beta = 1
  // The objective of a state (one code per node), computed from the parsed problem.
  std::function<double(std::span<const State>)> value;
  // The model's energy at beta = 1 is energy_scale * value + energy_offset.
  double energy_scale = 1, energy_offset = 0;

  bool better(double a, double b) const { return maximise ? a > b : a < b; }
  bool reaches(double v, double target) const { return maximise ? v >= target : v <= target; }
  double worst() const;
};

Problem maxcut_problem(WeightedGraph graph);
// Error unless 1 <= colours <= kMaxCategories.
Problem coloring_problem(WeightedGraph graph, int colours);
Problem sat_problem(Cnf cnf);
Problem qubo_problem(Qubo qubo);
Problem ising_problem(Model model);

// Objectives from the parsed problems. `side`, `colour` and `truth` hold one code per node/variable.
double cut_value(const WeightedGraph& g, std::span<const State> side);
int64_t colour_conflicts(const WeightedGraph& g, std::span<const State> colour);
int64_t unsatisfied_clauses(const Cnf& cnf, std::span<const State> truth);
double qubo_value(const Qubo& q, std::span<const State> x);

// A solution file's values for a state, and back (spins of an Ising problem as -1/+1, every other
// problem as the state code itself).
std::vector<int> solution_values(const Problem& p, std::span<const State> state);
std::vector<State> state_of_solution(const Problem& p, const std::vector<int>& values);
// The range of a solution file's values.
std::pair<int, int> solution_range(const Problem& p);

}  // namespace tsu::opt
