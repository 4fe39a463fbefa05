#!/usr/bin/env bash
# Runs agent-events from source, installing the pinned Bun, dependencies and librdkafka on first use.
# With no arguments it runs every role on the embedded (in-memory) broker: `bash scripts/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
bun=$(bash scripts/ensure-bun.sh)
export PATH="$(dirname "$bun"):$PATH"
bun install --frozen-lockfile >&2
bash scripts/build-librdkafka.sh >/dev/null
[ "$#" -gt 0 ] || set -- --role=all
exec bun src/main.ts "$@"
