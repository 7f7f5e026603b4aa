# SPDX-License-Identifier: MIT
# Shared by the functional tests of tcectl (sourced, not run): counters, a
# scratch directory, and checks of a command's exit status and output.
# Set TCECTL before sourcing; end with `finish NAME`.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# run STATUS ARGS...: run tcectl; its output goes to $TMP/out and $TMP/err;
# the exit status must be STATUS.
run() {
	want=$1; shift
	"$TCECTL" "$@" >"$TMP/out" 2>"$TMP/err"; got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "tcectl $* exited $got, want $want: $(head -c 400 "$TMP/err")"; fi
}

# expect PATTERN: the last output has a line matching it; expect_err: its stderr.
expect() {
	if grep -q -- "$1" "$TMP/out"; then ok; else bad "'$1' not in output: $(head -c 600 "$TMP/out")"; fi
}
expect_err() {
	if grep -q -- "$1" "$TMP/err"; then ok; else bad "'$1' not in stderr: $(head -c 300 "$TMP/err")"; fi
}

# finish NAME: the summary line the test scripts count, and the exit status.
finish() {
	echo "$1: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
