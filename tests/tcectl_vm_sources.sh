#!/bin/sh
# SPDX-License-Identifier: MIT
# The VM as users describe it: QEMU command lines and libvirt domain XML for
# plan, simulate and replay; the same VM three ways; libvirt's own memlock
# cases; bad input named with its place.
set -u
TCECTL=${1:?usage: tcectl_vm_sources.sh PATH-TO-TCECTL DATA-DIR}
DATA=${2:?usage: tcectl_vm_sources.sh PATH-TO-TCECTL DATA-DIR}
. "$(dirname "$0")/lib.sh"

field() { # field NAME: the value of a top-level JSON field of the last output
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print("null" if v is None else str(v).lower())' "$TMP/out" "$1"
}
expect_field() {
	got=$(field "$1")
	if [ "$got" = "$2" ]; then ok; else bad "$1 is $got, want $2 ($3)"; fi
}

# Trace C replays clean with its command line; without it, exactly the one DDW query of PHB 1 differs.
C=$DATA/C_4G_2phb_nvme_xhci_virtionet_ddw_on
run 0 replay --qemu-cmdline "$C.cmdline" --json "$C.trace.log.xz"
expect '"mismatches":0,'
expect '"checked":435218,'
run 1 replay "$C.trace.log.xz"
expect "checked 435218, matched 435217, mismatches 1"
expect "line 1926: query returned 0, 1 windows, block 0x80000000, mask 0x107"
expect "hint: pass the QEMU command line the trace was recorded with"
for t in A_2G_virtioblk_e1000_ddw_on D_2G_virtioblk_e1000_ddw_on_multitce_off; do
	run 0 replay --qemu-cmdline "$DATA/$t.cmdline" "$DATA/$t.trace.log.xz"
	expect "mismatches 0, unparsable lines 0"
done
# The trace's command line: a TCG guest with two PHBs, the second offering 4K and 64K pages.
run 0 plan --qemu-cmdline "$C.cmdline" --json
expect '"phbs":2,'
expect '"kvm":false,'
expect '"ddw_page_size":65536,'
expect_field libvirt_bytes 0 "TCG"

# libvirt's memlock cases for pseries (tests/qemumemlocktest.c), reproduced exactly.
check_libvirt() { # check_libvirt CASE LIBVIRT_BYTES UNLIMITED
	run 0 plan --domain "$DATA/libvirt/pseries-$1.xml" --json
	expect_field libvirt_bytes "$2" "$1"
	expect_field libvirt_unlimited "$3" "$1"
}
check_libvirt kvm 20971520 false
check_libvirt tcg 0 false
check_libvirt hardlimit 2147483648 false
check_libvirt locked null true
check_libvirt hostdev 4320133120 false
check_libvirt hardlimit+locked 2147483648 false
check_libvirt hardlimit+hostdev 2147483648 false
check_libvirt hardlimit+locked+hostdev 2147483648 false
check_libvirt locked+hostdev null true
run 0 plan --domain "$DATA/libvirt/pseries-hardlimit+hostdev.xml" --json
expect_field hard_limit_bytes 2147483648 "hard_limit"
run 0 plan --domain "$DATA/libvirt/pseries-locked.xml"
expect "libvirt's limit: none"

# Six VM shapes, each as JSON, as a QEMU command line and as domain XML: the same requirement.
for n in one-phb-kvm two-phbs-kvm hugepages-16m hotplug-max tcg-second-phb three-phbs; do
	run 0 plan "$DATA/vms/$n.json" --json
	need=$(field required_bytes)
	run 0 plan --qemu-cmdline "$DATA/vms/$n.cmdline" --json
	expect_field required_bytes "$need" "$n from its QEMU command line"
	run 0 plan --domain "$DATA/vms/$n.xml" --json
	expect_field required_bytes "$need" "$n from its domain XML"
