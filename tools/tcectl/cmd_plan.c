// SPDX-License-Identifier: MIT
/*
 * tcectl plan — the exact RLIMIT_MEMLOCK a ppc64 VM with passthrough needs,
 * found by building its IOMMU through libtce, beside libvirt's formula.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "vm.h"
#include "vm_args.h"
#include "vm_json.h"
#include "vm_opts.h"

static const char plan_help[] =
	"Usage: tcectl plan [OPTIONS] [VM.json]\n"
	"Compute the exact locked memory (RLIMIT_MEMLOCK) a ppc64 VM with VFIO passthrough\n"
	"needs, by running its IOMMU setup through libtce, beside libvirt's formula.\n"
	"The VM comes from a JSON file (docs/scenarios.md), the QEMU command line that\n"
	"starts it, a libvirt domain, flags, or one of those and flags (flags win).\n"
	"\n"
	"  --qemu-cmdline FILE     the VM's QEMU command line ('-': standard input)\n"
	"  --domain FILE.xml       the VM's libvirt domain\n"
	"  --verbose               list the command line's options that do not matter here\n"
	"  --ram SIZE              guest RAM at boot (default 16G)\n"
	"  --max-ram SIZE          maximum RAM with hotplug (default: --ram)\n"
	"  --ram-page-size SIZE    page backing guest RAM: 64K (default), 2M, 16M, 1G\n"
	"  --phbs N                PHBs, 1..16 (default 2)\n"
	"  --groups N              VFIO groups behind each PHB, 0..4 (default 1)\n"
	"  --ddw-page-sizes LIST   DDW page sizes the PHBs allow (default 4K,64K,2M,16M)\n"
	"  --host-page-sizes LIST  IOMMU page sizes of the host (default 4K,64K,16M,256M)\n"
	"  --no-kvm                no KVM acceleration (guest tables in QEMU, not locked)\n"
	"  --no-ddw                the guest creates no dynamic DMA window\n"
	"  --userview KIND         mirror (what Linux does, default) or extents\n"
	"  --host-profile NAME     host sizing rules: linux (default) or exact\n"
	"  --json                  print one JSON object (fields in tcectl(1))\n"
	"  -h, --help              this text\n"
	"\n"
	"Exit status: 0 computed; 2 bad arguments or VM file; 3 the VM cannot be built.\n";

struct phb_plan {
	unsigned groups;
	uint64_t guest_views;
	unsigned nwindows;
	struct {
		unsigned slot, page_shift, levels, window_shift;
		uint64_t table, userview;
	} win[2];
};

static void collect_phb(struct vm *vm, unsigned p, struct phb_plan *out)
{
	unsigned s;

	memset(out, 0, sizeof(*out));
	out->groups = vm->desc.groups[p];
	for (s = 0; s < 2; s++) {
		struct tce_guest_table_info info;
		struct tce_window_usage usage;
		const struct tce_geometry *geo;

		if (tce_guest_table_info(vm->guest, tce_liobn_pci(p, s), &info) == 0 && vm->desc.kvm)
			out->guest_views += info.charged_bytes;
		if (!vm->hw[p][s])
			continue;
		geo = tce_window_geometry(vm->hw[p][s]);
		tce_window_usage(vm->hw[p][s], &usage);
		out->win[out->nwindows].slot = s;
		out->win[out->nwindows].page_shift = geo->page_shift;
		out->win[out->nwindows].levels = geo->levels;
		out->win[out->nwindows].window_shift = geo->window_shift;
		out->win[out->nwindows].table = usage.table_charged;
		out->win[out->nwindows].userview = usage.userview_charged;
		out->nwindows++;
	}
}

static void print_plan_text(struct vm *vm)
{
	const struct vm_desc *d = &vm->desc;
	struct vm_locked l;
	bool unlimited;
	uint64_t hpt = vm_hpt_bytes(d), libvirt = vm_libvirt_limit(d, &unlimited), required;
	char b1[32], b2[32], b3[32], b4[32];
	unsigned p, w;

	vm_locked(vm, &l);
	required = l.total + hpt;
	printf("VM: %s RAM (max %s) on %s pages, %u PHB%s, KVM acceleration %s\n",
	       tcectl_format_bytes(d->ram, b1, sizeof(b1)), tcectl_format_bytes(d->max_ram, b2, sizeof(b2)),
	       tcectl_format_bytes(UINT64_C(1) << d->ram_page_shift, b3, sizeof(b3)), d->nphbs,
	       d->nphbs == 1 ? "" : "s", d->kvm ? "on" : "off");
	if (d->guest_ddw)
		printf("guest: one DDW per PHB covering %s (host profile %s)\n",
		       tcectl_format_bytes(UINT64_C(1) << vm->ddw_window_shift, b2, sizeof(b2)),
		       tce_profile_name(d->host_profile));
	else
		printf("guest: no DDW (the default window only)\n");
	printf("\nlocked memory for the IOMMU (exact)\n");
	printf("  %-36s %16" PRIu64 "  %s\n", "preregistered RAM (once per process)", l.registered,
	       tcectl_format_bytes(l.registered, b1, sizeof(b1)));
	printf("  %-36s %16" PRIu64 "  %s\n", "host TCE tables", l.tables,
	       tcectl_format_bytes(l.tables, b1, sizeof(b1)));
	printf("  %-36s %16" PRIu64 "  %s\n", "host userspace views", l.userviews,
	       tcectl_format_bytes(l.userviews, b1, sizeof(b1)));
	printf("  %-36s %16" PRIu64 "  %s\n", "KVM guest-view tables", l.guest_views,
	       tcectl_format_bytes(l.guest_views, b1, sizeof(b1)));
	printf("  %-36s %16" PRIu64 "  %s\n", "IOMMU total", l.total,
	       tcectl_format_bytes(l.total, b1, sizeof(b1)));
	printf("\nper PHB\n");
	for (p = 0; p < d->nphbs; p++) {
		struct phb_plan pp;

		collect_phb(vm, p, &pp);
		printf("  PHB %u: %u VFIO group%s, guest DDW pages %s, KVM guest views %s\n", p, pp.groups,
		       pp.groups == 1 ? "" : "s",
		       tcectl_format_bytes(UINT64_C(1) << vm->ddw_page_shift[p], b2, sizeof(b2)),
		       tcectl_format_bytes(pp.guest_views, b1, sizeof(b1)));
		for (w = 0; w < pp.nwindows; w++)
			printf("    host window %u: %s pages, %s, %u level%s: table %s + view %s\n",
			       pp.win[w].slot,
			       tcectl_format_bytes(UINT64_C(1) << pp.win[w].page_shift, b1, sizeof(b1)),
			       tcectl_format_bytes(UINT64_C(1) << pp.win[w].window_shift, b2, sizeof(b2)),
			       pp.win[w].levels, pp.win[w].levels == 1 ? "" : "s",
			       tcectl_format_bytes(pp.win[w].table, b3, sizeof(b3)),
			       tcectl_format_bytes(pp.win[w].userview, b4, sizeof(b4)));
	}
	printf("\nnot IOMMU memory: hash page table of a hash-MMU guest, pow2ceil(max RAM) / 128 = %s\n",
	       tcectl_format_bytes(hpt, b1, sizeof(b1)));
	printf("required, with the hash page table:   %16" PRIu64 "  %s\n", required,
	       tcectl_format_bytes(required, b1, sizeof(b1)));
	if (unlimited) {
		printf("libvirt's limit: none (<memoryBacking><locked/> without a hard_limit)\n");
		return;
	}
	printf("%-38s%16" PRIu64 "  %s\n",
	       d->hard_limit ? "libvirt's limit (<hard_limit>):"
	       : d->tcg      ? "libvirt's limit (TCG guest):"
			     : "libvirt's formula (ppc64):",
	       libvirt, tcectl_format_bytes(libvirt, b1, sizeof(b1)));
	if (libvirt >= required)
		printf("libvirt's limit is enough; it over-counts by %s\n",
		       tcectl_format_bytes(libvirt - required, b1, sizeof(b1)));
	else
		printf("libvirt's limit is TOO LOW by %s: the VM would fail (\"vfio: DMA mapping failed\")\n"
		       "or fall back to slow emulated TCE tables\n",
		       tcectl_format_bytes(required - libvirt, b1, sizeof(b1)));
}

static json_object *plan_json(struct vm *vm)
{
	const struct vm_desc *d = &vm->desc;
	json_object *obj = json_object_new_object(), *jvm = json_object_new_object();
	json_object *phbs = json_object_new_array();
	bool unlimited;
	uint64_t hpt = vm_hpt_bytes(d), libvirt = vm_libvirt_limit(d, &unlimited);
	struct vm_locked l;
	unsigned p, w;

	vm_locked(vm, &l);
	json_object_object_add(jvm, "ram", json_object_new_uint64(d->ram));
	json_object_object_add(jvm, "max_ram", json_object_new_uint64(d->max_ram));
	json_object_object_add(jvm, "ram_page_size", json_object_new_uint64(UINT64_C(1) << d->ram_page_shift));
	json_object_object_add(jvm, "phbs", json_object_new_int((int)d->nphbs));
	json_object_object_add(jvm, "kvm", json_object_new_boolean(d->kvm));
	json_object_object_add(jvm, "guest_ddw", json_object_new_boolean(d->guest_ddw));
	json_object_object_add(jvm, "host_profile",
			       json_object_new_string(tce_profile_name(d->host_profile)));
	json_object_object_add(jvm, "ddw_window_size",
			       json_object_new_uint64(UINT64_C(1) << vm->ddw_window_shift));
	json_object_object_add(obj, "vm", jvm);
	json_object_object_add(obj, "locked", vm_locked_json(&l));
	for (p = 0; p < d->nphbs; p++) {
		struct phb_plan pp;
		json_object *jp = json_object_new_object(), *wins = json_object_new_array();

		collect_phb(vm, p, &pp);
		json_object_object_add(jp, "index", json_object_new_int((int)p));
		json_object_object_add(jp, "groups", json_object_new_int((int)pp.groups));
		json_object_object_add(jp, "ddw_page_size",
				       json_object_new_uint64(UINT64_C(1) << vm->ddw_page_shift[p]));
		json_object_object_add(jp, "guest_view_bytes", json_object_new_uint64(pp.guest_views));
		for (w = 0; w < pp.nwindows; w++) {
			json_object *jw = json_object_new_object();

			json_object_object_add(jw, "slot", json_object_new_int((int)pp.win[w].slot));
			json_object_object_add(jw, "page_shift", json_object_new_int((int)pp.win[w].page_shift));
			json_object_object_add(jw, "window_size",
					       json_object_new_uint64(UINT64_C(1) << pp.win[w].window_shift));
			json_object_object_add(jw, "levels", json_object_new_int((int)pp.win[w].levels));
			json_object_object_add(jw, "table_bytes", json_object_new_uint64(pp.win[w].table));
			json_object_object_add(jw, "userview_bytes", json_object_new_uint64(pp.win[w].userview));
			json_object_array_add(wins, jw);
		}
		json_object_object_add(jp, "host_windows", wins);
		json_object_array_add(phbs, jp);
	}
	json_object_object_add(obj, "phbs", phbs);
	json_object_object_add(obj, "hpt_bytes", json_object_new_uint64(hpt));
	json_object_object_add(obj, "required_bytes", json_object_new_uint64(l.total + hpt));
	/* libvirt's limit with its precedence; null when it sets none. */
	json_object_object_add(obj, "libvirt_bytes", unlimited ? NULL : json_object_new_uint64(libvirt));
	json_object_object_add(obj, "libvirt_unlimited", json_object_new_boolean(unlimited));
	json_object_object_add(obj, "hard_limit_bytes",
			       d->hard_limit ? json_object_new_uint64(d->hard_limit) : NULL);
	json_object_object_add(obj, "libvirt_difference",
			       unlimited ? NULL
					 : json_object_new_int64((int64_t)libvirt -
								 (int64_t)(l.total + hpt)));
	json_object_object_add(obj, "libvirt_too_low",
			       json_object_new_boolean(!unlimited && libvirt < l.total + hpt));
	return obj;
}

