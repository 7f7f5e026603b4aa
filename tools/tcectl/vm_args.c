// SPDX-License-Identifier: MIT
/*
 * tcectl — the VM flags and VM file shared by plan and simulate. See vm_args.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json_file.h"
#include "vm_args.h"
#include "vm_libvirt.h"
#include "vm_qemu.h"
#include "vm_json.h"
#include "vm_opts.h"

/*
 * A comma-separated list of page sizes as a mask: -EINVAL for junk, -ERANGE
 * for a size outside @allowed (then *@bad names it).
 */
static int parse_page_list(const char *text, uint64_t allowed, uint64_t *mask, char *bad,
			   size_t bad_size)
{
	char buf[256], *save = NULL, *tok;
	uint64_t page;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (tcectl_parse_size(tok, &page) || page < 4096 || (page & (page - 1)))
			return -EINVAL;
		if (!(page & allowed)) {
			snprintf(bad, bad_size, "%s", tok);
			return -ERANGE;
		}
		*mask |= page;
	}
	return *mask ? 0 : -EINVAL;
}

/* The usage error for a page list flag. */
static int page_list_error(const char *cmd, const char *flag, const char *arg, int rc,
			   const char *bad, uint64_t allowed)
{
	char list[96];

	if (rc != -ERANGE)
		return tcectl_usage_error(cmd, "%s: '%s' is not a list such as 4K,64K,16M", flag, arg);
	vm_page_list(allowed, list, sizeof(list));
	return tcectl_usage_error(cmd, "%s: %s is not a page size a PHB can offer (%s)", flag, bad,
				  list);
}

/* Flags shared by plan and simulate; -1 when @opt is not one of them. */
int vm_flag(const char *cmd, int opt, const char *arg, struct vm_desc *d, bool *max_given)
{
	char bad[64];
	uint64_t v;
	unsigned i;
	int rc;

	switch (opt) {
	case OPT_RAM:
		if (tcectl_parse_size(arg, &d->ram) || d->ram == 0)
			return tcectl_usage_error(cmd, "--ram: '%s' is not a size such as 16G", arg);
		return 0;
	case OPT_MAX_RAM:
		if (tcectl_parse_size(arg, &d->max_ram) || d->max_ram == 0)
			return tcectl_usage_error(cmd, "--max-ram: '%s' is not a size such as 32G", arg);
		*max_given = true;
		return 0;
	case OPT_RAM_PAGE:
		if (tcectl_parse_size(arg, &v) ||
		    (v != (UINT64_C(1) << 16) && v != (UINT64_C(1) << 21) && v != (UINT64_C(1) << 24) &&
		     v != (UINT64_C(1) << 30)))
			return tcectl_usage_error(cmd, "--ram-page-size: '%s' is not 64K, 2M, 16M or 1G",
						  arg);
		d->ram_page_shift = (unsigned)__builtin_ctzll(v);
		return 0;
	case OPT_PHBS:
		if (tcectl_parse_uint(arg, 1, VM_MAX_PHBS, &v))
			return tcectl_usage_error(cmd, "--phbs: '%s' is not 1..16", arg);
		d->nphbs = (unsigned)v;
		return 0;
	case OPT_GROUPS:
		if (tcectl_parse_uint(arg, 0, 4, &v))
			return tcectl_usage_error(cmd, "--groups: '%s' is not 0..4", arg);
		for (i = 0; i < VM_MAX_PHBS; i++)
			d->groups[i] = (unsigned)v;
		return 0;
	case OPT_DDW_PAGES:
		rc = parse_page_list(arg, VM_DDW_PAGE_SIZES, &d->ddw_pgsz, bad, sizeof(bad));
		return rc ? page_list_error(cmd, "--ddw-page-sizes", arg, rc, bad, VM_DDW_PAGE_SIZES) : 0;
	case OPT_HOST_PAGES:
		rc = parse_page_list(arg, ~UINT64_C(0), &d->host_pgsz, bad, sizeof(bad));
		return rc ? page_list_error(cmd, "--host-page-sizes", arg, rc, bad, ~UINT64_C(0)) : 0;
	case OPT_NO_KVM:
		d->kvm = false;
		return 0;
	case OPT_NO_DDW:
		d->guest_ddw = false;
		return 0;
	case OPT_HOST_PROFILE:
		if (tce_profile_parse(arg, &d->host_profile))
			return tcectl_usage_error(cmd, "--host-profile: '%s' is not linux or exact", arg);
		return 0;
	case OPT_USERVIEW:
		if (strcmp(arg, "mirror") == 0)
			d->userview = TCE_USERVIEW_MIRROR;
		else if (strcmp(arg, "extents") == 0)
			d->userview = TCE_USERVIEW_EXTENTS;
		else
			return tcectl_usage_error(cmd, "--userview: '%s' is not mirror or extents", arg);
		return 0;
	default:
		return -1;
	}
}

