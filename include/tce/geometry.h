/* SPDX-License-Identifier: MIT */
/*
 * libtce — TCE table geometry and sizing.
 *
 * Concepts
 * --------
 * A DMA window maps a power-of-two range of bus addresses (IOBAs), 2^window_shift
 * bytes, in IOMMU pages of 2^page_shift bytes: it has 2^(window_shift - page_shift)
 * entries, one 64-bit TCE each. The hardware finds an entry by walking a tree of
 * `levels` levels. Every node of the tree, at every level, has the same size,
 * 2^level_shift bytes, so each level resolves level_shift - 3 bits of the entry
 * index. A node is never smaller than one host page (64 KiB on a PowerNV Linux
 * host), so a small window still takes a whole node.
 *
 * Everything here is pure arithmetic on (page_shift, window_size, levels) and a
 * profile: how many nodes each level needs when every entry is populated, how
 * many bytes that is, and whether a given platform would create such a table.
 * Because the worst case is known before anything is allocated, callers charge
 * it to a locked-memory account first and release exactly that amount later.
 *
 * Profiles:
 *  - TCE_PROFILE_LINUX: a PowerNV IODA2 Linux host with 64 KiB pages. The charge
 *    is what the current kernel's get_table_size() returns for a VFIO window
 *    (hardware table plus the userspace-address mirror, both fully populated),
 *    and validity follows its create_table(): levels 1..5, a power-of-two
 *    window, fewer than 55 bus-address bits indexed by the tree, and no node
 *    larger than 16 MiB (the largest contiguous allocation, -ENOMEM).
 *  - TCE_PROFILE_EXACT: the same tree with a configurable host page size
 *    (4 KiB or 64 KiB) and no kernel limit beyond the 64-bit bus address.
 *
 * The "2015 charge" is what get_table_size() returned when it was introduced:
 * one copy only, and a last step that counts 0 bytes for an upper level whose
 * pointers fit in less than one node. It under-counts small multi-level
 * windows; it is reported so users can see the difference.
 */
#ifndef TCE_GEOMETRY_H
#define TCE_GEOMETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "tce/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most levels any profile accepts (IODA2 supports 1..5). */
#define TCE_LEVELS_MAX 5u
/** Smallest IOMMU page shift (4 KiB). */
#define TCE_PAGE_SHIFT_MIN 12u
/** Largest IOMMU page shift accepted by the geometry (the window bounds it too). */
#define TCE_PAGE_SHIFT_MAX 62u
/** Largest window shift: a window of 2^63 bytes. */
#define TCE_WINDOW_SHIFT_MAX 63u
/** Bytes of one TCE. */
#define TCE_ENTRY_BYTES 8u
/** Host page shift of the linux profile (64 KiB pages). */
#define TCE_LINUX_HOST_PAGE_SHIFT 16u
/** Largest node the linux profile can allocate: 2^(16 + MAX_PAGE_ORDER 8) = 16 MiB. */
#define TCE_LINUX_MAX_NODE_SHIFT 24u
/** The linux profile rejects trees that index this many bus-address bits or more. */
#define TCE_LINUX_BUS_BITS 55u

/** Which platform's rules decide sizes and validity. */
enum tce_profile {
	TCE_PROFILE_LINUX = 0, /**< PowerNV IODA2 Linux host, 64 KiB pages */
	TCE_PROFILE_EXACT = 1, /**< the plain tree, host page 4 KiB or 64 KiB */
};

/** What a caller asks for. */
struct tce_geometry_request {
	unsigned page_shift;      /**< IOMMU page shift, 12..62 */
	uint64_t window_size;     /**< bytes, a power of two, 2^page_shift..2^63 */
	unsigned levels;          /**< 1..TCE_LEVELS_MAX */
	enum tce_profile profile; /**< rules to apply */
	unsigned host_page_shift; /**< exact profile: 12 or 16; 0 means 16. Ignored by linux (16). */
};

