// SPDX-License-Identifier: MIT
/*
 * prereg tests: the scenarios from the 2015 review (mremap after REGISTER,
 * unregister with live mappings), argument errors that change nothing,
 * per-page contiguity (B-P1), compact metadata, lookups against a linear scan,
 * injected allocation failures, and lookups racing registrations.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/account.h"
#include "tce/fault.h"
#include "tce/hostmem.h"
#include "tce/prereg.h"


struct fixture {
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
};

static void setup(struct fixture *f, uint64_t limit)
{
	assert_int_equal(tce_hostmem_sim_create(16, &f->hm), 0);
	assert_int_equal(tce_account_create(limit, &f->account), 0);
	assert_int_equal(tce_prereg_create(f->hm, f->account, &f->prereg), 0);
}

static void teardown(struct fixture *f)
{
	assert_int_equal(tce_prereg_destroy(f->prereg), 0);
	assert_true(tce_account_balanced(f->account));
	assert_int_equal(tce_hostmem_pinned_bytes(f->hm), 0);
	tce_account_destroy(f->account);
	tce_hostmem_destroy(f->hm);
}

static uint64_t hpa_now(struct fixture *f, uint64_t ua)
{
	struct tce_host_page page;

	assert_int_equal(tce_hostmem_query(f->hm, ua, &page), 0);
	return page.hpa;
}

struct stale_log {
	unsigned count;
	uint64_t ua[4];
	uint64_t first[4];
};

static void log_stale(void *opaque, const struct tce_region *region, uint64_t first)
{
	struct stale_log *log = opaque;
	struct tce_region_info info;

	tce_region_info(region, &info);
	if (log->count < 4) {
		log->ua[log->count] = info.ua;
		log->first[log->count] = first;
	}
	log->count++;
}

/* The review's scenarios, step by step, with the ledger and pins checked throughout. */
static void test_review_mremap_scenarios(void **state)
{
	const uint64_t ua = 16 * GiB, size = 256 * MiB, other = 32 * GiB, moved = 48 * GiB;
	struct fixture f;
	struct tce_region *region, *region2, *got;
	struct stale_log log = {0};
	uint64_t old_hpa, hpa, new_frames;

	(void)state;
	setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(tce_hostmem_sim_map(f.hm, ua, size, 24, 0), 0);
	assert_int_equal(tce_hostmem_sim_map(f.hm, other, size, 24, 0), 0);
	old_hpa = hpa_now(&f, ua);
	new_frames = hpa_now(&f, other);

	/* 1. Register: charged, pinned. */
	assert_int_equal(tce_prereg_register(f.prereg, ua, size, &region), 0);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_REGION), size);
	assert_int_equal(tce_hostmem_pinned_bytes(f.hm), size);
	assert_int_equal(tce_prereg_verify(f.prereg, NULL, NULL), 0);

	/* 2. mremap a new mapping over the range: translation keeps the pinned pages. */
	assert_int_equal(tce_hostmem_sim_remap(f.hm, other, size, ua, size), 0);
	assert_int_equal(hpa_now(&f, ua), new_frames);
	assert_int_equal(tce_region_ua_to_hpa(region, ua + 16 * MiB, 24, TCE_PROFILE_EXACT, &hpa), 0);
	assert_int_equal(hpa, old_hpa + 16 * MiB);
	assert_int_equal(tce_hostmem_pin_count(f.hm, old_hpa), 1);
	assert_int_equal(tce_prereg_verify(f.prereg, log_stale, &log), 1);
	assert_int_equal(log.count, 1);
	assert_int_equal(log.ua[0], ua);
	assert_int_equal(log.first[0], ua);

	/* 3. mremap the range elsewhere: the new address is not registered. */
	assert_int_equal(tce_hostmem_sim_remap(f.hm, ua, size, moved, size), 0);
	assert_null(tce_prereg_lookup(f.prereg, moved, 64 * KiB));
	assert_int_equal(tce_prereg_lookup_get(f.prereg, moved, 64 * KiB, &got), -EFAULT);
	/* ...but the old range still translates, through the pin. */
	assert_ptr_equal(tce_prereg_lookup(f.prereg, ua, 16 * MiB), region);

	/* 4. Register again at the new location: both pinned, both charged. */
	assert_int_equal(tce_prereg_register(f.prereg, moved, size, &region2), 0);
	assert_int_equal(tce_prereg_count(f.prereg), 2);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_REGION), 2 * size);
	assert_int_equal(tce_hostmem_pinned_bytes(f.hm), 2 * size);
	assert_int_equal(tce_region_ua_to_hpa(region2, moved, 24, TCE_PROFILE_EXACT, &hpa), 0);
	assert_int_equal(hpa, new_frames);
	assert_int_equal(tce_hostmem_pin_count(f.hm, new_frames), 1);

	/* 5. Unregister with a live mapping: -EBUSY, the region intact. */
	assert_int_equal(tce_prereg_lookup_get(f.prereg, ua + 32 * MiB, 16 * MiB, &got), 0);
	assert_ptr_equal(got, region);
	assert_int_equal(tce_prereg_unregister(f.prereg, ua, size), -EBUSY);
	assert_ptr_equal(tce_prereg_lookup(f.prereg, ua, 64 * KiB), region);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_REGION), 2 * size);
	assert_int_equal(tce_hostmem_pin_count(f.hm, old_hpa), 1);
	assert_int_equal(tce_prereg_destroy(f.prereg), -EBUSY);

	/* 6. After the mapping is gone: 0, and the ledger balances once both are gone. */
	tce_region_mapped_dec(got);
	assert_int_equal(tce_prereg_unregister(f.prereg, ua, size), 0);
	assert_int_equal(tce_hostmem_pin_count(f.hm, old_hpa), 0);
	assert_int_equal(tce_prereg_unregister(f.prereg, moved, size), 0);
	assert_int_equal(tce_prereg_count(f.prereg), 0);
	assert_true(tce_account_balanced(f.account));
	teardown(&f);
}

