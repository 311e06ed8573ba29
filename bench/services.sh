#!/usr/bin/env bash
# Service networking benchmark: HTTP through a cluster IP against a pod IP
# directly (wrk), endpoint change to rule in place (nft monitor), and the
# cluster DNS (dnsperf) beside dnsmasq and its own in-process cache path.
# Needs root, runc, the CNI plugins, nft, wrk, dnsperf and dnsmasq.
# Prints figures; asserts nothing. SECS (10) and CHANGES (100) override;
# PROXY_MODE=iptables measures the iptables rules (what a host without nft gets).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/zke ] && [ -x build/bench_dns ] || make build
exec /usr/bin/python3 bench/svcbench.py "$@"
