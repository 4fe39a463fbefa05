#!/usr/bin/env bash
# The full test suite from a fresh clone. Installs what is missing, each step cached after the first run:
# the pinned Bun (npm registry), dependencies, librdkafka (built from source) and the Kafka broker jars
# (Maven Central). Then runs every test and ends with a plain "N passed, N failed" line.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
bash scripts/fetch-kafka.sh >/dev/null

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
bun test --timeout 120000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -aoP '^\s*\K\d+(?= pass$)' "$log" | tail -n 1)
failed=$(grep -aoP '^\s*\K\d+(?= fail$)' "$log" | tail -n 1)
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"
