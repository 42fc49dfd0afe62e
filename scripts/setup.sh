#!/usr/bin/env bash
# Installs the Debian packages Shoal builds with, when any is missing.
# Idempotent: a machine that has everything is left untouched (no apt calls).
set -euo pipefail

PACKAGES=(
  build-essential cmake ccache pkg-config
  libboost-dev libprotobuf-dev protobuf-compiler librocksdb-dev
  libfmt-dev libspdlog-dev catch2 libpugixml-dev libcli11-dev
  libsodium-dev libzstd-dev libnl-route-3-dev libtomlplusplus-dev nlohmann-json3-dev libsystemd-dev
  libpqxx-dev postgresql
  clang libclang-rt-14-dev iproute2 procps libxml2-utils nftables
  dpkg-dev help2man bash-completion curl prometheus
  libsnmp-dev snmp snmptrapd chromium chromium-driver python3-selenium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
