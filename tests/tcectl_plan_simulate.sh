#!/bin/sh
# SPDX-License-Identifier: MIT
# Functional tests of `tcectl plan` and `tcectl simulate`: values, scenario files, errors.
set -u
TCECTL=${1:?usage: tcectl_plan_simulate.sh PATH-TO-TCECTL EXAMPLES-DIR}
EX=${2:?usage: tcectl_plan_simulate.sh PATH-TO-TCECTL EXAMPLES-DIR}
. "$(dirname "$0")/lib.sh"

# plan: the default VM, exact bytes (16 GiB + 2 x (4 + 4) MiB + 2 x 35 x 64 KiB).
run 0 plan --json
expect '"iommu_total":17201233920$'
expect '"host_tables":8388608,'    # per PHB: 2 MiB (1 GiB of 4 KiB) + 2 MiB (16 GiB of 64 KiB)
expect '"host_userviews":8388608,' # the mirrors, one word per entry too
expect '"libvirt_bytes":17406361600,'
expect '"libvirt_too_low":false'
expect '"levels":1,'
expect '"guest_view_bytes":2293760,' # KVM's guest views, per PHB: 2 MiB + 64 KiB for the default window...
# ...which a VM without KVM does not have; extents user views keep nothing for a 1:1 map.
echo '{"kvm": false, "userview": "extents"}' >"$TMP/nokvm.json"
run 0 plan "$TMP/nokvm.json" --json
expect '"guest_view_bytes":0,'
expect '"host_userviews":0,'
echo '{"userview": "mirror"}' >"$TMP/mirror.json"
run 0 plan "$TMP/mirror.json" --json
expect '"host_userviews":8388608,'
# The same VM from a file; flags override the file.
run 0 plan "$EX/vm-16g-2phb.json" --json
expect '"iommu_total":17201233920$'
run 0 plan "$EX/vm-16g-2phb.json" --ram 32G --json
expect '"registered":34359738368,'
# On a terminal (script(1) gives it one, with no standard input) every phase's bar reaches 100%.
if command -v script >/dev/null 2>&1; then
	script -qec "'$TCECTL' simulate" /dev/null </dev/null >"$TMP/pty" 2>&1
	for phase in "device DMA" "map/unmap churn"; do
		if grep -aq "$phase *\[#*\] 100%" "$TMP/pty"; then ok; else bad "no full '$phase' bar on a terminal"; fi
	done
	# --no-progress: the same run without bars.
	script -qec "'$TCECTL' simulate --no-progress" /dev/null </dev/null >"$TMP/pty" 2>&1
	if grep -aq "ledger balanced" "$TMP/pty" && ! grep -aq '\[#' "$TMP/pty"; then ok; else bad "--no-progress: $(grep -ac '\[#' "$TMP/pty") bar lines"; fi
else
	bad "script(1) (util-linux) is missing: the progress bars cannot be tested"
fi
# max_ram defaults to ram in a JSON description too; one given is kept.
echo '{"ram": "32G"}' >"$TMP/ram.json"
run 0 plan "$TMP/ram.json" --json
expect '"max_ram":34359738368,'
echo '{"ram": "8G", "max_ram": "48G"}' >"$TMP/ram.json"
run 0 plan "$TMP/ram.json" --json
expect '"max_ram":51539607552,'
# The text output counts each PHB's groups, in the singular for one; one line per PHB, no more.
run 0 plan
expect "PHB 0: 1 VFIO group, "
expect "PHB 1: 1 VFIO group, "
if grep -q "PHB 2:" "$TMP/out"; then bad "a third PHB in the plan of a 2-PHB VM"; else ok; fi
echo '{"groups_per_phb": 2}' >"$TMP/groups.json"
run 0 plan "$TMP/groups.json"
expect "PHB 0: 2 VFIO groups, "
# Per-PHB DDW page sizes and the host profile, from a file.
echo '{"phbs": [{"groups": 1, "ddw_page_sizes": ["4K"]}, {"groups": 0}], "host_profile": "exact"}' >"$TMP/perphb.json"
run 0 plan "$TMP/perphb.json" --json
expect '"ddw_page_size":4096,'
expect '"host_profile":"exact",'
echo '{"phbs": [{"groups": 1, "colour": 1}]}' >"$TMP/phbfield.json"
run 2 plan "$TMP/phbfield.json"
expect_err "unknown field 'phbs\[\].colour'"
run 2 plan --host-profile windows
expect_err "\-\-host-profile: 'windows'"
# A VM libvirt under-counts: 4K DDW pages.
run 0 plan --ram 64G --phbs 1 --ddw-page-sizes 4K
expect "libvirt's limit is TOO LOW by"
run 0 plan --ram 64G --phbs 1 --ddw-page-sizes 4K --json
expect '"libvirt_too_low":true'
# libvirt's formula with max_ram above ram: max_ram/128 + 4 MiB per PHB + 8 MiB, and
# passthrough from ram: 8 GiB + 8 GiB/512 + 8 MiB (KiB units): 8,556,544 KiB.
run 0 plan --ram 8G --max-ram 16G --phbs 1 --json
expect '"libvirt_bytes":8761901056,'
run 0 plan --help
expect "Usage: tcectl plan"

