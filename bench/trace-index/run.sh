#!/usr/bin/env bash
# Runs bench/trace-index/main.ts: generates a 10-million-event audit log under .cache/trace-bench/ (about
# 7 GB, kept for the next run), builds its trace index from nothing and times `trace` lookups in process and
# through the compiled binary. Writes bench/trace-index-results.md.
#
#   bash bench/trace-index/run.sh [--events N] [--lookups N] [--cli N]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/prepare.sh"
bash scripts/build-binary.sh >/dev/null
exec bun bench/trace-index/main.ts "$@"
