#!/bin/sh
# Live capture benchmark (needs root: it makes network namespaces and a veth pair, and removes
# them). Builds capture_bench if needed and runs it; prints ours, libpcap/tcpdump, the medians
# of the repeats and the ratios (see the top of bench/capture_bench.cpp for each measure).
#   bench/capture_bench.sh [build-dir] [--quick] [--repeat N] [--only flood,drain,immediate,...]
set -e
build=${1:-build}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")/.." && pwd)
cmake --build "$here/$build" --target capture_bench -j2 >/dev/null
exec "$here/$build/bin/capture_bench" "$@"
