#!/usr/bin/env bash
# Runs bench/runtime-parts.ts on Bun and on Deno, one after the other, and prints each part's CPU cost per
# operation side by side with Deno's ratio to Bun (above 1: Deno spends more).
#
#   bash bench/runtime-parts.sh
set -euo pipefail
source "$(dirname "$0")/../scripts/prepare.sh"
deno=$(bash scripts/ensure-deno.sh)
bun_json=$(bun bench/runtime-parts.ts)
deno_json=$(DENO_DIR="$PWD/.cache/deno-dir" "$deno" run --quiet --allow-all bench/runtime-parts.ts)
BUN_JSON=$bun_json DENO_JSON=$deno_json bun -e '
  const bun = JSON.parse(process.env.BUN_JSON), deno = JSON.parse(process.env.DENO_JSON);
  console.log(`| part, CPU per operation | ${bun.runtime} | ${deno.runtime} | Deno ÷ Bun |`);
  console.log("|---|---:|---:|---:|");
  for (const [part, us] of Object.entries(bun.microseconds)) {
    const d = deno.microseconds[part];
    console.log(`| ${part} | ${us.toFixed(2)} µs | ${d.toFixed(2)} µs | ${(d / us).toFixed(2)} |`);
  }'
