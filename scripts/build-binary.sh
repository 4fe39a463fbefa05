#!/usr/bin/env bash
# Builds dist/agent-events: one executable holding the HTTP producer, every agent and librdkafka.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
mkdir -p dist
# The span export worker and the trace index's writer are entry points of their own: a Worker runs a module,
# not a part of the main bundle. The main entry point sits at the root of the embedded files and finds each
# worker there by its path from the repository's root (src/telemetry/..., agents/audit/...).
# --bytecode: the modules ship compiled to bytecode, so a start no longer parses them; `agent-events --help`
# went from 66 to 23 ms (p50), which is most of what `agent-events trace` takes. Bytecode needs --format=esm
# spelled out for a top-level await.
bun build --compile --minify --sourcemap --bytecode --format=esm src/main.ts src/telemetry/export-worker.ts agents/audit/index-worker.ts --outfile dist/agent-events >&2
echo "$(pwd)/dist/agent-events"