# plan: bad input names the argument or the field.
run 2 plan --ram 16X
expect_err "\-\-ram: '16X'"
run 2 plan --ram-page-size 4K
expect_err "\-\-ram-page-size"
run 2 plan --phbs 17
expect_err "\-\-phbs: '17' is not 1..16"
run 2 plan --ram 16G --max-ram 8G
expect_err "max_ram"
echo '{"ram": "16G", "colour": "blue"}' >"$TMP/unknown.json"
run 2 plan "$TMP/unknown.json"
expect_err "unknown field 'colour'"
echo '{"ram": true}' >"$TMP/type.json"
run 2 plan "$TMP/type.json"
expect_err "ram: must be a size"
echo '{"phbs": [{"groups": 9}]}' >"$TMP/groups.json"
run 2 plan "$TMP/groups.json"
expect_err "phbs\[\].groups: 9 is out of range: must be 0..4"
echo '{"ram": ' >"$TMP/broken.json"
run 2 plan "$TMP/broken.json"
expect_err "broken.json: line 2, column 1: the file ends before the JSON value does"
run 2 plan "$TMP/missing.json"

# --no-ddw and --no-kvm reach the VM.
run 0 plan --no-ddw --json
if tr -d ' \n' <"$TMP/out" | grep -q '"guest_ddw":false'; then ok; else bad "--no-ddw: guest_ddw is not false"; fi
run 0 plan --json
if tr -d ' \n' <"$TMP/out" | grep -q '"guest_ddw":true'; then ok; else bad "guest_ddw is not true by default"; fi
# Each VM flag's good value reaches the plan.
jq_out() { # jq_out EXPR: a Python expression over the last JSON output, d
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/out" "$1"
}
expect_json() { # expect_json EXPR VALUE
	got=$(jq_out "$1")
	if [ "$got" = "$2" ]; then ok; else bad "$1 is $got, want $2"; fi
}
host_windows='[[w["page_shift"] for w in p["host_windows"]] for p in d["phbs"]]'
run 0 plan --ram-page-size 16M --json
expect_json 'd["vm"]["ram_page_size"]' 16777216
expect_json "$host_windows" '[[12, 24], [12, 24]]'
run 0 plan --groups 3 --json
expect_json '[p["groups"] for p in d["phbs"]]' '[3, 3]'
run 0 plan --groups 0 --json
expect_json "$host_windows" '[[], []]'
expect_json 'd["locked"]["host_tables"]' 0
run 0 plan --host-page-sizes 4K --json
expect_json "$host_windows" '[[12, 12], [12, 12]]'
run 0 plan --host-page-sizes 4K,64K --json
expect_json "$host_windows" '[[12, 16], [12, 16]]'
# The host page of the DDW window is the largest the host offers within the RAM's page.
run 0 plan --host-page-sizes 4K,16M --json
expect_json "$host_windows" '[[12, 12], [12, 12]]'
run 0 plan --host-page-sizes 4K,16M --ram-page-size 16M --json
expect_json "$host_windows" '[[12, 24], [12, 24]]'
run 2 plan --host-page-sizes 64K
expect_err "host_page_sizes: must include 4K"
run 2 plan --host-page-sizes 4K,3K
expect_err "\-\-host-page-sizes: '4K,3K' is not a list such as 4K,64K,16M"
run 0 plan --userview extents --json
expect_json 'd["locked"]["host_userviews"]' 0
run 0 plan --userview extents --userview mirror --json
expect_json 'd["locked"]["host_userviews"]' 8388608
# The guest's DDW window covers max RAM, and at least one of its pages (a 16G page over 1G of RAM).
run 0 plan --ram 1G --ddw-page-sizes 4K,16G --json
expect_json 'd["vm"]["ddw_window_size"]' 17179869184
expect_json '[p["ddw_page_size"] for p in d["phbs"]]' '[17179869184, 17179869184]'
# Each VM flag's bad value: exit 2, naming the flag and the value.
bad_flag() { # bad_flag MESSAGE ARGS...
	msg=$1
	shift
	run 2 plan "$@"
	expect_err "tcectl plan: $msg"
}
bad_flag "--groups: '5' is not 0..4" --groups 5
bad_flag "--host-profile: 'bsd' is not linux or exact" --host-profile bsd
bad_flag "--max-ram: '3Q' is not a size such as 32G" --max-ram 3Q
bad_flag "--max-ram: '0' is not a size such as 32G" --max-ram 0
bad_flag "--ram: '0' is not a size such as 16G" --ram 0
bad_flag "--ram-page-size: '4K' is not 64K, 2M, 16M or 1G" --ram-page-size 4K
bad_flag "--ram: '7Q' is not a size such as 16G" --ram 7Q
bad_flag "--userview: 'both' is not mirror or extents" --userview both
bad_flag "--phbs: '17' is not 1..16" --phbs 17
bad_flag "--ddw-page-sizes: '4K,x' is not a list such as 4K,64K,16M" --ddw-page-sizes 4K,x
bad_flag "--ddw-page-sizes: 8K is not a page size a PHB can offer" --ddw-page-sizes 8K
bad_flag "more than one file given ('b.json')" a.json b.json
bad_flag "give one VM: --qemu-cmdline or --domain, once" --domain x --domain y
bad_flag "give one VM: --qemu-cmdline or --domain, once" --domain x --qemu-cmdline y

