#!/usr/bin/env bash
# Runs every harness in BUILD for SECONDS (two at a time, a fresh process each) from its seeds: the
# committed fuzz/seeds/NAME (which keep the inputs of past findings as regressions) and the project's
# own examples, configs and data files. A finding (crash, leak, sanitizer report, uncaught exception,
# broken invariant, timeout) leaves its input in BUILD/findings/ and fails the run; copy it into
# fuzz/seeds/NAME once fixed.
set -euo pipefail
build=${1:?usage: fuzz/run.sh BUILD SECONDS [JOBS]}
seconds=${2:-60}
jobs=${3:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$root/../shared/data
rm -rf "$build/seeds" "$build/findings" "$build/logs"
mkdir -p "$build/corpus" "$build/seeds" "$build/findings" "$build/logs"

# seed NAME PREFIX FILE...: FILE's bytes after PREFIX (printf escapes: the harness's selector bytes).
seed() {
  local name=$1 prefix=$2
  shift 2
  mkdir -p "$build/seeds/$name"
  for f in "$@"; do
    [ -f "$f" ] || continue
    { printf "$prefix"; cat "$f"; } >"$build/seeds/$name/$(basename "$(dirname "$f")")-$(basename "$f")"
  done
}
seed fuzz_model_json "" "$root"/examples/*.json
seed fuzz_device "" "$root"/examples/devices/*.json
seed fuzz_problems '\x00' "$root"/examples/qubo.txt
seed fuzz_configs '\x00' "$root"/configs/dtm/*.json
seed fuzz_configs '\x01' "$root"/configs/baselines/{vae,gan,diffusion}-*.json
seed fuzz_configs '\x02' "$root"/configs/baselines/classifier-*.json
seed fuzz_solutions '\x00\x00' "$shared"/gset/best-known.csv
mkdir -p "$build/seeds/fuzz_edge_list"
[ -f "$shared/graphs/pegasus14_gauss.txt" ] && head -n 80 "$shared/graphs/pegasus14_gauss.txt" >"$build/seeds/fuzz_edge_list/pegasus14-head.txt"

run_one() {
  local binary=$1 name
  name=$(basename "$binary")
  mkdir -p "$build/corpus/$name" "$build/seeds/$name"
  local dirs=("$build/corpus/$name" "$build/seeds/$name")
  [ -d "$root/fuzz/seeds/$name" ] && dirs+=("$root/fuzz/seeds/$name")
  if ASAN_OPTIONS=detect_leaks=1 "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=32768 -print_final_stats=1 -artifact_prefix="$build/findings/$name-" "${dirs[@]}" \
      >"$build/logs/$name.log" 2>&1; then
    local runs corpus
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$name.log")
    corpus=$(ls "$build/corpus/$name" | wc -l)
    echo "$name: ${runs:-?} inputs in ${seconds} s, no finding (corpus of $corpus)"
  else
    echo "$name: FINDING, see $build/logs/$name.log and $build/findings/"
    grep -m 3 -E "ERROR|finding|SUMMARY|runtime error|terminate" "$build/logs/$name.log" | sed 's/^/  /'
    return 1
  fi
}
export -f run_one
export build seconds root
ls "$build"/fuzz/fuzz_* | xargs -P "$jobs" -I {} bash -c 'run_one {}'
