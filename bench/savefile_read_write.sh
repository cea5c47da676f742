#!/usr/bin/env bash
# Savefile read+write throughput: pxdump against tcpdump (the oracle) and cat (the floor), on the
# same synthetic capture in the same run.
#
#   bench/savefile_read_write.sh [BUILD_DIR]     (default: build next to bench/; PCAPXX_PXDUMP
#                                                 names another pxdump)
#
# Generates a capture of PCAPXX_BENCH_SIZE bytes (default 1G) with pxgen into a temporary
# directory (PCAPXX_BENCH_TMP, default $TMPDIR or /tmp), then for each of
#   pxdump -r FILE -w /dev/null,   tcpdump -r FILE -w /dev/null,   cat FILE > /dev/null
# takes the best of PCAPXX_BENCH_RUNS (default 3) timed runs (/usr/bin/time: wall seconds, peak
# RSS) and one more run under pxpeak for the peak anonymous memory. It prints a table, the ratios
# and the targets (pxdump >= 4x faster than tcpdump, <= 2x cat, peak anonymous < 16 MiB), and
# checks that pxdump -w writes the same packets tcpdump -w does. A missed target or a failing
# pxdump is reported, never an exit status: benchmarks do not fail builds. The script exits
# non-zero only when it cannot run at all (no pxgen, no tcpdump, no /usr/bin/time).
bench=savefile_read_write.sh default_size=1G
. "$(dirname "$0")/lib.sh" "$@"
pxpeak=$build/bin/pxpeak

[[ -x $pxgen && -x $pxpeak ]] || die "no $pxgen or $pxpeak; build them: ninja -C $build pxgen pxpeak pxdump"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
command -v tcpdump >/dev/null || die "tcpdump is missing"

bench_workdir
echo "# generating $size with pxgen into $work"
make_big_capture
bytes=$(stat -c %s "$big")
packets=$(tcpdump -r "$big" -w /dev/null --count 2>/dev/null | awk '{print $1}' || true)
echo "# $bytes bytes, ${packets:-?} packets"

# time_best NAME CMD...: best wall time and the peak RSS of that run; sets BEST_S, BEST_RSS_KIB,
# FAIL (the last line of stderr of a failed run, empty if all runs succeeded). Wall time comes
# from bash's microsecond clock around the run: /usr/bin/time's %e has 10 ms steps, too coarse
# for a cached gigabyte.
time_best() {
  local name=$1; shift
  BEST_S=""; BEST_RSS_KIB=""; FAIL=""
  local r t0 t1
  for ((r = 0; r < runs; r++)); do
    t0=$EPOCHREALTIME
    if ! /usr/bin/time -f "%M %x" -o "$work/$name.time" "$@" >/dev/null 2>"$work/$name.err"; then
      FAIL="exit $(awk 'END{print $2}' "$work/$name.time"): $(tail -n 1 "$work/$name.err")"
      return
    fi
    t1=$EPOCHREALTIME
    local s kib
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')
    read -r kib _ < <(tail -n 1 "$work/$name.time")
    if [[ -z $BEST_S ]] || awk -v a="$s" -v b="$BEST_S" 'BEGIN{exit !(a < b)}'; then
      BEST_S=$s; BEST_RSS_KIB=$kib
    fi
  done
}

# peak_anon NAME CMD...: peak anonymous memory of one run, in KiB; sets ANON_KIB.
peak_anon() {
  local name=$1; shift
  ANON_KIB=""
  if "$pxpeak" -o "$work/$name.peak" -- "$@" >/dev/null 2>/dev/null; then
    ANON_KIB=$(awk '{print $1}' "$work/$name.peak")
  fi
}

declare -A S RSS ANON ERR
measure() {
  local name=$1; shift
  echo "# $name: $*"
  time_best "$name" "$@"
  S[$name]=$BEST_S; RSS[$name]=$BEST_RSS_KIB; ERR[$name]=$FAIL
  if [[ -z $FAIL ]]; then
    peak_anon "$name" "$@"
    ANON[$name]=$ANON_KIB
  else
    ANON[$name]=""
  fi
}

