#!/usr/bin/env bash
# The full test suite from a fresh clone. Installs what is missing, each step cached after the first run:
# the pinned Bun and Deno (npm registry), dependencies, librdkafka (built from source), the Kafka broker jars and
# Zipkin's server (Maven Central), and Debian's chromium. Then runs every test and ends with a plain
# "N passed, N failed, N skipped" line.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
bash scripts/fetch-kafka.sh >/dev/null
# What single tests need, fetched before any test's own time limit starts: the tracing test's Zipkin server
# (Maven Central) and the trace page test's browser (Debian's chromium).
bash scripts/fetch-zipkin.sh >/dev/null
bash scripts/ensure-chromium.sh >/dev/null
# The black-box tests run each role on Deno too (scripts/agent-events-deno).
bash scripts/ensure-deno.sh >/dev/null

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
bun test --timeout 120000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -aoP '^\s*\K\d+(?= pass$)' "$log" | tail -n 1 || true)
failed=$(grep -aoP '^\s*\K\d+(?= fail$)' "$log" | tail -n 1 || true)
# Bun prints "N skip" only when some test was skipped.
skipped=$(grep -aoP '^\s*\K\d+(?= skip$)' "$log" | tail -n 1 || true)
# A skip fails the run unless ALLOW_SKIPS=1: the suite is meant to run as root on a machine of the project's
# kind (Debian 12, the Debian mirror reachable), where every test can run, and a skipped test would hide an
# untested path behind a green run. Bun lists each skipped test above as "(skip) <name>".
if [ "${skipped:-0}" -gt 0 ] && [ "${ALLOW_SKIPS:-}" != 1 ]; then
  echo "${skipped} skipped: every test must run here (ALLOW_SKIPS=1 accepts skips)" >&2
  [ "$status" -ne 0 ] || status=1
fi
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