/* --verbose: what a QEMU command line had that does not matter here. */
static void print_skipped(void *ctx, const char *option, const char *value)
{
	fprintf(stderr, "tcectl %s: skipped %s%s%s (does not affect the IOMMU)\n", (const char *)ctx,
		option, value ? " " : "", value ? value : "");
}

int vm_parse_args(const char *cmd, int argc, char **argv, const struct option *options,
		  const char *help, const char *const *extra_keys, struct vm_desc *desc,
		  int (*own_flag)(int opt, const char *arg, void *ctx),
		  int (*own_keys)(json_object *obj, void *ctx, char *err, size_t size), void *ctx)
{
	struct {
		int opt;
		const char *arg;
	} flags[64];
	const char *qemu = NULL, *domain = NULL;
	int nflags = 0, opt, rc, i;
	bool max_given = false, verbose = false;
	char err[512], bad[16];

	vm_desc_default(desc);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(help, stdout);
			return -1;
		}
		if (opt == '?' || opt == ':')
			return tcectl_usage_error(cmd, "unknown or incomplete option '%s'",
						  tcectl_bad_option(argv, bad, sizeof(bad)));
		if (opt == OPT_QEMU_CMDLINE || opt == OPT_DOMAIN) {
			if (qemu || domain)
				return tcectl_usage_error(cmd, "give one VM: --qemu-cmdline or --domain, once");
			*(opt == OPT_QEMU_CMDLINE ? &qemu : &domain) = optarg;
			continue;
		}
		if (opt == OPT_VERBOSE) {
			verbose = true;
			continue;
		}
		if (nflags == 64)
			return tcectl_usage_error(cmd, "too many options");
		flags[nflags].opt = opt;
		flags[nflags].arg = optarg;
		nflags++;
	}
	if (argc - optind > 1)
		return tcectl_usage_error(cmd, "more than one file given ('%s')", argv[optind + 1]);
	if (optind < argc && (qemu || domain))
		return tcectl_usage_error(cmd, "give one VM: a JSON file, --qemu-cmdline or --domain");
	if (qemu && vm_from_qemu_file(qemu, desc, verbose ? print_skipped : NULL, (void *)cmd, err,
				      sizeof(err)))
		return tcectl_usage_error(cmd, "%s", err);
	if (domain && vm_from_libvirt_file(domain, desc, err, sizeof(err)))
		return tcectl_usage_error(cmd, "%s", err);
	if (optind < argc) {
		json_object *obj;

		if (json_file_load(argv[optind], &obj, err, sizeof(err)))
			return tcectl_usage_error(cmd, "%s", err);
		rc = vm_desc_from_json(obj, desc, extra_keys, err, sizeof(err));
		if (rc == 0 && own_keys)
			rc = own_keys(obj, ctx, err, sizeof(err));
		json_object_put(obj);
		if (rc)
			return tcectl_usage_error(cmd, "%s: %s", argv[optind], err);
	}
	for (i = 0; i < nflags; i++) {
		rc = vm_flag(cmd, flags[i].opt, flags[i].arg, desc, &max_given);
		if (rc == -1)
			rc = own_flag ? own_flag(flags[i].opt, flags[i].arg, ctx) : -1;
		if (rc == -1)
			return tcectl_usage_error(cmd, "unknown option");
		if (rc)
			return rc;
	}
	if (desc->max_ram == 0)
		desc->max_ram = desc->ram;
	if (vm_desc_check(desc, err, sizeof(err)))
		return tcectl_usage_error(cmd, "%s", err);
	return 0;
}
