#!/usr/bin/env bash
# Runs bench/orchestrator/main.ts: the orchestrator's round trip beside a bare request/reply, and its
# sustained throughput. Installs Bun, librdkafka and the broker jars if needed, and builds the binary.
#
#   bash bench/orchestrator/run.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/prepare.sh"
bash scripts/fetch-kafka.sh >/dev/null
bash scripts/build-binary.sh >/dev/null
exec bun bench/orchestrator/main.ts "$@"
