#!/usr/bin/env bash
# Builds everything and runs every test (CTest lists each Catch2 case).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure -j"${NRPF_JOBS:-2}" --timeout 900