# A VM the platform cannot build (1 PiB of RAM behind 4K DDW pages: no window that large):
# exit 3 with the failing call, in text and JSON; simulate stops at the phase that failed.
run 3 plan --ram 1P --ddw-page-sizes 4K
expect_err "tcectl plan: PHB 0: ibm,create-pe-dma-window returned -3"
run 3 plan --ram 1P --ddw-page-sizes 4K --json
expect_json 'd["ok"], d["error"]' '(False, '"'"'PHB 0: ibm,create-pe-dma-window returned -3'"'"')'
run 3 simulate --ram 1P --ddw-page-sizes 4K
expect_err "tcectl simulate: FAILED: PHB 0: ibm,create-pe-dma-window returned -3"
run 3 simulate --ram 1P --ddw-page-sizes 4K --json
expect_json 'd["ok"], [p["name"] for p in d["phases"]][-1]' "(False, 'default windows')"
# Without DDW, the text says so.
run 0 plan --no-ddw
expect "guest: no DDW (the default window only)"
# simulate --seed: the same seed, the same run; another seed, other DMA addresses.
seed_faults() {
	run 0 simulate --dma-accesses 2000 --churn 300 --seed "$1" --json
	jq_out 'd["dma_faults"]'
}
f1=$(seed_faults 1)
f1again=$(seed_faults 1)
f2=$(seed_faults 2)
if [ "$f1" = "$f1again" ] && [ "$f1" -gt 0 ]; then ok; else bad "--seed 1 gave $f1 then $f1again DMA faults"; fi
if [ "$f1" != "$f2" ]; then ok; else bad "--seed 1 and --seed 2 both gave $f1 DMA faults"; fi
run 2 simulate --seed 0
expect_err "\-\-seed: '0' is not a positive integer"
run 2 simulate --dma-accesses many
expect_err "\-\-dma-accesses: 'many' is not 0..2^32"
# simulate: the default scenario end to end, balanced.
run 0 simulate
expect "map RAM (INDIRECT)"
expect "device DMA (translate)"
expect "map/unmap churn"
expect "teardown                         2 calls   remove windows, unregister, detach"
expect "ledger balanced"
run 0 simulate --json --dma-accesses 1000 --churn 500
expect '"balanced":true'
expect '"pinned_bytes":0,'
expect '"ok":true'
expect '"name":"map/unmap churn"'
# Rates per hardware entry: 2 PHBs map 16 GiB each in 16 MiB guest pages (2048
# entries), which the 64 KiB host windows hold as 524288 hardware entries.
if tr -d ' \n' <"$TMP/out" | grep -q '"name":"mapRAM(INDIRECT)","operations":4,"entries":2048,"hardware_entries":524288,'; then ok; else bad "map RAM counts: $(head -c 900 "$TMP/out")"; fi
if tr -d ' \n' <"$TMP/out" | grep -q '"name":"map/unmapchurn","operations":1000,"entries":1000,"hardware_entries":1000,'; then ok; else bad "churn counts"; fi
# The unmap phase empties the dynamic windows it filled (teardown would hide it from the ledger).
if tr -d ' \n' <"$TMP/out" | grep -q '"name":"mapRAM(INDIRECT)",[^}]*"mapped_hardware_entries":524288,'; then ok; else bad "mapped after map RAM"; fi
if tr -d ' \n' <"$TMP/out" | grep -q '"name":"unmap(STUFF)",[^}]*"mapped_hardware_entries":0,'; then ok; else bad "mapped after unmap: $(tr -d ' \n' <"$TMP/out" | grep -o '"name":"unmap(STUFF)".\{0,300\}')"; fi
# Bad arguments with --json: the error as JSON too.
run 2 simulate --json --ram 16X
expect '"ok":false,'
expect '"error":"--ram: .16X. is not a size such as 16G"'
# A scenario file: huge pages, extents, hotplug headroom.
run 0 simulate "$EX/scenario-hugepages.json"
expect "8 GiB guest on 16 MiB pages, 1 PHB"
expect "ledger balanced"
run 0 simulate --no-kvm --phbs 1 --ram 2G --churn 1000 --dma-accesses 1000
expect "ledger balanced"
# Bad scenarios.
echo '{"ram": "4G", "churn_operations": -1}' >"$TMP/neg.json"
run 2 simulate "$TMP/neg.json"
expect_err "churn_operations: -1 is out of range: must be 0..4294967296"
echo '{"ram": "4G", "seed": "x"}' >"$TMP/seed.json"
run 2 simulate "$TMP/seed.json"
expect_err "seed"
run 2 simulate --churn many
expect_err "\-\-churn: 'many'"
run 2 simulate a.json b.json
run 0 simulate --help
expect "Usage: tcectl simulate"

