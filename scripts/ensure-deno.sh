#!/usr/bin/env bash
# Installs the pinned Deno (from the npm registry, where the binary ships inside the package) into
# .cache/deno when `deno` is missing or is another version. Prints the path of the deno to use.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
want=$(tr -d '[:space:]' < "$root/.deno-version")
version() { "$1" --version 2>/dev/null | awk 'NR == 1 { print $2 }'; }
if command -v deno >/dev/null 2>&1 && [ "$(version deno)" = "$want" ]; then
  command -v deno
  exit 0
fi
prefix="$root/.cache/deno/$want"
bin="$prefix/node_modules/.bin/deno"
if [ ! -x "$bin" ] || [ "$(version "$bin")" != "$want" ]; then
  echo "installing deno $want into $prefix" >&2
  mkdir -p "$prefix"
  npm install --loglevel=error --no-audit --no-fund --prefix "$prefix" "deno@$want" >&2
fi
echo "$bin"
