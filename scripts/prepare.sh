# Sourced by the entry scripts (run, test, build, bench): moves to the repository root, puts the pinned
# Bun on PATH and installs the dependencies and librdkafka, each cached after the first time.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bun=$(bash scripts/ensure-bun.sh)
export PATH="$(dirname "$bun"):$PATH"
bun install --frozen-lockfile >&2
bash scripts/build-librdkafka.sh >/dev/null
