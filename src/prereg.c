// SPDX-License-Identifier: MIT
/*
 * Preregistered regions of one address space. See include/tce/prereg.h and,
 * for the map engine's view, src/prereg_fast.h.
 *
 * The regions are a copy-on-write B+tree keyed by start address. Nodes are
 * never changed once published: a writer (under the prereg's mutex) copies
 * the path from the root to the leaf it changes, splits a node that overflows,
 * drops a node that empties, publishes the new root with a release store and
 * retires the replaced nodes to an RCU batch. Readers walk the tree inside an
 * RCU read section without any lock. Regions never overlap, so the only
 * candidate for an address is the region with the largest start <= it; every
 * separator key is the exact smallest key below it, so that search never
 * backtracks. Up to 16 regions fit one leaf: a lookup is then a scan of two
 * cache lines.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "charge.h"
#include "prereg_fast.h"
#include "prereg_tree.h"

/* Retired nodes and regions freed together, after one grace period. */
#define RECLAIM_THRESHOLD 256

struct tce_prereg {
	struct tce_hostmem *hostmem;
	struct tce_account *account;
	pthread_mutex_t lock; /* writers */
	struct tce_region_tree tree;
	_Atomic size_t count;
	uint64_t gen; /* the removal generation at the last removal, for hints */
	struct tce_rcu_batch retired;
};

/*
 * Hints: the last region a thread found, valid while no region was removed
 * anywhere since (a global generation). A removed region is therefore never
 * reached through a stale hint, whenever it is freed.
 */
static _Atomic uint64_t removal_gen = 1;
static __thread struct {
	const struct tce_prereg *owner;
	uint64_t gen;
	uint64_t ua, size; /* the region's range: checking the hint reads no region */
	struct tce_region *region;
} hint __attribute__((tls_model("initial-exec")));

int tce_prereg_create(struct tce_hostmem *hostmem, struct tce_account *account,
		      struct tce_prereg **preregp)
{
	struct tce_prereg *prereg = tce_zalloc(sizeof(*prereg));

	if (!prereg)
		return -ENOMEM;
	pthread_mutex_init(&prereg->lock, NULL); /* default attributes: cannot fail on Linux */
	prereg->hostmem = hostmem;
	prereg->account = account;
	*preregp = prereg;
	return 0;
}

static void region_free_rcu(struct tce_rcu_head *head)
{
	tce_free((struct tce_region *)((char *)head - offsetof(struct tce_region, rcu)));
}

/* ---- regions ---- */

/* Largest shift s such that every 2^s-aligned page of the region is host-contiguous. */
static unsigned region_contiguous_page_shift(const struct tce_region *region)
{
	size_t n = tce_hostmem_pin_extents(region->pin), i;
	unsigned granule = tce_hostmem_pin_granule_shift(region->pin);
	unsigned shift;

	for (shift = 62; shift > 12; shift--) {
		uint64_t mask = (UINT64_C(1) << shift) - 1;
		bool ok = shift <= granule && (region->ua & mask) == 0 && (region->size & mask) == 0;

		for (i = 0; ok && i < n; i++) {
			struct tce_extent e;

			tce_hostmem_pin_extent(region->pin, i, &e);
			ok = (e.ua & mask) == 0 && (e.bytes & mask) == 0 && (e.hpa & mask) == 0;
		}
		if (ok)
			return shift;
	}
	return 12;
}

/*
 * The page shift the kernel records for a region (mm_iommu_do_alloc()): the
 * natural alignment of its start and size, lowered to the size of the huge
 * pages backing it, or to the base page. Like the kernel, the candidate is
 * not reset for base pages that follow a huge page (B-P1): a region that
 * starts with a huge page keeps that page's shift. libtce also checks every
 * IOMMU page against the page that backs it (tce_region_translate()), so
 * this number alone never lets a large IOMMU page over small pages.
 */
static unsigned region_kernel_page_shift(const struct tce_region *region, unsigned base_shift)
{
	size_t n = tce_hostmem_pin_extents(region->pin), i;
	unsigned shift = (unsigned)__builtin_ctzll(region->ua | region->size), candidate = base_shift;

	for (i = 0; i < n; i++) {
		struct tce_extent e;

		tce_hostmem_pin_extent(region->pin, i, &e);
		if (shift > base_shift && e.page_shift > base_shift)
			candidate = e.page_shift;
		if (candidate < shift)
			shift = candidate;
	}
	return shift;
}

/* Release what a region holds now (its pin, its charge); its memory goes after a grace period. */
static void region_release(struct tce_prereg *prereg, struct tce_region *region)
{
	tce_hostmem_unpin(prereg->hostmem, region->pin);
	tce_uncharge_exact(prereg->account, TCE_TAG_REGION, region->size);
	region->pin = NULL;
}

static int region_busy(void *ctx, struct tce_region *region)
{
	(void)ctx;
	return atomic_load_explicit(&region->mapped, memory_order_relaxed) != 1 ? -EBUSY : 0;
}

