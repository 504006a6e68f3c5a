"""A denoising thermodynamic model trained on the tiny config, sampled and scored, from Python.

Trains configs/dtm/tiny.json into out/examples/dtm-tiny (resuming if it is there), generates 100
free samples and scores them (pixel-feature Frechet distance; the classifier metric needs the CLI's
--classifier). Run from the checkout root:  .venv/bin/python examples/python/dtm_tiny.py
"""

import numpy as np

import tsu

run = "out/examples/dtm-tiny"
epochs = tsu.dtm_train("configs/dtm/tiny.json", run)
report = tsu.dtm_generate(run, f"{run}/generated", n=100, mode="free", seed=1)
samples = np.load(f"{run}/generated/samples-free.npy")
quality = tsu.dtm_eval(run, samples=f"{run}/generated/samples-free.npy")

print(f"{epochs} epochs; samples {samples.shape} {samples.dtype}, mean intensity {samples.mean() / 255:.3f}")
print(f"free generation: {report['free']['steps']} steps x {report['free']['sweeps_per_step']} sweeps, "
      f"{report['free']['flips_per_ns']:.3g} flips/ns")
print(f"{quality['metric']} = {quality['value']:.3f} against {quality['reference']} training images")
