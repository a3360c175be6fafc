#!/usr/bin/env bash
# Builds nrpf-ledgerd and starts it on the embedded default: a RocksDB
# directory and keys under var/ in the repository, created on first start.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh"
mkdir -p "$root/var"
exec "$root/build/server/nrpf-ledgerd" --data-dir "$root/var" "$@"