static int plan_flag(int opt, const char *arg, void *ctx)
{
	(void)arg;
	if (opt != OPT_JSON)
		return -1;
	*(bool *)ctx = true;
	return 0;
}

int tcectl_cmd_plan(int argc, char **argv)
{
	static const struct option options[] = {
		VM_LONG_OPTIONS,
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct vm_desc desc;
	struct vm vm;
	bool json = false;
	int rc;

	rc = vm_parse_args("plan", argc, argv, options, plan_help, NULL, &desc, plan_flag, NULL, &json);
	if (rc > 0 && tcectl_has_flag(argc, argv, "--json"))
		tcectl_json_error(tcectl_last_error());
	if (rc)
		return rc < 0 ? TCECTL_EXIT_OK : rc;
	rc = vm_build(&vm, &desc, NULL, NULL);
	if (rc) {
		fprintf(stderr, "tcectl plan: %s\n", vm.error);
		if (json)
			tcectl_json_error(vm.error);
		vm_teardown(&vm, NULL);
		return TCECTL_EXIT_FAIL;
	}
	if (json) {
		json_object *obj = plan_json(&vm);

		puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(obj);
	} else {
		print_plan_text(&vm);
	}
	if (vm_teardown(&vm, NULL)) {
		fprintf(stderr, "tcectl plan: internal error: the ledger did not balance at teardown\n");
		return TCECTL_EXIT_FAIL;
	}
	return TCECTL_EXIT_OK;
}
