#!/bin/sh
# SPDX-License-Identifier: MIT
# Line and branch coverage of the library and tcectl by the full test suite
# (gcovr). Prints the per-file table and a summary; the HTML report is
# written to build-cov/coverage.html.
# Usage: scripts/coverage.sh
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh gcovr || exit 1
scripts/build.sh build-cov -Db_coverage=true -Dbuildtype=debug || exit 1
meson test -C build-cov --num-processes 2 >/dev/null 2>&1
status=$?
gcovr -r . build-cov --filter 'src/' --filter 'tools/' --exclude-unreachable-branches \
	--exclude-throw-branches --txt --branches --print-summary \
	--html-details build-cov/coverage.html | tail -n 45
exit $status