struct snapshot {
	uint64_t locked, pinned;
	size_t count;
};

static struct snapshot snap(struct fixture *f)
{
	struct snapshot s = {tce_account_locked(f->account, TCE_TAG_COUNT),
			     tce_hostmem_pinned_bytes(f->hm), tce_prereg_count(f->prereg)};
	return s;
}

static void assert_same(struct fixture *f, struct snapshot before)
{
	struct snapshot after = snap(f);

	assert_int_equal(after.locked, before.locked);
	assert_int_equal(after.pinned, before.pinned);
	assert_int_equal(after.count, before.count);
}

static void test_register_errors_change_nothing(void **state)
{
	struct fixture f;
	struct snapshot before;
	struct tce_region *region = NULL;

	(void)state;
	setup(&f, 8 * MiB);
	assert_int_equal(tce_hostmem_sim_map(f.hm, 1 * GiB, 4 * MiB, 16, 0), 0);
	assert_int_equal(tce_hostmem_sim_map(f.hm, 1 * GiB + 5 * MiB, 2 * MiB, 16, 0), 0);
	assert_int_equal(tce_hostmem_sim_map(f.hm, 2 * GiB, 16 * MiB, 16, 0), 0);
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB + 1 * MiB, 1 * MiB, NULL), 0);
	before = snap(&f);

	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB, 0, &region), -EINVAL); /* B-Z1 */
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB + 4 * KiB, 64 * KiB, &region), -EINVAL);
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB, 64 * KiB + 4 * KiB, &region), -EINVAL);
	assert_int_equal(tce_prereg_register(f.prereg, UINT64_MAX - 64 * KiB + 1, 128 * KiB, &region),
			 -EINVAL); /* wrap */
	/* Overlaps that are not exact matches: inside, covering, straddling either end. */
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB + 1 * MiB, 64 * KiB, &region), -EINVAL);
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB, 4 * MiB, &region), -EINVAL);
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB, 1 * MiB + 64 * KiB, &region), -EINVAL);
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB + 2 * MiB - 64 * KiB, 1 * MiB, &region),
			 -EINVAL);
	/* A hole in the middle: -EFAULT, never a positive count (B-G1). */
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB + 3 * MiB, 3 * MiB, &region), -EFAULT);
	/* Over the limit: 1 MiB locked, 8 MiB limit. */
	assert_int_equal(tce_prereg_register(f.prereg, 2 * GiB, 8 * MiB, &region), -ENOMEM);
	assert_null(region);
	assert_same(&f, before);
	/* Exactly at the limit works. */
	assert_int_equal(tce_prereg_register(f.prereg, 2 * GiB, 7 * MiB, &region), 0);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_REGION), 8 * MiB);
	/* Unknown ranges: -ENOENT, nothing changes. */
	before = snap(&f);
	assert_int_equal(tce_prereg_unregister(f.prereg, 2 * GiB, 6 * MiB), -ENOENT);
	assert_int_equal(tce_prereg_unregister(f.prereg, 2 * GiB + 64 * KiB, 7 * MiB), -ENOENT);
	assert_int_equal(tce_prereg_unregister(f.prereg, 3 * GiB, 7 * MiB), -ENOENT);
	assert_same(&f, before);
	assert_int_equal(tce_prereg_unregister(f.prereg, 2 * GiB, 7 * MiB), 0);
	assert_int_equal(tce_prereg_unregister(f.prereg, 1 * GiB + 1 * MiB, 1 * MiB), 0);
	teardown(&f);
}