done
# Flags beside a file override it; simulate takes the same sources.
run 0 plan --domain "$DATA/vms/two-phbs-kvm.xml" --ram 8G --json
expect '"ram":8589934592,'
run 0 simulate --domain "$DATA/vms/hugepages-16m.xml" --dma-accesses 1000 --churn 100
expect "8 GiB guest on 16 MiB pages, 1 PHB"
expect "ledger balanced"
run 0 simulate --qemu-cmdline "$DATA/vms/three-phbs.cmdline" --dma-accesses 1000 --churn 100
expect "ledger balanced"
printf '%s\n' 'qemu-system-ppc64 -M pseries -m 2G -cpu POWER9' | "$TCECTL" plan --qemu-cmdline - --verbose >"$TMP/out" 2>"$TMP/err"
if grep -q "skipped -cpu POWER9" "$TMP/err"; then ok; else bad "--verbose does not list -cpu"; fi

# Bad input: exit 2, naming the option or element and its line.
bad_cmdline() { # bad_cmdline TEXT MESSAGE
	printf '%s\n' "$1" >"$TMP/bad.cmdline"
	run 2 plan --qemu-cmdline "$TMP/bad.cmdline"
	expect_err "$2"
}
bad_cmdline 'qemu-system-ppc64 -M pseries -m 4Q' "line 1: -m: '4Q' is not a size"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 99999999999999999999G' "-m: '99999999999999999999G' is not a size"
bad_cmdline 'qemu-system-x86_64 -M q35 -m 4G' "this tool is for ppc64 pseries machines"
bad_cmdline "qemu-system-ppc64 -M pseries
  -append 'console=hvc0" "line 2: the single quote opened there is never closed"
bad_cmdline 'qemu-system-ppc64 -M pseries -device spapr-pci-host-bridge,index=1,speed=fast' "'speed' is not a spapr-pci-host-bridge property"
bad_cmdline 'qemu-system-ppc64 -M pseries -device vfio-pci,host=1:0:0.0,bus=nowhere.0' "bus=nowhere.0 is not a PCI bus"
bad_cmdline 'qemu-system-ppc64 -M pseries -device spapr-pci-host-bridge,index=2,id=p2' "PHB 1 is missing"
bad_cmdline 'qemu-system-ppc64 -M pseries -device spapr-pci-host-bridge,index=1,ddw=maybe' "ddw=maybe is not on or off"
bad_cmdline 'qemu-system-ppc64 -M pseries -m' "line 1: -m needs a value"
bad_cmdline 'qemu-system-ppc64 -M pseries,accel=xen -m 2G' "-machine accel: accelerator 'xen' is not kvm or tcg"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G -accel hax' "-accel: accelerator 'hax' is not kvm or tcg"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G -device spapr-pci-host-bridge,index=1,pgsz=0x3' "pgsz=0x3 is not a mask of page sizes a PHB can offer (with 4K; e.g. 0x1211000)"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G -device spapr-pci-host-bridge,index=1,dma_win_size=0' "-device spapr-pci-host-bridge: dma_win_size=0 must not be 0"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G -device pc-dimm,memdev=nope' "-device pc-dimm: memdev=nope is not a -object given before it"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G -device spapr-pci-host-bridge,index=1 -device spapr-pci-host-bridge,index=1' "index 1 is given twice"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G -device spapr-pci-host-bridge,index=300' "index=300 is not 0..15"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G -global spapr-pci-host-bridge' "-global spapr-pci-host-bridge: not DRIVER.PROPERTY=VALUE"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G,maxmem=8Q' "-m: maxmem='8Q' is not a size such as 8G"
bad_cmdline 'qemu-system-ppc64 -M pseries,memory-backend=mb0 -m 2G' "-machine memory-backend=mb0: no -object with that id before it"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G -numa node,memdev=mb9' "-numa memdev=mb9: no -object with that id before it"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G -object memory-backend-ram,size=2G' "-object memory-backend-ram: no id="
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G -object memory-backend-ram,id=m,size=2Q' "-object memory-backend-ram: size=2Q is not a size such as 4G"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G -object memory-backend-ram,id=m,size=2G,hugetlbsize=3M' "hugetlbsize=3M is not a page size"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G -device vfio-pci,host=1:0:0.0 -device vfio-pci,host=1:0:0.1 -device vfio-pci,host=1:0:0.2 -device vfio-pci,host=1:0:0.3 -device vfio-pci,host=1:0:0.4' "more than 4 VFIO devices behind PHB 0"
bad_cmdline 'qemu-system-ppc64 -M pseries -m "\$G"' "-m: '\$G' is not a size"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 99999999999999999999' "-m: '99999999999999999999' is not a size"
bad_cmdline 'qemu-system-ppc64 -M pseries -device spapr-pci-host-bridge,index=1,speedy' "'speedy' is not a spapr-pci-host-bridge property"
bad_cmdline 'qemu-system-ppc64 -M pseries,memory-backend=no,,pe' "-machine memory-backend=no,pe: no -object with that id before it"
bad_cmdline 'qemu-system-ppc64 -M pseries -m 2G stray' "line 1: 'stray' is not an option"
bad_cmdline '' "QEMU command line: empty"
# The limits of the reader, one past each.
bad_cmdline "qemu-system-ppc64 -M pseries -device spapr-pci-host-bridge,index=1$(seq -s, 1 32 | sed 's/[0-9]*/id=x/g; s/^/,/')" \
	"-device: more than 32 properties"
