#!/usr/bin/env bash
# Debian's tcpdump capturing on "any" as LINUX_SLL2 (tcpdump -i any -y LINUX_SLL2 -w /dev/null)
# on pcapxx's libpcap.so.0.8 and on Debian's libpcap at the same time, on the same frames: a
# veth pair in a namespace of its own, PCAPXX_BENCH_FRAMES (default 300000) frames of 200 bytes
# sent by a raw socket, both captures counting with -c. Prints each side's CPU seconds (user +
# system, from bash's `times` after it exits) and CPU per packet, and the ratio
# libpcap/pcapxx (above 1: pcapxx costs less). The SLL2 header is written by pcapxx's ring
# reader in the frame's headroom (no copy).
#
#   bench/capi_any_sll2.sh [BUILD_DIR]    (needs root; PCAPXX_BENCH_LINKTYPE=LINUX_SLL for v1 headers)
# A slow result is reported, never an exit status; the script fails only when it cannot run.
bench=capi_any_sll2.sh
. "$(dirname "$0")/lib.sh" "$@"
ours=$build/lib
frames=${PCAPXX_BENCH_FRAMES:-300000}
[[ -e $ours/libpcap.so.0.8 ]] || die "no $ours/libpcap.so.0.8; build it: ninja -C $build pcapxx_capi"
command -v tcpdump >/dev/null || die "tcpdump is missing"
command -v python3 >/dev/null || die "python3 is missing (the frame sender)"
[[ $(id -u) == 0 ]] || die "needs root (network namespaces, raw sockets)"

bench_workdir pcapxx-any-sll2
ns=pxbsll2-$$
cleanup() { ip netns del "$ns" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$ns" || die "ip netns add failed"
ip -n "$ns" link add pxbsa type veth peer name pxbsb || die "veth failed"
ip -n "$ns" link set pxbsa up && ip -n "$ns" link set pxbsb up

# run_side LIBDIR TAG: tcpdump in the background under a shell whose `times` then reports the
# CPU its child used (second line: children's user and system time).
run_side() {
  local lib=$1 tag=$2
  ip netns exec "$ns" bash -c "env LD_LIBRARY_PATH=$lib tcpdump -i any -y ${PCAPXX_BENCH_LINKTYPE:-LINUX_SLL2} -B 65536 -c $frames \
      -w /dev/null 'ether proto 0x88b5' 2>$work/$tag.err; times" >"$work/$tag.times" 2>&1 &
}
run_side "$ours" pcapxx
run_side "" libpcap
for _ in $(seq 100); do
  grep -q listening "$work/pcapxx.err" 2>/dev/null && grep -q listening "$work/libpcap.err" 2>/dev/null && break
  sleep 0.1
done
ip netns exec "$ns" python3 - "$frames" <<'EOF'
import socket, struct, sys
n = int(sys.argv[1])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("pxbsb", 0))
head = bytes.fromhex("020000000001") + bytes.fromhex("020000000002") + struct.pack("!H", 0x88b5)
body = bytes(range(186 - 4))
for i in range(n):
    s.send(head + struct.pack("!I", i) + body)
EOF
wait
cpu() { tail -1 "$work/$1.times" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } printf "%.3f", t }'; }
ours_cpu=$(cpu pcapxx)
theirs_cpu=$(cpu libpcap)
echo "# $frames frames of 200 bytes; tcpdump -i any -y ${PCAPXX_BENCH_LINKTYPE:-LINUX_SLL2} -w /dev/null, both at once"
grep -h "captured\|dropped" "$work/pcapxx.err" | sed 's/^/# pcapxx:  /'
grep -h "captured\|dropped" "$work/libpcap.err" | sed 's/^/# libpcap: /'
awk -v o="$ours_cpu" -v t="$theirs_cpu" -v n="$frames" 'BEGIN {
  printf "%-10s %10s %14s\n", "side", "cpu s", "ns per packet"
  printf "%-10s %10.3f %14.0f\n", "libpcap", t, t * 1e9 / n
  printf "%-10s %10.3f %14.0f\n", "pcapxx", o, o * 1e9 / n
  if (o > 0) printf "ratio libpcap/pcapxx (CPU): %.2f\n", t / o
}'
