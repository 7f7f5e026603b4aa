#!/bin/sh
# SPDX-License-Identifier: MIT
# Configure (once) and build libtce and tcectl into DIR (default: build).
# tcectl and the tests are required here (scripts/deps.sh installs what they
# need); LIBTCE_WERROR=1 (set by CI) makes warnings errors. Later options win.
# Quiet on success; prints the whole log on failure.
# Usage: scripts/build.sh [DIR [meson-options ...]]
set -u
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f "$dir/build.ninja" ]; then
	werror=false
	[ "${LIBTCE_WERROR:-0}" = 1 ] && werror=true
	if ! meson setup "$dir" -Dtools=enabled -Dtests=enabled -Dwerror=$werror "$@" >"$log" 2>&1; then
		cat "$log" >&2
		echo "build.sh: meson setup $dir failed" >&2
		exit 1
	fi
fi
if ! ninja -C "$dir" >"$log" 2>&1; then
	cat "$log" >&2
	echo "build.sh: ninja -C $dir failed" >&2
	exit 1
fi
