#!/usr/bin/env bash
# Builds dist/agent-events: one executable holding the HTTP producer, every agent and librdkafka.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
mkdir -p dist
bun build --compile --minify --sourcemap src/main.ts --outfile dist/agent-events >&2
echo "$(pwd)/dist/agent-events"
