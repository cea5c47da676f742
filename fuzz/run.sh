#!/usr/bin/env bash
# Runs every libFuzzer target of the fuzz build for SECONDS each, on a fresh copy of the seed
# corpus, and exits non-zero if any target crashed, leaked, timed out or ran out of memory.
# A crash reproducer is printed as hex and kept in the work directory, which is printed; the
# work directory is removed when every target ran clean.
#   fuzz/run.sh SECONDS [BUILD_DIR]      (BUILD_DIR defaults to build-fuzz next to fuzz/)
set -uo pipefail
seconds=${1:?usage: run.sh SECONDS [BUILD_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
build=${2:-$here/../build-fuzz}
# Absolute: each target runs from inside its own work directory.
build=$(cd "$build" 2>/dev/null && pwd) || { echo "run.sh: no build directory ${2:-$here/../build-fuzz}" >&2; exit 2; }
jobs=${PCAPXX_FUZZ_JOBS:-1}  # parallel fuzzing processes per target

shopt -s nullglob
targets=("$build"/bin/*_fuzz)
if ((${#targets[@]} == 0)); then
  echo "run.sh: no *_fuzz executables in $build/bin; build with:" >&2
  echo "  cmake -S $here/.. -B $build -G Ninja -DPCAPXX_FUZZ=ON -DPCAPXX_TESTS=OFF -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_C_COMPILER=clang-19 && ninja -C $build" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pcapxx-fuzz.XXXXXX")
echo "run.sh: work directory $work"
"$here/seed_corpus.sh" "$work/seeds" >/dev/null || exit 2

# One target: fuzz, then record the exit status and the summary in the target's folder.
fuzz_one() {
  local t=$1 name corpus artifacts dict=() parallel=()
  name=$(basename "$t")
  corpus="$work/$name/corpus"
  artifacts="$work/$name/artifacts"
  mkdir -p "$corpus" "$artifacts"
  cp -f "$work/seeds"/* "$corpus"/
  # Targets whose input is not a capture keep their own seeds in fuzz/seeds/NAME/.
  if [[ -d $here/seeds/$name ]]; then cp -f "$here/seeds/$name"/* "$corpus"/; fi
  [[ -f $here/${name%_fuzz}.dict ]] && dict=(-dict="$here/${name%_fuzz}.dict")
  ((jobs > 1)) && parallel=(-jobs="$jobs" -workers="$jobs")
  # From inside the work directory: with -jobs libFuzzer writes fuzz-N.log into the cwd.
  (cd "$work/$name" &&
   "$t" "$corpus" "${dict[@]}" "${parallel[@]}" -max_total_time="$seconds" -max_len=65536 \
        -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 -artifact_prefix="$artifacts/" \
        >"$work/$name/log" 2>&1)
  echo $? >"$work/$name/rc"
}

# Targets run side by side, one per core (PCAPXX_FUZZ_TARGETS_AT_ONCE), each for the full time.
at_once=${PCAPXX_FUZZ_TARGETS_AT_ONCE:-$(nproc)}
running=0
for t in "${targets[@]}"; do
  if ((running >= at_once)); then
    wait -n
    running=$((running - 1))
  fi
  echo "run.sh: $(basename "$t") for ${seconds}s"
  fuzz_one "$t" &
  running=$((running + 1))
done
wait

status=0
for t in "${targets[@]}"; do
  name=$(basename "$t")
  artifacts="$work/$name/artifacts"
  rc=$(cat "$work/$name/rc" 2>/dev/null || echo 99)
  echo "--- $name"
  tail -n 8 "$work/$name/log"
  found=("$artifacts"/*)
  if ((rc != 0 || ${#found[@]} > 0)); then
    status=1
    echo "run.sh: $name FAILED (exit $rc); log $work/$name/log"
    for a in "${found[@]}"; do
      echo "--- $(basename "$a") ($(stat -c %s "$a") bytes):"
      od -An -tx1 -v "$a" | head -n 64
    done
  else
    echo "run.sh: $name ok"
  fi
done
if ((status == 0)); then
  rm -rf "$work"
else
  echo "run.sh: reproducers and logs kept in $work"
fi
exit $status
