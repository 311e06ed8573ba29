#!/usr/bin/env bash
# Node agent benchmark: pod start latency (create to Ready, seen through a
# watch, image present) over 100 pods on one node, paced and in a burst;
# the agent's RSS and CPU idle and with 100 pods; and the bare runtime
# (runc run of the same container) as the floor. Needs root, runc and the
# CNI plugins. Prints figures; asserts nothing. PODS overrides 100.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/zke ] || make build
exec /usr/bin/python3 bench/podbench.py "$@"
