// SPDX-License-Identifier: MIT
/*
 * Preregistered regions of one address space. See include/tce/prereg.h.
 *
 * Regions are kept in an array sorted by ua; they never overlap, so the only
 * candidate for an address is the last region starting at or before it.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "tce/prereg.h"
#include "alloc.h"
#include "charge.h"

struct tce_region {
	uint64_t ua;
	uint64_t size;
	_Atomic uint64_t refs;    /* changed under the prereg's write lock */
	_Atomic uint64_t mapped;  /* 1 + mappings; 0 once destruction has begun */
	struct tce_hostmem_pin *pin;
};

struct tce_prereg {
	struct tce_hostmem *hostmem;
	struct tce_account *account;
	pthread_rwlock_t lock;
	struct tce_region **regions;
	size_t n, cap;
	_Atomic size_t hint;
};

int tce_prereg_create(struct tce_hostmem *hostmem, struct tce_account *account,
		      struct tce_prereg **preregp)
{
	struct tce_prereg *prereg = tce_zalloc(sizeof(*prereg));

	if (!prereg)
		return -ENOMEM;
	if (pthread_rwlock_init(&prereg->lock, NULL) != 0) {
		tce_free(prereg);
		return -ENOMEM;
	}
	prereg->hostmem = hostmem;
	prereg->account = account;
	*preregp = prereg;
	return 0;
}

/* Release what a region holds: its pin, its charge, itself. */
static void region_free(struct tce_prereg *prereg, struct tce_region *region)
{
	tce_hostmem_unpin(prereg->hostmem, region->pin);
	tce_uncharge_exact(prereg->account, TCE_TAG_REGION, region->size);
	tce_free(region);
}

int tce_prereg_destroy(struct tce_prereg *prereg)
{
	size_t i;

	if (!prereg)
		return 0;
	pthread_rwlock_wrlock(&prereg->lock);
	for (i = 0; i < prereg->n; i++) {
		if (atomic_load(&prereg->regions[i]->mapped) != 1) {
			pthread_rwlock_unlock(&prereg->lock);
			return -EBUSY;
		}
	}
	for (i = 0; i < prereg->n; i++)
		region_free(prereg, prereg->regions[i]);
	tce_free(prereg->regions);
	pthread_rwlock_unlock(&prereg->lock);
	pthread_rwlock_destroy(&prereg->lock);
	tce_free(prereg);
	return 0;
}

