#!/usr/bin/env bash
# JSON output speed: `pxdump --json -r big > /dev/null` against `tshark -T ek -r big > /dev/null`
# (the oracle: tshark's newline-delimited JSON) on the same synthetic capture in the same run;
# prints both times, the packets per second and the ratio. tshark is slow, so the capture is
# small by default. A slow result is reported, never an exit status; the script fails only when
# it cannot run.
#
#   bench/pxdump_json.sh [BUILD_DIR]    (PCAPXX_BENCH_SIZE, default 64M; PCAPXX_BENCH_RUNS, default 3)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${PCAPXX_BUILD_DIR:-$here/../build}}
size=${PCAPXX_BENCH_SIZE:-64M}
runs=${PCAPXX_BENCH_RUNS:-3}
pxdump=${PCAPXX_PXDUMP:-$build/bin/pxdump}
pxgen=$build/bin/pxgen
die() { echo "pxdump_json.sh: $*" >&2; exit 2; }
[[ -x $pxgen && -x $pxdump ]] || die "no $pxgen or $pxdump; build them: ninja -C $build pxgen pxdump"
command -v tshark >/dev/null || die "tshark is missing"
work=$(mktemp -d "${PCAPXX_BENCH_TMP:-${TMPDIR:-/tmp}}/pcapxx-bench.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT
big=$work/big.pcap
"$pxgen" --size "$size" --out "$big" --seed 1 >/dev/null || die "pxgen failed"
cat "$big" >/dev/null
best() {  # best wall seconds of $runs runs of "$@" > /dev/null
  local b="" t0 t1 s
  for ((r = 0; r < runs; r++)); do
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1 || { echo "FAIL"; return; }
    t1=$EPOCHREALTIME
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')
    if [[ -z $b ]] || awk -v x="$s" -v y="$b" 'BEGIN{exit !(x < y)}'; then b=$s; fi
  done
  echo "$b"
}
packets=$("$pxdump" --json -r "$big" 2>/dev/null | wc -l)
ours=$(best "$pxdump" --json -r "$big")
theirs=$(best tshark -T ek -r "$big")
echo "# $(stat -c %s "$big") bytes, $packets packets; best of $runs"
echo "pxdump --json -r big > /dev/null  ${ours} s"
echo "tshark -T ek -r big > /dev/null   ${theirs} s"
awk -v a="$ours" -v b="$theirs" -v n="$packets" 'BEGIN{ if (a > 0 && b > 0) printf "packets/s: pxdump %.0f, tshark %.0f\nratio tshark/pxdump: %.1fx\n", n / a, n / b, b / a }'
