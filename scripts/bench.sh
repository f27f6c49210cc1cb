#!/usr/bin/env bash
# The full benchmark (a minute or two on 2 cores): prints the tables, writes
# target/bench-results.csv, and redraws docs/scaling.svg from it.
# CARGO_TARGET_DIR is honoured. The smoke run is `BENCH_SMOKE=1 cargo bench --bench bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
csv="$PWD/target/bench-results.csv"
rm -f "$csv"
BENCH_CSV="$csv" cargo bench --bench bench
python3 benches/plot.py "$csv" docs/scaling.svg
