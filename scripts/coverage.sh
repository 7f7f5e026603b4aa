#!/bin/sh
# SPDX-License-Identifier: MIT
# Line and branch coverage of the library and tcectl by the test suite
# (gcovr). Prints the per-file table and a summary; the HTML report is
# written to build-cov/coverage.html.
# Usage: scripts/coverage.sh [--quick]
#   --quick  the quick suite (`meson test --setup quick`), the one
#            scripts/mutate.sh runs: a line it never executes is a line where
#            every mutant survives
set -u
cd "$(dirname "$0")/.." || exit 1
setup=""
case ${1:-} in
--quick) setup="--setup quick" ;;
"") ;;
-h|--help) sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "coverage.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac
scripts/deps.sh gcovr || exit 1
scripts/build.sh build-cov -Db_coverage=true -Dbuildtype=debug || exit 1
# Counts from this run only: earlier runs' .gcda files would add to them.
find build-cov -name '*.gcda' -delete
# shellcheck disable=SC2086 # $setup is empty or two words
meson test -C build-cov $setup --num-processes 2 >/dev/null 2>&1
status=$?
gcovr -r . build-cov --filter 'src/' --filter 'tools/' --exclude-unreachable-branches \
	--exclude-throw-branches --txt --branches --print-summary \
	--html-details build-cov/coverage.html | tail -n 45
exit $status
