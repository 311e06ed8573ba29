#!/usr/bin/env bash
# Install every Debian package that zke's build, tests and benchmarks need.
# Idempotent: packages already present are left alone, and apt is only
# called when something is missing.
set -euo pipefail

packages=(
  # build
  meson ninja-build pkg-config gcc clang libclang-rt-14-dev
  libh2o-dev libuv1-dev libjansson-dev libyaml-dev libsqlite3-dev libssl-dev zlib1g-dev
  libcurl4-openssl-dev libmimalloc-dev libarchive-dev libwslay-dev
  # the node agent's container runtime and pod networking
  runc containernetworking-plugins iptables nftables conntrack util-linux iproute2
  # tests
  libcmocka-dev python3 python3-kubernetes python3-yaml curl openssl sqlite3 procps iputils-ping
  docker-registry skopeo prometheus bind9-dnsutils dnsmasq-base redis-server rabbitmq-server
  python3-pika
  # benchmarks
  etcd-server wrk dnsperf
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# kubectl 1.20 from Debian's kubernetes-client, unpacked beside (not over)
# the kubectl already on the machine, for the old-client compatibility tests.
old_kubectl_dir=/opt/zke-deps/kubectl-1.20
if [ ! -x "$old_kubectl_dir/kubectl" ]; then
  echo "deps: unpacking Debian's kubernetes-client (kubectl 1.20) into $old_kubectl_dir"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  [ -n "$(apt-cache policy kubernetes-client | grep Candidate | grep -v none)" ] || apt-get update -qq
  (cd "$tmp" && apt-get download -qq kubernetes-client)
  dpkg-deb -x "$tmp"/kubernetes-client_*.deb "$tmp/x"
  mkdir -p "$old_kubectl_dir"
  install -m 0755 "$tmp/x/usr/bin/kubectl" "$old_kubectl_dir/kubectl"
fi

if ! command -v kubectl >/dev/null 2>&1; then
  echo "deps: kubectl (1.32) is not on this machine; the kubectl tests need it" >&2
  exit 1
fi
echo "deps: ok"
