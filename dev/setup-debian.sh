#!/usr/bin/env bash
# Installs everything llmfuse needs on Debian bookworm (run as root) and
# builds it into ./build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
pkgs=(build-essential clang meson ninja-build pkg-config git ca-certificates
      libfuse3-dev fuse3 libcurl4-openssl-dev libmicrohttpd-dev libcmocka-dev
      zlib1g-dev valgrind python3 curl attr)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release -Dfuse=enabled -Dcurl=enabled -Dmicrohttpd=enabled -Dtests=enabled
fi
ninja -C build
