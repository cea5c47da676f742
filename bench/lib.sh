# Shared setup of the shell benchmarks (bench/*.sh); sourced, never run on its own.
#
#   bench=pxdump_print.sh default_size=256M
#   . "$(dirname "$0")/lib.sh" "$@"
#
# Sets build (first argument, else PCAPXX_BUILD_DIR, else build/ next to bench/), size
# (PCAPXX_BENCH_SIZE, else $default_size), runs (PCAPXX_BENCH_RUNS, else 3), pxdump
# (PCAPXX_PXDUMP, else the build's) and pxgen; defines die, bench_workdir, make_big_capture and
# best. A benchmark reports a slow result, never an exit status: it fails only when it cannot run.
set -uo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-${PCAPXX_BUILD_DIR:-$bench_dir/../build}}
size=${PCAPXX_BENCH_SIZE:-${default_size:-1G}}
runs=${PCAPXX_BENCH_RUNS:-3}
pxdump=${PCAPXX_PXDUMP:-$build/bin/pxdump}
pxgen=$build/bin/pxgen

# die MESSAGE: says why the benchmark cannot run, exits 2.
die() { echo "$bench: $*" >&2; exit 2; }

# bench_workdir [PREFIX]: a fresh directory in $work (PCAPXX_BENCH_TMP, else TMPDIR, else /tmp),
# removed when the script exits.
bench_workdir() {
  work=$(mktemp -d "${PCAPXX_BENCH_TMP:-${TMPDIR:-/tmp}}/${1:-pcapxx-bench}.XXXXXX") || die "mktemp failed"
  trap 'rm -rf "$work"' EXIT
}

# make_big_capture: $size bytes of synthetic traffic from pxgen (seed 1, the same in every run)
# in $big = $work/big.pcap, read once so that every contender finds it in the page cache.
make_big_capture() {
  [[ -x $pxgen ]] || die "no $pxgen; build it: ninja -C $build pxgen"
  big=$work/big.pcap
  "$pxgen" --size "$size" --out "$big" --seed 1 >/dev/null || die "pxgen failed"
  cat "$big" >/dev/null
}

# best CMD...: the best wall seconds (bash's microsecond clock) of $runs runs of CMD with its
# output thrown away; FAIL when a run fails.
best() {
  local b="" t0 t1 s r
  for ((r = 0; r < runs; r++)); do
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1 || { echo "FAIL"; return; }
    t1=$EPOCHREALTIME
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')
    if [[ -z $b ]] || awk -v x="$s" -v y="$b" 'BEGIN{exit !(x < y)}'; then b=$s; fi
  done
  echo "$b"
}