/*
 * Regions that touch but do not overlap are separate registrations: right
 * before and right after another one, each found by its own addresses (a
 * lookup across the seam finds neither), one page more is an overlap.
 */
/* Destroying an address space with regions still registered (a tree of several levels) frees them all. */
static void test_destroy_with_regions(void **state)
{
	struct fixture f;
	unsigned i;

	(void)state;
	setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(tce_hostmem_sim_map(f.hm, 1 * GiB, 40 * MiB, 16, 0), 0);
	for (i = 0; i < 40; i++)
		assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB + i * MiB, 1 * MiB, NULL), 0);
	assert_int_equal(tce_prereg_count(f.prereg), 40);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_REGION), 40 * MiB);
	teardown(&f); /* unregisters and uncharges every region, pins none */
}

static void test_adjacent_regions(void **state)
{
	struct tce_region *mid, *left, *right;
	struct fixture f;

	(void)state;
	setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(tce_hostmem_sim_map(f.hm, 1 * GiB, 3 * MiB, 16, 0), 0);
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB + 1 * MiB, 1 * MiB, &mid), 0);
	/* One page into the middle region from either side: overlaps. */
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB + 64 * KiB, 1 * MiB, NULL), -EINVAL);
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB + 2 * MiB - 64 * KiB, 1 * MiB, NULL),
			 -EINVAL);
	assert_int_equal(tce_prereg_count(f.prereg), 1);
	/* Touching it: accepted, on both sides. */
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB + 2 * MiB, 1 * MiB, &right), 0);
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB, 1 * MiB, &left), 0);
	assert_int_equal(tce_prereg_count(f.prereg), 3);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_REGION), 3 * MiB);
	assert_ptr_equal(tce_prereg_lookup(f.prereg, 1 * GiB + 1 * MiB - 64 * KiB, 64 * KiB), left);
	assert_ptr_equal(tce_prereg_lookup(f.prereg, 1 * GiB + 1 * MiB, 64 * KiB), mid);
	assert_ptr_equal(tce_prereg_lookup(f.prereg, 1 * GiB + 2 * MiB - 64 * KiB, 64 * KiB), mid);
	assert_ptr_equal(tce_prereg_lookup(f.prereg, 1 * GiB + 2 * MiB, 64 * KiB), right);
	assert_null(tce_prereg_lookup(f.prereg, 1 * GiB + 2 * MiB - 64 * KiB, 128 * KiB));
	assert_null(tce_prereg_lookup(f.prereg, 1 * GiB + 1 * MiB - 64 * KiB, 128 * KiB));
	/* Each goes on its own. */
	assert_int_equal(tce_prereg_unregister(f.prereg, 1 * GiB + 1 * MiB, 1 * MiB), 0);
	assert_ptr_equal(tce_prereg_lookup(f.prereg, 1 * GiB, 64 * KiB), left);
	assert_ptr_equal(tce_prereg_lookup(f.prereg, 1 * GiB + 2 * MiB, 64 * KiB), right);
	assert_int_equal(tce_prereg_unregister(f.prereg, 1 * GiB, 1 * MiB), 0);
	assert_int_equal(tce_prereg_unregister(f.prereg, 1 * GiB + 2 * MiB, 1 * MiB), 0);
	teardown(&f);
}

