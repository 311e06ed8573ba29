#!/usr/bin/env bash
# Elastic scaling benchmark: backlog-to-Ready reaction of a BacklogScaler on
# real containers (a real Redis), and the controllers' CPU with 1000
# BacklogScalers and their 1000 HPAs on simulated nodes. Prints figures;
# asserts nothing. ROUNDS (10), SCALERS (1000), BENCH_SECONDS (60) and
# PARTS (reaction,cpu) override.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/zke ] || make build
exec /usr/bin/python3 bench/scalebench.py "$@"
