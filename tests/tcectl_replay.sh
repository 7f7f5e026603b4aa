#!/bin/sh
# SPDX-License-Identifier: MIT
# Functional tests of `tcectl replay` on the real guest traces shipped in tests/data.
set -u
TCECTL=${1:?usage: tcectl_replay.sh PATH-TO-TCECTL DATA-DIR}
DATA=${2:?usage: tcectl_replay.sh PATH-TO-TCECTL DATA-DIR}
A=$DATA/A_2G_virtioblk_e1000_ddw_on.trace.log.xz
D=$DATA/D_2G_virtioblk_e1000_ddw_on_multitce_off.trace.log.xz
. "$(dirname "$0")/lib.sh"

# Trace A: every result matches; the exact counts of the file.
run 0 replay --json "$A"
expect '"mismatches":0,'
expect '"unparsable":0,'
expect '"checked":155552,'
expect '"matched":155552,'
expect '"lines":179941,'
expect '"ok":true'
# On a terminal (script(1) gives it one) a progress line every 65536 lines; --no-progress, none.
# script(1) forwards its standard input to the terminal: give it none, not the caller's.
if command -v script >/dev/null 2>&1; then
	script -qec "'$TCECTL' replay '$A'" /dev/null </dev/null >"$TMP/pty" 2>&1
	if grep -aq "A_2G_virtioblk_e1000_ddw_on.trace.log.xz: 131072 lines" "$TMP/pty"; then ok
	else bad "no progress line on a terminal: $(head -c 300 "$TMP/pty")"; fi
	script -qec "'$TCECTL' replay --no-progress '$A'" /dev/null </dev/null >"$TMP/pty" 2>&1
	if grep -aq ": 131072 lines" "$TMP/pty"; then bad "a progress line despite --no-progress"; else ok; fi
else
	bad "script(1) (util-linux) is missing: the progress line cannot be tested"
fi
# Trace D: H_PUT_TCE only.
run 0 replay "$D"
expect "spapr_iommu_pci_put *309910 *309910 *309910 *0"
expect "checked 417364, matched 417364, mismatches 0, unparsable lines 0"
expect "window 1  liobn 0x80000001  bus 0x800000000000000  16 MiB pages  128 entries  128 valid"
# Both in one run, plain input through stdin too.
xz -dc "$A" | head -n 20000 >"$TMP/a.log"
run 0 replay --no-progress "$TMP/a.log" "$D"
expect "replay $TMP/a.log (profile qemu): 20000 lines"

# The same trace as zstd, and xz through standard input: the same counts.
xz -dc "$A" | zstd -q -c >"$TMP/a.zst"
run 0 replay --json "$TMP/a.zst"
expect '"checked":155552,'
expect '"lines":179941,'
run 0 replay --json - <"$A"
expect '"checked":155552,'
# Two xz streams and two zstd frames one after the other read as one file.
xz -dc "$A" | head -n 1000 | xz -c >"$TMP/two.xz"
xz -dc "$A" | sed -n '1001,3000p' | xz -c >>"$TMP/two.xz"
xz -dc "$A" | head -n 1000 | zstd -q -c >"$TMP/two.zst"
xz -dc "$A" | sed -n '1001,3000p' | zstd -q -c >>"$TMP/two.zst"
for f in "$TMP/two.xz" "$TMP/two.zst"; do
	run 0 replay --json "$f"
	expect '"lines":3000,'
done
# A last line without its newline still counts; so does a 3 MiB line of another
# event, which spans the reader's 1 MiB chunks.
{ xz -dc "$A" | head -n 99; xz -dc "$A" | sed -n 100p | tr -d '\n'; } >"$TMP/nonl.log"
run 0 replay --json "$TMP/nonl.log"
expect '"lines":100,'
{ xz -dc "$A" | head -n 50; printf '1@2.3:spapr_pci_msi_write '; head -c 3145728 /dev/zero | tr '\0' x; echo;
  xz -dc "$A" | sed -n '51,100p'; } | zstd -q -c >"$TMP/long.zst"
