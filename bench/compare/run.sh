#!/usr/bin/env bash
# Benchmarks agent-events (the Bun binary, and Deno from source beside it) beside the spec's Python service
# and Node with Confluent's client, on one local Kafka broker (see bench/README.md). Installs what is missing,
# builds the binary, runs every workload one system at a time, writes bench/results.md and bench/results.svg
# and prints the table.
#
#   bash bench/compare/run.sh
#
# Shorter trial runs: BENCH_SECONDS=3 BENCH_AUDIT_EVENTS=50000 BENCH_CEILING_EVENTS=50000 bash bench/compare/run.sh
# BENCH_SKIP_BUILD=1 reuses dist/agent-events instead of rebuilding it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$root/bench/compare"
cd "$root"
log() { printf '[bench] %s\n' "$*" >&2; }

# --- Debian packages: the load generator, the Python peer, the Node peer's build dependencies ---------
packages=(wrk python3-fastapi python3-uvicorn python3-uvloop python3-confluent-kafka
  g++ make python3 pkg-config libssl-dev zlib1g-dev libzstd-dev libsasl2-dev liblz4-dev)
command -v java >/dev/null 2>&1 || packages+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || packages+=(maven)
missing=()
for pkg in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { log "missing Debian packages: ${missing[*]} (run as root)"; exit 1; }
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -q -y --no-install-recommends "${missing[@]}" >&2 \
    || { apt-get update -q >&2 && apt-get install -q -y --no-install-recommends "${missing[@]}" >&2; }
fi

# --- Node 20, the runtime Confluent's client supports --------------------------------------------------
node_bin=$(command -v node || true)
node_major=$([ -n "$node_bin" ] && "$node_bin" -p 'process.versions.node.split(".")[0]' || echo 0)
[ "$node_major" -ge 20 ] || { log "Node 20 or later is needed for the Node peer (found: ${node_bin:-none})"; exit 1; }

# --- Bun, Deno, librdkafka (and rdkafka_performance), the broker jars, our binary ----------------------
source scripts/prepare.sh
bash scripts/ensure-deno.sh >/dev/null
lib=$(bash scripts/build-librdkafka.sh)
bash scripts/fetch-kafka.sh >/dev/null
if [ "${BENCH_SKIP_BUILD:-0}" = 1 ] && [ -x dist/agent-events ]; then
  binary="$root/dist/agent-events"
else
  log "building dist/agent-events"
  binary=$(bash scripts/build-binary.sh)
fi
# Deno type-strips the sources into its cache (DENO_DIR) on their first run: done here, so that the start-up
# the run measures is a warm one, as the binary's is.
bash scripts/agent-events-deno --version >/dev/null

# --- The Node peer: Confluent's addon builds from source against Debian's libraries (~2 min, cached) ---
if ! (cd "$here/node-peer" && "$node_bin" -e 'require("@confluentinc/kafka-javascript")' >/dev/null 2>&1); then
  log "installing the Node peer (builds @confluentinc/kafka-javascript from source, about 2 minutes)"
  (
    cd "$here/node-peer"
    export CKJS_LINKING=dynamic npm_config_nodedir=/usr
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund >&2; else npm install --no-audit --no-fund >&2; fi
  )
fi

log "load average: $(cut -d' ' -f1-3 /proc/loadavg) (the run shares 2 cores with whatever else is running)"
AGENT_EVENTS_BINARY="$binary" RDKAFKA_PERFORMANCE="$(dirname "$lib")/bin/rdkafka_performance" NODE_BIN="$node_bin" \
  exec bun "$here/main.ts"
