"""An RBM trained with PCD on the binarised Fashion-MNIST images of one class, then sampled.

Run from the checkout root:  .venv/bin/python examples/python/train_rbm.py [--epochs 30 --hidden 64 --label 1]
Writes out/examples/rbm-<hidden>h-class<label>-<epochs>e/ (model.json, train.json, the checkpoint)
and rbm_curve.png and rbm_samples.png beside it; run again, it resumes from the checkpoint.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import tsu

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--hidden", type=int, default=64)
parser.add_argument("--label", type=int, default=1, help="Fashion-MNIST class (1: trouser)")
args = parser.parse_args()

# One folder per run: a folder resumes only the run that made it.
out = Path(f"out/examples/rbm-{args.hidden}h-class{args.label}-{args.epochs}e")
model = tsu.load(f"rbm:784:{args.hidden}", j_sigma=0.01, model_seed=1)
run = tsu.train(model, f"fashion-mnist:{args.label}", out=str(out), method="pcd", k=1, chains=100, batch=100,
                epochs=args.epochs, lr=0.001, lr_floor=0.1, seed=0)
last = run.history[-1]
print(f"{run.epochs_done} epochs: reconstruction error {last['reconstruction']:.4f}, "
      f"gradient rms {last['gradient_rms']:.4f}, weight rms {last['weight_rms']:.4f}")

epochs = [h["epoch"] for h in run.history]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(epochs, [h["reconstruction"] for h in run.history], "o-", label="reconstruction error")
ax.plot(epochs, [h["gradient_rms"] for h in run.history], "s-", label="gradient RMS")
ax.set_xlabel("epoch")
ax.set_title(f"RBM 784 x {args.hidden}, PCD-1, Adam lr 0.001, class {args.label}")
ax.legend()
fig.tight_layout()
fig.savefig(out.parent / "rbm_curve.png", dpi=100)

# 64 independent chains from uniform states, 1,000 sweeps each: the visible units of the last sweep.
samples = tsu.sample(run.model, chains=64, warmup=1000, samples=1, seed=1, save_samples=True).samples
images = (samples[0, :, :784] > 0).reshape(8, 8, 28, 28).transpose(0, 2, 1, 3).reshape(8 * 28, 8 * 28)
plt.imsave(out.parent / "rbm_samples.png", np.kron(images, np.ones((2, 2))), cmap="gray")
print(f"mean pixel of the samples {images.mean():.3f}; wrote {out.parent / 'rbm_curve.png'} and rbm_samples.png")
