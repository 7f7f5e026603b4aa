/* SPDX-License-Identifier: MIT */
/*
 * tcectl — a VM from a libvirt domain XML.
 *
 * Concepts: libvirt describes a pseries guest with <memory>, <maxMemory>,
 * <memoryBacking> (huge pages, <locked/>), <memtune><hard_limit>, the domain
 * type (kvm, or qemu for TCG), its pci-root controllers (each a
 * spapr-pci-host-bridge: a PHB) and its VFIO <hostdev>s. A hostdev with a
 * guest <address> sits on the PHB of that bus; one without is placed as
 * libvirt's pSeries address assignment does: isolated on a PHB of its own,
 * shared only with other functions of the same host device (same IOMMU
 * group). The file is read with libxml2; an error names the element or
 * attribute and its line.
 */
#ifndef TCECTL_VM_LIBVIRT_H
#define TCECTL_VM_LIBVIRT_H

#include <stddef.h>

#include "vm.h"

/* Fill @desc, from the defaults, from the domain XML at @path. 0, or -errno with a message in @err. */
int vm_from_libvirt_file(const char *path, struct vm_desc *desc, char *err, size_t size);

/* The same from @len bytes of XML in memory; @name names it in messages. */
int vm_from_libvirt_xml(const char *name, const char *xml, size_t len, struct vm_desc *desc,
			char *err, size_t size);

#endif /* TCECTL_VM_LIBVIRT_H */
