#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what is missing, build, and run every test. Ends with "tests: N passed, N failed".
# Usage: scripts/test.sh [DIR [meson-options ...]]
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1
dir=${1:-build}
[ $# -gt 0 ] && shift
scripts/build.sh "$dir" "$@" || exit 1
meson test -C "$dir" --print-errorlogs --num-processes 2
status=$?
log="$dir/meson-logs/testlog.txt"
# Count the individual cmocka tests and shell checks behind the meson targets.
passed=$(grep -c '^\[       OK \]' "$log")
failed=$(grep -c '^\[  FAILED  \]   *[a-z]' "$log")
shell_passed=$(sed -n 's/^[a-z-]*: \([0-9]*\) passed, [0-9]* failed$/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
shell_failed=$(sed -n 's/^[a-z-]*: [0-9]* passed, \([0-9]*\) failed$/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
passed=$((passed + shell_passed))
failed=$((failed + shell_failed))
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "tests: $passed passed, $failed failed"
exit "$status"
