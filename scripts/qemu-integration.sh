#!/bin/bash
# SPDX-License-Identifier: MIT
# libtce inside a real VMM: build QEMU 7.2 (Debian 12's source package) with
# integrations/qemu/patches, boot a ppc64le Linux guest under the stock and the
# patched qemu-system-ppc64, and compare.
#
#   scripts/qemu-integration.sh [--cache DIR] [--work DIR] [--runs N] [--no-perf]
#
# --cache DIR  where the patched QEMU is kept between runs, by a hash of its
#              source package, the patches and libtce's public headers
#              (default $TCE_QEMU_CACHE or ~/.cache/libtce-qemu)
# --work DIR   scratch: libtce, tcectl, the guest, the logs (default build-qemu-integration)
# --runs N     boots per configuration, stock and patched side by side; the best wall time counts (default 2)
# --no-perf    do not measure libtce's share of QEMU's CPU time
#
# Installs what it needs with apt-get (run as root): QEMU's build dependencies
# for the ppc64 target, Debian's qemu-system-ppc and its firmware, and the
# ppc64el kernel and busybox of the guest. Configurations: DDW on (QEMU's
# default), DDW off, and a second PHB with pgsz=0x11000 carrying nvme and
# virtio-net. Passes only if, for each, the guest finishes its workload under
# both QEMUs, every checksum it printed is the same under both, no hypercall
# failed, both trace logs replay through tcectl with their command line with
# zero mismatches, and the patched run's wall time is within 10% of the stock
# run's. Then each QEMU live-migrates the guest to a second one of its kind
# mid-workload: the destination finishes it with the same checksums, the
# patched pair moves the tables in libtce's stream, and the two trace logs
# replay as one. An unreachable registry fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache=${TCE_QEMU_CACHE:-$HOME/.cache/libtce-qemu}
work=$root/build-qemu-integration
runs=2
perf=1
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--no-perf) perf=0; shift ;;
	-h|--help) sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "qemu-integration: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