bad_cmdline "qemu-system-ppc64 -M pseries $(seq 1 65 | sed 's/.*/-object memory-backend-ram,id=m&,size=1G/' | tr '\n' ' ')" \
	"more than 64 memory backends"
bad_cmdline "qemu-system-ppc64 -M pseries $(seq 1 256 | sed 's/.*/-device pci-bridge,id=br&/' | tr '\n' ' ')" \
	"more than 256 buses"
bad_cmdline "qemu-system-ppc64 -M pseries $(seq 1 2048 | sed 's/.*/-name v&/' | tr '\n' ' ')" \
	"QEMU command line: more than 4096 words"
bad_cmdline 'qemu-system-ppc64 -M pseries -device spapr-pci-host-bridge,index=1,dma_win_addr=xyz' "-device spapr-pci-host-bridge: dma_win_addr=xyz is not a number"
bad_cmdline 'qemu-system-ppc64 -M pseries -global spapr-pci-host-bridge.speed=1' "-global spapr-pci-host-bridge: 'speed' is not a spapr-pci-host-bridge property"
props33=$(seq -s, 1 33 | sed 's/[0-9]*/k=v/g')
for opt in -object -m -machine -numa; do
	bad_cmdline "qemu-system-ppc64 -M pseries $opt $props33" "$opt: more than 32 properties"
done
# --verbose names what it skipped: other objects, devices, globals and flags.
printf '%s\n' 'qemu-system-ppc64 -M pseries -m 2G -object iothread,id=io0 -device virtio-rng-pci -global virtio-blk-pci.x=1 -nographic' |
	"$TCECTL" plan --qemu-cmdline - --verbose >"$TMP/out" 2>"$TMP/err"
for what in "skipped -object iothread" "skipped -device virtio-rng-pci" "skipped -global virtio-blk-pci" "skipped -nographic"; do
	if grep -q -- "$what" "$TMP/err"; then ok; else bad "--verbose does not say '$what': $(cat "$TMP/err")"; fi