static void test_exact_range_takes_a_reference(void **state)
{
	struct fixture f;
	struct tce_region *a, *b;
	struct tce_region_info info;

	(void)state;
	setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(tce_hostmem_sim_map(f.hm, 1 * GiB, 4 * MiB, 16, 0), 0);
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB, 4 * MiB, &a), 0);
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB, 4 * MiB, &b), 0);
	assert_ptr_equal(a, b);
	tce_region_info(a, &info);
	assert_int_equal(info.refs, 2);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_REGION), 4 * MiB); /* charged once */
	/* With a mapping, dropping one of two references is fine; the last is not. */
	assert_int_equal(tce_region_mapped_inc(a), 0);
	assert_int_equal(tce_prereg_unregister(f.prereg, 1 * GiB, 4 * MiB), 0);
	assert_int_equal(tce_prereg_unregister(f.prereg, 1 * GiB, 4 * MiB), -EBUSY);
	tce_region_info(a, &info);
	assert_int_equal(info.refs, 1);
	assert_int_equal(info.mapped, 1);
	tce_region_mapped_dec(a);
	assert_int_equal(tce_prereg_unregister(f.prereg, 1 * GiB, 4 * MiB), 0);
	teardown(&f);
}

/* Per-page containment, not a region-wide summary (B-P1). */
static void test_ua_to_hpa_per_page(void **state)
{
	struct fixture f;
	struct tce_region *region;
	struct tce_region_info info;
	uint64_t hpa;

	(void)state;
	setup(&f, TCE_ACCOUNT_UNLIMITED);
	/* [16 MiB huge page][1 MiB of fragmented 64 KiB pages], one region. */
	assert_int_equal(tce_hostmem_sim_map(f.hm, 1 * GiB, 16 * MiB, 24, 0), 0);
	assert_int_equal(tce_hostmem_sim_map(f.hm, 1 * GiB + 16 * MiB, 1 * MiB, 16,
					     TCE_SIM_MAP_FRAGMENTED),
			 0);
	assert_int_equal(tce_prereg_register(f.prereg, 1 * GiB, 17 * MiB, &region), 0);
	/* A 16 MiB IOMMU page over the huge page: contained. */
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB, 24, TCE_PROFILE_EXACT, &hpa), 0);
	assert_int_equal(hpa, hpa_now(&f, 1 * GiB));
	assert_int_equal(hpa & (16 * MiB - 1), 0);
	/* A 16 MiB page over the small pages would expose host memory: refused. */
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB + 16 * MiB, 24, TCE_PROFILE_EXACT, &hpa), -EFAULT);
	/* Page shifts 12..62 are pages (2^62 is not in this region: -EFAULT); 63 is not a page shift. */
	assert_int_equal(tce_region_ua_to_hpa(region, 0, 62, TCE_PROFILE_EXACT, &hpa), -EFAULT);
	assert_int_equal(tce_region_ua_to_hpa(region, 0, 63, TCE_PROFILE_EXACT, &hpa), -EINVAL);
	assert_int_equal(tce_region_ua_to_hpa(region, 0, 11, TCE_PROFILE_EXACT, &hpa), -EINVAL);
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB + 16 * MiB, 17, TCE_PROFILE_EXACT, &hpa), -EPERM);
	/* 64 KiB pages of the small part: fine, each its own frame. */
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB + 16 * MiB + 128 * KiB, 16, TCE_PROFILE_EXACT, &hpa), 0);
	assert_int_equal(hpa, hpa_now(&f, 1 * GiB + 16 * MiB + 128 * KiB));
	/* Arguments: misaligned ua, page shift out of range, outside the region. */
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB + 4 * KiB, 16, TCE_PROFILE_EXACT, &hpa), -EINVAL);
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB, 11, TCE_PROFILE_EXACT, &hpa), -EINVAL);
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB, 63, TCE_PROFILE_EXACT, &hpa), -EINVAL);
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB + 17 * MiB, 16, TCE_PROFILE_EXACT, &hpa), -EFAULT);
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB - 64 * KiB, 16, TCE_PROFILE_EXACT, &hpa), -EFAULT);
	/*
	 * The kernel's shift: 1 MiB (the size's alignment), as the huge page
	 * first set the candidate to 16 MiB and the small pages after it did not
	 * lower it (B-P1); contiguity alone allows 64 KiB.
	 */
	tce_region_info(region, &info);
	assert_int_equal(info.max_page_shift, 20);
	assert_int_equal(info.contiguous_page_shift, 16);
	/*
	 * The linux rules: a page larger than that shift is refused with the
	 * kernel's -EFAULT even over the huge page; up to it, the page behind must
	 * be as large (-EPERM over the 64 KiB pages).
	 */
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB, 24, TCE_PROFILE_LINUX, &hpa), -EFAULT);
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB, 21, TCE_PROFILE_LINUX, &hpa), -EFAULT);
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB, 20, TCE_PROFILE_LINUX, &hpa), 0);
	assert_int_equal(hpa, hpa_now(&f, 1 * GiB));
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB + 16 * MiB, 17, TCE_PROFILE_LINUX, &hpa), -EPERM);
	assert_int_equal(tce_region_ua_to_hpa(region, 1 * GiB + 16 * MiB, 16, TCE_PROFILE_LINUX, &hpa), 0);
	assert_int_equal(tce_prereg_unregister(f.prereg, 1 * GiB, 17 * MiB), 0);

	/* Contiguous 64 KiB pages whose host run is not 16 MiB-aligned: a 16 MiB page is refused. */
	assert_int_equal(tce_hostmem_sim_map(f.hm, 8 * GiB, 64 * KiB, 16, 0), 0);
	assert_int_equal(tce_hostmem_sim_map(f.hm, 9 * GiB, 32 * MiB, 16, 0), 0);
	assert_int_not_equal(hpa_now(&f, 9 * GiB) & (16 * MiB - 1), 0);
	assert_int_equal(tce_prereg_register(f.prereg, 9 * GiB, 32 * MiB, &region), 0);
	assert_int_equal(tce_region_ua_to_hpa(region, 9 * GiB, 24, TCE_PROFILE_EXACT, &hpa), -EPERM);
	assert_int_equal(tce_region_ua_to_hpa(region, 9 * GiB, 16, TCE_PROFILE_EXACT, &hpa), 0);
	assert_int_equal(tce_prereg_unregister(f.prereg, 9 * GiB, 32 * MiB), 0);
	teardown(&f);
}

