#!/usr/bin/env bash
# Installs what is missing, builds pcapxx (GCC, Release with assertions kept by the tests),
# and runs every test: unit, differential (against tshark/tcpdump/libpcap), and live capture
# in network namespaces (needs root).
#   BUILD_DIR=build  the build directory
#   PCAPXX_CMAKE_ARGS  extra CMake arguments (the sanitizer pass of .ci/run uses them)
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/install-deps.sh"
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} ${PCAPXX_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" -j "$(nproc)" --output-on-failure --timeout 600
