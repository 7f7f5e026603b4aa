#!/bin/sh
# SPDX-License-Identifier: MIT
# Functional tests of `tcectl replay` on the real guest traces shipped in tests/data.
set -u
TCECTL=${1:?usage: tcectl_replay.sh PATH-TO-TCECTL DATA-DIR}
DATA=${2:?usage: tcectl_replay.sh PATH-TO-TCECTL DATA-DIR}
A=$DATA/A_2G_virtioblk_e1000_ddw_on.trace.log.xz
D=$DATA/D_2G_virtioblk_e1000_ddw_on_multitce_off.trace.log.xz
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

run() {
	want=$1; shift
	"$TCECTL" "$@" >"$TMP/out" 2>"$TMP/err"; got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "tcectl $* exited $got, want $want: $(head -c 400 "$TMP/err")"; fi
}

# expect PATTERN: the output has a line matching it
expect() {
	if grep -q -- "$1" "$TMP/out"; then ok; else bad "'$1' not in output: $(head -c 600 "$TMP/out")"; fi
}

# Trace A: every result matches; the exact counts of the file.
run 0 replay --json "$A"
expect '"mismatches":0,'
expect '"unparsable":0,'
expect '"checked":155552,'
expect '"matched":155552,'
expect '"lines":179941,'
expect '"ok":true'
# Trace D: H_PUT_TCE only.
run 0 replay "$D"
expect "spapr_iommu_pci_put *309910 *309910 *309910 *0"
expect "checked 417364, matched 417364, mismatches 0, unparsable lines 0"
expect "window 1  liobn 0x80000001  bus 0x800000000000000  16 MiB pages  128 entries  128 valid"
# Both in one run, plain input through stdin too.
xz -dc "$A" | head -n 20000 >"$TMP/a.log"
run 0 replay --no-progress "$TMP/a.log" "$D"
expect "replay $TMP/a.log (profile qemu): 20000 lines"

# One recorded H_PUT_TCE return code changed: exit 1, that line reported.
xz -dc "$A" | head -n 30000 >"$TMP/a30k.log"
putline=$(grep -n -m1 spapr_iommu_pci_put "$TMP/a30k.log" | cut -d: -f1)
sed "${putline}s/ret=0/ret=-4/" "$TMP/a30k.log" >"$TMP/bad.log"
run 1 replay --json "$TMP/bad.log"
expect '"mismatches":1,'
expect "\"line_no\":$putline,"
expect '"ok":false'
# A failed STUFF cannot be rebuilt (its start is unknown): unverified, not a mismatch.
sed '5s/ret=0/ret=-4/' "$TMP/a30k.log" >"$TMP/stuff.log"
run 0 replay "$TMP/stuff.log"
expect "spapr_iommu_pci_stuff .* 1$"

# One translation changed.
xz -dc "$A" | head -n 30000 | awk '/spapr_iommu_xlate/ && !done { sub(/perm=3/, "perm=1"); done=1 } { print }' >"$TMP/bad2.log"
run 1 replay "$TMP/bad2.log"
expect "mismatches 1"
expect "translated to 0x2000000 perm=3"
# A garbage line: unparsable, with its number.
{ xz -dc "$A" | head -n 10; echo "not a trace line"; } >"$TMP/bad3.log"
run 1 replay "$TMP/bad3.log"
expect "unparsable lines 1"
expect "line 11: unparsable"

# Usage and file errors.
run 2 replay
run 2 replay --profile xen "$A"
run 2 replay --max-mismatches 0 "$A"
run 3 replay "$TMP/does-not-exist.log"
run 0 replay --help
expect "Usage: tcectl replay"

echo "tcectl-replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
