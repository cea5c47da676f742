#!/usr/bin/env bash
# Layer decoding and crafting: pcapxx against libtins and gopacket on the same generated captures
# in one run, with the issue's targets. pxgen writes an Ethernet/IPv4/TCP capture (--mix tcp,
# TCP options included) and a DNS one (--mix dns); layers_libtins_bench (ours and libtins) and
# layers_gopacket (bench/gopacket/) each decode both, PCAPXX_BENCH_RUNS times (default 3) in
# turn; the table shows the median of the runs of each figure, each figure being the best pass of
# up to PASSES passes over all packets (at most about half a second of passes per figure). "over read" rows are read+X minus the plain read: the decode
# cost on top of reading the file. Never fails on a slow result; exit 2 when it cannot run.
#   bench/layers_oracles.sh [build-dir]
#   PCAPXX_BENCH_SIZE (default 2M: bytes of each capture), PCAPXX_BENCH_PASSES (default 300)
bench=layers_oracles.sh default_size=2M
. "$(dirname "$0")/lib.sh" "$@"
passes=${PCAPXX_BENCH_PASSES:-300}
ours=$build/bin/layers_libtins_bench
gopacket=$build/bin/layers_gopacket
hint="build them: ninja -C $build pxgen layers_libtins_bench layers_gopacket"
[[ -x $pxgen ]] || die "no $pxgen; $hint"
[[ -x $ours ]] || die "no $ours; $hint"
if [[ ! -x $gopacket ]]; then
  echo "$bench: no $gopacket ($hint; needs golang-go golang-github-google-gopacket-dev): gopacket left out" >&2
  gopacket=""
fi

bench_workdir pcapxx-layers
"$pxgen" --mix tcp --size "$size" --seed 1 --out "$work/tcp.pcap" 2>"$work/gen.log" || die "pxgen failed: $(cat "$work/gen.log")"
"$pxgen" --mix dns --size "$size" --seed 1 --out "$work/dns.pcap" 2>>"$work/gen.log" || die "pxgen failed: $(cat "$work/gen.log")"
sed 's/^/  /' "$work/gen.log"

for ((r = 0; r < runs; r++)); do
  "$ours" "$work/tcp.pcap" "$work/dns.pcap" "$passes" >"$work/ours.out" || die "$ours failed: $(cat "$work/ours.out")"
  grep '^RESULT ' "$work/ours.out" >>"$work/results"
  if [[ -n $gopacket ]]; then
    "$gopacket" "$work/tcp.pcap" "$work/dns.pcap" "$passes" >"$work/go.out" || die "$gopacket failed: $(cat "$work/go.out")"
    grep '^RESULT ' "$work/go.out" >>"$work/results"
  fi
done

echo "median of $runs runs; each figure: best of up to $passes passes (0.5 s) over all packets; ns per packet"
# Medians per (implementation, case), then one row per case.
sort -k2,2 -k3,3 -k4,4n "$work/results" | awk '
  { key = $2 " " $3; v[key, ++n[key]] = $4 }
  END { for (k in n) { m = n[k]; mid = (m % 2) ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2; print k, mid } }
' >"$work/medians"

awk '
  function get(impl, c) { return ((impl " " c) in med) ? med[impl " " c] : "" }
  function cell(x) { return x == "" ? "-" : sprintf("%.1f", x) }
  function ratio(a, b) { return (a == "" || b == "" || b <= 0) ? "-" : sprintf("%.2fx", a / b) }
  function row(label, c, target, o, t, g, verdict) {
    o = get("pcapxx", c); t = get("libtins", c); g = get("gopacket", c)
    verdict = ""
    if (target != "") verdict = target " " check(c, o, t)
    printf "%-26s %10s %10s %10s %14s %15s  %s\n", label, cell(o), cell(t), cell(g), ratio(t, o), ratio(g, o), verdict
  }
  function over(label, c, base, o, g, ob, gb) {
    o = get("pcapxx", c); g = get("gopacket", c); ob = get("pcapxx", base); gb = get("gopacket", base)
    o = (o == "" || ob == "") ? "" : o - ob; g = (g == "" || gb == "") ? "" : g - gb
    printf "%-26s %10s %10s %10s %14s %15s\n", label, cell(o), "-", cell(g), "-", ratio(g, o)
  }
  function check(c, o, t) {
    if (o == "") return "(no figure)"
    if (c == "tcp.eager") return (o <= 60 && t != "" && t / o >= 2) ? "met" : "MISSED"
    if (c == "tcp.fast") return o <= 25 ? "met" : "MISSED"
    if (c == "dns.eager") return o <= 150 ? "met" : "MISSED"
    if (c == "craft") return o <= 120 ? "met" : "MISSED"
    return ""
  }
  { med[$1 " " $2] = $3 }
  END {
    printf "%-26s %10s %10s %10s %14s %15s  %s\n", "case", "pcapxx", "libtins", "gopacket", "libtins/pcapxx", "gopacket/pcapxx", "target"
    for (i = 0; i < 2; i++) {
      p = i == 0 ? "tcp" : "dns"
      row(p ".read", p ".read", "")
      n = split("eager eager_copy lazy fast", modes, " ")
      for (j = 1; j <= n; j++) {
        row(p ".read+" modes[j], p ".read+" modes[j], "")
        over(p "." modes[j] " over read", p ".read+" modes[j], p ".read")
      }
      row(p ".eager", p ".eager", p == "tcp" ? "<= 60 ns, >= 2x libtins:" : "<= 150 ns:")
      row(p ".eager_copy", p ".eager_copy", "")
      row(p ".lazy", p ".lazy", "")
      row(p ".lazy_copy", p ".lazy_copy", "")
      row(p ".fast", p ".fast", p == "tcp" ? "<= 25 ns:" : "")
    }
    row("craft", "craft", "<= 120 ns:")
    row("edit (+VLAN)", "edit", "")
  }
' "$work/medians"
cat <<'EOF'
tcp: Ethernet/IPv4/TCP (pxgen --mix tcp); dns: Ethernet/IPv4/UDP/DNS (pxgen --mix dns).
eager: every layer now, layers view the bytes (gopacket NoCopy); eager_copy: the packet copies
the bytes (gopacket Default); lazy: up to the transport (TCP) or DNS layer; fast: FastParser vs
DecodingLayerParser; libtins always decodes everything and copies: its figure is in the eager rows.
craft: Ethernet/IPv4/TCP + 64 bytes with lengths and checksums; edit: decode, insert a VLAN tag,
serialize with fix-ups (libtins only).
EOF
