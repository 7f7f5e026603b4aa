#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job: install what is missing, build, and run it.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build
tcectl=build/tools/tcectl/tcectl
echo "== QEMU's default DMA window: 1 GiB of 4 KiB pages (tcectl size --page-size 4K --window 1G)"
"$tcectl" size --page-size 4K --window 1G
echo
echo "== Linux's default 64-bit window for a 64 GiB host: 64 KiB pages, 2 levels, no mirror"
"$tcectl" size --page-size 64K --window 64G --levels 2 --no-mirror
