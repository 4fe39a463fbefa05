#!/usr/bin/env bash
# Runs bench/tracing/main.ts: POST /tasks at 64 connections against the api role with tracing off and on
# (exporting every span to Zipkin), in one run. Installs Bun, librdkafka, the broker and Zipkin jars and wrk
# if needed, and builds the binary.
#
#   bash bench/tracing/run.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/prepare.sh"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } >&2
bash scripts/fetch-kafka.sh >/dev/null
bash scripts/fetch-zipkin.sh >/dev/null
bash scripts/build-binary.sh >/dev/null
exec bun bench/tracing/main.ts "$@"
