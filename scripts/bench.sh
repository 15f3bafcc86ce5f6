#!/usr/bin/env bash
# Runs every benchmark and regenerates BENCHMARKS.md from their output.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench workload
cargo bench --bench sweep
python3 scripts/compile_cost.py
python3 scripts/benchmarks.py