/* 64 GiB of 16 MiB huge pages: a few hundred bytes, where one word per 64 KiB page is 8 MiB. */
static void test_metadata_is_compact(void **state)
{
	struct fixture f;
	struct tce_region *region;
	struct tce_region_info info;
	uint64_t hpa;

	(void)state;
	setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(tce_hostmem_sim_map(f.hm, 64 * GiB, 64 * GiB, 24, 0), 0);
	assert_int_equal(tce_prereg_register(f.prereg, 64 * GiB, 64 * GiB, &region), 0);
	tce_region_info(region, &info);
	assert_int_equal(info.extents, 1);
	assert_true(info.metadata_bytes < 512);
	assert_int_equal((64 * GiB >> 16) * 8, 8 * MiB);
	/* The kernel's: the huge pages. Contiguity: the host run, aligned to 2^32 only. */
	assert_int_equal(info.max_page_shift, 24);
	assert_int_equal(info.contiguous_page_shift, 32);
	assert_int_equal(tce_region_ua_to_hpa(region, 100 * GiB, 24, TCE_PROFILE_EXACT, &hpa), 0);
	assert_int_equal(tce_prereg_unregister(f.prereg, 64 * GiB, 64 * GiB), 0);
	teardown(&f);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* 10,000 regions registered in random order; random lookups agree with a linear scan. */
static void test_many_regions_match_linear_scan(void **state)
{
	enum { REGIONS = 10000, LOOKUPS = 200000 };
	const uint64_t slot = 1 * MiB; /* each region: 64 KiB..512 KiB at the start of its slot */
	uint64_t *order = malloc(REGIONS * sizeof(*order));
	uint64_t *sizes = malloc(REGIONS * sizeof(*sizes));
	uint64_t seed = 12345, i;
	struct fixture f;

	(void)state;
	assert_non_null(order);
	assert_non_null(sizes);
	setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(tce_hostmem_sim_map(f.hm, 0x100000000, REGIONS * slot, 16, 0), 0);
	for (i = 0; i < REGIONS; i++) {
		order[i] = (test_rng(&seed) << 16) | i; /* random key, index in the low bits */
		sizes[i] = (1 + test_rng(&seed) % 8) * 64 * KiB;
	}
	qsort(order, REGIONS, sizeof(*order), cmp_u64);
	for (i = 0; i < REGIONS; i++) {
		uint64_t idx = order[i] & 0xffff;

		assert_int_equal(tce_prereg_register(f.prereg, 0x100000000 + idx * slot, sizes[idx],
						     NULL),
				 0);
	}
	assert_int_equal(tce_prereg_count(f.prereg), REGIONS);
	for (i = 0; i < LOOKUPS; i++) {
		uint64_t ua = 0x100000000 - slot + test_rng(&seed) % ((REGIONS + 2) * slot);
		uint64_t size = 1 + test_rng(&seed) % (128 * KiB);
		struct tce_region *found = tce_prereg_lookup(f.prereg, ua, size);
		struct tce_region_info info;
		uint64_t expect_ua = 0;
		bool expected = false;
		uint64_t j;

		/* The linear scan, as the kernel does it. */
		for (j = 0; j < REGIONS; j++) {
			uint64_t start = 0x100000000 + j * slot;

			if (ua >= start && ua + size <= start + sizes[j]) {
				expected = true;
				expect_ua = start;
				break;
			}
		}
		if (!expected) {
			assert_null(found);
			continue;
		}
		assert_non_null(found);
		tce_region_info(found, &info);
		assert_int_equal(info.ua, expect_ua);
		if (i > 2000)
			i += 49; /* the linear scan dominates; sample less once warmed up */
	}
	for (i = 0; i < REGIONS; i++)
		assert_int_equal(tce_prereg_unregister(f.prereg, 0x100000000 + i * slot, sizes[i]), 0);
	free(order);
	free(sizes);
	teardown(&f);
}

/*
 * Random registrations and unregistrations (ascending, descending and random
 * orders, so the region tree grows several levels, splits and collapses),
 * with injected allocation failures, against a model: after every step the
 * count, and lookups of random addresses, match a linear scan of the model.
 */
static void test_region_tree_against_model(void **state)
{
	enum { SLOTS = 3000 };
	const uint64_t slot = 256 * KiB, base = 0x100000000;
	static uint64_t model[SLOTS]; /* 0: free, else the size registered at the slot */
	uint64_t seed = 99, steps = test_count(NULL, 20000, 120000), step;
	size_t registered = 0;
	struct fixture f;

	(void)state;
	memset(model, 0, sizeof(model));
	setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(tce_hostmem_sim_map(f.hm, base, SLOTS * slot, 16, 0), 0);
	for (step = 0; step < steps; step++) {
		unsigned phase = (unsigned)(step * 6 / steps); /* fill up, drain down, then random */
		uint64_t s = phase == 0   ? step % SLOTS
			     : phase == 1 ? SLOTS - 1 - step % SLOTS
					  : test_rng(&seed) % SLOTS;
		bool add = phase == 0 ? true : phase == 1 ? false : test_rng(&seed) % 2;
		bool inject = test_rng(&seed) % 16 == 0;
		uint64_t size = (1 + test_rng(&seed) % 4) * 64 * KiB, k;
		int rc;

		if (inject)
			tce_fault_fail_nth(1 + test_rng(&seed) % 3);
		if (add && !model[s]) {
			rc = tce_prereg_register(f.prereg, base + s * slot, size, NULL);
			assert_true(rc == 0 || (inject && rc == -ENOMEM));
			if (rc == 0) {
				model[s] = size;
				registered++;
			}
		} else if (!add && model[s]) {
			rc = tce_prereg_unregister(f.prereg, base + s * slot, model[s]);
			assert_true(rc == 0 || (inject && rc == -ENOMEM));
			if (rc == 0) {
				model[s] = 0;
				registered--;
			}
		}
		tce_fault_fail_nth(0);
		assert_int_equal(tce_prereg_count(f.prereg), registered);
		for (k = 0; k < 4; k++) {
			uint64_t probe = test_rng(&seed) % SLOTS, off = test_rng(&seed) % slot;
			struct tce_region *r = tce_prereg_lookup(f.prereg, base + probe * slot + off, 1);

			if (model[probe] && off < model[probe]) {
				struct tce_region_info info;

				assert_non_null(r);
				tce_region_info(r, &info);
				assert_int_equal(info.ua, base + probe * slot);
				assert_int_equal(info.size, model[probe]);
			} else {
				assert_null(r);
			}
		}
	}
	for (step = 0; step < SLOTS; step++)
		if (model[step])
			assert_int_equal(tce_prereg_unregister(f.prereg, base + step * slot, model[step]), 0);
	assert_int_equal(tce_prereg_count(f.prereg), 0);
	teardown(&f);
}

struct register_sweep {
	struct fixture *f;
	struct snapshot before;
};

static int register_op(void *opaque)
{
	return tce_prereg_register(((struct register_sweep *)opaque)->f->prereg, 1 * GiB, 4 * MiB, NULL);
}

static void register_unchanged(void *opaque)
{
	struct register_sweep *c = opaque;

	assert_same(c->f, c->before);
}

/* Every allocation a registration makes, failed in turn: -ENOMEM and nothing changed. */
static void test_register_allocation_failures(void **state)
{
	struct fixture f;
	struct register_sweep c = {.f = &f};

	(void)state;
	setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(tce_hostmem_sim_map(f.hm, 1 * GiB, 4 * MiB, 16, TCE_SIM_MAP_FRAGMENTED), 0);
	c.before = snap(&f);
	/* The region, its pin and the tree node that holds it. */
	assert_int_equal(test_fault_sweep(register_op, register_unchanged, &c), 3);
	assert_int_equal(tce_prereg_unregister(f.prereg, 1 * GiB, 4 * MiB), 0);
	teardown(&f);
}

/* ---- concurrency: lookups from several threads while others register and unregister ---- */

enum { SLOTS = 64, READERS = 3, WRITERS = 2, WRITER_ROUNDS = 2000, READER_ROUNDS = 20000 };

/*
 * Even slots stay registered all along; writers churn the odd ones. Writers go on
 * past WRITER_ROUNDS until a reader has found a churning region, so the race is
 * exercised even when the scheduler runs every thread on one CPU, one after another
 * (a fixed round count let the writers finish before any reader ran: a flaky test).
 */
static _Atomic unsigned writers_left;
static _Atomic bool churn_seen;

struct race {
	struct fixture *f;
	uint64_t seed;
	uint64_t stable_hits, churn_hits;
};

static uint64_t slot_ua(unsigned i)
{
	return 1 * GiB + (uint64_t)i * 1 * MiB;
}

static void *writer_main(void *arg)
{
	struct race *r = arg;
	unsigned i;

	for (i = 0; i < WRITER_ROUNDS || (!atomic_load(&churn_seen) && i < WRITER_ROUNDS * 1000); i++) {
		unsigned s = (unsigned)(test_rng(&r->seed) % (SLOTS / 2)) * 2 + 1;
		int rc = tce_prereg_register(r->f->prereg, slot_ua(s), 512 * KiB, NULL);

		if (rc != 0 && rc != -EINVAL)
			return (void *)1;
		if (test_rng(&r->seed) % 4 == 0)
			continue; /* leave it registered for a while */
		rc = tce_prereg_unregister(r->f->prereg, slot_ua(s), 512 * KiB);
		if (rc != 0 && rc != -ENOENT && rc != -EBUSY)
			return (void *)2;
	}
	atomic_fetch_sub(&writers_left, 1);
	return NULL;
}

static void *reader_main(void *arg)
{
	struct race *r = arg;
	unsigned i;

	/* At least READER_ROUNDS lookups, and on until the writers are done. */
	for (i = 0; i < READER_ROUNDS || atomic_load(&writers_left) > 0; i++) {
		unsigned s = (unsigned)(test_rng(&r->seed) % SLOTS);
		uint64_t ua = slot_ua(s) + (test_rng(&r->seed) % 8) * 64 * KiB;
		struct tce_region *region;
		struct tce_region_info info;
		uint64_t hpa;
		int rc = tce_prereg_lookup_get(r->f->prereg, ua, 64 * KiB, &region);

		if (rc != 0) {
			if (s % 2 == 0)
				return (void *)(uintptr_t)(100 - rc); /* a stable region must always be found */
			if (rc != -EFAULT && rc != -ENXIO) /* gone, or being unregistered */
				return (void *)3;
			continue;
		}
		/* Alive until we drop the mapping: the right one, and it translates. */
		tce_region_info(region, &info);
		if (info.ua != slot_ua(s) || info.size != 512 * KiB ||
		    tce_region_ua_to_hpa(region, ua, 16, TCE_PROFILE_EXACT, &hpa) != 0)
			return (void *)4;
		if (s % 2 == 0)
			r->stable_hits++;
		else {
			r->churn_hits++;
			atomic_store(&churn_seen, true);
		}
		tce_region_mapped_dec(region);
	}
	return NULL;
}

static void test_lookups_race_registrations(void **state)
{
	struct fixture f;
	pthread_t threads[READERS + WRITERS];
	struct race races[READERS + WRITERS];
	uint64_t stable = 0, churn = 0;
	unsigned t, s;

	(void)state;
	setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(tce_hostmem_sim_map(f.hm, 1 * GiB, SLOTS * MiB, 16, 0), 0);
	for (s = 0; s < SLOTS; s += 2)
		assert_int_equal(tce_prereg_register(f.prereg, slot_ua(s), 512 * KiB, NULL), 0);
	atomic_store(&writers_left, WRITERS);
	atomic_store(&churn_seen, false);
	for (t = 0; t < READERS + WRITERS; t++) {
		races[t] = (struct race){&f, 0x9e3779b97f4a7c15u + t * 7919, 0, 0};
		assert_int_equal(pthread_create(&threads[t], NULL,
						t < READERS ? reader_main : writer_main, &races[t]),
				 0);
	}
	for (t = 0; t < READERS + WRITERS; t++) {
		void *ret;

		assert_int_equal(pthread_join(threads[t], &ret), 0);
		assert_int_equal((uintptr_t)ret, 0);
		stable += races[t].stable_hits;
		churn += races[t].churn_hits;
	}
	/* Every lookup of a stable slot found it (about half of all), and churning ones were seen. */
	assert_true(stable > READERS * READER_ROUNDS / 3);
	assert_true(churn > 0);
	/* Drain whatever the writers left registered (refs may be > 1). */
	for (s = 0; s < SLOTS; s++)
		while (tce_prereg_unregister(f.prereg, slot_ua(s), 512 * KiB) == 0)
			;
	assert_int_equal(tce_prereg_count(f.prereg), 0);
	print_message("%" PRIu64 " lookups of stable regions and %" PRIu64 " of churning ones found them\n",
		      stable, churn);
	teardown(&f);
}

/* The real process: register a memfd range, the VMM unmaps it, verify() tells. */
static void test_process_region(void **state)
{
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
	struct tce_region *region;
	struct stale_log log = {0};
	int fd = memfd_create("libtce-prereg", MFD_CLOEXEC);
	const uint64_t size = 1 * MiB;
	unsigned char *mine;
	uint64_t hpa;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	mine = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(mine != MAP_FAILED);
	assert_int_equal(tce_hostmem_process_create(&hm), 0);
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &account), 0);
	tce_fault_fail_nth(1); /* no memory for the prereg: -ENOMEM */
	assert_int_equal(tce_prereg_create(hm, account, &prereg), -ENOMEM);
	tce_fault_fail_nth(0);
	assert_int_equal(tce_prereg_create(hm, account, &prereg), 0);
	assert_int_equal(tce_hostmem_process_add_fd(hm, (uintptr_t)mine, size, fd, 0), 0);
	close(fd); /* the hostmem keeps its own descriptor */
	assert_int_equal(tce_prereg_register(prereg, (uintptr_t)mine, size, &region), 0);
	assert_int_equal(tce_account_locked(account, TCE_TAG_REGION), size);
	mine[4096 * 3 + 9] = 42;
	assert_int_equal(tce_region_ua_to_hpa(region, (uintptr_t)mine + 4096 * 3, 12, TCE_PROFILE_EXACT, &hpa), 0);
	assert_int_equal(((unsigned char *)(uintptr_t)hpa)[9], 42);
	assert_int_equal(tce_prereg_verify(prereg, NULL, NULL), 0);
	assert_int_equal(munmap(mine, (size_t)size), 0);
	assert_int_equal(tce_prereg_verify(prereg, log_stale, &log), 1);
	assert_int_equal(log.first[0], (uintptr_t)mine);
	/* Still host-safe: the library's mapping is alive and locked. */
	assert_int_equal(((unsigned char *)(uintptr_t)hpa)[9], 42);
	assert_int_equal(tce_prereg_unregister(prereg, (uintptr_t)mine, size), 0);
	assert_true(tce_account_balanced(account));
	assert_int_equal(tce_prereg_destroy(prereg), 0);
	tce_account_destroy(account);
	tce_hostmem_destroy(hm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_review_mremap_scenarios),
		cmocka_unit_test(test_register_errors_change_nothing),
		cmocka_unit_test(test_adjacent_regions),
		cmocka_unit_test(test_destroy_with_regions),
		cmocka_unit_test(test_exact_range_takes_a_reference),
		cmocka_unit_test(test_ua_to_hpa_per_page),
		cmocka_unit_test(test_metadata_is_compact),
		cmocka_unit_test(test_many_regions_match_linear_scan),
		cmocka_unit_test(test_region_tree_against_model),
		cmocka_unit_test(test_register_allocation_failures),
		cmocka_unit_test(test_lookups_race_registrations),
		cmocka_unit_test(test_process_region),
	};

	return cmocka_run_group_tests_name("prereg", tests, NULL, NULL);
}
