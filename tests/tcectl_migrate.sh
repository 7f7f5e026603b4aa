#!/bin/sh
# SPDX-License-Identifier: MIT
# `tcectl replay --migrate-at`: the shipped guest traces, each moved to fresh
# objects after 20 random lines, must still match every recorded result, and
# end in the same windows and entries as the replay that never moved.
# LIBTCE_MIGRATE_SEED repeats a run (the seed is printed).
set -u
TCECTL=${1:?usage: tcectl_migrate.sh PATH-TO-TCECTL DATA-DIR}
DATA=${2:?usage: tcectl_migrate.sh PATH-TO-TCECTL DATA-DIR}
. "$(dirname "$0")/lib.sh"
seed=${LIBTCE_MIGRATE_SEED:-$(date +%s)}
echo "seed $seed (LIBTCE_MIGRATE_SEED=$seed repeats this run)"

# compare UNMOVED MOVED POINTS: the same results, windows and entries; every move made and ok.
compare() {
	if python3 - "$1" "$2" "$3" <<'PY'
import json, sys
plain, moved = (json.load(open(p))["files"][0] for p in sys.argv[1:3])
points = sorted(set(int(x) for x in sys.argv[3].split(",")))
# Storage the source allocated for entries cleared since is not rebuilt: allocated_bytes may shrink.
for f in (plain, moved):
    for phb in f["phbs"]:
        for w in phb["windows"]:
            w.pop("allocated_bytes", None)
problems = []
for key in ("lines", "events", "checked", "matched", "mismatches", "unparsable", "phbs", "locked_bytes"):
    if plain[key] != moved[key]:
        problems.append(f"{key} differs after the moves")
if moved["mismatches"] != 0:
    problems.append(f"{moved['mismatches']} mismatches")
moves = moved["migrations"]
if [m["after_line"] for m in moves] != [p for p in points if p <= moved["lines"]]:
    problems.append("not every move was made")
if not all(m["ok"] for m in moves):
    problems.append("a move failed")
if not any(m["entries"] > 0 for m in moves):
    problems.append("no move carried an entry")
if problems:
    print("; ".join(problems))
sys.exit(1 if problems else 0)
PY
	then ok; else bad "moves at $3 of $(basename "$4")"; fi
}

for name in A_2G_virtioblk_e1000_ddw_on C_4G_2phb_nvme_xhci_virtionet_ddw_on \
	    D_2G_virtioblk_e1000_ddw_on_multitce_off; do
	trace=$DATA/$name.trace.log.xz
	xz -dc "$trace" >"$TMP/t.log"
	lines=$(wc -l <"$TMP/t.log")
	# 20 random lines, and the last line of the trace's busiest stretch (where a move
	# carries entries: D maps its windows only late in the trace).
	points=$(awk -v seed="$seed" -v n="$lines" 'BEGIN { srand(seed); for (i = 0; i < 20; i++)
		printf "%s%d", (i ? "," : ""), 1 + int(rand() * n) }')
	points="$points,$((lines - 100))"
	run 0 replay --json --no-progress --qemu-cmdline "$DATA/$name.cmdline" "$TMP/t.log"
	cp "$TMP/out" "$TMP/plain.json"
	run 0 replay --json --no-progress --qemu-cmdline "$DATA/$name.cmdline" --migrate-at "$points" \
		"$TMP/t.log"
	expect '"mismatches":0,'
	compare "$TMP/plain.json" "$TMP/out" "$points" "$trace"
done

# The text report, repeats and order of the list, a line past the end.
xz -dc "$DATA/A_2G_virtioblk_e1000_ddw_on.trace.log.xz" | head -n 30000 >"$TMP/a.log"
run 0 replay --migrate-at 25000,20000,25000,99999 "$TMP/a.log"
expect "migrations: 2 of 3 asked (the others are past the end), 0 failed; streams .* in all, largest"
expect "checked .*, mismatches 0, unparsable lines 0"
# Every move asked made: the report counts exactly those.
run 0 replay --migrate-at 20000,25000 "$TMP/a.log"
expect "migrations: 2 of 2 asked (the others are past the end), 0 failed"
run 0 replay --json --migrate-at 20000 "$TMP/a.log"
expect '"after_line":20000,'
expect '"stream_bytes":[1-9]'
# Bad lists name what is wrong.
run 2 replay --migrate-at 0 "$TMP/a.log"
expect_err "migrate-at: '0' is not a line number"
run 2 replay --migrate-at 10,,20 "$TMP/a.log"
expect_err "migrate-at: '10,,20' is not a list"
run 2 replay --migrate-at 10,x "$TMP/a.log"
expect_err "migrate-at: 'x' is not a line number"
run 2 replay --migrate-at "" "$TMP/a.log"

finish tcectl-migrate
