// SPDX-License-Identifier: MIT
/*
 * tcectl size — the geometry and locked-memory charge of one TCE table.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "tce/geometry.h"

static const char size_help[] =
	"Usage: tcectl size [OPTIONS]\n"
	"Print the geometry of a TCE table and the bytes it is charged.\n"
	"\n"
	"  --page-size SIZE     IOMMU page size: 4K, 64K, 2M, 16M, ... (power of two, 4K..2^62)\n"
	"  --page-shift N       the same as a shift, 12..62 (default 12)\n"
	"  --window SIZE        window size in bytes: 1G, 64G, 2^40, ... (power of two,\n"
	"                       one page..2^63; default 1G)\n"
	"  --levels N|auto      tree levels 1..5, or the fewest the profile accepts (default auto)\n"
	"  --profile NAME       linux (64 KiB host pages, kernel limits; default) or exact\n"
	"  --host-page-size S   exact profile only: 4K or 64K (default 64K)\n"
	"  --mirror             include the userspace-address mirror (default; what VFIO charges)\n"
	"  --no-mirror          the hardware table alone\n"
	"  --json               print one JSON object (fields in tcectl(1))\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit status: 0 the table can be created, 1 the profile refuses it (the reason is\n"
	"printed), 2 bad arguments.\n";

struct size_args {
	struct tce_geometry_request req;
	bool levels_auto;
	bool mirror;
	bool json;
	bool page_given;
};

enum {
	OPT_PAGE_SIZE = 256,
	OPT_PAGE_SHIFT,
	OPT_WINDOW,
	OPT_LEVELS,
	OPT_PROFILE,
	OPT_HOST_PAGE,
	OPT_MIRROR,
	OPT_NO_MIRROR,
	OPT_JSON,
};

/* The symbolic name of a negative errno ("EINVAL"), as the JSON and text outputs give it. */
static const char *errno_name(int err)
{
	const char *name = strerrorname_np(-err);

	return name ? name : "EUNKNOWN";
}

static int parse_page_size(const char *text, unsigned *page_shift)
{
	uint64_t bytes;
	int rc = tcectl_parse_size(text, &bytes);

	if (rc == 0 && (bytes & (bytes - 1)) == 0 && bytes >= (UINT64_C(1) << TCE_PAGE_SHIFT_MIN) &&
	    bytes <= (UINT64_C(1) << TCE_PAGE_SHIFT_MAX)) {
		*page_shift = (unsigned)__builtin_ctzll(bytes);
		return 0;
	}
	return -EINVAL;
}

