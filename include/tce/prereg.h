/* SPDX-License-Identifier: MIT */
/*
 * libtce — preregistered (pinned) guest memory of one address space.
 *
 * Concepts
 * --------
 * A VMM registers its guest RAM once (VFIO_IOMMU_SPAPR_REGISTER_MEMORY) so
 * that mapping a page into a TCE table later needs no pinning: only a lookup.
 * A region is a registered range [ua, ua + size) of one address space (one
 * hostmem). Registering charges size bytes to the account first (tag
 * TCE_TAG_REGION), then pins the range through hostmem; any failure undoes
 * both. Registering exactly the same range again takes one more reference;
 * a range that overlaps a region without matching it is refused.
 *
 * A region's pinned memory is kept as extents (see hostmem.h), not one word
 * per page, so guest RAM backed by large contiguous blocks costs a few
 * hundred bytes of bookkeeping, whatever its size. Regions of an address
 * space are kept sorted, so finding the one that contains [ua, ua + size) is a
 * binary search, behind a hint that remembers the last hit.
 *
 * Every TCE that points into a region counts as one mapping of it. The mapped
 * counter is biased: the region is alive while it holds its bias, and tearing
 * it down takes the bias away atomically, after which no new mapping can be
 * counted (-ENXIO). Unregistering the last reference of a region that still
 * has mappings fails with -EBUSY and leaves the region intact (the kernel's
 * VFIO driver returns 0 there and leaks the region, spec B-U1). Destruction
 * unpins everything and uncharges exactly what registration charged.
 *
 * ua -> hpa translation checks, for each IOMMU page, that the whole page lies
 * in host-contiguous pinned memory (one extent, one granule) and is aligned
 * there; it never trusts a region-wide summary (the kernel's per-region
 * page shift can be wrong, spec B-P1).
 *
 * Pins are snapshots: after the process mremaps, munmaps or maps something new
 * over a region, translation keeps using the pinned pages (host-safe) and
 * tce_prereg_verify() reports the region as stale.
 *
 * Locking: registration and unregistration take the address space's write
 * lock; lookups take its read lock and may run from many threads at once.
 * A region returned by tce_prereg_lookup() stays valid only while the caller
 * keeps it from being unregistered; tce_prereg_lookup_get() returns it with a
 * mapping counted, which keeps it alive until tce_region_mapped_dec().
 */
#ifndef TCE_PREREG_H
#define TCE_PREREG_H

#include <stddef.h>
#include <stdint.h>

#include "tce/account.h"
#include "tce/geometry.h"
#include "tce/hostmem.h"
#include "tce/version.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tce_prereg;
struct tce_region;

/** A region's state, for reports and tests. */
struct tce_region_info {
	uint64_t ua;             /**< first user address */
	uint64_t size;           /**< bytes registered (and charged) */
	uint64_t refs;           /**< registrations holding it */
	uint64_t mapped;         /**< TCEs pointing into it (without the bias) */
	size_t extents;          /**< extents of its pinned memory */
	unsigned granule_shift;  /**< host-contiguity granule of the extents */
	uint64_t metadata_bytes; /**< bookkeeping bytes: region, pin and extents */
	unsigned max_page_shift; /**< the page shift the kernel records: the natural
	                              alignment of ua and size, lowered to the backing
	                              pages (huge or base; B-P1 kept, see docs/memory.md).
	                              The linux rules refuse larger IOMMU pages */
	unsigned contiguous_page_shift; /**< largest IOMMU page shift every aligned page of
	                                     the region could use by host contiguity alone
	                                     (what the exact rules allow) */
};

/**
 * tce_prereg_create() - the registered regions of one address space.
 * @hostmem: the address space; must outlive the prereg.
 * @account: where registrations are charged; must outlive the prereg.
 * @preregp: receives the prereg.
 *
 * Return: 0 or -ENOMEM.
 */
TCE_EXPORT int tce_prereg_create(struct tce_hostmem *hostmem, struct tce_account *account,
		      struct tce_prereg **preregp);

/**
 * tce_prereg_destroy() - unregister every region and free the prereg.
 * @prereg: a prereg, or NULL.
 *
 * Return: 0; -EBUSY if any region still has mappings (then nothing is
 * freed and the prereg stays usable).
 */
TCE_EXPORT int tce_prereg_destroy(struct tce_prereg *prereg);

/**
 * tce_prereg_register() - register [ua, ua + size) or take a reference.
 * @prereg: the address space.
 * @ua: first user address, aligned to the host page.
 * @size: bytes, a non-zero multiple of the host page; ua + size must not wrap.
 * @regionp: if not NULL, receives the region.
 *
 * Return: 0; -EINVAL for size 0, misalignment, wrap, or an overlap with a
 * region that is not exactly this range; -ENOMEM when the account's limit
 * is reached or memory runs out; -EFAULT when part of the range is not mapped.
 * On failure the account, the pins and the regions are as before.
 */
