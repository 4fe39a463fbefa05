#!/usr/bin/env bash
# Installs the pinned Bun (from the npm registry, where the binary ships inside the package) into
# .cache/bun when `bun` is missing or is another version. Prints the path of the bun to use.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
want=$(tr -d '[:space:]' < "$root/.bun-version")
if command -v bun >/dev/null 2>&1 && [ "$(bun --version)" = "$want" ]; then
  command -v bun
  exit 0
fi
prefix="$root/.cache/bun/$want"
bin="$prefix/node_modules/.bin/bun"
if [ ! -x "$bin" ] || [ "$("$bin" --version 2>/dev/null)" != "$want" ]; then
  echo "installing bun $want into $prefix" >&2
  mkdir -p "$prefix"
  npm install --loglevel=error --no-audit --no-fund --prefix "$prefix" "bun@$want" >&2
fi
echo "$bin"
