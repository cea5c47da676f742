#!/usr/bin/env bash
# Debian's unmodified tcpdump on pcapxx's libpcap.so.0.8 against tcpdump on Debian's libpcap, on
# the same synthetic capture in the same run:
#
#   bench/capi_tcpdump.sh [BUILD_DIR]    (default: build next to bench/)
#
# Generates PCAPXX_BENCH_SIZE bytes (default 1G) with pxgen into a temporary directory
# (PCAPXX_BENCH_TMP, default $TMPDIR or /tmp), then times, best of PCAPXX_BENCH_RUNS (default 3):
#   tcpdump -r big -w /dev/null                     read + write
#   tcpdump -r big -w /dev/null 'tcp or udp port 53'   read + filter + write
#   tcpdump -n -r big > /dev/null                   read + decode + print (tcpdump's printing dominates)
# with LD_LIBRARY_PATH=<build>/lib (pcapxx) and without (libpcap), and prints the wall times and
# the ratios libpcap/pcapxx (above 1: pcapxx is faster). Target: >= 2x on read + filter + write.
# A missed target is reported, never an exit status; the script fails only when it cannot run.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${PCAPXX_BUILD_DIR:-$here/../build}}
size=${PCAPXX_BENCH_SIZE:-1G}
runs=${PCAPXX_BENCH_RUNS:-3}
pxgen=$build/bin/pxgen
ours=$build/lib

die() { echo "capi_tcpdump.sh: $*" >&2; exit 2; }
[[ -x $pxgen ]] || die "no $pxgen; build it: ninja -C $build pxgen pcapxx_capi"
[[ -e $ours/libpcap.so.0.8 ]] || die "no $ours/libpcap.so.0.8; build it: ninja -C $build pcapxx_capi"
command -v tcpdump >/dev/null || die "tcpdump is missing"

work=$(mktemp -d "${PCAPXX_BENCH_TMP:-${TMPDIR:-/tmp}}/pcapxx-capi-bench.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT
big=$work/big.pcap
echo "# generating $size with pxgen into $work"
"$pxgen" --size "$size" --out "$big" --seed 1 >/dev/null || die "pxgen failed"
echo "# $(stat -c %s "$big") bytes"

# best wall time in seconds of $runs runs of "$@" (stdout to /dev/null)
best() {
  local best_t="" t
  for ((i = 0; i < runs; i++)); do
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [[ -z $best_t ]] || (( $(echo "$t < $best_t" | bc -l) )); then best_t=$t; fi
  done
  printf '%.3f' "$best_t"
}

filter='tcp or udp port 53'
printf '%-34s %10s %10s %8s\n' "work" "libpcap s" "pcapxx s" "ratio"
report() {
  local name=$1; shift
  local theirs ours_t
  theirs=$(best env LD_LIBRARY_PATH= "$@")
  ours_t=$(best env LD_LIBRARY_PATH="$ours" "$@")
  printf '%-34s %10s %10s %7.2fx\n' "$name" "$theirs" "$ours_t" "$(echo "$theirs / $ours_t" | bc -l)"
  [[ $name == "read+filter+write" ]] && ratio_filter=$(echo "$theirs / $ours_t" | bc -l)
}
ratio_filter=0
report "read+write" tcpdump -r "$big" -w /dev/null
report "read+filter+write" tcpdump -r "$big" -w /dev/null "$filter"
report "read+print (-n)" sh -c "tcpdump -n -r '$big' > /dev/null"

# The filtered outputs must hold the same packets.
env LD_LIBRARY_PATH= tcpdump -r "$big" -w "$work/a.pcap" "$filter" 2>/dev/null
env LD_LIBRARY_PATH="$ours" tcpdump -r "$big" -w "$work/b.pcap" "$filter" 2>/dev/null
if cmp -s "$work/a.pcap" "$work/b.pcap"; then echo "# filtered files identical"; else echo "# MISMATCH: filtered files differ"; fi
if (( $(echo "$ratio_filter >= 2" | bc -l) )); then
  echo "# target read+filter+write >= 2x: met"
else
  echo "# target read+filter+write >= 2x: missed"
fi
