#!/bin/sh
# Where the time of each send path goes: runs inject_bench one contender at a time under
# `perf record -a -g` (needs root and perf) and splits inject_bench's samples into stages (syscall
# entry/exit, packet socket, skb alloc/free, copy, qdisc, veth_xmit, the peer's receive work) with
# bench/inject_profile.py.
#   bench/inject_profile.sh [build-dir] [--peer up|down] [SECONDS]
set -e
build=${1:-build}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")/.." && pwd)
cmake --build "$here/$build" --target inject_bench -j2 >/dev/null
work=$(mktemp -d /tmp/pxinjprof.XXXXXX)
trap 'rm -rf "$work"' EXIT
for c in "pcap_inject" "inject (single)" "sendmmsg x256)$" "V2 frags (x1024, 4096 slots)$" "V2 linear (x1024, 4096 slots)$"; do
  perf record -q -a -g -F 2999 -o "$work/perf.data" -- \
    "$here/$build/bin/inject_bench" --repeat 1 --only "$c" "$@" >"$work/out" 2>&1 || true
  echo "== $c"
  grep -E '^(pcapxx|libpcap)' "$work/out" | head -1
  perf script -i "$work/perf.data" --comm inject_bench -F ip,sym,dso 2>/dev/null | python3 "$here/bench/inject_profile.py"
done
