#!/usr/bin/env bash
# A bounded libFuzzer run of the device's downlink parser (fuzz_downlink.c), as CI runs it:
# builds with clang, libFuzzer, AddressSanitizer and UBSan in a temporary directory, fuzzes for
# FUZZ_SECONDS (default 60) from the seeds in fuzz/seeds, and prints the executions.
# Exit status 0 when no crash, leak, timeout or sanitizer report was found.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${FUZZ_SECONDS:-60}
build=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fuzz-XXXXXX")
trap 'rm -rf "$build"' EXIT

CC=clang cmake -S "$here/.." -B "$build" -DVIGIL_FUZZ=ON -DVIGIL_SANITIZE=ON -DVIGIL_BUILD_HOST=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_downlink -j2 >/dev/null
mkdir -p "$build/corpus" "$build/artifacts"
cp "$here"/seeds/* "$build/corpus/"

set +e
"$build/fuzz/fuzz_downlink" -max_total_time="$seconds" -print_final_stats=1 -dict="$here/downlink.dict" \
  -max_len=8192 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$build/artifacts/" "$build/corpus" \
  >"$build/fuzz.log" 2>&1
status=$?
set -e

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz.log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$build/fuzz.log" | tail -1)
corpus=$(ls "$build/corpus" | wc -l)
echo "fuzz_downlink: ${execs:-0} executions in ${seconds} s (${rate:-0} exec/s), corpus ${corpus} inputs"
if [ "$status" -ne 0 ]; then
  grep -E "ERROR|SUMMARY|Test unit written" "$build/fuzz.log" | head -20 || true
  for f in "$build"/artifacts/*; do
    [ -f "$f" ] || continue
    echo "failing input $(basename "$f") (base64):"
    base64 "$f"
  done
  exit "$status"
fi
