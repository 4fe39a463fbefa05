#!/usr/bin/env bash
# Runs bench/worker/main.ts: the worker role beside the spec's consume loop. Installs the Python peer's
# Debian package if missing, Bun, librdkafka and the broker jars, and builds the binary.
#
#   bash bench/worker/run.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ "$(dpkg-query -W -f='${Status}' python3-confluent-kafka 2>/dev/null || true)" != "install ok installed" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "missing Debian package python3-confluent-kafka (run as root)" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -q -y --no-install-recommends python3-confluent-kafka >&2 \
    || { apt-get update -q >&2 && apt-get install -q -y --no-install-recommends python3-confluent-kafka >&2; }
fi
source "$root/scripts/prepare.sh"
bash scripts/fetch-kafka.sh >/dev/null
bash scripts/build-binary.sh >/dev/null
exec bun bench/worker/main.ts "$@"
