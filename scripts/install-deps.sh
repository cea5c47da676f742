#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test pcapxx (run as root).
# Only missing packages are installed; a machine that has them all is left alone.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config          # the main build (GCC 12, CMake, Ninja)
  clang-19 libclang-rt-19-dev llvm-19       # libFuzzer and sanitizer builds
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  tcpdump tshark libpcap0.8-dev             # oracles for differential tests (never linked into pcapxx)
  tcpreplay                                 # oracle for the injection benchmark (bench/inject_bench.cpp)
  libtins-dev                               # oracle for bench/layers_libtins_bench.cpp only (never linked into pcapxx)
  golang-go golang-github-google-gopacket-dev  # bench oracle only: bench/gopacket/ (gopacket's decoders, bench/layers_oracles.sh)
  nlohmann-json3-dev                        # tests only: parses pxdump --json output (tests/diff/pxdump_out)
  iproute2 time procps                      # network namespaces for live tests; measurements
  nmap python3-scapy                        # libpcap clients run on our libpcap.so.0.8 (tests/live/capi: nmap, nping, Scapy)
  go-md2man                                 # pxdump.1 man page from docs/pxdump.md (cmake/Packaging.cmake)
  bc                                        # bench/capi_tcpdump.sh computes its ratios with bc
  nethogs                                   # oracle for bench/process_attribution (per-process traffic, run as a program)
  tzdata                                    # zones for the pxdump time stamp test (tests/unit/pxdump_printers/timezone_test.cpp)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