static int region_destroy_now(void *ctx, struct tce_region *region)
{
	region_release(ctx, region);
	tce_free(region);
	return 0;
}

int tce_prereg_destroy(struct tce_prereg *prereg)
{
	if (!prereg)
		return 0;
	pthread_mutex_lock(&prereg->lock);
	if (tce_region_tree_walk(&prereg->tree, region_busy, NULL)) {
		pthread_mutex_unlock(&prereg->lock);
		return -EBUSY;
	}
	/* No reader may use a prereg that is being destroyed: free at once. */
	tce_region_tree_walk(&prereg->tree, region_destroy_now, prereg);
	tce_region_tree_free(&prereg->tree);
	atomic_fetch_add(&removal_gen, 1);
	pthread_mutex_unlock(&prereg->lock);
	tce_rcu_reclaim(&prereg->retired);
	pthread_mutex_destroy(&prereg->lock);
	tce_free(prereg);
	return 0;
}

/* Writer side (under the lock): the region exactly [ua, ua + size), or NULL. */
static struct tce_region *find_exact(struct tce_prereg *prereg, uint64_t ua, uint64_t size)
{
	struct tce_region *r = tce_region_tree_floor(&prereg->tree, ua);

	return r && r->ua == ua && r->size == size ? r : NULL;
}

int tce_prereg_register(struct tce_prereg *prereg, uint64_t ua, uint64_t size,
			struct tce_region **regionp)
{
	unsigned page_shift = tce_hostmem_page_shift(prereg->hostmem);
	struct tce_region *region, *before;
	int rc;

	if (!tce_range_valid(ua, size, page_shift))
		return -EINVAL;
	pthread_mutex_lock(&prereg->lock);
	region = find_exact(prereg, ua, size);
	if (region) {
		atomic_fetch_add_explicit(&region->refs, 1, memory_order_relaxed);
		rc = 0;
		goto out;
	}
	/* The region starting last at or before our end is the only one that could overlap. */
	before = tce_region_tree_floor(&prereg->tree, tce_range_last(ua, size));
	if (before && tce_range_overlap(before->ua, before->size, ua, size)) {
		rc = -EINVAL; /* overlaps a region without matching it */
		goto out;
	}
	region = tce_zalloc(sizeof(*region));
	if (!region) {
		rc = -ENOMEM;
		goto out;
	}
	/* Charge first, then pin. */
	rc = tce_account_charge(prereg->account, TCE_TAG_REGION, size);
	if (rc) {
		tce_free(region);
		goto out;
	}
	rc = tce_hostmem_pin(prereg->hostmem, ua, size, &region->pin);
	if (rc) {
		tce_uncharge_exact(prereg->account, TCE_TAG_REGION, size);
		tce_free(region);
		goto out;
	}
	region->ua = ua;
	region->size = size;
	atomic_init(&region->refs, 1);
	atomic_init(&region->mapped, 1);
	region->max_page_shift = region_kernel_page_shift(region, tce_hostmem_page_shift(prereg->hostmem));
	region->contiguous_page_shift = region_contiguous_page_shift(region);
	rc = tce_region_tree_insert(&prereg->tree, region, &prereg->retired);
	if (rc) {
		region_release(prereg, region);
		tce_free(region);
		goto out;
	}
	atomic_fetch_add_explicit(&prereg->count, 1, memory_order_relaxed);
out:
	pthread_mutex_unlock(&prereg->lock);
	if (rc == 0 && regionp)
		*regionp = region;
	return rc;
}

int tce_prereg_unregister(struct tce_prereg *prereg, uint64_t ua, uint64_t size)
{
	struct tce_region *region;
	uint64_t expected = 1;
	int rc = 0;

	pthread_mutex_lock(&prereg->lock);
	region = find_exact(prereg, ua, size);
	if (!region) {
		rc = -ENOENT;
	} else if (atomic_load_explicit(&region->refs, memory_order_relaxed) > 1) {
		atomic_fetch_sub_explicit(&region->refs, 1, memory_order_relaxed);
	} else if (!atomic_compare_exchange_strong(&region->mapped, &expected, 0)) {
		/* Taking the bias away failed: mappings still point into it. */
		rc = -EBUSY;
	} else {
		rc = tce_region_tree_remove(&prereg->tree, ua, &prereg->retired);
		if (rc) {
			atomic_store(&region->mapped, 1); /* still registered, unchanged */
		} else {
			atomic_fetch_sub_explicit(&prereg->count, 1, memory_order_relaxed);
			atomic_fetch_add(&removal_gen, 1);
			region_release(prereg, region);
			tce_rcu_retire(&prereg->retired, &region->rcu, region_free_rcu);
			tce_rcu_reclaim_above(&prereg->retired, RECLAIM_THRESHOLD);
		}
	}
	pthread_mutex_unlock(&prereg->lock);
	return rc;
}

struct tce_region *tce_prereg_find(struct tce_prereg *prereg, uint64_t ua, uint64_t size)
{
	uint64_t gen = atomic_load_explicit(&removal_gen, memory_order_acquire), rua, rsize;
	struct tce_region *region;