/* Index of the first region starting at or after @ua. */
static size_t first_at_or_after(const struct tce_prereg *prereg, uint64_t ua)
{
	size_t lo = 0, hi = prereg->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (prereg->regions[mid]->ua < ua)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the last region starting at or before @ua; n when there is none. */
static size_t last_at_or_before(const struct tce_prereg *prereg, uint64_t ua)
{
	size_t lo = 0, hi = prereg->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (prereg->regions[mid]->ua <= ua)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? prereg->n : lo - 1;
}

static bool region_contains(const struct tce_region *region, uint64_t ua, uint64_t size)
{
	return ua >= region->ua && ua - region->ua < region->size &&
	       size <= region->size - (ua - region->ua);
}

/* Under the lock (read or write). */
static struct tce_region *lookup_locked(struct tce_prereg *prereg, uint64_t ua, uint64_t size)
{
	size_t hint = atomic_load_explicit(&prereg->hint, memory_order_relaxed);
	size_t i;

	if (size == 0)
		size = 1;
	if (hint < prereg->n && region_contains(prereg->regions[hint], ua, size))
		return prereg->regions[hint];
	i = last_at_or_before(prereg, ua);
	if (i == prereg->n || !region_contains(prereg->regions[i], ua, size))
		return NULL;
	atomic_store_explicit(&prereg->hint, i, memory_order_relaxed);
	return prereg->regions[i];
}

int tce_prereg_register(struct tce_prereg *prereg, uint64_t ua, uint64_t size,
			struct tce_region **regionp)
{
	uint64_t page_mask = (UINT64_C(1) << tce_hostmem_page_shift(prereg->hostmem)) - 1;
	struct tce_region *region;
	size_t i;
	int rc;

	if (size == 0 || (ua & page_mask) || (size & page_mask) || ua + (size - 1) < ua)
		return -EINVAL;
	pthread_rwlock_wrlock(&prereg->lock);
	i = first_at_or_after(prereg, ua);
	if (i < prereg->n && prereg->regions[i]->ua == ua && prereg->regions[i]->size == size) {
		region = prereg->regions[i];
		region->refs++;
		rc = 0;
		goto out;
	}
	if ((i < prereg->n && prereg->regions[i]->ua <= ua + (size - 1)) ||
	    (i > 0 && prereg->regions[i - 1]->ua + (prereg->regions[i - 1]->size - 1) >= ua)) {
		rc = -EINVAL; /* overlaps a region without matching it */
		goto out;
	}
	rc = tce_array_reserve((void **)&prereg->regions, &prereg->cap, prereg->n + 1,
			       sizeof(*prereg->regions));
	if (rc)
		goto out;
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
	memmove(&prereg->regions[i + 1], &prereg->regions[i],
		(prereg->n - i) * sizeof(*prereg->regions));
	prereg->regions[i] = region;
	prereg->n++;
	atomic_store(&prereg->hint, i);
out:
	pthread_rwlock_unlock(&prereg->lock);
	if (rc == 0 && regionp)
		*regionp = region;
	return rc;
}

int tce_prereg_unregister(struct tce_prereg *prereg, uint64_t ua, uint64_t size)
{
	struct tce_region *region;
	uint64_t expected = 1;
	size_t i;

	pthread_rwlock_wrlock(&prereg->lock);
	i = first_at_or_after(prereg, ua);
	if (i == prereg->n || prereg->regions[i]->ua != ua || prereg->regions[i]->size != size) {
		pthread_rwlock_unlock(&prereg->lock);
		return -ENOENT;
	}
	region = prereg->regions[i];
	if (region->refs > 1) {
		region->refs--;
		pthread_rwlock_unlock(&prereg->lock);
		return 0;
	}
	/* Take the bias away: from now on no mapping can be counted. */
	if (!atomic_compare_exchange_strong(&region->mapped, &expected, 0)) {
		pthread_rwlock_unlock(&prereg->lock);
		return -EBUSY;
	}
	memmove(&prereg->regions[i], &prereg->regions[i + 1],
		(prereg->n - i - 1) * sizeof(*prereg->regions));
	prereg->n--;
	atomic_store(&prereg->hint, 0);
	pthread_rwlock_unlock(&prereg->lock);
	region_free(prereg, region);
	return 0;
}

struct tce_region *tce_prereg_lookup(struct tce_prereg *prereg, uint64_t ua, uint64_t size)
{
	struct tce_region *region;

	pthread_rwlock_rdlock(&prereg->lock);
	region = lookup_locked(prereg, ua, size);
	pthread_rwlock_unlock(&prereg->lock);
	return region;
}

int tce_prereg_lookup_get(struct tce_prereg *prereg, uint64_t ua, uint64_t size,
			  struct tce_region **regionp)
{
	struct tce_region *region;
	int rc = -EFAULT;

	pthread_rwlock_rdlock(&prereg->lock);
	region = lookup_locked(prereg, ua, size);
	if (region) {
		rc = tce_region_mapped_inc(region);
		if (rc == 0)
			*regionp = region;
	}
	pthread_rwlock_unlock(&prereg->lock);
	return rc;
}

size_t tce_prereg_count(struct tce_prereg *prereg)
{
	size_t n;

	pthread_rwlock_rdlock(&prereg->lock);
	n = prereg->n;
	pthread_rwlock_unlock(&prereg->lock);
	return n;
}

int tce_prereg_verify(struct tce_prereg *prereg, tce_prereg_stale_fn fn, void *opaque)
{
	int stale = 0;
	size_t i;

	pthread_rwlock_rdlock(&prereg->lock);
	for (i = 0; i < prereg->n; i++) {
		uint64_t first = 0;
		int rc = tce_hostmem_pin_check(prereg->hostmem, prereg->regions[i]->pin, &first);

		if (rc < 0) {
			stale = rc;
			break;
		}
		if (rc == 1) {
			stale++;
			if (fn)
				fn(opaque, prereg->regions[i], first);
		}
	}
	pthread_rwlock_unlock(&prereg->lock);
	return stale;
}

int tce_region_ua_to_hpa(const struct tce_region *region, uint64_t ua, unsigned page_shift,
			 uint64_t *hpa)
{
	uint64_t page, found;
	int rc;

	if (page_shift < 12 || page_shift > 62)
		return -EINVAL;
	page = UINT64_C(1) << page_shift;
	if (ua & (page - 1))
		return -EINVAL;
	if (!region_contains(region, ua, page))
		return -EFAULT;
	rc = tce_hostmem_pin_translate(region->pin, ua, page, &found);
	if (rc)
		return rc;
	if (found & (page - 1))
		return -EPERM;
	*hpa = found;
	return 0;
}

int tce_region_mapped_inc(struct tce_region *region)
{
	uint64_t v = atomic_load(&region->mapped);

	do {
		if (v == 0)
			return -ENXIO;
	} while (!atomic_compare_exchange_weak(&region->mapped, &v, v + 1));
	return 0;
}

void tce_region_mapped_dec(struct tce_region *region)
{
	uint64_t old = atomic_fetch_sub(&region->mapped, 1);

	assert(old > 1); /* never drops the registration bias */
	(void)old;
}

/* Largest shift s such that every 2^s-aligned page of the region translates. */
static unsigned region_max_page_shift(const struct tce_region *region)
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

void tce_region_info(const struct tce_region *region, struct tce_region_info *info)
{
	uint64_t mapped = atomic_load(&((struct tce_region *)region)->mapped);

	info->ua = region->ua;
	info->size = region->size;
	info->refs = atomic_load(&((struct tce_region *)region)->refs);
	info->mapped = mapped ? mapped - 1 : 0;
	info->extents = tce_hostmem_pin_extents(region->pin);
	info->granule_shift = tce_hostmem_pin_granule_shift(region->pin);
	info->metadata_bytes = sizeof(*region) + tce_hostmem_pin_metadata_bytes(region->pin);
	info->max_page_shift = region_max_page_shift(region);
}
