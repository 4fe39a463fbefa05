#!/usr/bin/env bash
# Runs bench/outage-cpu.ts after installing what it needs: the spec's Python peers (Debian packages), Bun,
# librdkafka and the broker jars; the binary is built by the script itself.
#
#   bash bench/outage-cpu.sh [outage-seconds]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
packages=(python3-fastapi python3-uvicorn python3-confluent-kafka)
missing=()
for pkg in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "missing Debian packages: ${missing[*]} (run as root)" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -q -y --no-install-recommends "${missing[@]}" >&2 \
    || { apt-get update -q >&2 && apt-get install -q -y --no-install-recommends "${missing[@]}" >&2; }
fi
source "$root/scripts/prepare.sh"
bash scripts/fetch-kafka.sh >/dev/null
exec bun bench/outage-cpu.ts "$@"