run 0 replay --json "$TMP/long.zst"
expect '"lines":101,'
# Truncated compressed data: the lines before the damage are read, the file fails.
xz -dc "$A" | zstd -q -c | head -c 200000 >"$TMP/cut.zst"
run 3 replay "$TMP/cut.zst"
if grep -q "corrupt or truncated zstd data after line [1-9]" "$TMP/err"; then ok; else bad "cut.zst: $(cat "$TMP/err")"; fi
head -c 300000 "$A" >"$TMP/cut.xz"
run 3 replay "$TMP/cut.xz"
if grep -q "corrupt or truncated xz data after line [1-9]" "$TMP/err"; then ok; else bad "cut.xz: $(cat "$TMP/err")"; fi

# One recorded H_PUT_TCE return code changed: exit 1, that line reported.
xz -dc "$A" | head -n 30000 >"$TMP/a30k.log"
putline=$(grep -n -m1 spapr_iommu_pci_put "$TMP/a30k.log" | cut -d: -f1)
sed "${putline}s/ret=0/ret=-4/" "$TMP/a30k.log" >"$TMP/bad.log"
run 1 replay --json "$TMP/bad.log"
expect '"mismatches":1,'
expect "\"line_no\":$putline,"
expect '"ok":false'
# Three changed: all counted; --max-mismatches 2 keeps the first two reported, the default 10 all.
putlines=$(grep -n spapr_iommu_pci_put "$TMP/a30k.log" | sed -n '1p;3p;5p' | cut -d: -f1 | tr '\n' ' ')
sed "$(for l in $putlines; do printf '%ss/ret=0/ret=-4/;' "$l"; done)" "$TMP/a30k.log" >"$TMP/bad3x.log"
run 1 replay --max-mismatches 2 --json "$TMP/bad3x.log"
expect '"mismatches":3,'
reported=$(grep -o '"line_no":[0-9]*' "$TMP/out" | cut -d: -f2 | tr '\n' ' ')
want=$(echo "$putlines" | cut -d' ' -f1-2)
if [ "$reported" = "$want " ]; then ok; else bad "--max-mismatches 2 reported lines '$reported', want '$want '"; fi
run 1 replay --json "$TMP/bad3x.log"
if [ "$(grep -o '"line_no":[0-9]*' "$TMP/out" | wc -l)" -eq 3 ]; then ok; else bad "the default does not report all 3 mismatches"; fi
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

# A trace that asks for a 16 GiB guest view: within an unlimited ledger it is
# created, past --memlock-limit the create is refused (a mismatch, not memory).
printf '%s\n' '1@1.0:spapr_iommu_new_table liobn=0x80000000 table=0x1 fd=-1' \
	'1@1.1:spapr_iommu_ddw_create buid=0x800000020000000 addr=0x0, page size=0x1000, requested=0x80000000000, start addr=0x800000000000000, liobn=0x80000001' >"$TMP/big.log"
run 0 replay --memlock-limit unlimited "$TMP/big.log"
expect "checked 2, matched 2, mismatches 0"
run 1 replay --memlock-limit 1G --json "$TMP/big.log"
expect '"mismatches":1,'
expect 'create returned -1'
run 2 replay --memlock-limit lots "$TMP/big.log"
expect_err "memlock-limit: 'lots' is not a size"
# Problem lines show printable ASCII only, so the JSON is valid UTF-8 whatever the trace holds.
printf '1@1.0:spapr_iommu_pci_put liobn=0x80000000 ioba=0x1000 tce=\377\033[31m ret=0\n' >"$TMP/bytes.log"
run 1 replay --json "$TMP/bytes.log"
expect 'tce=??\[31m ret=0'
if python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$TMP/out" 2>/dev/null; then ok; else bad "replay --json output is not valid UTF-8 JSON"; fi
# Read errors: a missing file still has its entry; a directory says so.
run 3 replay --json "$TMP/none.log"
expect '"error":"No such file or directory"'
run 3 replay "$TMP"
expect_err "Is a directory"
# A cut .xz: the lines before the damage are reported, then the error.
run 3 replay --json "$TMP/cut.xz"
expect '"error":"corrupt or truncated xz data after line'
expect '"lines":'

# Usage and file errors.
run 2 replay
run 2 replay --profile xen "$A"
run 2 replay --max-mismatches 0 "$A"
run 3 replay "$TMP/does-not-exist.log"
run 0 replay --help
expect "Usage: tcectl replay"

finish tcectl-replay