done
# What each option makes of the VM: RAM, max RAM, RAM page size, KVM, and per PHB its DDW page
# size, VFIO groups and host windows.
vm_shape() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d["vm"]
print(v["ram"], v["max_ram"], v["ram_page_size"], str(v["kvm"]).lower(),
      ",".join("%d/%d/%d" % (p["ddw_page_size"], p["groups"], len(p["host_windows"])) for p in d["phbs"]))' "$TMP/out"
}
cmdline_shape() { # cmdline_shape TEXT SHAPE: the VM a command line describes
	printf '%s\n' "$1" >"$TMP/shape.cmdline"
	run 0 plan --qemu-cmdline "$TMP/shape.cmdline" --json
	got=$(vm_shape)
	if [ "$got" = "$2" ]; then ok; else bad "'$1' gives '$got', want '$2'"; fi
}
G=1073741824
# Quotes, a backslash-newline, a bare number of MiB, maxmem.
cmdline_shape 'qemu-system-ppc64 -M pseries -m "3G"' "$((3 * G)) $((3 * G)) 65536 false 16777216/0/0"
cmdline_shape 'qemu-system-ppc64 -M pseries -m 5\
G' "$((5 * G)) $((5 * G)) 65536 false 16777216/0/0"
cmdline_shape 'qemu-system-ppc64 -M pseries -m 4096' "$((4 * G)) $((4 * G)) 65536 false 16777216/0/0"
cmdline_shape 'qemu-system-ppc64 -M pseries -m 2G,maxmem=8G' "$((2 * G)) $((8 * G)) 65536 false 16777216/0/0"
# RAM from NUMA backends (their sum, the page size of one on huge pages), from a DIMM, on a file.
cmdline_shape 'qemu-system-ppc64 -M pseries -object memory-backend-ram,id=a,size=1G -object memory-backend-ram,id=b,size=2G,hugetlbsize=16M -numa node,memdev=a -numa node,memdev=b' \
	"$((3 * G)) $((3 * G)) 16777216 false 16777216/0/0"
cmdline_shape 'qemu-system-ppc64 -M pseries -m 2G -object memory-backend-ram,id=d,size=1G -device pc-dimm,memdev=d' \
	"$((3 * G)) $((3 * G)) 65536 false 16777216/0/0"
cmdline_shape 'qemu-system-ppc64 -M pseries -m 1G -object memory-backend-file,id=a,size=1G,mem-path=/tmp -machine pseries,memory-backend=a' \
	"$G $G 65536 false 16777216/0/0"
# The accelerator: the last one given.
cmdline_shape 'qemu-system-ppc64 -M pseries -enable-kvm -machine pseries,accel=tcg' "536870912 536870912 65536 false 16777216/0/0"
cmdline_shape 'qemu-system-ppc64 -M pseries -accel kvm' "536870912 536870912 65536 true 16777216/0/0"
cmdline_shape 'qemu-system-ppc64 -M pseries --enable-kvm' "536870912 536870912 65536 true 16777216/0/0"
# -global spapr-pci-host-bridge.X applies to every PHB (ddw=off: one host window); other drivers' are skipped.
vfio2='-device spapr-pci-host-bridge,index=1,id=b1 -device vfio-pci,host=1:0:0.0 -device vfio-pci,host=2:0:0.0,bus=b1.0'
cmdline_shape "qemu-system-ppc64 -M pseries $vfio2" "536870912 536870912 65536 false 16777216/1/2,16777216/1/2"
cmdline_shape "qemu-system-ppc64 -M pseries $vfio2 -global spapr-pci-host-bridge.ddw=off" \
	"536870912 536870912 65536 false 16777216/1/1,16777216/1/1"
cmdline_shape "qemu-system-ppc64 -M pseries $vfio2 -global spapr-pci-host-bridge.pgsz=0x11000" \
	"536870912 536870912 65536 false 65536/1/2,65536/1/2"
cmdline_shape "qemu-system-ppc64 -M pseries $vfio2 -global virtio-blk-pci.pgsz=0x11000" \
	"536870912 536870912 65536 false 16777216/1/2,16777216/1/2"
# ",," is a comma inside a value: the PHB's id and its bus name.
cmdline_shape 'qemu-system-ppc64 -M pseries -device spapr-pci-host-bridge,index=1,id=a,,b -device vfio-pci,host=2:0:0.0,bus=a,,b.0' \
	"536870912 536870912 65536 false 16777216/0/0,16777216/1/2"
