#!/usr/bin/env bash
# Builds the firmware with AddressSanitizer and UBSan in a temporary directory and runs every
# test under ctest (the core's tests, the vectors, the TypeScript round trips). Needs cmake, gcc,
# libmbedtls-dev, libmosquitto-dev, pkg-config, and `npm ci` done in the repository root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fw-test-XXXXXX")
trap 'rm -rf "$build"' EXIT
cmake -S "$here" -B "$build" -DVIGIL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j2 >/dev/null
cd "$build"
ctest --output-on-failure
