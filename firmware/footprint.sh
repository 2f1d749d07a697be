#!/usr/bin/env bash
# The core's footprint measured on the host build (x86-64, gcc -Os): code and data of its
# objects (`size`), and the static RAM of one vigil_device_t, for the host limits and for the
# limits firmware/esp32 uses. Mbed TLS itself is not counted: ESP-IDF ships it either way.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fw-size-XXXXXX")
trap 'rm -rf "$build"' EXIT
esp32_limits="-DVIGIL_ENVELOPE_MAX=8192 -DVIGIL_DOWNLINK_MAX=4096 -DVIGIL_MAX_INFLIGHT=1 -DVIGIL_JSON_TOKENS=64"
for cfg in host esp32; do
  flags=""
  [ "$cfg" = esp32 ] && flags="$esp32_limits"
  mkdir -p "$build/$cfg"
  for src in "$here"/core/src/*.c; do
    # shellcheck disable=SC2086
    gcc -std=c99 -Os $flags -fstack-usage -I"$here/core/include" -c "$src" -o "$build/$cfg/$(basename "$src" .c).o"
  done
  echo "== $cfg limits ${flags:-(defaults)}"
  size -t "$build/$cfg"/*.o | tail -1 | awk '{printf "code (text) %s B, data %s B, bss %s B\n", $1, $2, $3}'
  sort -t$'\t' -k2 -n "$build/$cfg"/*.su | tail -1 | awk -F'\t' '{printf "deepest stack frame: %s B (%s)\n", $2, $1}'
  # shellcheck disable=SC2086
  gcc -std=c99 -Os $flags -I"$here/core/include" "$here/tests/footprint.c" -o "$build/$cfg/footprint"
  "$build/$cfg/footprint"
done