/** A computed geometry. Node counts are for a fully populated tree, leaf level first. */
struct tce_geometry {
	enum tce_profile profile;
	unsigned host_page_shift;  /**< smallest node is 2^host_page_shift bytes */
	unsigned page_shift;       /**< IOMMU page shift */
	unsigned window_shift;     /**< log2 of the window size in bytes */
	unsigned levels;           /**< levels of the tree */
	unsigned entries_shift;    /**< log2 of the entries in the window */
	unsigned level_shift;      /**< log2 of the bytes of one node (every level) */
	unsigned level_bits;       /**< index bits one level resolves: level_shift - 3 */
	uint64_t window_entries;   /**< entries the window needs: 2^entries_shift */
	uint64_t table_entries;    /**< entries a flat table of at least one host page holds
	                                (the kernel's it_size; >= window_entries) */
	uint64_t entries_per_node; /**< 2^level_bits */
	uint64_t node_bytes;       /**< 2^level_shift */
	uint64_t nodes[TCE_LEVELS_MAX]; /**< nodes per level when fully populated; [0] = leaf */
	uint64_t total_nodes;      /**< sum of nodes[] */
	uint64_t full_bytes;       /**< bytes of one fully populated copy: total_nodes * node_bytes */
	uint64_t initial_bytes;    /**< bytes of one copy right after creation: the top node */
	unsigned tree_bits;        /**< bus-address bits the tree can index: level_bits * levels + page_shift */
	int create_errno;          /**< 0 if the profile creates this table, else -EINVAL or -ENOMEM */
	const char *reason;        /**< why not (static string), NULL when create_errno == 0 */
};

/**
 * tce_geometry_compute() - compute the geometry of a table.
 * @req: page shift, window size, levels, profile (and host page for exact).
 * @geo: filled on return 0; on -EINVAL only @geo->reason is meaningful.
 *
 * Return: 0 when the request describes a tree (then @geo->create_errno says
 * whether the profile would create it, and @geo->reason why not); -EINVAL when
 * it does not (page_shift out of 12..62, window not a power of two, smaller
 * than one page or above 2^63, levels outside 1..5, host page not 4K/64K),
 * with @geo->reason naming the bad argument. Never allocates.
 */
TCE_EXPORT int tce_geometry_compute(const struct tce_geometry_request *req, struct tce_geometry *geo);

/**
 * tce_geometry_charge_bytes() - bytes to charge for a table of this geometry.
 * @geo: a geometry computed by tce_geometry_compute().
 * @with_mirror: true to include the userspace-address mirror (same shape).
 *
 * Return: full_bytes, times two with the mirror. For the linux profile with a
 * mirror this is exactly the kernel's get_table_size() for a VFIO window.
 */
TCE_EXPORT uint64_t tce_geometry_charge_bytes(const struct tce_geometry *geo, bool with_mirror);

/**
 * tce_geometry_charge_2015() - what get_table_size() returned in 2015 (v4.2).
 * @geo: a geometry computed by tce_geometry_compute() (any profile; the
 *       host page of the geometry stands for PAGE_SIZE).
 *
 * Return: bytes for one copy by the 2015 rule. Less than full_bytes when an
 * upper level's pointers need less than one node (the under-count).
 */
TCE_EXPORT uint64_t tce_geometry_charge_2015(const struct tce_geometry *geo);

/**
 * tce_geometry_auto_levels() - the fewest levels the profile accepts.
 * @req: as for tce_geometry_compute(); @req->levels is ignored.
 * @geo: filled with the chosen geometry (or, when nothing is accepted, with
 *       the last one tried, so the caller can show why).
 * @first_try: if not NULL, receives the level count QEMU starts from
 *       (ceil(log2(entries * 8) / (host_page_shift + 8))), before it escalates.
 *
 * Tries 1, 2, ... 5 levels and returns the first the profile accepts. For the
 * linux profile this is also what QEMU ends with: it starts from @first_try,
 * which never exceeds the fewest accepted count there (a node of at most
 * 16 MiB needs level_bits <= 21), and adds a level each time the kernel
 * refuses. For the exact profile (no node limit) QEMU's guess may be larger.
 *
 * Return: 0 with @geo accepted; -EINVAL if the request is not a tree at any
 * level count (bad page shift or window); or the last create_errno (-EINVAL or
 * -ENOMEM) when no level count 1..5 is accepted.
 */
TCE_EXPORT int tce_geometry_auto_levels(const struct tce_geometry_request *req, struct tce_geometry *geo,
			     unsigned *first_try);

/**
 * tce_profile_name() - the name of a profile ("linux", "exact").
 * @profile: a profile.
 *
 * Return: a static string, "unknown" for an out-of-range value.
 */
TCE_EXPORT const char *tce_profile_name(enum tce_profile profile);

/**
 * tce_profile_parse() - parse "linux" or "exact".
 * @name: the name.
 * @profile: receives the profile.
 *
 * Return: 0, or -EINVAL for an unknown name (@profile untouched).
 */
TCE_EXPORT int tce_profile_parse(const char *name, enum tce_profile *profile);

#ifdef __cplusplus
}
#endif

#endif /* TCE_GEOMETRY_H */
