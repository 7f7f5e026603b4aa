/* SPDX-License-Identifier: MIT */
/*
 * tcectl — a VM from the QEMU command line that starts it.
 *
 * Concepts: a QEMU command line (as libvirt logs it, or as a script runs it)
 * is split into words as a shell would (single and double quotes,
 * backslashes, a backslash before a newline joins lines), then read for what
 * decides the sPAPR IOMMU and its locked memory: -m, the machine (which must
 * be pseries) and its accelerator, memory backends (their size and page
 * size), -numa memdev, spapr-pci-host-bridge devices and -global properties,
 * vfio-pci devices (a VFIO group behind the PHB of their bus) and pc-dimm.
 * Every other option is skipped (and reported to a callback, for --verbose).
 * A malformed value of an option that matters is an error naming the option,
 * the value and the line. docs/scenarios.md lists what each option becomes.
 */
#ifndef TCECTL_VM_QEMU_H
#define TCECTL_VM_QEMU_H

#include <stddef.h>

#include "vm.h"

/* Called for each option the reader skips, with the option and its value (or NULL). */
typedef void (*vm_skip_fn)(void *ctx, const char *option, const char *value);

/*
 * Fill @desc, starting from the defaults, from the command line @text (@len
 * bytes). 0, or -EINVAL with a message in @err.
 */
int vm_from_qemu_cmdline(const char *text, size_t len, struct vm_desc *desc, vm_skip_fn skipped,
			 void *ctx, char *err, size_t size);

/* The same from a file ("-": standard input). -errno when it cannot be read. */
int vm_from_qemu_file(const char *path, struct vm_desc *desc, vm_skip_fn skipped, void *ctx,
		      char *err, size_t size);

#endif /* TCECTL_VM_QEMU_H */
