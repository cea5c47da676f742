#!/usr/bin/env bash
# Builds a libFuzzer seed corpus for the savefile reader: every .pcap/.pcapng/.cap file under
# the shared captures that is smaller than 1 MiB, copied flat into OUTDIR.
#   fuzz/seed_corpus.sh OUTDIR [CAPTURES_DIR]
set -euo pipefail
out=${1:?usage: seed_corpus.sh OUTDIR [CAPTURES_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
captures=${2:-$here/../../shared/captures}
[[ -d $captures ]] || { echo "seed_corpus.sh: no captures directory $captures" >&2; exit 1; }
mkdir -p "$out"
n=0
while IFS= read -r -d '' f; do
  # Flatten the path into the name so equal basenames from different folders do not collide.
  rel=${f#"$captures"/}
  cp -f "$f" "$out/${rel//\//__}"
  n=$((n + 1))
done < <(find "$captures" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) \
           -size -1048576c -print0)
echo "seed_corpus.sh: $n files in $out"
