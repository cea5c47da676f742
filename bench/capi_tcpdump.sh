#!/usr/bin/env bash
# Debian's unmodified tcpdump on pcapxx's libpcap.so.0.8 against tcpdump on Debian's libpcap, on
# the same synthetic capture in the same run:
#
#   bench/capi_tcpdump.sh [BUILD_DIR]    (default: build next to bench/)
#
# Generates PCAPXX_BENCH_SIZE bytes (default 1G) with pxgen into a temporary directory
# (PCAPXX_BENCH_TMP, default $TMPDIR or /tmp), then times, best of PCAPXX_BENCH_RUNS (default 3):
#   tcpdump -r big -w /dev/null                     read + write
#   tcpdump -r big -w /dev/null 'tcp or udp port 53'   read + filter + write
#   tcpdump -n -r big > /dev/null                   read + decode + print (tcpdump's printing dominates)
# with LD_LIBRARY_PATH=<build>/lib (pcapxx) and without (libpcap), and prints the wall times and
# the ratios libpcap/pcapxx (above 1: pcapxx is faster), then the same for CPU time (user +
# system), which a loaded machine disturbs less, and the load average. Target: >= 2x on
# read + filter + write (wall).
# A missed target is reported, never an exit status; the script fails only when it cannot run.
bench=capi_tcpdump.sh default_size=1G
. "$(dirname "$0")/lib.sh" "$@"
ours=$build/lib

[[ -x $pxgen ]] || die "no $pxgen; build it: ninja -C $build pxgen pcapxx_capi"
[[ -e $ours/libpcap.so.0.8 ]] || die "no $ours/libpcap.so.0.8; build it: ninja -C $build pcapxx_capi"
command -v tcpdump >/dev/null || die "tcpdump is missing"

bench_workdir pcapxx-capi-bench
echo "# generating $size with pxgen into $work"
make_big_capture
echo "# $(stat -c %s "$big") bytes"

filter='tcp or udp port 53'
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %10s %10s %8s %10s %10s %8s\n' "work" "libpcap s" "pcapxx s" "ratio" "lib cpu s" "pxx cpu s" "cpu ratio"
report() {
  local name=$1; shift
  local theirs ours_t theirs_cpu ours_cpu ratio cpu_ratio
  theirs=$(best env LD_LIBRARY_PATH= "$@")
  ours_t=$(best env LD_LIBRARY_PATH="$ours" "$@")
  theirs_cpu=$(best_cpu env LD_LIBRARY_PATH= "$@")
  ours_cpu=$(best_cpu env LD_LIBRARY_PATH="$ours" "$@")
  if [[ $theirs == FAIL || $ours_t == FAIL || $theirs_cpu == FAIL || $ours_cpu == FAIL ]]; then
    printf '%-22s %10s %10s %8s %10s %10s %8s\n' "$name" "$theirs" "$ours_t" "-" "$theirs_cpu" "$ours_cpu" "-"
    return
  fi
  ratio=$(echo "$theirs / $ours_t" | bc -l)
  cpu_ratio=$(echo "$theirs_cpu / $ours_cpu" | bc -l)
  printf '%-22s %10s %10s %7.2fx %10s %10s %7.2fx\n' "$name" "$theirs" "$ours_t" "$ratio" \
    "$theirs_cpu" "$ours_cpu" "$cpu_ratio"
  [[ $name == "read+filter+write" ]] && ratio_filter=$ratio
}
ratio_filter=0
report "read+write" tcpdump -r "$big" -w /dev/null
report "read+filter+write" tcpdump -r "$big" -w /dev/null "$filter"
report "read+print (-n)" sh -c "tcpdump -n -r '$big' > /dev/null"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# The filtered outputs must hold the same packets.
env LD_LIBRARY_PATH= tcpdump -r "$big" -w "$work/a.pcap" "$filter" 2>/dev/null
env LD_LIBRARY_PATH="$ours" tcpdump -r "$big" -w "$work/b.pcap" "$filter" 2>/dev/null
if cmp -s "$work/a.pcap" "$work/b.pcap"; then echo "# filtered files identical"; else echo "# MISMATCH: filtered files differ"; fi
if (( $(echo "$ratio_filter >= 2" | bc -l) )); then
  echo "# target read+filter+write >= 2x: met"
else
  echo "# target read+filter+write >= 2x: missed"
fi
