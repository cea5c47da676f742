#!/usr/bin/env bash
# The main job, for a newcomer to watch: installs what is missing, builds a Release build, then
# captures live on the loopback device the UDP datagrams this script sends itself (pxdump stops
# after 5 packets, or after 10 seconds whatever happens), writes them to pcapng and reads them back
# with a filter. Live capture needs root (or CAP_NET_RAW).
set -euo pipefail
"$(dirname "$0")/install-deps.sh"
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target pxdump
pxdump=build/bin/pxdump
port=47999
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== $pxdump -i lo -c 5 --immediate-mode udp port $port"
# Waits (at most 5 s) until pxdump's startup line is in the file: its socket is then open.
wait_listening() { for _ in $(seq 50); do grep -q "listening on" "$1" 2>/dev/null && return; sleep 0.1; done; }
timeout 10 "$pxdump" -i lo -c 5 --immediate-mode udp port "$port" 2>"$work/err" &
capture=$!
wait_listening "$work/err"
cat "$work/err"
for i in 1 2 3 4 5; do
  echo "hello pxdump $i" >"/dev/udp/127.0.0.1/$port" || true
  sleep 0.2
done
status=0
wait "$capture" || status=$?
tail -n +2 "$work/err"
[ "$status" -eq 124 ] && echo "(no packet came within 10 seconds: stopped by timeout)"

echo "== the same traffic written to pcapng, then read back with a filter"
timeout 10 "$pxdump" -i lo -c 3 --immediate-mode -w "$work/lo.pcapng" udp port "$port" 2>"$work/err2" &
capture=$!
wait_listening "$work/err2"
for i in 1 2 3; do echo "again $i" >"/dev/udp/127.0.0.1/$port" || true; done
wait "$capture" || true
"$pxdump" -r "$work/lo.pcapng" "udp and dst port $port"
echo "== the compiled filter, as tcpdump -d prints it"
"$pxdump" -d -y EN10MB "udp port $port"
