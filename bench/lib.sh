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

# best_cpu CMD...: the best CPU seconds (user + system of CMD and its children, from bash's
# `times`) of $runs runs; FAIL when a run fails. On a shared, loaded machine this follows the
# work done where wall time follows the scheduler.
best_cpu() {
  local b="" s r out
  for ((r = 0; r < runs; r++)); do
    out=$( ( "$@" >/dev/null 2>&1 || exit 1; times ) | tail -1) || { echo "FAIL"; return; }
    s=$(echo "$out" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } printf "%.3f", t }')
    if [[ -z $b ]] || awk -v x="$s" -v y="$b" 'BEGIN{exit !(x < y)}'; then b=$s; fi
  done
  echo "$b"
}
