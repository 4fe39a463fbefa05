#!/usr/bin/env bash
# Builds dist/agent-events: one executable holding the HTTP producer, every agent and librdkafka.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
mkdir -p dist
# The span export worker is an entry point of its own: a Worker runs a module, not a part of the main bundle.
bun build --compile --minify --sourcemap src/main.ts src/telemetry/export-worker.ts --outfile dist/agent-events >&2
echo "$(pwd)/dist/agent-events"