# Strict JSON files: each mistake named, with its place.
check_json() {
	printf '%s' "$1" >"$TMP/bad.json"
	run 2 plan "$TMP/bad.json"
	expect_err "$2"
}
check_json '{"ram":"16G"} garbage' 'line 1, column 15: text after the JSON value'
check_json '{"ram":"16G"}{"ram":"8G"}' 'line 1, column 14: text after the JSON value'
check_json "{'ram':'16G'}" 'line 1, column 2: single quotes are not JSON'
check_json '{"ram":"16G", /* c */ "kvm":true}' 'line 1, column 15: quoted object property name expected'
check_json '{"ram":"16G",}' 'line 1, column 14'
check_json '{"ram":"16G",
 "ram":"8G"}' 'line 2, column 2: the key "ram" appears twice'
check_json '{"ram":NaN}' "'NaN' is not JSON"
check_json '' 'empty: a JSON object'
check_json '{"ram": 18446744073709551616}' 'a number too large for 64 bits'
check_json '{"groups_per_phb": 1, "phbs": [{"groups": 2}]}' 'groups_per_phb: conflicts with the groups given per PHB'
check_json '{"phbs": "two"}' 'phbs: must be a whole number 1..16'
check_json '{"max_ram": "0"}' 'max_ram: must not be 0'
check_json '{"ram": -1}' 'ram: must not be negative'
# A number with an exponent is JSON (not "'e9' is not JSON"); as a size it is refused by its field.
check_json '{"ram": 2e9}' 'bad.json: ram: must be a size such as 16G'
check_json '{"ram": 2E9}' 'bad.json: ram: must be a size such as 16G'
check_json '[{"ram": "1G"}]' '(top level): must be a JSON object'
check_json '{"ddw_page_sizes": "4K"}' 'ddw_page_sizes: must be a list of page sizes such as \["4K", "64K"\]'
check_json '{"ddw_page_sizes": []}' 'ddw_page_sizes: must be a list of page sizes'
check_json '{"kvm": "yes"}' 'kvm: must be true or false'
check_json '{"guest_ddw": 1}' 'guest_ddw: must be true or false'
check_json '{"phbs": []}' 'phbs: must list 1..16 PHBs'
check_json "{\"phbs\": [$(seq -s, 1 17 | sed 's/[0-9]*/{}/g')]}" 'phbs: must list 1..16 PHBs'
check_json '{"phbs": [{}, 1]}' 'phbs: each PHB must be an object such as {"groups": 1}'
check_json '{"phbs": [{"ddw_page_sizes": ["8K"]}]}' 'phbs\[\].ddw_page_sizes: "8K" is not a page size a PHB can offer'
check_json '{"host_profile": "bsd"}' 'host_profile: must be "linux" or "exact"'
check_json '{"host_profile": 1}' 'host_profile: must be "linux" or "exact"'
check_json '{"userview": "both"}' 'userview: must be "mirror" or "extents"'
check_json '{"userview": 1}' 'userview: must be "mirror" or "extents"'
check_json '{"host_page_sizes": ["64K"]}' 'host_page_sizes: must include 4K'
# Good values of the same fields reach the plan.
echo '{"host_page_sizes": ["4K", "64K"], "kvm": true, "ram_page_size": "16M"}' >"$TMP/fields.json"
run 0 plan "$TMP/fields.json" --json
expect_json 'd["vm"]["guest_ddw"], d["vm"]["kvm"], d["vm"]["ram_page_size"]' '(True, True, 16777216)'
expect_json "$host_windows" '[[12, 16], [12, 16]]'
echo '{"guest_ddw": false, "kvm": false}' >"$TMP/fields.json"
run 0 plan "$TMP/fields.json" --json
expect_json 'd["vm"]["guest_ddw"], d["vm"]["kvm"]' '(False, False)'
expect_json "$host_windows" '[[12], [12]]'
# A RAM page size that is not a power of two is refused as read, naming the file
# (not later as the power of two below it: 3M is not taken for 1M).
check_json '{"ram_page_size": "3M"}' 'bad.json: ram_page_size: must be 64K, 2M, 16M or 1G'
check_json '{"ram_page_size": "96K"}' 'bad.json: ram_page_size: must be 64K, 2M, 16M or 1G'
check_json '{"ram_page_size": "0"}' 'bad.json: ram_page_size: must be 64K, 2M, 16M or 1G'
check_json '{"ram": "8G", "max_ram": 0}' 'max_ram: must not be 0'
check_json '{"phbs": 17}' 'phbs: 17 is out of range: must be 1..16'
check_json '{"phbs": 0}' 'phbs: 0 is out of range: must be 1..16'
check_json '{"ddw_page_sizes": ["12K"]}' 'ddw_page_sizes: every entry must be a power of two from 4K'
check_json '{"ddw_page_sizes": ["2K"]}' 'ddw_page_sizes: every entry must be a power of two from 4K'
check_json '{"ddw_page_sizes": ["4K", "8K"]}' 'ddw_page_sizes: "8K" is not a page size a PHB can offer (4K, 64K, 2M, 16M, 32M, 64M, 128M, 256M, 16G)'
printf '{"dma_accesses": 4294967297}' >"$TMP/big.json"
run 2 simulate "$TMP/big.json"
expect_err "dma_accesses: 4294967297 is out of range: must be 0..4294967296"
run 2 plan "$TMP"
expect_err "Is a directory"
# Page sizes no PHB can offer, named up front (exit 2, not a bare RTAS code later).
run 2 plan --ddw-page-sizes 4K,8K
expect_err "ddw-page-sizes: 8K is not a page size a PHB can offer"
run 2 plan --ddw-page-sizes 4K,2^40
expect_err "ddw-page-sizes: 2^40 is not a page size a PHB can offer"
# The error names what the user gave.
run 2 plan --ram 2P
expect_err "ram: must be at most 1 PiB"
run 2 plan -xh
expect_err "unknown or incomplete option '-x'"
# A failed --json plan still prints a JSON object on standard output.
run 2 plan --json --ram 2P
expect '"ok":false'
expect '"error":"ram: must be at most 1 PiB"'
# Write errors are not ignored.
if [ -w /dev/full ]; then
	"$TCECTL" plan --json >/dev/full 2>"$TMP/err"; got=$?
	if [ "$got" -eq 3 ] && grep -q "writing the output failed" "$TMP/err"; then ok; else bad "plan >/dev/full exited $got"; fi
fi
# Every PHB count gets the documented default: one VFIO group per PHB.
for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	run 0 plan --phbs "$n" --json
	g=$(tr -d ' \n' <"$TMP/out" | grep -o '"groups":1' | wc -l)
	if [ "$g" -eq "$n" ]; then ok; else bad "--phbs $n: $g PHBs with one group"; fi
done
# 256G over 4 PHBs with 4K DDW pages: libvirt is short by four times the per-PHB shortfall.
run 0 plan --ram 256G --phbs 4 --ddw-page-sizes 4K --json
expect '"libvirt_difference":-4287889408,'
expect '"libvirt_too_low":true'

finish tcectl-plan-simulate
