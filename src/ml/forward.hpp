// The DTM's forward (noising) process: every variable is noised independently by a continuous-time
// uniform-jump Markov process. Parametrisation of the replication (step.py:get_perturbed_data): over
// a time dt at rate lambda, a variable is replaced by a uniform draw from its M states with
// probability 1 - exp(-lambda dt). So
//   P(keep) = (1 + (M - 1) e^{-lambda dt}) / M,
// and the paper's gamma (jump rate to each other state) is lambda / M. In Boltzmann form the kernel
// is Q(x^t | x^{t-1}) ~ exp(Gamma * delta(x^t, x^{t-1})) with Gamma = ln[(1 + (M-1) e) / (1 - e)],
// e = e^{-lambda dt}. For spins (M = 2) this is the coupling energy -J s^{t-1} s^t with
//   J = Gamma / 2 = -1/2 ln tanh(lambda dt / 2),
// the sign that makes sigmoid(2J) = P(keep) (the printed Eq. D1 of the paper has it reversed).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sample/rng.hpp"

namespace tsu::ml {

// 1 - e^{-rate dt}: the probability that a variable is redrawn (dt = infinity gives 1).
double redraw_probability(double rate, double dt);
// (1 + (M - 1) e^{-rate dt}) / M.
double keep_probability(double rate, double dt, int states = 2);
// Gamma = ln[(1 + (M - 1) e) / (1 - e)]; +infinity at dt = 0, 0 at dt = infinity.
double potts_coupling(double rate, double dt, int states);
// The spin coupling J = Gamma / 2 = -1/2 ln tanh(rate dt / 2) between x^{t-1} and x^t.
double input_coupling(double rate, double dt);

// Step boundaries t_0 = 0 < t_1 < ... < t_T. "log" (the replication's default): t_k = -ln(1 - k/T),
// so e^{-t_k} falls linearly and t_T = infinity (the last step models pure noise). "linear":
// t_k = k / T * end, with t_T = end finite.
enum class ScheduleKind { Log, Linear };
ScheduleKind parse_schedule(const std::string& name);  // "log" or "linear"; Error otherwise
std::vector<double> diffusion_times(int steps, ScheduleKind kind, double linear_end);

// Noises 0/1 codes in place over time dt: each is redrawn uniformly with probability
// redraw_probability, i.e. flipped with half of it; one uniform per bit.
void noise_bits(std::span<uint8_t> bits, double rate, double dt, Xoshiro128p& rng);
// Noises one categorical value (0..states-1): redrawn uniformly with probability redraw_probability.
int noise_category(int value, int states, double rate, double dt, Xoshiro128p& rng);

}  // namespace tsu::ml
