#!/usr/bin/env bash
# Runs agent-events from source, installing the pinned Bun, dependencies and librdkafka on first use.
# With no arguments it runs every role on the embedded (in-memory) broker: `bash scripts/run.sh`.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
[ "$#" -gt 0 ] || set -- --role=all
exec bun src/main.ts "$@"
