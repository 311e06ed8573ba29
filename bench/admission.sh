#!/usr/bin/env bash
# Admission benchmark: pod creates with zke's policies in the server, with
# none, and through `zke webhook` over HTTPS; the webhook's own latency; a
# BatchRestart of 200 Deployments on simulated nodes. Prints figures;
# asserts nothing. BENCH_SECONDS (10) and DEPLOYMENTS (200) override.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/zke ] || make build
exec /usr/bin/python3 bench/admbench.py "$@"
