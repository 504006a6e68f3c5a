#!/usr/bin/env bash
# Installs tsu's build and test dependencies from Debian 12 packages. Idempotent: packages that are
# already present are skipped, so a second run does nothing and needs no network.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  nlohmann-json3-dev      # model files and reports
  libcli11-dev            # the tsu command line
  libfmt-dev              # formatting of messages and tables
  libeigen3-dev           # dense linear algebra
  libgtest-dev libgmock-dev
  libbenchmark-dev
  zlib1g-dev
  dataset-fashion-mnist   # the DTM data set (IDX files in /usr/share/datasets/fashion-mnist)
  libtorch-dev            # PyTorch's C++ API (1.13, CPU): the quality classifier and the neural baselines
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
echo "installing: ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
