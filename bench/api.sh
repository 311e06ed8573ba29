#!/usr/bin/env bash
# API server benchmark: zke beside etcd (the storage peer Kubernetes uses),
# on this machine's disk. Prints figures; asserts nothing. See
# docs/benchmarks.md for recorded results.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/zke ] || make build
exec /usr/bin/python3 bench/apibench.py "$@"
