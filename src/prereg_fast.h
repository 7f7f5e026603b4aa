/* SPDX-License-Identifier: MIT */
/*
 * Registered regions for the map engine's hot path (internal). See
 * include/tce/prereg.h.
 *
 * Concepts: the window's map engine resolves many pages per call. It enters
 * one RCU read section (rcu.h) for the whole call, finds regions with
 * tce_prereg_find() behind a hint of its own (the previous page's region),
 * and counts mappings per region once per call (tce_region_mapped_add/_sub)
 * instead of once per page. A region found inside the read section stays
 * readable until the section ends, even if another thread unregisters it;
 * counting a mapping on it then fails with -ENXIO because its count is 0.
 */
#ifndef TCE_PREREG_FAST_H
#define TCE_PREREG_FAST_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tce/geometry.h"
#include "tce/prereg.h"
#include "range.h"
#include "rcu.h"

struct tce_region {
	uint64_t ua;
	uint64_t size;
	_Atomic uint64_t refs;    /* registrations; changed under the prereg's lock */
	_Atomic uint64_t mapped;  /* 1 + mappings; 0 once destruction has begun */
	unsigned max_page_shift;  /* the kernel's region page shift (prereg.h) */
	unsigned contiguous_page_shift; /* largest shift host contiguity allows */
	struct tce_hostmem_pin *pin;
	struct tce_rcu_head rcu;
};

/* Whether [ua, ua + size) lies in the region. */
static inline bool tce_region_holds(const struct tce_region *region, uint64_t ua, uint64_t size)
{
	return tce_range_inside(region->ua, region->size, ua, size);
}

/*
 * The region containing [ua, ua + size) (size >= 1), or NULL. The caller is
 * inside an RCU read section; the result is readable until the section ends.
 */
struct tce_region *tce_prereg_find(struct tce_prereg *prereg, uint64_t ua, uint64_t size);

/*
 * The host address of @ua when [ua, ua + bytes) is host-contiguous in the
 * region for IOMMU pages of 2^page_shift (bytes a multiple of the page) under
 * @rules (TCE_PROFILE_LINUX: the page shift within the region's and every
 * page inside one backing page at least as large; TCE_PROFILE_EXACT: host
 * contiguity is enough): 0; -EFAULT when the range is not inside the region
 * (or, linux, the page is larger than the region's shift); -EPERM when it is
 * not contiguous, not backed by large enough pages, or not aligned.
 * tce_region_ua_to_hpa() is this for one page.
 */
int tce_region_translate(const struct tce_region *region, uint64_t ua, uint64_t bytes,
			 unsigned page_shift, enum tce_profile rules, uint64_t *hpa);

/* Count @n more mappings: 0, or -ENXIO when the region is being destroyed (nothing counted). */
static inline int tce_region_mapped_add(struct tce_region *region, uint64_t n)
{
	uint64_t v = atomic_load_explicit(&region->mapped, memory_order_relaxed);

	do {
		if (v == 0)
			return -ENXIO;
	} while (!atomic_compare_exchange_weak_explicit(&region->mapped, &v, v + n,
							memory_order_acquire, memory_order_relaxed));
	return 0;
}

/* Count @n mappings less; the region holds at least @n. */
static inline void tce_region_mapped_sub(struct tce_region *region, uint64_t n)
{
	atomic_fetch_sub_explicit(&region->mapped, n, memory_order_release);
}

#endif /* TCE_PREREG_FAST_H */
