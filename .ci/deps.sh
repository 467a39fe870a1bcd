#!/usr/bin/env bash
# Installs everything zonewire needs to build, test and benchmark on Debian 12.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
PKGS=(
  build-essential pkg-config meson ninja-build clang clang-format llvm libclang-rt-14-dev
  libdpdk-dev dpdk-dev liburcu-dev libldns-dev ldnsutils libjemalloc-dev libcunit1-dev
  libbpf-dev libxdp-dev libxxhash-dev libyaml-dev libjansson-dev libssl-dev
  knot knot-dnsutils bind9 bind9-utils bind9-dnsutils dnsperf unbound valgrind
  iproute2 ethtool iputils-ping tcpdump socat python3 nftables procps
)
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null