case $runs in '' | *[!0-9]* | 0) echo "qemu-integration: --runs takes a whole number above 0" >&2; exit 2 ;; esac
[[ $work = /* ]] || work=$root/$work

die() { echo "qemu-integration: $*" >&2; exit 1; }
step() { echo "=== $*"; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

step "packages"
# A deb-src entry mirroring the machine's Debian sources, for apt-get source.
if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
			$SUDO tee /etc/apt/sources.list.d/libtce-deb-src.sources >/dev/null
	elif [ -f /etc/apt/sources.list ]; then
		sed -n 's/^deb /deb-src /p' /etc/apt/sources.list |
			$SUDO tee /etc/apt/sources.list.d/libtce-deb-src.list >/dev/null
	else
		die "no Debian source list to mirror for deb-src"
	fi
fi
dpkg --print-foreign-architectures | grep -qx ppc64el || $SUDO dpkg --add-architecture ppc64el
mkdir -p "$work" "$cache"
# A mirror in the middle of a sync fails an index now and then: try again before giving up.
for try in 1 2 3; do
	$SUDO apt-get update -q >"$work/apt-update.log" 2>&1 && ! grep -q "^E:" "$work/apt-update.log" && break
	[ $try -eq 3 ] && { cat "$work/apt-update.log" >&2; echo "qemu-integration: apt-get update reported errors (above); going on with the lists it has" >&2; }
	sleep 10
done
$SUDO apt-get install -y -q --no-install-recommends build-essential ninja-build meson pkg-config python3 \
	libglib2.0-dev libpixman-1-dev libfdt-dev libslirp-dev flex bison dpkg-dev xz-utils \
	qemu-system-ppc qemu-system-data ipxe-qemu cpio kmod time linux-perf \
	libjson-c-dev liblzma-dev libzstd-dev libxml2-dev >/dev/null ||
	die "apt-get install failed (is the registry reachable?)"

step "libtce and tcectl"
mkdir -p "$work"
if [ ! -f "$work/libtce/build.ninja" ]; then
	meson setup "$work/libtce" --prefix="$work/prefix" --libdir=lib --buildtype=release \
		-Dtests=disabled -Dtools=enabled >"$work/libtce-setup.log" 2>&1 ||
		{ cat "$work/libtce-setup.log"; die "libtce: meson setup failed"; }
fi
ninja -C "$work/libtce" install >"$work/libtce-build.log" 2>&1 ||
	{ tail -n 30 "$work/libtce-build.log"; die "libtce: build failed"; }
tcectl=$work/libtce/tools/tcectl/tcectl
export LD_LIBRARY_PATH=$work/prefix/lib
export PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig

step "patched QEMU"
mkdir -p "$cache/src"
if ! ls "$cache"/src/qemu_7.2*.dsc >/dev/null 2>&1; then
	(cd "$cache/src" && apt-get source --download-only -q qemu >/dev/null 2>&1) ||
		die "apt-get source qemu failed (is deb.debian.org reachable?)"
fi
dsc=$(ls "$cache"/src/qemu_7.2*.dsc | sort -V | tail -n 1)
key=$(cat "$dsc" integrations/qemu/patches/*.patch include/tce/*.h | sha256sum | cut -c1-16)
qemu_patched=$cache/qemu-$key/qemu-system-ppc64
if [ -x "$qemu_patched" ]; then
	echo "cached: $qemu_patched"
else
	src=$work/qemu-src
	rm -rf "$src"
	dpkg-source -x --no-check "$dsc" "$src" >/dev/null 2>&1 || die "cannot unpack $dsc"
	rm -f "$work"/qemu_*.orig.tar.*
	for p in integrations/qemu/patches/*.patch; do
		patch -d "$src" -p1 -s <"$p" || die "$(basename "$p") does not apply to $(basename "$dsc")"
	done
	mkdir -p "$src/build-libtce"
	(cd "$src/build-libtce" && ../configure --target-list=ppc64-softmmu --without-default-features \
		--enable-slirp --enable-fdt=system --enable-tcg --disable-docs --disable-install-blobs \
		--disable-werror >"$work/qemu-configure.log" 2>&1) ||
		{ tail -n 30 "$work/qemu-configure.log"; die "QEMU configure failed"; }
	ninja -C "$src/build-libtce" qemu-system-ppc64 >"$work/qemu-build.log" 2>&1 ||
		{ grep -E "error|Error" "$work/qemu-build.log" | head -n 30; die "QEMU build failed"; }
	mkdir -p "$cache/qemu-$key"
	cp "$src/build-libtce/qemu-system-ppc64" "$qemu_patched.tmp"
	mv "$qemu_patched.tmp" "$qemu_patched"
	rm -rf "$src"
fi
qemu_stock=/usr/bin/qemu-system-ppc64
[ -x "$qemu_stock" ] || die "Debian's qemu-system-ppc64 is missing"

step "guest"
guest=$work/guest
mkdir -p "$guest/debs"
kpkg=$(apt-cache depends linux-image-powerpc64le:ppc64el 2>/dev/null |
	sed -n 's/.*Depends: \(linux-image-6\.1\.0-[0-9]*-powerpc64le\).*/\1/p' | head -n 1)
[ -n "$kpkg" ] || die "no linux-image-6.1.0-*-powerpc64le:ppc64el in the package lists"
(cd "$guest/debs" && { ls "$kpkg"_*.deb >/dev/null 2>&1 || apt-get download -q "$kpkg:ppc64el" >/dev/null 2>&1; } &&
	{ ls busybox-static_*.deb >/dev/null 2>&1 || apt-get download -q busybox-static:ppc64el >/dev/null 2>&1; }) ||
	die "cannot download $kpkg or busybox-static for ppc64el"
kver=${kpkg#linux-image-}
rm -rf "$guest/kpkg" "$guest/bb" "$guest/root"
dpkg-deb -x "$guest/debs/$kpkg"_*.deb "$guest/kpkg"
dpkg-deb -x "$guest"/debs/busybox-static_*.deb "$guest/bb"
depmod -b "$guest/kpkg" "$kver"
mkdir -p "$guest/root/bin" "$guest/root/proc" "$guest/root/sys" "$guest/root/dev" "$guest/root/tmp"
cp "$guest/bb/bin/busybox" "$guest/root/bin/"
cp integrations/qemu/guest-init.sh "$guest/root/init"
chmod +x "$guest/root/init"
for m in virtio_pci virtio_blk e1000 nvme virtio_net; do
	modprobe -d "$guest/kpkg" -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" { print $2 }' | sort -u | while read -r ko; do
	rel=${ko#"$guest/kpkg/"}
	mkdir -p "$guest/root/$(dirname "$rel")"
	cp "$ko" "$guest/root/$rel"
done
cp "$guest/kpkg/lib/modules/$kver"/modules.{dep,dep.bin,alias,alias.bin,symbols,symbols.bin,builtin,builtin.bin,order} \
	"$guest/root/lib/modules/$kver/"
(cd "$guest/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$guest/initramfs.cpio.gz"
# Disks and the file the guest fetches: the same bytes on every run.
python3 - "$guest" <<'EOF'
import os, random, sys
d = sys.argv[1]
r = random.Random(1)
for name, size in (("disk0.img", 64 << 20), ("disk1.img", 64 << 20), ("tftp/net.bin", 4 << 20)):
    os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(r.randbytes(size))
EOF
printf 'spapr_iommu_*\nspapr_pci_*\n' >"$guest/events.txt"
kernel=$guest/kpkg/boot/vmlinux-$kver

# The configurations: the devices after QEMU's fixed options (the same for both QEMUs).
base="-M pseries -cpu POWER9 -m 2G -smp 1 -nographic -nodefaults"
devs0="-drive file=$guest/disk0.img,format=raw,if=none,id=d0,snapshot=on
 -device virtio-blk-pci,drive=d0,iommu_platform=on,disable-legacy=on
 -netdev user,id=n0,restrict=on,tftp=$guest/tftp -device e1000,netdev=n0,romfile="
declare -A config
config[ddw-on]="$devs0"
config[ddw-off]="$devs0 -global spapr-pci-host-bridge.ddw=off"
config[two-phbs]="$devs0 -device spapr-pci-host-bridge,index=1,id=phb1,pgsz=0x11000
 -drive file=$guest/disk1.img,format=raw,if=none,id=d1,snapshot=on
 -device nvme,drive=d1,serial=nvme0001,bus=phb1.0
 -netdev user,id=n1,restrict=on,tftp=$guest/tftp
 -device virtio-net-pci,netdev=n1,iommu_platform=on,disable-legacy=on,bus=phb1.0,romfile="

# Live migration: DDW off on PHB 0 (every DMA maps and unmaps TCEs in the default
# window), a second PHB with DDW and pgsz=0x11000. No nvme: QEMU 7.2 cannot migrate it.
config[migrate]="-drive file=$guest/disk0.img,format=raw,if=none,id=d0,snapshot=on
 -device virtio-blk-pci,drive=d0,iommu_platform=on,disable-legacy=on
 -netdev user,id=n0,restrict=on,tftp=$guest/tftp -device e1000,netdev=n0,romfile=
 -global spapr-pci-host-bridge.ddw=off -device spapr-pci-host-bridge,index=1,id=phb1,pgsz=0x11000,ddw=on
 -netdev user,id=n1,restrict=on,tftp=$guest/tftp
 -device virtio-net-pci,netdev=n1,iommu_platform=on,disable-legacy=on,bus=phb1.0,romfile="

boot() { # boot QEMU CONFIG TAG [PREFIX...]: one guest run; prints its wall seconds
	local qemu=$1 name=$2 tag=$3 t0 t1
	shift 3
	local log=$work/logs/$name-$tag
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	"$@" timeout 900 "$qemu" $base -chardev stdio,id=con0,mux=off,signal=off \
		-device spapr-vty,chardev=con0 -kernel "$kernel" -initrd "$guest/initramfs.cpio.gz" \
		-append "console=hvc0 quiet" -L /usr/share/qemu -msg timestamp=on \
		-trace "events=$guest/events.txt" -D "$log.trace.log" ${config[$name]} \
		>"$log.console" 2>&1 </dev/null || true
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.2f\n", $2 - $1 }'
}

# migrate_run QEMU TAG: the "migrate" configuration booted with libtce.migrate on
# the kernel command line; when the guest says MIGRATE NOW, QMP migrates it over
# a UNIX socket to a second QEMU of the same binary started with -incoming, which
# finishes the workload. Logs: migrate-TAG-{src,dst}.{console,trace.log}, and
# migrate-TAG.migrate.json (QMP's query-migrate when it ended).
cat >"$work/qmp-migrate.py" <<'PYEOF'
import json, socket, sys, time
sock = socket.socket(socket.AF_UNIX)
sock.connect(sys.argv[1])
f = sock.makefile("rw")
json.loads(f.readline())
def cmd(name, **args):
    f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
cmd("qmp_capabilities")
r = cmd("migrate", uri=sys.argv[2])
if "error" in r:
    print(json.dumps({"status": "refused", "error": r["error"]}))
    sys.exit(1)
deadline = time.time() + 300
while True:
    r = cmd("query-migrate")["return"]
    if r.get("status") in ("completed", "failed", "cancelled") or time.time() > deadline:
        break
    time.sleep(0.1)
print(json.dumps(r))
cmd("quit")
sys.exit(0 if r.get("status") == "completed" else 1)
PYEOF
migrate_run() {
	local qemu=$1 tag=$2 log=$work/logs/migrate-$2 sock i src dst args
	sock=$(mktemp -d /tmp/libtce-migrate.XXXXXX)
	# shellcheck disable=SC2206,SC2054 # (word-split options; the commas are QEMU's)
	args=($base -chardev stdio,id=con0,mux=off,signal=off -device spapr-vty,chardev=con0
		-kernel "$kernel" -initrd "$guest/initramfs.cpio.gz" -append "console=hvc0 quiet libtce.migrate"
		-L /usr/share/qemu -msg timestamp=on -trace "events=$guest/events.txt" ${config[migrate]})
	timeout 600 "$qemu" "${args[@]}" -D "$log-dst.trace.log" -incoming "unix:$sock/migration" \
		>"$log-dst.console" 2>&1 </dev/null &
	dst=$!
	timeout 600 "$qemu" "${args[@]}" -D "$log-src.trace.log" -qmp "unix:$sock/qmp,server=on,wait=off" \
		>"$log-src.console" 2>&1 </dev/null &
	src=$!
	for ((i = 0; i < 3000; i++)); do
		grep -q "^MIGRATE NOW" "$log-src.console" && break
		kill -0 $src 2>/dev/null || break
		sleep 0.2
	done
	python3 "$work/qmp-migrate.py" "$sock/qmp" "unix:$sock/migration" >"$log.migrate.json" 2>&1 ||
		kill $dst 2>/dev/null || true
	wait $src || true
	wait $dst || true
	rm -rf "$sock"
}

# check_trace LABEL TRACE CMDLINE JSON: no hypercall in TRACE failed, and tcectl replays it
# with its command line with zero mismatches (the report in JSON); sets fail=1 if not.
check_trace() {
	if grep -q "ret=-" "$2"; then
		echo "$1: a hypercall failed:"; grep -m 5 "ret=-" "$2"; fail=1
	fi
	if ! "$tcectl" replay --no-progress --json --qemu-cmdline "$3" "$2" >"$4"; then
		echo "$1: the trace does not replay:"; head -n 40 "$4"; fail=1
	fi
}

step "boots"
mkdir -p "$work/logs"
fail=0
passed=0
failed=0
summary=$work/summary.txt
: >"$summary"
for name in ddw-on ddw-off two-phbs; do
	fail_before=$fail
	fail=0
	echo "qemu-system-ppc64 $base ${config[$name]}" | tr '\n' ' ' >"$work/logs/$name.cmdline"
	best_stock=""; best_patched=""
	for i in $(seq 1 "$runs"); do
		# Stock and patched side by side, each pinned to a core of its own, the cores
		# swapped from run to run: whatever else loads the machine loads both, so
		# their ratio holds on a busy machine.
		pin_stock=""; pin_patched=""
		if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
			pin_stock="taskset -c $((i % 2))"; pin_patched="taskset -c $(((i + 1) % 2))"
		fi
		# shellcheck disable=SC2086
		boot "$qemu_stock" "$name" stock $pin_stock >"$work/logs/$name-stock.secs" &
		# shellcheck disable=SC2086
		boot "$qemu_patched" "$name" patched $pin_patched >"$work/logs/$name-patched.secs" &
		wait
		for which in stock patched; do
			secs=$(cat "$work/logs/$name-$which.secs")
			console=$work/logs/$name-$which.console
			if ! grep -q "^WORKLOAD DONE" "$console"; then
				echo "$name/$which: the guest did not finish its workload:"; tail -n 20 "$console"; fail=1
			fi
			grep -o "CKSUM .*" "$console" >"$work/logs/$name-$which.cksum.$i" || true
			if [ $which = stock ]; then
				best_stock=$(printf '%s\n' $best_stock "$secs" | sort -g | head -n 1)
			else
				best_patched=$(printf '%s\n' $best_patched "$secs" | sort -g | head -n 1)
			fi
		done
	done
	# Every checksum the same, under both QEMUs and on every run; none failed.
	n=$(cat "$work/logs/$name"-*.cksum.* | sort -u | wc -l)
	lines=$(wc -l <"$work/logs/$name-stock.cksum.1")
	if [ "$lines" -lt 3 ] || [ "$n" -ne "$lines" ] || grep -q FAILED "$work/logs/$name"-*.cksum.*; then
		echo "$name: checksums differ or are missing:"; cat "$work/logs/$name"-*.cksum.*; fail=1
	fi
	for which in stock patched; do
		check_trace "$name/$which" "$work/logs/$name-$which.trace.log" "$work/logs/$name.cmdline" \
			"$work/logs/$name-$which.replay.json"
	done
	ratio=$(awk -v p="$best_patched" -v s="$best_stock" 'BEGIN { printf "%.3f", p / s }')
	if awk -v r="$ratio" 'BEGIN { exit !(r > 1.10) }'; then
		echo "$name: the patched QEMU took ${ratio}x the stock one's wall time (limit 1.10)"; fail=1
	fi
	printf '%-9s stock %6.2f s  patched %6.2f s  ratio %s  checksums %s  traces replayed: %s lines checked\n' \
		"$name" "$best_stock" "$best_patched" "$ratio" "$lines" \
		"$(grep -ho '^      "checked":[0-9]*' "$work/logs/$name"-*.replay.json | awk -F: '{ s += $2 } END { print s }')" |
		tee -a "$summary"
	if [ $fail -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
	fail=$((fail | fail_before))
done

step "live migration (each QEMU to a second one of its kind)"
echo "qemu-system-ppc64 $base ${config[migrate]}" | tr '\n' ' ' >"$work/logs/migrate.cmdline"
fail_before=$fail
fail=0
for which in stock patched; do
	q=$qemu_stock
	[ $which = patched ] && q=$qemu_patched
	migrate_run "$q" $which
	log=$work/logs/migrate-$which
	st=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["status"])' "$log.migrate.json" 2>/dev/null || echo none)
	if [ "$st" != completed ]; then
		echo "migrate/$which: the migration did not complete ($st):"; tail -n 5 "$log.migrate.json" "$log-src.console"; fail=1
	fi
	if ! grep -q "^WORKLOAD DONE" "$log-dst.console"; then
		echo "migrate/$which: the destination did not finish the workload:"; tail -n 20 "$log-dst.console"; fail=1
	fi
	cat "$log-src.console" "$log-dst.console" | grep -o "CKSUM .*" >"$log.cksum" || true
	# One guest, two processes: the two trace logs in a row replay as one.
	cat "$log-src.trace.log" "$log-dst.trace.log" >"$log.trace.log"
	check_trace "migrate/$which" "$log.trace.log" "$work/logs/migrate.cmdline" "$log.replay.json"
done
lines=$(wc -l <"$work/logs/migrate-stock.cksum")
if [ "$lines" -lt 4 ] || ! cmp -s "$work/logs/migrate-stock.cksum" "$work/logs/migrate-patched.cksum" ||
	grep -q FAILED "$work/logs/migrate-stock.cksum"; then
	echo "migrate: checksums differ or are missing:"; cat "$work/logs/migrate"-*.cksum; fail=1
fi
# The tables went in libtce's stream: passes saved on one side, the same loaded on the other.
saved=$(grep -c "spapr_iommu_libtce_save " "$work/logs/migrate-patched-src.trace.log" || true)
loaded=$(grep -c "spapr_iommu_libtce_load " "$work/logs/migrate-patched-dst.trace.log" || true)
if [ "$saved" -lt 2 ] || [ "$saved" -ne "$loaded" ] ||
	! grep -q "spapr_iommu_libtce_load .*final=1" "$work/logs/migrate-patched-dst.trace.log"; then
	echo "migrate: libtce's stream: $saved passes saved, $loaded loaded, final pass loaded:" \
		"$(grep -c "spapr_iommu_libtce_load .*final=1" "$work/logs/migrate-patched-dst.trace.log")"; fail=1
fi
stream_bytes=$(sed -n 's/.*spapr_iommu_libtce_save pass [0-9]*: \([0-9]*\) bytes.*/\1/p' \
	"$work/logs/migrate-patched-src.trace.log" | awk '{ s += $1 } END { print s + 0 }')
# QEMU's own format sends 8 bytes for each entry of each enabled table (its pre_save events).
qemu_bytes=$(sed -n 's/.*spapr_iommu_pre_save liobn=[0-9a-f]* \([0-9a-f]*\) .*/\1/p' \
	"$work/logs/migrate-stock-src.trace.log" | while read -r nb; do echo $((16#$nb * 8)); done |
	awk '{ s += $1 } END { print s + 0 }')
mig_field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], "?"))' "$1" "$2" 2>/dev/null || echo "?"; }
printf 'migrate   stock %s ms (downtime %s ms)  patched %s ms (downtime %s ms)  tables: libtce %s passes, %s bytes; QEMU %s bytes  checksums %s  traces replayed: %s lines checked\n' \
	"$(mig_field "$work/logs/migrate-stock.migrate.json" total-time)" \
	"$(mig_field "$work/logs/migrate-stock.migrate.json" downtime)" \
	"$(mig_field "$work/logs/migrate-patched.migrate.json" total-time)" \
	"$(mig_field "$work/logs/migrate-patched.migrate.json" downtime)" \
	"$saved" "$stream_bytes" "$qemu_bytes" "$lines" \
	"$(grep -ho '^      "checked":[0-9]*' "$work/logs/migrate"-*.replay.json | awk -F: '{ s += $2 } END { print s }')" |
	tee -a "$summary"
if [ $fail -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fail=$((fail | fail_before))

if [ $perf -eq 1 ]; then
	step "libtce's share of QEMU's CPU time (perf, DDW on)"
	boot "$qemu_patched" ddw-on perf perf record -q -e cpu-clock -o "$work/logs/perf.data" -- >/dev/null
	share=$(perf report -i "$work/logs/perf.data" --sort dso --stdio 2>/dev/null |
		awk '/libtce\.so/ { gsub("%", "", $1); s += $1 } END { printf "%.2f", s }')
	echo "libtce: ${share}% of the patched QEMU's CPU samples" | tee -a "$summary"
fi

echo "tests: $passed passed, $failed failed"
if [ $fail -ne 0 ]; then
	echo "qemu-integration: FAILED (logs in $work/logs)"
	exit 1
fi
echo "qemu-integration: every configuration passed (logs in $work/logs)"
