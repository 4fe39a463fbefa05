#!/usr/bin/env bash
# Makes (once, then cached) a minimal Debian bookworm root with debootstrap, for the test that runs the
# compiled binary where nothing but a stock base system exists. Prints the root's path. Needs root.
set -euo pipefail
root_dir=$(cd "$(dirname "$0")/.." && pwd)/.cache/debootstrap/bookworm-minbase
if [ -f "$root_dir/.complete" ]; then echo "$root_dir"; exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "debootstrap needs root" >&2; exit 3; fi
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends debootstrap >&2
fi
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
rm -rf "$root_dir.tmp"
debootstrap --variant=minbase bookworm "$root_dir.tmp" "${mirror:-http://deb.debian.org/debian}" >&2
rm -rf "$root_dir" && mv "$root_dir.tmp" "$root_dir"
touch "$root_dir/.complete"
echo "$root_dir"
