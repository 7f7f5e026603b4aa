#!/bin/sh
# SPDX-License-Identifier: MIT
# Functional tests of `tcectl size`: values, exit statuses and error messages.
set -u
TCECTL=${1:?usage: tcectl_size.sh PATH-TO-TCECTL}
. "$(dirname "$0")/lib.sh"

# expect_status STATUS ARGS... : run tcectl, check the exit status, keep output in $out / $err
expect_status() {
	want=$1; shift
	out=$("$TCECTL" "$@" 2>"$TMP/err"); got=$?
	err=$(cat "$TMP/err")
	if [ "$got" -eq "$want" ]; then ok; else bad "tcectl $* exited $got, want $want; stderr: $err"; fi
}

# expect_field NAME VALUE : the JSON output in $out has "NAME":VALUE
expect_field() {
	if printf '%s\n' "$out" | grep -q "^  \"$1\":$2,\?\$"; then ok; else bad "field $1 is not $2 in: $(printf '%s' "$out" | grep "\"$1\"")"; fi
}

expect_text() {
	if printf '%s\n' "$1" | grep -q -- "$2"; then ok; else bad "'$2' not found in: $1"; fi
}

# Spec worked examples through the tool.
expect_status 0 size --page-size 4K --window 1G --levels 1 --json
expect_field charged_bytes 4194304
expect_field table_bytes 2097152
expect_field levels 1
expect_field create_ok true

expect_status 0 size --page-shift 12 --window 2^40 --levels 3 --json
expect_field charged_bytes 4295622656
expect_field total_nodes 32773
# The rows name their level: leaf, middle, top, in that order.
if [ "$(printf '%s\n' "$out" | sed -n 's/.*"role":"\([a-z]*\)".*/\1/p' | tr '\n' ' ')" = "leaf middle top " ]; then ok
else bad "level roles: $(printf '%s\n' "$out" | grep '"role":' | tr -d ' \n')"; fi

expect_status 0 size --page-size 16M --window 1G --levels 2 --json
expect_field charged_bytes 262144
expect_field charge_2015_bytes 65536
expect_field charge_2015_shortfall_bytes 65536
expect_field table_entries 8192

# Refused by the kernel rules: exit 1 with the reason.
expect_status 1 size --page-size 64K --window 1G --levels 3 --json
expect_field create_ok false
expect_field error '"EINVAL"'
expect_field charged_bytes 524288
expect_status 1 size --page-size 4K --window 64G --levels 1
expect_text "$out" "can be created  no (ENOMEM)"

# auto picks the fewest accepted levels.
expect_status 0 size --page-size 4K --window 64G --levels auto --json
expect_field levels 2
expect_field levels_requested '"auto"'
expect_field charged_bytes 268566528
expect_status 1 size --page-size 4K --window 2^55 --json
expect_field create_ok false

# Exact profile with 4 KiB host pages, no mirror.
expect_status 0 size --profile exact --host-page-size 4K --page-size 4K --window 1G --levels 2 --no-mirror --json
expect_field level_shift 12
expect_field charged_bytes 2101248
expect_field mirror false
expect_field mirror_bytes 0
# One row per level, no more.
if [ "$(printf '%s\n' "$out" | grep -c '"role":')" -eq 2 ]; then ok; else bad "level rows: $(printf '%s' "$out" | grep -c '"role":') for 2 levels"; fi

# Text output has the per-level table.
expect_status 0 size --page-size 64K --window 64G --levels 2
expect_text "$out" "0 leaf *128 *8388608"
expect_text "$out" "charged         16908288 (16.12 MiB), = kernel get_table_size()"

# The text's other lines: the exact profile's host page, auto levels, the mirror left out or put
# back (the last of --no-mirror and --mirror wins), and the 2015 charge against the table.
expect_status 0 size --profile exact --host-page-size 4K --page-size 4K --window 1G --levels 2 --no-mirror --mirror
expect_text "$out" "TCE table, profile exact (host pages of 4 KiB, no kernel limits)"
expect_text "$out" "mirror bytes    2101248 (2.00 MiB), same shape, userspace addresses"
expect_text "$out" "charged         4202496 (4.01 MiB)$"
expect_status 0 size --page-size 16M --window 1G --levels 2
expect_text "$out" "2015 charge     65536 (64 KiB), one copy: UNDER-COUNTS the table by 64 KiB"
expect_status 0 size --page-size 16M --window 1G --levels 1 --no-mirror
expect_text "$out" "mirror bytes    0 (--no-mirror)"
expect_text "$out" "charged         65536 (64 KiB)$"
expect_text "$out" "2015 charge     65536 (64 KiB), one copy, equals the table"
expect_status 0 size --page-size 4K --window 64G
expect_text "$out" "levels          2 (auto: the fewest accepted; QEMU starts at 2)"
expect_status 0 size --page-size 4K --window 1G
expect_text "$out" "levels          1 (auto: the fewest accepted; QEMU starts at 1)"
expect_status 0 size --page-size 4K --window 1G --no-mirror --mirror --json
expect_field mirror true
expect_field charged_bytes 4194304
# The largest page: 2^62 is a page size (a window of one; linux then refuses the tree's 55
# bus-address bits: exit 1, not a bad argument), 2^63 is not.
expect_status 1 size --page-size 2^62 --window 2^62 --levels 1 --json
expect_field page_shift 62
expect_field window_entries 1
expect_status 2 size --page-size 2^63 --window 2^63
expect_text "$err" "\-\-page-size: '2^63' is not a power of two from 4K to 2^62"
# Bad input: exit 2, the message names the option and the accepted range.
expect_status 2 size --window 3G
expect_text "$err" "\-\-window: '3G' is not a power of two"
expect_status 2 size --page-size 24
expect_text "$err" "\-\-page-size: '24'"
expect_status 2 size --levels 6
expect_text "$err" "\-\-levels: '6' is not 1..5 or auto"
expect_status 2 size --profile qemu
expect_text "$err" "\-\-profile"
expect_status 2 size --page-shift 99
expect_text "$err" "12..62"
expect_status 2 size --page-size 64K --window 4K
expect_text "$err" "window size: must be at least one IOMMU page"
expect_status 2 size --host-page-size 4K
expect_text "$err" "only the exact profile"
expect_status 2 size --profile exact --host-page-size 1M
expect_text "$err" "\-\-host-page-size: '1M' is not 4K or 64K"
expect_status 2 size --bogus
expect_status 2 size extra
expect_status 2 nosuchcommand

# Help for the tool and the command; no command is a usage error; the version.
expect_status 2
expect_text "$err" "Usage: tcectl"
expect_status 0 --version
expect_text "$out" "^tcectl (libtce) [0-9][0-9.]*$"
expect_status 0 --help
expect_text "$out" "size"
expect_status 0 size --help
expect_text "$out" "\-\-levels N|auto"

finish tcectl-size