	if (hint.owner == prereg && hint.gen == gen && tce_range_inside(hint.ua, hint.size, ua, size))
		return hint.region;
	region = tce_region_tree_find(&prereg->tree, ua, size, &rua, &rsize);
	if (!region)
		return NULL;
	hint.owner = prereg;
	hint.gen = gen;
	hint.ua = rua;
	hint.size = rsize;
	hint.region = region;
	return region;
}

struct tce_region *tce_prereg_lookup(struct tce_prereg *prereg, uint64_t ua, uint64_t size)
{
	struct tce_region *region;

	tce_rcu_read_lock();
	region = tce_prereg_find(prereg, ua, size ? size : 1);
	tce_rcu_read_unlock();
	return region;
}

int tce_prereg_lookup_get(struct tce_prereg *prereg, uint64_t ua, uint64_t size,
			  struct tce_region **regionp)
{
	struct tce_region *region;
	int rc;

	tce_rcu_read_lock();
	region = tce_prereg_find(prereg, ua, size ? size : 1);
	rc = region ? tce_region_mapped_add(region, 1) : -EFAULT;
	tce_rcu_read_unlock();
	if (rc == 0)
		*regionp = region;
	return rc;
}

size_t tce_prereg_count(struct tce_prereg *prereg)
{
	return atomic_load_explicit(&prereg->count, memory_order_relaxed);
}

struct verify_ctx {
	struct tce_prereg *prereg;
	tce_prereg_stale_fn fn;
	void *opaque;
	int stale;
};

static int verify_one(void *opaque, struct tce_region *region)
{
	struct verify_ctx *v = opaque;
	uint64_t first = 0;
	int rc = tce_hostmem_pin_check(v->prereg->hostmem, region->pin, &first);

	if (rc < 0)
		return rc;
	if (rc == 1) {
		v->stale++;
		if (v->fn)
			v->fn(v->opaque, region, first);
	}
	return 0;
}

int tce_prereg_verify(struct tce_prereg *prereg, tce_prereg_stale_fn fn, void *opaque)
{
	struct verify_ctx v = {prereg, fn, opaque, 0};
	int rc;

	pthread_mutex_lock(&prereg->lock);
	rc = tce_region_tree_walk(&prereg->tree, verify_one, &v);
	pthread_mutex_unlock(&prereg->lock);
	return rc < 0 ? rc : v.stale;
}

int tce_region_translate(const struct tce_region *region, uint64_t ua, uint64_t bytes,
			 unsigned page_shift, enum tce_profile rules, uint64_t *hpa)
{
	unsigned backing;
	uint64_t found;
	int rc;

	if (!tce_region_holds(region, ua, bytes))
		return -EFAULT;
	/* The kernel's mm_iommu_ua_to_hpa(): no page larger than the region's shift. */
	if (rules == TCE_PROFILE_LINUX && page_shift > region->max_page_shift)
		return -EFAULT;
	rc = tce_hostmem_pin_translate(region->pin, ua, bytes, &found, &backing);
	if (rc)
		return rc;
	/* tce_page_is_contained(): the page backing it is at least an IOMMU page. */
	if (rules == TCE_PROFILE_LINUX && backing < page_shift)
		return -EPERM;
	if (found & ((UINT64_C(1) << page_shift) - 1))
		return -EPERM;
	*hpa = found;
	return 0;
}

int tce_region_ua_to_hpa(const struct tce_region *region, uint64_t ua, unsigned page_shift,
			 enum tce_profile rules, uint64_t *hpa)
{
	uint64_t page;

	if (page_shift < 12 || page_shift > 62 ||
	    (rules != TCE_PROFILE_LINUX && rules != TCE_PROFILE_EXACT))
		return -EINVAL;
	page = UINT64_C(1) << page_shift;
	if (ua & (page - 1))
		return -EINVAL;
	return tce_region_translate(region, ua, page, page_shift, rules, hpa);
}

int tce_region_mapped_inc(struct tce_region *region)
{
	return tce_region_mapped_add(region, 1);
}

void tce_region_mapped_dec(struct tce_region *region)
{
	uint64_t old = atomic_fetch_sub(&region->mapped, 1);

	assert(old > 1); /* never drops the registration bias */
	(void)old;
}

void tce_region_info(const struct tce_region *region, struct tce_region_info *info)
{
	uint64_t mapped = atomic_load_explicit(&region->mapped, memory_order_relaxed);

	info->ua = region->ua;
	info->size = region->size;
	info->refs = atomic_load_explicit(&region->refs, memory_order_relaxed);
	info->mapped = mapped ? mapped - 1 : 0;
	info->extents = tce_hostmem_pin_extents(region->pin);
	info->granule_shift = tce_hostmem_pin_granule_shift(region->pin);
	info->metadata_bytes = sizeof(*region) + tce_hostmem_pin_metadata_bytes(region->pin);
	info->max_page_shift = region->max_page_shift;
	info->contiguous_page_shift = region->contiguous_page_shift;
}
