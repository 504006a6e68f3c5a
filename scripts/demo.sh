#!/usr/bin/env bash
# The `make demo` showcase: samples the Pegasus P14 Gaussian spin glass with many chains, measures
# throughput, checks the sampler against exact enumeration on a small mixed model, then trains the
# `demo` denoising thermodynamic model on Fashion-MNIST (about 5 minutes on 2 cores), samples it, and
# ends with `tsu compare` at the demo scale: the same DTM on the TSU model against a VAE, a GAN and a
# diffusion model on a GPU, scored with one metric (about 10 more minutes).
# Usage: scripts/demo.sh TSU_BINARY   (run from anywhere; results go to out/demo in the checkout)
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 TSU_BINARY" >&2; exit 2; }
TSU="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -x "$TSU" ] || { echo "demo: $1 is not an executable" >&2; exit 2; }
cd "$(dirname "$0")/.."

OUT=out/demo
PEGASUS=../shared/data/graphs/pegasus14_gauss.txt
SMALL=examples/small.json
mkdir -p "$OUT"

section() { printf '\n== %s ==\n' "$1"; }

section "tsu $("$TSU" --version | sed 's/^tsu //')"

section "1. Pegasus P14 (4,264 spins, 30,404 Gaussian couplings), 128 chains, beta = 1"
[ -f "$PEGASUS" ] || { echo "demo: $PEGASUS is missing (the shared data folder sits beside the checkout)" >&2; exit 1; }
"$TSU" sample "$PEGASUS" --chains 128 --warmup 1000 --samples 50 --every 20 --seed 1 \
  --out "$OUT/pegasus" --show 5

section "2. Throughput: fast vs reference backend (short run; make bench for the full one)"
"$TSU" bench --chains 1,128 --sweeps 20

section "3. $SMALL: block-Gibbs sampling vs exact enumeration"
# One thread: a 3-node model is far too small to share between threads.
sampled=$("$TSU" sample "$SMALL" --chains 64 --warmup 100 --samples 4000 --every 2 --seed 1 --threads 1 \
  --out "$OUT/small" --show 16)
exact=$("$TSU" exact "$SMALL" --out "$OUT/small-exact" --show 16)
grep -v '^  node' <<<"$sampled"
grep -v '^  node' <<<"$exact"
printf '\n  %-42s %s\n' "sampled" "exact"
paste -d '\t' <(grep '^  node' <<<"$sampled") <(grep '^  node' <<<"$exact" | sed 's/^.*= //') |
  awk -F'\t' '{ printf "%-44s %s\n", $1, $2 }'

section "4. Denoising thermodynamic model on Fashion-MNIST (configs/dtm/demo.json, ~5 min on 2 cores)"
"$TSU" dtm train --config configs/dtm/demo.json --out "$OUT/dtm"
"$TSU" dtm generate --model "$OUT/dtm" --n 500 --out "$OUT/dtm/generated"
"$TSU" dtm eval --model "$OUT/dtm" --samples "$OUT/dtm/generated/samples-free.npy"

section "5. tsu compare --scale demo: DTM on a TSU vs VAE, GAN, diffusion, Bernoulli means and mixture on a GPU, real data as the floor (docs/compare.md)"
"$TSU" compare --scale demo --dtm "$OUT/dtm" --out "$OUT/compare" --cache "$OUT/cache"

section "done: results in $OUT (open $OUT/compare/report.html)"
