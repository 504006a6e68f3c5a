"""THRML's README example in tsu: a 5-spin Ising chain sampled with two blocks and a schedule.

THRML builds IsingEBM(nodes, edges, biases=0, weights=0.5, beta=1), blocks (even, odd), Hinton
initial states and SamplingSchedule(100, 1000, 2). The same in tsu, with 64 chains instead of one;
on an open chain with h = 0, E[s_i s_(i+1)] = tanh(beta J) = 0.4621.

Run from the checkout root:  .venv/bin/python examples/python/thrml_readme.py
"""

import math

import numpy as np

import tsu

model = tsu.ising(h=np.zeros(5), edges=[(i, i + 1) for i in range(4)], weights=[0.5] * 4, beta=1.0, name="chain")
blocks = [[0, 2, 4], [1, 3]]  # THRML's free_blocks: the even and the odd nodes
schedule = tsu.SamplingSchedule(n_warmup=100, n_samples=1000, steps_per_sample=2)

result = tsu.sample(model, chains=64, schedule=schedule, blocks=blocks, init="hinton", seed=0, save_samples=True)
print("samples:", result.samples.shape, result.samples.dtype)  # [1000, 64, 5], spins -1/+1
for (a, b), m in zip(result.pairs, result.pair_moments):
    print(f"E[s{a} s{b}] = {m:.4f}   (exact tanh(0.5) = {math.tanh(0.5):.4f})")
print(f"{result.run['sweeps']} sweeps at {result.run['flips_per_ns']:.3g} flips/ns")
