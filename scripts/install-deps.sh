#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing nrpf-ledger need.
# Idempotent: packages already present are left as they are.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config
  librocksdb-dev
  libflatbuffers-dev flatbuffers-compiler
  libboost-dev libboost-system-dev
  libspdlog-dev
  libsodium-dev
  libgoogle-perftools-dev
  catch2
  libssl-dev
  nlohmann-json3-dev
  python3 python3-nacl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
