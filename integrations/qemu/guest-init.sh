#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# /init of the integration guest: load the drivers, do disk and network DMA
# through the sPAPR IOMMU, print a checksum of everything read, power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo 1 > /proc/sys/kernel/printk
for m in virtio_pci virtio_blk e1000 nvme virtio_net; do modprobe $m 2>/dev/null; done
sleep 2
# Each result on a line of its own (the console may still hold a partial kernel line).
echo
result() { echo "CKSUM $1 $2"; }
# With libtce.migrate on the kernel command line the host migrates the VM to
# another QEMU while the guest waits here, its rings and mappings live; the
# rest of the workload runs on the destination. (Migrating in the middle of
# disk DMA corrupts this guest's memory under stock QEMU 7.2 with TCG too, so
# the point is a quiet one.)
if grep -q libtce.migrate /proc/cmdline; then
	echo "MIGRATE NOW"
	sleep 10
fi
# Disks: read what the host wrote, write a pattern, drop the cache, read it back.
seq 1 1500000 > /tmp/pattern
for d in vda nvme0n1; do
	[ -b /dev/$d ] || continue
	result $d-read "$(dd if=/dev/$d bs=1M count=24 2>/dev/null | md5sum | cut -d' ' -f1)"
	dd if=/tmp/pattern of=/dev/$d bs=1M seek=32 conv=fsync 2>/dev/null
	sync; echo 3 > /proc/sys/vm/drop_caches
	result $d-written "$(dd if=/dev/$d bs=1M skip=32 count=10 2>/dev/null | md5sum | cut -d' ' -f1)"
done
# Network: every interface in turn fetches the same file from QEMU's user-mode TFTP server.
for n in /sys/class/net/eth*; do
	[ -e "$n" ] || continue
	i=${n##*/}
	ifconfig $i 10.0.2.15 netmask 255.255.255.0 up
	if tftp -g -r net.bin -l /tmp/net.bin 10.0.2.2 2>/dev/null; then
		result $i-tftp "$(md5sum /tmp/net.bin | cut -d' ' -f1)"
	else
		result $i-tftp FAILED
	fi
	rm -f /tmp/net.bin
	ifconfig $i down
done
echo "WORKLOAD DONE"
poweroff -f
