#!/usr/bin/env bash
# Installs tsu's build and test dependencies: Debian 12 packages for the C++ side, then the pinned
# Python-side packages of python/requirements.txt (PyPI) into .venv at the checkout root. Idempotent:
# what is already present is skipped, so a second run does nothing and needs no network.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  nlohmann-json3-dev      # model files and reports
  libcli11-dev            # the tsu command line
  libfmt-dev              # formatting of messages and tables
  libeigen3-dev           # dense linear algebra
  libgtest-dev libgmock-dev
  libbenchmark-dev
  zlib1g-dev              # the gzip IDX files of Fashion-MNIST
  dataset-fashion-mnist   # the DTM data set (IDX files in /usr/share/datasets/fashion-mnist)
  libpng-dev              # every PNG tsu writes (sample grids, plots)
  libcairo2-dev fonts-dejavu-core  # the plots of studies and reports, and their text
  libtorch-dev            # PyTorch's C++ API (1.13, CPU): the quality classifier and the neural baselines
  libopenblas0-openmp     # an optimised BLAS for libtorch, which finds BLAS through the libblas.so.3
                          # alternative (else the netlib reference code; docs/compare.md, "Speed")
  python3-dev python3-venv  # the Python package (built against Debian's python3) and its .venv
  clang-14 libclang-rt-14-dev libomp-14-dev  # the fuzz harnesses (libFuzzer) and the ThreadSanitizer run (OpenMP with Archer)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  echo "installing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# .venv: Debian's python3 (the one python3-dev matches), the pinned packages; a stamp holding a copy
# of the requirements says whether they are already in.
cd "$(dirname "$0")/.."
requirements=python/requirements.txt
stamp=.venv/requirements.installed
[ -x .venv/bin/python ] || /usr/bin/python3 -m venv .venv
if ! cmp -s "$requirements" "$stamp"; then
  echo "installing the Python packages of $requirements into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
fi
