#!/usr/bin/env bash
# Text output speed: `pxdump -n -r big > /dev/null` against `tcpdump -n -r big > /dev/null` (the
# oracle) on the same synthetic capture in the same run; prints both times and the ratio
# (target: pxdump at least 3x faster). A missed target is reported, never an exit status.
#
#   bench/pxdump_print.sh [BUILD_DIR]    (PCAPXX_BENCH_SIZE, default 256M; PCAPXX_BENCH_RUNS, default 3)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${PCAPXX_BUILD_DIR:-$here/../build}}
size=${PCAPXX_BENCH_SIZE:-256M}
runs=${PCAPXX_BENCH_RUNS:-3}
pxdump=${PCAPXX_PXDUMP:-$build/bin/pxdump}
pxgen=$build/bin/pxgen
die() { echo "pxdump_print.sh: $*" >&2; exit 2; }
[[ -x $pxgen && -x $pxdump ]] || die "no $pxgen or $pxdump; build them: ninja -C $build pxgen pxdump"
command -v tcpdump >/dev/null || die "tcpdump is missing"
work=$(mktemp -d "${PCAPXX_BENCH_TMP:-${TMPDIR:-/tmp}}/pcapxx-bench.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT
big=$work/big.pcap
"$pxgen" --size "$size" --out "$big" --seed 1 >/dev/null || die "pxgen failed"
cat "$big" >/dev/null
best() {  # best wall seconds of $runs runs of "$@" > /dev/null
  local b="" t0 t1 s
  for ((r = 0; r < runs; r++)); do
    t0=$EPOCHREALTIME
    TZ=UTC "$@" >/dev/null 2>&1 || { echo "FAIL"; return; }
    t1=$EPOCHREALTIME
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')
    if [[ -z $b ]] || awk -v x="$s" -v y="$b" 'BEGIN{exit !(x < y)}'; then b=$s; fi
  done
  echo "$b"
}
packets=$(tcpdump -r "$big" --count 2>/dev/null | awk '{print $1}')
ours=$(best "$pxdump" -n -r "$big")
theirs=$(best tcpdump -n -r "$big")
same=$(cmp -s <(TZ=UTC "$pxdump" -n -r "$big" 2>/dev/null) <(TZ=UTC tcpdump -n -r "$big" 2>/dev/null) && echo yes || echo no)
echo "# $(stat -c %s "$big") bytes, $packets packets; best of $runs"
echo "pxdump -n -r big > /dev/null   ${ours} s"
echo "tcpdump -n -r big > /dev/null  ${theirs} s"
awk -v a="$ours" -v b="$theirs" 'BEGIN{ if (a > 0) printf "ratio tcpdump/pxdump: %.2fx (target >= 3x)%s\n", b / a, (b / a >= 3 ? "" : "  MISSED") }'
echo "identical text: $same"
