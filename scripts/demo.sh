#!/usr/bin/env bash
# The main job, for a newcomer to watch: installs what is missing, builds a Release build,
# and runs pxdump on a capture that ships in the repo, then copies it to pcapng and reads
# that back.
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/install-deps.sh"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target pxdump
sample=tests/data/demo.pcap
echo "== pxdump -r $sample"
build/bin/pxdump -r "$sample"
out=$(mktemp --suffix=.pcapng)
echo "== pxdump -r $sample -w $out   (pcapng from the file name)"
build/bin/pxdump -r "$sample" -w "$out"
echo "== pxdump -r $out -c 5"
build/bin/pxdump -r "$out" -c 5
rm -f "$out"
