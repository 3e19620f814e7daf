#!/usr/bin/env bash
# Rollup benchmark (issue #11): a 10,000-issue, 8-level sub-issue hierarchy in a SQLite
# store, then 1,000 status changes at the bottom level, each stored as a webhook stores it
# (the issue row, its status history and the rollup walked up to the root, in one write
# transaction). Prints RESULT lines with p50/p99 of the projector write (rollup included)
# and of the whole transaction (commit included), then checks every rollup against a full
# recomputation. No network.
# Usage: bench/rollup.sh [ISSUES] [CHANGES]   (defaults 10000 1000; target: write p99 < 5 ms)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -p ghgov-store --example rollup_bench -- "${1:-10000}" "${2:-1000}"
