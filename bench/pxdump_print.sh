#!/usr/bin/env bash
# Text output speed: `pxdump -n -r big > /dev/null` against `tcpdump -n -r big > /dev/null` (the
# oracle) on the same synthetic capture in the same run; prints both times and the ratio
# (target: pxdump at least 3x faster). A missed target is reported, never an exit status.
#
#   bench/pxdump_print.sh [BUILD_DIR]    (PCAPXX_BENCH_SIZE, default 256M; PCAPXX_BENCH_RUNS, default 3)
bench=pxdump_print.sh default_size=256M
. "$(dirname "$0")/lib.sh" "$@"
[[ -x $pxgen && -x $pxdump ]] || die "no $pxgen or $pxdump; build them: ninja -C $build pxgen pxdump"
command -v tcpdump >/dev/null || die "tcpdump is missing"
bench_workdir
make_big_capture
export TZ=UTC  # both print times in UTC, so the texts compare
packets=$(tcpdump -r "$big" --count 2>/dev/null | awk '{print $1}')
ours=$(best "$pxdump" -n -r "$big")
theirs=$(best tcpdump -n -r "$big")
same=$(cmp -s <("$pxdump" -n -r "$big" 2>/dev/null) <(tcpdump -n -r "$big" 2>/dev/null) && echo yes || echo no)
echo "# $(stat -c %s "$big") bytes, $packets packets; best of $runs"
echo "pxdump -n -r big > /dev/null   ${ours} s"
echo "tcpdump -n -r big > /dev/null  ${theirs} s"
awk -v a="$ours" -v b="$theirs" 'BEGIN{ if (a > 0) printf "ratio tcpdump/pxdump: %.2fx (target >= 3x)%s\n", b / a, (b / a >= 3 ? "" : "  MISSED") }'
echo "identical text: $same"
