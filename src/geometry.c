// SPDX-License-Identifier: MIT
/*
 * TCE table geometry: node sizes, node counts and charges, from pure arithmetic.
 * See include/tce/geometry.h for the model.
 */
#include <errno.h>
#include <string.h>

#include "tce/geometry.h"
#include "log2.h"

const char *tce_profile_name(enum tce_profile profile)
{
	switch (profile) {
	case TCE_PROFILE_LINUX:
		return "linux";
	case TCE_PROFILE_EXACT:
		return "exact";
	}
	return "unknown";
}

int tce_profile_parse(const char *name, enum tce_profile *profile)
{
	if (name && strcmp(name, "linux") == 0) {
		*profile = TCE_PROFILE_LINUX;
		return 0;
	}
	if (name && strcmp(name, "exact") == 0) {
		*profile = TCE_PROFILE_EXACT;
		return 0;
	}
	return -EINVAL;
}

static int geometry_reject(struct tce_geometry *geo, const char *reason)
{
	geo->reason = reason;
	geo->create_errno = -EINVAL;
	return -EINVAL;
}

/* Check the arguments that must hold for a tree to exist at all. */
static int geometry_check_request(const struct tce_geometry_request *req, struct tce_geometry *geo,
				  unsigned *host_page_shift)
{
	if (req->profile != TCE_PROFILE_LINUX && req->profile != TCE_PROFILE_EXACT)
		return geometry_reject(geo, "profile: must be linux or exact");
	if (req->profile == TCE_PROFILE_LINUX) {
		*host_page_shift = TCE_LINUX_HOST_PAGE_SHIFT;
	} else {
		*host_page_shift = req->host_page_shift ? req->host_page_shift : 16;
		if (*host_page_shift != 12 && *host_page_shift != 16)
			return geometry_reject(geo, "host page size: must be 4 KiB or 64 KiB");
	}
	if (req->page_shift < TCE_PAGE_SHIFT_MIN || req->page_shift > TCE_PAGE_SHIFT_MAX)
		return geometry_reject(geo, "page size: page_shift must be 12..62 (4 KiB..4 EiB)");
	if (!tce_is_pow2(req->window_size))
		return geometry_reject(geo, "window size: must be a power of two");
	if (tce_ilog2(req->window_size) < req->page_shift)
		return geometry_reject(geo, "window size: must be at least one IOMMU page");
	if (req->levels < 1 || req->levels > TCE_LEVELS_MAX)
		return geometry_reject(geo, "levels: must be 1..5");
	return 0;
}

/* Apply the profile's create_table() rules to a computed tree. */
static void geometry_check_profile(struct tce_geometry *geo)
{
	geo->create_errno = 0;
	geo->reason = NULL;
	if (geo->profile == TCE_PROFILE_LINUX) {
		if (geo->tree_bits >= TCE_LINUX_BUS_BITS) {
			geo->create_errno = -EINVAL;
			geo->reason = "the tree indexes 55 or more bus-address bits "
				      "(level_bits * levels + page_shift >= 55)";
		} else if (geo->level_shift > TCE_LINUX_MAX_NODE_SHIFT) {
			geo->create_errno = -ENOMEM;
			geo->reason = "a level node is larger than 16 MiB, the largest "
				      "contiguous allocation of a 64 KiB-page host; use more levels";
		}
	} else if (geo->tree_bits > 64) {
		geo->create_errno = -EINVAL;
		geo->reason = "the tree indexes more than 64 bus-address bits "
			      "(level_bits * levels + page_shift > 64); use fewer levels";
	}
}

