#!/usr/bin/env bash
# Builds dist/agent-events: one executable holding the HTTP producer, every agent and librdkafka.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
mkdir -p dist
# The span export worker is an entry point of its own: a Worker runs a module, not a part of the main bundle.
# --bytecode: the modules ship compiled to bytecode, so a start no longer parses them; `agent-events --help`
# went from 66 to 23 ms (p50), which is most of what `agent-events trace` takes. Bytecode needs --format=esm
# spelled out for a top-level await.
bun build --compile --minify --sourcemap --bytecode --format=esm src/main.ts src/telemetry/export-worker.ts --outfile dist/agent-events >&2
echo "$(pwd)/dist/agent-events"
