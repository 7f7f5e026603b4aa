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
expect '"libvirt_bytes":17406361600,'
expect '"libvirt_too_low":false'
expect '"levels":1,'
# The same VM from a file; flags override the file.
run 0 plan "$EX/vm-16g-2phb.json" --json
expect '"iommu_total":17201233920$'
run 0 plan "$EX/vm-16g-2phb.json" --ram 32G --json
expect '"registered":34359738368,'
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
expect_err "phbs\[\].groups: must be 0..4"
echo '{"ram": ' >"$TMP/broken.json"
run 2 plan "$TMP/broken.json"
expect_err "cannot read or parse JSON"
run 2 plan "$TMP/missing.json"

# simulate: the default scenario end to end, balanced.
run 0 simulate
expect "map RAM (INDIRECT)"
expect "device DMA (translate)"
expect "map/unmap churn"
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
# A scenario file: huge pages, extents, hotplug headroom.
run 0 simulate "$EX/scenario-hugepages.json"
expect "8 GiB guest on 16 MiB pages, 1 PHB"
expect "ledger balanced"
run 0 simulate --no-kvm --phbs 1 --ram 2G --churn 1000 --dma-accesses 1000
expect "ledger balanced"
# Bad scenarios.
echo '{"ram": "4G", "churn_operations": -1}' >"$TMP/neg.json"
run 2 simulate "$TMP/neg.json"
expect_err "churn_operations: must be a non-negative whole number"
echo '{"ram": "4G", "seed": "x"}' >"$TMP/seed.json"
run 2 simulate "$TMP/seed.json"
expect_err "seed"
run 2 simulate --churn many
expect_err "\-\-churn: 'many'"
run 2 simulate a.json b.json
run 0 simulate --help
expect "Usage: tcectl simulate"

finish tcectl-plan-simulate
