#!/usr/bin/env bash
# Scheduler and controller benchmark on simulated nodes: scheduling
# throughput at 1,000 and 5,000 nodes with 10,000 pending pods, a
# 10,000-replica Deployment until all Ready, and RSS. Prints figures;
# asserts nothing. See docs/benchmarks.md for recorded results.
# NODES, PODS and REPLICAS override the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/zke ] || make build
exec /usr/bin/python3 bench/schedbench.py "$@"
