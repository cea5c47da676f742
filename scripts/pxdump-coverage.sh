#!/usr/bin/env bash
# Regenerates docs/pxdump-coverage.md from the pxdump print differential test.
#   scripts/pxdump-coverage.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
ninja -C "$build" pxdump diff_pxdump_print
PCAPXX_COVERAGE_OUT="$root/docs/pxdump-coverage.md" "$build/tests/diff_pxdump_print" || true
echo "wrote $root/docs/pxdump-coverage.md"
