#!/usr/bin/env bash
# Builds dist/agent-events: one executable holding the HTTP producer, every agent and librdkafka.
set -euo pipefail
cd "$(dirname "$0")/.."
bun=$(bash scripts/ensure-bun.sh)
export PATH="$(dirname "$bun"):$PATH"
bun install --frozen-lockfile >&2
bash scripts/build-librdkafka.sh >/dev/null
mkdir -p dist
bun build --compile --minify --sourcemap src/main.ts --outfile dist/agent-events >&2
echo "$(pwd)/dist/agent-events"