int tce_geometry_compute(const struct tce_geometry_request *req, struct tce_geometry *geo)
{
	unsigned host_page_shift = 0;
	unsigned remaining_bits;
	unsigned level;
	int rc;

	memset(geo, 0, sizeof(*geo));
	rc = geometry_check_request(req, geo, &host_page_shift);
	if (rc)
		return rc;

	geo->profile = req->profile;
	geo->host_page_shift = host_page_shift;
	geo->page_shift = req->page_shift;
	geo->window_shift = tce_ilog2(req->window_size);
	geo->levels = req->levels;
	geo->entries_shift = geo->window_shift - geo->page_shift;
	geo->window_entries = UINT64_C(1) << geo->entries_shift;
	geo->table_entries = UINT64_C(1)
			     << (tce_max_shift(geo->entries_shift + 3, host_page_shift) - 3);

	/* Every level resolves the same number of bits, at least one host page's worth. */
	geo->level_shift = tce_max_shift(
		(unsigned)tce_div_round_up(geo->entries_shift, geo->levels) + 3, host_page_shift);
	geo->level_bits = geo->level_shift - 3;
	geo->entries_per_node = UINT64_C(1) << geo->level_bits;
	geo->node_bytes = UINT64_C(1) << geo->level_shift;
	geo->tree_bits = geo->level_bits * geo->levels + geo->page_shift;

	/*
	 * Level k (leaf = 0) needs one node per 2^(level_bits * (k + 1)) entries,
	 * at least one: all counts are powers of two, so this is a shift.
	 */
	remaining_bits = geo->entries_shift;
	for (level = 0; level < geo->levels; level++) {
		remaining_bits = tce_sub_floor0(remaining_bits, geo->level_bits);
		geo->nodes[level] = UINT64_C(1) << remaining_bits;
		geo->total_nodes += geo->nodes[level];
	}
	geo->full_bytes = geo->total_nodes * geo->node_bytes;
	geo->initial_bytes = geo->node_bytes;

	geometry_check_profile(geo);
	return 0;
}

uint64_t tce_geometry_charge_bytes(const struct tce_geometry *geo, bool with_mirror)
{
	return with_mirror ? 2 * geo->full_bytes : geo->full_bytes;
}

uint64_t tce_geometry_charge_2015(const struct tce_geometry *geo)
{
	/* Bytes still to cover at this level: the flat table, at least 4 KiB. */
	uint64_t to_cover = UINT64_C(1) << tce_max_shift(geo->entries_shift + 3, 12);
	uint64_t bytes = 0;
	unsigned level;

	for (level = 0; level < geo->levels; level++) {
		bytes += tce_div_round_up(to_cover, geo->node_bytes) * geo->node_bytes;
		/*
		 * Pointer bytes one level up; the 2015 rule rounds them up to whole
		 * nodes, which turns less than one node's worth into nothing.
		 */
		to_cover = (to_cover / geo->node_bytes) * TCE_ENTRY_BYTES;
		to_cover = tce_div_round_up(to_cover, geo->node_bytes) * geo->node_bytes;
	}
	return bytes;
}

int tce_geometry_auto_levels(const struct tce_geometry_request *req, struct tce_geometry *geo,
			     unsigned *first_try)
{
	struct tce_geometry_request attempt = *req;
	unsigned host_page_shift = 0;
	unsigned bits_total, bits_per_level, levels;
	int rc;

	attempt.levels = 1;
	memset(geo, 0, sizeof(*geo));
	rc = geometry_check_request(&attempt, geo, &host_page_shift);
	if (rc)
		return rc;

	/* QEMU: log2 of the flat table's bytes over (log2 host page + 8) bits per level. */
	bits_total = tce_ilog2(req->window_size) - req->page_shift + 3;
	bits_per_level = host_page_shift + 8;
	levels = (unsigned)tce_div_round_up(bits_total, bits_per_level);
	if (levels < 1)
		levels = 1;
	if (first_try)
		*first_try = levels;

	for (levels = 1; levels <= TCE_LEVELS_MAX; levels++) {
		attempt.levels = levels;
		rc = tce_geometry_compute(&attempt, geo);
		if (rc)
			return rc;
		if (geo->create_errno == 0)
			return 0;
	}
	return geo->create_errno;
}