static int parse_size_args(int argc, char **argv, struct size_args *args)
{
	static const struct option options[] = {
		{"page-size", required_argument, NULL, OPT_PAGE_SIZE},
		{"page-shift", required_argument, NULL, OPT_PAGE_SHIFT},
		{"window", required_argument, NULL, OPT_WINDOW},
		{"levels", required_argument, NULL, OPT_LEVELS},
		{"profile", required_argument, NULL, OPT_PROFILE},
		{"host-page-size", required_argument, NULL, OPT_HOST_PAGE},
		{"mirror", no_argument, NULL, OPT_MIRROR},
		{"no-mirror", no_argument, NULL, OPT_NO_MIRROR},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool host_page_given = false;
	char bad[16];
	uint64_t value;
	int opt;

	memset(args, 0, sizeof(*args));
	args->req.page_shift = 12;
	args->req.window_size = UINT64_C(1) << 30;
	args->req.profile = TCE_PROFILE_LINUX;
	args->levels_auto = true;
	args->mirror = true;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_PAGE_SIZE:
			if (parse_page_size(optarg, &args->req.page_shift))
				return tcectl_usage_error("size",
							  "--page-size: '%s' is not a power of two "
							  "from 4K to 2^62 (e.g. 4K, 64K, 2M, 16M)",
							  optarg);
			args->page_given = true;
			break;
		case OPT_PAGE_SHIFT:
			if (tcectl_parse_uint(optarg, TCE_PAGE_SHIFT_MIN, TCE_PAGE_SHIFT_MAX, &value))
				return tcectl_usage_error("size",
							  "--page-shift: '%s' is not an integer 12..62",
							  optarg);
			args->req.page_shift = (unsigned)value;
			args->page_given = true;
			break;
		case OPT_WINDOW:
			if (tcectl_parse_size(optarg, &value) || (value & (value - 1)) != 0 ||
			    value == 0)
				return tcectl_usage_error("size",
							  "--window: '%s' is not a power of two "
							  "from one page to 2^63 bytes (e.g. 1G, 64G, 2^40)",
							  optarg);
			args->req.window_size = value;
			break;
		case OPT_LEVELS:
			if (strcmp(optarg, "auto") == 0) {
				args->levels_auto = true;
			} else if (tcectl_parse_uint(optarg, 1, TCE_LEVELS_MAX, &value) == 0) {
				args->levels_auto = false;
				args->req.levels = (unsigned)value;
			} else {
				return tcectl_usage_error("size", "--levels: '%s' is not 1..5 or auto",
							  optarg);
			}
			break;
		case OPT_PROFILE:
			if (tce_profile_parse(optarg, &args->req.profile))
				return tcectl_usage_error("size",
							  "--profile: '%s' is not linux or exact", optarg);
			break;
		case OPT_HOST_PAGE:
			if (tcectl_parse_size(optarg, &value) || (value != 4096 && value != 65536))
				return tcectl_usage_error("size", "--host-page-size: '%s' is not 4K or 64K",
							  optarg);
			args->req.host_page_shift = value == 4096 ? 12 : 16;
			host_page_given = true;
			break;
		case OPT_MIRROR:
			args->mirror = true;
			break;
		case OPT_NO_MIRROR:
			args->mirror = false;
			break;
		case OPT_JSON:
			args->json = true;
			break;
		case 'h':
			fputs(size_help, stdout);
			return -1;
		default:
			return tcectl_usage_error("size", "unknown or incomplete option '%s'",
						  tcectl_bad_option(argv, bad, sizeof(bad)));
		}
	}
	if (optind < argc)
		return tcectl_usage_error("size", "unexpected argument '%s'", argv[optind]);
	if (host_page_given && args->req.profile != TCE_PROFILE_EXACT)
		return tcectl_usage_error("size",
					  "--host-page-size: only the exact profile has a host page "
					  "size to choose (linux is 64K)");
	return 0;
}

static const char *level_role(const struct tce_geometry *geo, unsigned level)
{
	if (level == 0)
		return "leaf";
	return level + 1 == geo->levels ? "top" : "middle";
}

