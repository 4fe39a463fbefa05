#!/usr/bin/env bash
# Prints the path of the pinned Deno, installing it first if needed (see ensure-runtime.sh).
exec bash "$(dirname "$0")/ensure-runtime.sh" deno
