#!/usr/bin/env bash
# Prints the path of a headless-capable Chromium, installing Debian's package the first time. The trace
# page's test renders it in a real browser; Debian's chromium is what these machines can install.
set -euo pipefail
found=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$found" ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  {
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
  } >&2
  found=$(command -v chromium)
fi
echo "$found"
