#!/usr/bin/env bash
# Runs agent-events from source on the pinned Deno, as scripts/run.sh does on Bun: any role or command, with
# the same arguments and environment (scripts/agent-events-deno lists Deno's permissions). Installs Deno, the
# dependencies and librdkafka on first use. With no arguments it runs every role on the embedded broker.
#
#   bash scripts/run-deno.sh --role=api
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
bash scripts/ensure-deno.sh >/dev/null
[ "$#" -gt 0 ] || set -- --role=all
exec bash scripts/agent-events-deno "$@"
