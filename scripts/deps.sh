#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages libtce needs to build and test, if any is missing.
# Usage: scripts/deps.sh [extra-package ...]
set -eu
packages="gcc libc6-dev linux-libc-dev meson ninja-build pkg-config libcmocka-dev libjson-c-dev liblzma-dev xz-utils libzstd-dev zstd libxml2-dev $*"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
