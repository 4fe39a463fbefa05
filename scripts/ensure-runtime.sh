#!/usr/bin/env bash
# Installs the pinned Bun or Deno (`ensure-runtime.sh bun|deno`; the version is in .bun-version or
# .deno-version) from the npm registry, where the binary ships inside the package, into .cache/<name> when
# it is missing from PATH or is another version there. Prints the path of the binary to use.
set -euo pipefail
name=$1
root=$(cd "$(dirname "$0")/.." && pwd)
want=$(tr -d '[:space:]' < "$root/.$name-version")
# `bun --version` prints the bare version; `deno --version` starts with "deno 2.9.6 (...)".
version() { "$1" --version 2>/dev/null | awk 'NR == 1 { print ($2 == "" ? $1 : $2) }'; }
if command -v "$name" >/dev/null 2>&1 && [ "$(version "$name")" = "$want" ]; then
  command -v "$name"
  exit 0
fi
prefix="$root/.cache/$name/$want"
bin="$prefix/node_modules/.bin/$name"
if [ ! -x "$bin" ] || [ "$(version "$bin")" != "$want" ]; then
  echo "installing $name $want into $prefix" >&2
  mkdir -p "$prefix"
  npm install --loglevel=error --no-audit --no-fund --prefix "$prefix" "$name@$want" >&2
fi
echo "$bin"
