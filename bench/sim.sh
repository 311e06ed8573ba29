#!/usr/bin/env bash
# zke sim benchmark: node registration (1,000 and 5,000 nodes), Lease
# renewals per second, and 10,000 pods bound to sim nodes driven to Running
# and Ready. Prints figures; asserts nothing. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/zke ] || make build
exec /usr/bin/python3 bench/simbench.py "$@"
