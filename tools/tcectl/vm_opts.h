/* SPDX-License-Identifier: MIT */
/*
 * tcectl — the command-line flags that describe a VM (plan and simulate).
 *
 * Concepts: both commands take the same VM flags, parsed by vm_flag() in
 * vm_args.c; each adds its own flags after OPT_VM_END.
 */
#ifndef TCECTL_VM_OPTS_H
#define TCECTL_VM_OPTS_H

#include <getopt.h>

enum {
	OPT_RAM = 256,
	OPT_MAX_RAM,
	OPT_RAM_PAGE,
	OPT_PHBS,
	OPT_GROUPS,
	OPT_DDW_PAGES,
	OPT_HOST_PAGES,
	OPT_NO_KVM,
	OPT_NO_DDW,
	OPT_USERVIEW,
	OPT_HOST_PROFILE,
	OPT_QEMU_CMDLINE,
	OPT_DOMAIN,
	OPT_VERBOSE,
	OPT_JSON,
	OPT_VM_END,
};

#define VM_LONG_OPTIONS                                                                            \
	{"ram", required_argument, NULL, OPT_RAM},                                                 \
	{"max-ram", required_argument, NULL, OPT_MAX_RAM},                                         \
	{"ram-page-size", required_argument, NULL, OPT_RAM_PAGE},                                  \
	{"phbs", required_argument, NULL, OPT_PHBS},                                               \
	{"groups", required_argument, NULL, OPT_GROUPS},                                           \
	{"ddw-page-sizes", required_argument, NULL, OPT_DDW_PAGES},                                \
	{"host-page-sizes", required_argument, NULL, OPT_HOST_PAGES},                              \
	{"no-kvm", no_argument, NULL, OPT_NO_KVM}, {"no-ddw", no_argument, NULL, OPT_NO_DDW},     \
	{"userview", required_argument, NULL, OPT_USERVIEW},                                       \
	{"host-profile", required_argument, NULL, OPT_HOST_PROFILE},                               \
	{"qemu-cmdline", required_argument, NULL, OPT_QEMU_CMDLINE},                               \
	{"domain", required_argument, NULL, OPT_DOMAIN},                                           \
	{"verbose", no_argument, NULL, OPT_VERBOSE}

#endif /* TCECTL_VM_OPTS_H */