if [[ -x $pxdump ]]; then
  measure pxdump "$pxdump" -r "$big" -w /dev/null
else
  S[pxdump]=""; RSS[pxdump]=""; ANON[pxdump]=""; ERR[pxdump]="$pxdump not built"
fi
measure tcpdump tcpdump -r "$big" -w /dev/null
measure cat cat "$big"

mib_s() { awk -v b="$bytes" -v s="$1" 'BEGIN{ if (s > 0) printf "%.0f", b / s / 1048576; else print "-" }'; }
kib_to_mib() { [[ -n $1 ]] && awk -v k="$1" 'BEGIN{printf "%.1f", k / 1024}' || echo "-"; }

echo
printf "%-8s %9s %9s %13s %15s  %s\n" tool "best s" "MiB/s" "peak RSS MiB" "peak anon MiB" status
for name in pxdump tcpdump cat; do
  if [[ -n ${ERR[$name]} ]]; then
    printf "%-8s %9s %9s %13s %15s  FAILED (%s)\n" "$name" - - - - "${ERR[$name]}"
  else
    printf "%-8s %9s %9s %13s %15s  ok\n" "$name" "${S[$name]}" "$(mib_s "${S[$name]}")" \
      "$(kib_to_mib "${RSS[$name]}")" "$(kib_to_mib "${ANON[$name]}")"
  fi
done

# verdict LABEL PASS_EXPR_RESULT DETAIL
echo
verdict() { printf "%-44s %-5s %s\n" "$1" "$2" "$3"; }
if [[ -z ${ERR[pxdump]} && -n ${S[pxdump]} ]]; then
  ratio_tcpdump=$(awk -v p="${S[pxdump]}" -v t="${S[tcpdump]}" 'BEGIN{ if (p > 0) printf "%.2f", t / p; else print "inf" }')
  ratio_cat=$(awk -v p="${S[pxdump]}" -v c="${S[cat]}" 'BEGIN{ if (c > 0) printf "%.2f", p / c; else print "inf" }')
  ok=$(awk -v r="$ratio_tcpdump" 'BEGIN{print (r == "inf" || r >= 4) ? "PASS" : "MISS"}')
  verdict "pxdump speed-up over tcpdump (target >= 4x)" "$ok" "${ratio_tcpdump}x"
  ok=$(awk -v r="$ratio_cat" 'BEGIN{print (r != "inf" && r <= 2) ? "PASS" : "MISS"}')
  verdict "pxdump time / cat time (target <= 2x)" "$ok" "${ratio_cat}x"
  if [[ -n ${ANON[pxdump]} ]]; then
    ok=$(awk -v k="${ANON[pxdump]}" 'BEGIN{print (k < 16384) ? "PASS" : "MISS"}')
    verdict "pxdump peak anonymous memory (< 16 MiB)" "$ok" "$(kib_to_mib "${ANON[pxdump]}") MiB"
  else
    verdict "pxdump peak anonymous memory (< 16 MiB)" "n/a" "pxpeak could not measure it"
  fi
  # Same packets out as tcpdump -w: compare the record streams after the 24-byte file header
  # (the header's snaplen may legitimately differ), without storing a second copy of the file.
  sum_px=$("$pxdump" -r "$big" -w - 2>/dev/null | tail -c +25 | sha256sum | cut -c1-16)
  sum_td=$(tcpdump -r "$big" -w - 2>/dev/null | tail -c +25 | sha256sum | cut -c1-16)
  if [[ $sum_px == "$sum_td" ]]; then
    verdict "pxdump -w records identical to tcpdump -w" "PASS" "sha256 $sum_px"
  else
    verdict "pxdump -w records identical to tcpdump -w" "MISS" "sha256 $sum_px (pxdump) vs $sum_td (tcpdump)"
  fi
else
  verdict "pxdump speed-up over tcpdump (target >= 4x)" "n/a" "pxdump failed: ${ERR[pxdump]}"
  verdict "pxdump time / cat time (target <= 2x)" "n/a" "pxdump failed"
  verdict "pxdump peak anonymous memory (< 16 MiB)" "n/a" "pxdump failed"
fi
exit 0