TCE_EXPORT int tce_prereg_register(struct tce_prereg *prereg, uint64_t ua, uint64_t size,
			struct tce_region **regionp);

/**
 * tce_prereg_unregister() - drop one reference of exactly [ua, ua + size).
 * @prereg: the address space.
 * @ua: first user address of the region.
 * @size: its size.
 *
 * The last reference destroys the region: unpin, uncharge, free.
 *
 * Return: 0; -ENOENT if no region is exactly this range; -EBUSY if this is
 * the last reference and TCEs still point into the region (nothing changes).
 */
TCE_EXPORT int tce_prereg_unregister(struct tce_prereg *prereg, uint64_t ua, uint64_t size);

/**
 * tce_prereg_lookup() - the region containing [ua, ua + size).
 * @prereg: the address space.
 * @ua: first user address.
 * @size: bytes (0 is taken as 1).
 *
 * O(log n), with a fast path for the last region found.
 *
 * Return: the region, or NULL when no single region contains the range.
 * Valid only while the caller prevents its unregistration.
 */
TCE_EXPORT struct tce_region *tce_prereg_lookup(struct tce_prereg *prereg, uint64_t ua, uint64_t size);

/**
 * tce_prereg_lookup_get() - look up and count one mapping, atomically.
 * @prereg: the address space.
 * @ua: first user address.
 * @size: bytes (0 is taken as 1).
 * @regionp: receives the region, which stays alive until the mapping is
 *           dropped with tce_region_mapped_dec().
 *
 * Return: 0; -EFAULT when no region contains the range; -ENXIO when the
 * region is being destroyed.
 */
TCE_EXPORT int tce_prereg_lookup_get(struct tce_prereg *prereg, uint64_t ua, uint64_t size,
			  struct tce_region **regionp);

/**
 * tce_prereg_count() - the number of registered regions.
 * @prereg: the address space.
 *
 * Return: the count.
 */
TCE_EXPORT size_t tce_prereg_count(struct tce_prereg *prereg);

/**
 * typedef tce_prereg_stale_fn - called by tce_prereg_verify() for a stale region.
 * @opaque: the caller's pointer.
 * @region: the region (valid during the call).
 * @first_stale_ua: the first address whose mapping no longer matches the pin.
 */
typedef void (*tce_prereg_stale_fn)(void *opaque, const struct tce_region *region,
				    uint64_t first_stale_ua);

/**
 * tce_prereg_verify() - find regions whose pinned snapshot no longer matches
 * what the address space maps at their addresses.
 * @prereg: the address space.
 * @fn: called for each stale region (may be NULL).
 * @opaque: passed to @fn.
 *
 * Return: the number of stale regions (>= 0), or a negative errno when the
 * address space cannot be read.
 */
TCE_EXPORT int tce_prereg_verify(struct tce_prereg *prereg, tce_prereg_stale_fn fn, void *opaque);

/**
 * tce_region_ua_to_hpa() - host address of one IOMMU page of a region.
 * @region: the region.
 * @ua: first user address of the IOMMU page, aligned to 2^@page_shift.
 * @page_shift: IOMMU page shift (12..62).
 * @rules: TCE_PROFILE_LINUX for the kernel's rules: the page shift must not
 *         pass the region's max_page_shift (-EFAULT, as mm_iommu_ua_to_hpa())
 *         and the page must lie inside one backing page at least as large
 *         (-EPERM, as tce_page_is_contained()); TCE_PROFILE_EXACT: host
 *         contiguity is enough, whatever the pages behind it.
 * @hpa: receives the host address of @ua.
 *
 * Return: 0 when [ua, ua + 2^page_shift) lies in the region, in one extent and
 * one host-contiguous granule, the rules allow it, and the host address is
 * aligned to the page; -EINVAL for a bad page shift, rules or a misaligned
 * @ua; -EFAULT when the page is not inside the region (or too large for it,
 * linux); -EPERM when it is inside but not host-contiguous, not backed by
 * large enough pages (linux) or not aligned in host memory.
 */
TCE_EXPORT int tce_region_ua_to_hpa(const struct tce_region *region, uint64_t ua, unsigned page_shift,
				    enum tce_profile rules, uint64_t *hpa);

/**
 * tce_region_mapped_inc() - count one more TCE pointing into the region.
 * @region: the region.
 *
 * Return: 0, or -ENXIO when the region is being destroyed.
 */
TCE_EXPORT int tce_region_mapped_inc(struct tce_region *region);

/**
 * tce_region_mapped_dec() - count one TCE less.
 * @region: the region; must have at least one mapping counted.
 */
TCE_EXPORT void tce_region_mapped_dec(struct tce_region *region);

/**
 * tce_region_info() - a region's state.
 * @region: the region.
 * @info: receives it.
 */
TCE_EXPORT void tce_region_info(const struct tce_region *region, struct tce_region_info *info);

#ifdef __cplusplus
}
#endif

#endif /* TCE_PREREG_H */
