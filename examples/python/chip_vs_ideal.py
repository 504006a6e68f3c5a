"""The simulated chip against the ideal sampler and exact enumeration, before and after calibration.

Samples examples/ising_chain.json on a device with mismatched cells (examples/devices/mismatched.json),
once uncalibrated and once calibrated, beside the ideal engine and the exact answer, and plots the
marginals to out/examples/chip_vs_ideal.png. Run from the checkout root:
  .venv/bin/python examples/python/chip_vs_ideal.py
"""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import tsu

model = tsu.load("examples/ising_chain.json")
device = "examples/devices/mismatched.json"
raw = tsu.hw_run(model, device=device, compare=True, samples=2000, seed=1)
calibrated = tsu.hw_run(model, device=device, compare=True, samples=2000, seed=1, calibrate=1000)
ideal = tsu.sample(model, chains=64, samples=2000, seed=1)
exact = tsu.exact(model)

for name, run in (("uncalibrated", raw), ("calibrated", calibrated)):
    c = run["compare"]["chip_vs_exact"]
    print(f"{name:>12}: marginal TV mean {c['mean']:.4f}, pair-moment |diff| {c['moment']:.4f}, "
          f"{run['energy']['J_per_update']:.3g} J per update")

nodes = np.arange(model.num_nodes)
width = 0.2
fig, ax = plt.subplots(figsize=(7, 3.5))
for k, (label, values) in enumerate([
    ("exact", exact.marginals),
    ("ideal sampler", ideal.marginals),
    ("chip", raw["statistics"]["marginals"]),
    ("chip, calibrated", calibrated["statistics"]["marginals"]),
]):
    ax.bar(nodes + (k - 1.5) * width, values, width, label=label)
ax.set_xlabel("node")
ax.set_ylabel("P(s = +1)")
ax.set_title(f"{model.name} on {os.path.basename(device)}")
ax.set_ylim(0, 0.75)
ax.legend(fontsize=8, loc="upper center", ncol=4)
os.makedirs("out/examples", exist_ok=True)
fig.tight_layout()
fig.savefig("out/examples/chip_vs_ideal.png", dpi=100)
print("wrote out/examples/chip_vs_ideal.png")