static void print_json(const struct size_args *args, const struct tce_geometry *geo,
		       unsigned first_try)
{
	json_object *obj = json_object_new_object();
	json_object *levels = json_object_new_array();
	uint64_t table_bytes = geo->full_bytes;
	uint64_t mirror_bytes = args->mirror ? geo->full_bytes : 0;
	uint64_t charge_2015 = tce_geometry_charge_2015(geo);
	unsigned level;

	json_object_object_add(obj, "profile", json_object_new_string(tce_profile_name(geo->profile)));
	json_object_object_add(obj, "host_page_shift", json_object_new_int(geo->host_page_shift));
	json_object_object_add(obj, "page_shift", json_object_new_int(geo->page_shift));
	json_object_object_add(obj, "page_size", json_object_new_uint64(UINT64_C(1) << geo->page_shift));
	json_object_object_add(obj, "window_shift", json_object_new_int(geo->window_shift));
	json_object_object_add(obj, "window_size",
			       json_object_new_uint64(UINT64_C(1) << geo->window_shift));
	json_object_object_add(obj, "levels", json_object_new_int(geo->levels));
	json_object_object_add(obj, "levels_requested",
			       args->levels_auto ? json_object_new_string("auto")
						 : json_object_new_int(args->req.levels));
	json_object_object_add(obj, "levels_qemu_first_try", json_object_new_int(first_try));
	json_object_object_add(obj, "entries_shift", json_object_new_int(geo->entries_shift));
	json_object_object_add(obj, "window_entries", json_object_new_uint64(geo->window_entries));
	json_object_object_add(obj, "table_entries", json_object_new_uint64(geo->table_entries));
	json_object_object_add(obj, "level_shift", json_object_new_int(geo->level_shift));
	json_object_object_add(obj, "node_bytes", json_object_new_uint64(geo->node_bytes));
	json_object_object_add(obj, "entries_per_node", json_object_new_uint64(geo->entries_per_node));
	json_object_object_add(obj, "tree_bits", json_object_new_int(geo->tree_bits));
	for (level = 0; level < geo->levels; level++) {
		json_object *row = json_object_new_object();

		json_object_object_add(row, "level", json_object_new_int(level));
		json_object_object_add(row, "role", json_object_new_string(level_role(geo, level)));
		json_object_object_add(row, "nodes", json_object_new_uint64(geo->nodes[level]));
		json_object_object_add(row, "bytes",
				       json_object_new_uint64(geo->nodes[level] * geo->node_bytes));
		json_object_array_add(levels, row);
	}
	json_object_object_add(obj, "level_nodes", levels);
	json_object_object_add(obj, "total_nodes", json_object_new_uint64(geo->total_nodes));
	json_object_object_add(obj, "table_bytes", json_object_new_uint64(table_bytes));
	json_object_object_add(obj, "mirror", json_object_new_boolean(args->mirror));
	json_object_object_add(obj, "mirror_bytes", json_object_new_uint64(mirror_bytes));
	json_object_object_add(obj, "charged_bytes",
			       json_object_new_uint64(tce_geometry_charge_bytes(geo, args->mirror)));
	json_object_object_add(obj, "initial_bytes",
			       json_object_new_uint64(geo->initial_bytes * (args->mirror ? 2 : 1)));
	json_object_object_add(obj, "charge_2015_bytes", json_object_new_uint64(charge_2015));
	json_object_object_add(obj, "charge_2015_shortfall_bytes",
			       json_object_new_uint64(table_bytes - charge_2015));
	json_object_object_add(obj, "create_ok", json_object_new_boolean(geo->create_errno == 0));
	json_object_object_add(obj, "create_errno", json_object_new_int(geo->create_errno));
	json_object_object_add(obj, "error",
			       geo->create_errno ? json_object_new_string(errno_name(geo->create_errno))
						 : NULL);
	json_object_object_add(obj, "reason", geo->reason ? json_object_new_string(geo->reason) : NULL);
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

static void print_text(const struct size_args *args, const struct tce_geometry *geo,
		       unsigned first_try)
{
	char b1[32], b2[32];
	uint64_t charged = tce_geometry_charge_bytes(geo, args->mirror);
	uint64_t charge_2015 = tce_geometry_charge_2015(geo);
	unsigned level;

	if (geo->profile == TCE_PROFILE_LINUX)
		printf("TCE table, profile linux (PowerNV host, 64 KiB pages, kernel limits)\n");
	else
		printf("TCE table, profile exact (host pages of %s, no kernel limits)\n",
		       tcectl_format_bytes(UINT64_C(1) << geo->host_page_shift, b1, sizeof(b1)));
	printf("  IOMMU page      %s (page_shift %u)\n",
	       tcectl_format_bytes(UINT64_C(1) << geo->page_shift, b1, sizeof(b1)), geo->page_shift);
	printf("  window          %s (window_shift %u), %" PRIu64 " entries\n",
	       tcectl_format_bytes(UINT64_C(1) << geo->window_shift, b1, sizeof(b1)),
	       geo->window_shift, geo->window_entries);
	if (args->levels_auto)
		printf("  levels          %u (auto: the fewest accepted; QEMU starts at %u)\n",
		       geo->levels, first_try);
	else
		printf("  levels          %u\n", geo->levels);
	printf("  node            %s (level_shift %u), %" PRIu64 " entries per node\n",
	       tcectl_format_bytes(geo->node_bytes, b1, sizeof(b1)), geo->level_shift,
	       geo->entries_per_node);
	printf("  table entries   %" PRIu64 " (kernel it_size: a flat table of at least one host page)\n",
	       geo->table_entries);
	printf("  tree indexes    %u bus-address bits\n", geo->tree_bits);
	printf("\n  %-10s %14s %22s\n", "level", "nodes", "bytes (one copy)");
	for (level = 0; level < geo->levels; level++) {
		char label[32];

		snprintf(label, sizeof(label), "%u %s", level, level_role(geo, level));
		printf("  %-10s %14" PRIu64 " %22" PRIu64 "  %s\n", label, geo->nodes[level],
		       geo->nodes[level] * geo->node_bytes,
		       tcectl_format_bytes(geo->nodes[level] * geo->node_bytes, b1, sizeof(b1)));
	}
	printf("  %-10s %14" PRIu64 " %22" PRIu64 "  %s\n\n", "total", geo->total_nodes,
	       geo->full_bytes, tcectl_format_bytes(geo->full_bytes, b1, sizeof(b1)));

	printf("  table bytes     %" PRIu64 " (%s), fully populated\n", geo->full_bytes,
	       tcectl_format_bytes(geo->full_bytes, b1, sizeof(b1)));
	if (args->mirror)
		printf("  mirror bytes    %" PRIu64 " (%s), same shape, userspace addresses\n",
		       geo->full_bytes, tcectl_format_bytes(geo->full_bytes, b1, sizeof(b1)));
	else
		printf("  mirror bytes    0 (--no-mirror)\n");
	printf("  charged         %" PRIu64 " (%s)%s\n", charged,
	       tcectl_format_bytes(charged, b1, sizeof(b1)),
	       geo->profile == TCE_PROFILE_LINUX && args->mirror ? ", = kernel get_table_size()" : "");
	printf("  at creation     %" PRIu64 " (%s), the top node of each copy\n",
	       geo->initial_bytes * (args->mirror ? 2 : 1),
	       tcectl_format_bytes(geo->initial_bytes * (args->mirror ? 2 : 1), b1, sizeof(b1)));
	printf("  2015 charge     %" PRIu64 " (%s), one copy", charge_2015,
	       tcectl_format_bytes(charge_2015, b1, sizeof(b1)));
	if (charge_2015 < geo->full_bytes)
		printf(": UNDER-COUNTS the table by %s\n",
		       tcectl_format_bytes(geo->full_bytes - charge_2015, b2, sizeof(b2)));
	else
		printf(", equals the table\n");
	if (geo->create_errno == 0)
		printf("  can be created  yes\n");
	else
		printf("  can be created  no (%s): %s\n", errno_name(geo->create_errno), geo->reason);
}

int tcectl_cmd_size(int argc, char **argv)
{
	struct size_args args;
	struct tce_geometry geo;
	unsigned first_try = 0;
	int rc = parse_size_args(argc, argv, &args);

	if (rc < 0)
		return TCECTL_EXIT_OK; /* --help */
	if (rc > 0)
		return rc;

	if (args.levels_auto) {
		rc = tce_geometry_auto_levels(&args.req, &geo, &first_try);
		if (rc && geo.levels == 0)
			return tcectl_usage_error("size", "%s", geo.reason);
	} else {
		rc = tce_geometry_compute(&args.req, &geo);
		if (rc)
			return tcectl_usage_error("size", "%s", geo.reason);
		struct tce_geometry_request probe = args.req;
		struct tce_geometry ignored;

		tce_geometry_auto_levels(&probe, &ignored, &first_try);
	}
	if (args.json)
		print_json(&args, &geo, first_try);
	else
		print_text(&args, &geo, first_try);
	return geo.create_errno == 0 ? TCECTL_EXIT_OK : TCECTL_EXIT_NO;
}