# hugetlb=on without a size: the host's default huge page, as memfd_create(MFD_HUGETLB) gives.
printf '%s\n' 'qemu-system-ppc64 -M pseries -m 2G -object memory-backend-memfd,id=m,size=2G,hugetlb=on -machine memory-backend=m' >"$TMP/memfd.cmdline"
huge_kib=$(sed -n 's/^Hugepagesize: *\([0-9]*\) kB$/\1/p' /proc/meminfo)
if [ -n "$huge_kib" ]; then
	run 0 plan --qemu-cmdline "$TMP/memfd.cmdline" --json
	expect "\"ram_page_size\":$((huge_kib * 1024)),"
else
	run 2 plan --qemu-cmdline "$TMP/memfd.cmdline"
	expect_err "give hugetlbsize="
fi
# Only a controller of type pci and model pci-root is a PHB (one without a type is not either).
printf "<domain type='kvm'><memory unit='KiB'>1048576</memory><os><type arch='ppc64' machine='pseries'>hvm</type></os><devices><controller type='usb' model='pci-root' index='1'/><controller model='pci-root' index='2'/><controller type='pci' model='pci-bridge' index='3'/></devices></domain>\n" >"$TMP/controllers.xml"
run 0 plan --domain "$TMP/controllers.xml" --json
expect '"phbs":1,'
# Hostdevs without a guest address: a PHB per host device, shared by the functions of one device.
hostdev() { printf "<hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio'/><source><address domain='0x0001' bus='0x%s' slot='0x00' function='0x%s'/></source></hostdev>" "$1" "$2"; }
printf "<domain type='kvm'><memory unit='KiB'>1048576</memory><os><type arch='ppc64' machine='pseries'>hvm</type></os><devices>%s%s%s</devices></domain>\n" \
	"$(hostdev 01 0)" "$(hostdev 02 0)" "$(hostdev 01 1)" >"$TMP/isolated.xml"
run 0 plan --domain "$TMP/isolated.xml" --json
expect '"phbs":3,'
# A command line of exactly 1 MiB is read whole; one byte more is refused, never cut short.
python3 -c "import sys; t='qemu-system-ppc64 -M pseries -m 2G'; sys.stdout.write(t + ' ' * ((1 << 20) - len(t) - 1) + '\\n')" >"$TMP/big.cmdline"
run 0 plan --qemu-cmdline "$TMP/big.cmdline" --json
printf ' ' >>"$TMP/big.cmdline"
run 2 plan --qemu-cmdline "$TMP/big.cmdline"
expect_err "a command line longer than 1048576 bytes"
bad_xml() { # bad_xml TEXT MESSAGE
	printf '%s\n' "$1" >"$TMP/bad.xml"
	run 2 plan --domain "$TMP/bad.xml"
	expect_err "$2"
}
bad_xml "<domain type='kvm'><memory>1048576</memory>" "line 2: not well-formed XML"
bad_xml "<network><name>default</name></network>" "not a libvirt domain"
bad_xml "<domain type='kvm'><memory>1048576</memory><os><type arch='ppc64' machine='pseries'>hvm</type></os><devices><controller type='pci' model='pci-root' index='64'/></devices></domain>" "index='64' is not a number 0..63"
bad_xml "<domain type='kvm'><memory>1048576</memory><os><type arch='x86_64' machine='q35'>hvm</type></os></domain>" "this tool is for ppc64 pseries guests"
bad_xml "<domain type='kvm'><memory unit='KiB'>99999999999999999999</memory><os><type arch='ppc64' machine='pseries'>hvm</type></os></domain>" "<memory>: '99999999999999999999' is not a whole number of KiB (or it overflows)"
bad_xml "<domain type='kvm'><memory unit='parsecs'>1</memory><os><type arch='ppc64' machine='pseries'>hvm</type></os></domain>" "unit='parsecs' is not a libvirt unit"
bad_xml "<domain type='kvm'><memory>1048576</memory><memoryBacking><hugepages><page size='3' unit='MiB'/></hugepages></memoryBacking><os><type arch='ppc64' machine='pseries'>hvm</type></os></domain>" "size is not a power of two"
os="<os><type arch='ppc64' machine='pseries'>hvm</type></os>"
bad_xml "<domain type='xen'><memory>1048576</memory>$os</domain>" "line 1: <domain>: type='xen' is not kvm or qemu"
bad_xml "<domain><memory>1048576</memory>$os</domain>" "type='' is not kvm or qemu"
bad_xml "<domain type='kvm'>$os</domain>" "<domain>: no <memory>"
bad_xml "<domain type='kvm'><memory>1048576</memory>$os<devices><controller type='pci' model='pci-root' index='1'><target index='16'/></controller></devices></domain>" \
	"index='16' is not a number 0..15"
