#!/usr/bin/env bash
# JSON output speed: `pxdump --json -r big > /dev/null` against `tshark -T ek -r big > /dev/null`
# (the oracle: tshark's newline-delimited JSON) on the same synthetic capture in the same run;
# prints both times, the packets per second and the ratio. tshark is slow, so the capture is
# small by default. A slow result is reported, never an exit status; the script fails only when
# it cannot run.
#
#   bench/pxdump_json.sh [BUILD_DIR]    (PCAPXX_BENCH_SIZE, default 64M; PCAPXX_BENCH_RUNS, default 3)
bench=pxdump_json.sh default_size=64M
. "$(dirname "$0")/lib.sh" "$@"
[[ -x $pxgen && -x $pxdump ]] || die "no $pxgen or $pxdump; build them: ninja -C $build pxgen pxdump"
command -v tshark >/dev/null || die "tshark is missing"
bench_workdir
make_big_capture
packets=$("$pxdump" --json -r "$big" 2>/dev/null | wc -l)
ours=$(best "$pxdump" --json -r "$big")
theirs=$(best tshark -T ek -r "$big")
echo "# $(stat -c %s "$big") bytes, $packets packets; best of $runs"
echo "pxdump --json -r big > /dev/null  ${ours} s"
echo "tshark -T ek -r big > /dev/null   ${theirs} s"
awk -v a="$ours" -v b="$theirs" -v n="$packets" 'BEGIN{ if (a > 0 && b > 0) printf "packets/s: pxdump %.0f, tshark %.0f\nratio tshark/pxdump: %.1fx\n", n / a, n / b, b / a }'