bad_xml "<domain type='kvm'><memory>1048576</memory>$os<devices><controller type='pci' model='pci-root' index='16'/></devices></domain>" \
	"<controller>: more than 16 PHBs"
bad_xml "<domain type='kvm'><memory>1048576</memory>$os<devices><hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source><address type='pci' domain='0' bus='5' slot='1' function='0'/></hostdev></devices></domain>" \
	"<address>: bus 5 is not a pci-root controller (a PHB)"
bad_xml "<domain type='kvm'><memory>1048576</memory>$os<devices><hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source><address type='pci' domain='0' bus='64' slot='1' function='0'/></hostdev></devices></domain>" \
	"<address>: bus='64' is not a number 0..63"
on_phb0() { printf "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='%s' slot='0' function='0'/></source><address type='pci' domain='0' bus='0' slot='%s' function='0'/></hostdev>" "$1" "$1"; }
bad_xml "<domain type='kvm'><memory>1048576</memory>$os<devices>$(on_phb0 1)$(on_phb0 2)$(on_phb0 3)$(on_phb0 4)$(on_phb0 5)</devices></domain>" \
	"<hostdev>: more than 4 VFIO groups behind PHB 0"
bad_xml "<domain type='kvm'><memory>1048576</memory>$os<devices>$(for b in $(seq 1 16); do hostdev "$(printf %02x "$b")" 0; done)</devices></domain>" \
	"<hostdev>: more than 16 PHBs"
# Hostdevs without a source address: a PHB each (nothing says they share a device); one
# with another driver is not VFIO.
printf "<domain type='kvm'><memory unit='KiB'>1048576</memory>$os<devices>%s%s%s</devices></domain>\n" \
	"<hostdev mode='subsystem' type='pci'/>" "<hostdev mode='subsystem' type='pci'><driver name='vfio'/></hostdev>" \
	"<hostdev mode='subsystem' type='pci'><driver name='kvm'/></hostdev>" >"$TMP/nosource.xml"
run 0 plan --domain "$TMP/nosource.xml" --json
expect '"phbs":3,'
if tr -d ' \n' <"$TMP/out" | grep -q '"index":1,"groups":1,.*"index":2,"groups":1,'; then ok; else bad "hostdevs without a source: not one group on each of PHBs 1 and 2"; fi
# <hugepages/> without a page size: the host's default huge page (libvirt's rule).
printf "<domain type='kvm'><memory unit='KiB'>1048576</memory><memoryBacking><hugepages/></memoryBacking>$os</domain>\n" >"$TMP/hugedefault.xml"
if [ -n "$huge_kib" ]; then
	run 0 plan --domain "$TMP/hugedefault.xml" --json
	expect "\"ram_page_size\":$((huge_kib * 1024)),"
else
	run 2 plan --domain "$TMP/hugedefault.xml"
	expect_err "this host's default huge page is unknown"
fi
run 2 plan --domain "$TMP/none.xml"
expect_err "none.xml: No such file or directory"
run 2 plan --domain "$DATA/vms/one-phb-kvm.xml" --qemu-cmdline "$DATA/vms/one-phb-kvm.cmdline"
expect_err "give one VM"
run 2 plan "$DATA/vms/one-phb-kvm.json" --qemu-cmdline "$DATA/vms/one-phb-kvm.cmdline"
expect_err "give one VM"
run 2 plan "$DATA/vms/one-phb-kvm.json" --domain "$DATA/vms/one-phb-kvm.xml"
expect_err "give one VM"

finish tcectl-vm-sources
