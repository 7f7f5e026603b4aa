// SPDX-License-Identifier: MIT
/*
 * userview tests: both kinds against a plain array under random set/clear
 * ranges, run splitting and merging, charging (mirror up front, extents as
 * they grow), refusal at the limit, and reserve making changes infallible.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/account.h"
#include "tce/fault.h"
#include "tce/geometry.h"
#include "tce/userview.h"


static struct tce_geometry geometry(unsigned ps, uint64_t window, unsigned levels)
{
	struct tce_geometry_request req = {.page_shift = ps, .window_size = window, .levels = levels,
					   .profile = TCE_PROFILE_LINUX};
	struct tce_geometry geo;

	assert_int_equal(tce_geometry_compute(&req, &geo), 0);
	return geo;
}

/* A userview of @kind over @geo, charged to a new unlimited account. */
static struct tce_userview *userview_of(enum tce_userview_kind kind, const struct tce_geometry *geo,
					struct tce_account **account)
{
	struct tce_userview *uv;

	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, account), 0);
	assert_int_equal(tce_userview_create(kind, geo, *account, &uv), 0);
	assert_int_equal(tce_userview_kind(uv), kind);
	return uv;
}

/* Destroy both; everything charged must have been released. */
static void userview_done(struct tce_userview *uv, struct tce_account *account)
{
	tce_userview_destroy(uv);
	assert_true(tce_account_balanced(account));
	tce_account_destroy(account);
}

static void differential(enum tce_userview_kind kind)
{
	/* 16 MiB window of 4 KiB pages, 2 levels: 4096 entries. */
	struct tce_geometry geo = geometry(12, 16 * MiB, 2);
	struct tce_account *account;
	struct tce_userview *uv;
	uint64_t *model = calloc(geo.window_entries, sizeof(uint64_t));
	uint64_t seed = kind == TCE_USERVIEW_MIRROR ? 11 : 29, step, i;

	assert_non_null(model);
	uv = userview_of(kind, &geo, &account);
	for (step = 0; step < 3000; step++) {
		uint64_t index = test_rng(&seed) % geo.window_entries;
		uint64_t max = geo.window_entries - index;
		uint64_t npages = 1 + test_rng(&seed) % (max < 64 ? max : 64);

		if (test_rng(&seed) % 3) {
			/* Sometimes continue a previous run so merging is exercised. */
			uint64_t ua = index > 0 && model[index - 1] && test_rng(&seed) % 2
					      ? model[index - 1] + 4 * KiB
					      : (1 + test_rng(&seed) % 100000) << 12;

			assert_int_equal(tce_userview_set_range(uv, index, npages, ua), 0);
			for (i = 0; i < npages; i++)
				model[index + i] = ua + (i << 12);
		} else {
			assert_int_equal(tce_userview_clear_range(uv, index, npages), 0);
			for (i = 0; i < npages; i++)
				model[index + i] = 0;
		}
		if (step % 7 == 0)
			tce_userview_compact(uv); /* no reservation is outstanding between calls */
		if (step % 100 == 0 || step == 2999) {
			for (i = 0; i < geo.window_entries; i++) {
				uint64_t ua;

				assert_int_equal(tce_userview_get(uv, i, &ua), 0);
				assert_int_equal(ua, model[i]);
			}
			assert_true(tce_userview_allocated_bytes(uv) <= tce_userview_charged_bytes(uv));
			assert_int_equal(tce_account_locked(account, TCE_TAG_MIRROR),
					 tce_userview_charged_bytes(uv));
		}
	}
	userview_done(uv, account);
	free(model);
}

static void test_mirror_matches_array(void **state)
{
	(void)state;
	differential(TCE_USERVIEW_MIRROR);
}

static void test_extents_match_array(void **state)
{
	(void)state;
	differential(TCE_USERVIEW_EXTENTS);
}

static void test_extents_split_and_merge(void **state)
{
	struct tce_geometry geo = geometry(16, 64 * GiB, 2);
	struct tce_account *account;
	struct tce_userview *uv;
	uint64_t ua;

	(void)state;
	uv = userview_of(TCE_USERVIEW_EXTENTS, &geo, &account);
	assert_int_equal(tce_userview_charged_bytes(uv), 0);
	/* A guest mapping all its RAM in order: one run, however many calls. */
	assert_int_equal(tce_userview_set_range(uv, 0, 1000, 1 * GiB), 0);
	assert_int_equal(tce_userview_set_range(uv, 1000, 1000, 1 * GiB + 1000 * 64 * KiB), 0);
	assert_int_equal(tce_userview_set_range(uv, 2000, 1, 1 * GiB + 2000 * 64 * KiB), 0);
	assert_int_equal(tce_userview_runs(uv), 1);
	/* A hole splits it; filling the hole with the same addresses merges it back. */
	assert_int_equal(tce_userview_clear_range(uv, 500, 10), 0);
	assert_int_equal(tce_userview_runs(uv), 2);
	assert_int_equal(tce_userview_get(uv, 505, &ua), 0);
	assert_int_equal(ua, 0);
	assert_int_equal(tce_userview_get(uv, 510, &ua), 0);
	assert_int_equal(ua, 1 * GiB + 510 * 64 * KiB);
	assert_int_equal(tce_userview_set_range(uv, 500, 10, 1 * GiB + 500 * 64 * KiB), 0);
	assert_int_equal(tce_userview_runs(uv), 1);
	/* Past the last run, where a removed run's slot still holds its old values: nothing. */
	assert_int_equal(tce_userview_set_range(uv, 5000, 10, 4 * GiB), 0);
	assert_int_equal(tce_userview_runs(uv), 2);
	assert_int_equal(tce_userview_clear_range(uv, 5000, 10), 0);
	assert_int_equal(tce_userview_runs(uv), 1);
	assert_int_equal(tce_userview_get(uv, 5005, &ua), 0);
	assert_int_equal(ua, 0);
	assert_int_equal(tce_userview_get(uv, 2000, &ua), 0);
	assert_int_equal(ua, 1 * GiB + 2000 * 64 * KiB);
	/* Other addresses in the middle: three runs. */
	assert_int_equal(tce_userview_set_range(uv, 700, 1, 8 * GiB), 0);
	assert_int_equal(tce_userview_runs(uv), 3);
	assert_true(tce_userview_charged_bytes(uv) > 0);
	assert_int_equal(tce_userview_allocated_bytes(uv), tce_userview_charged_bytes(uv));
	assert_int_equal(tce_userview_runs(uv) * 24 <= tce_userview_charged_bytes(uv), 1);
	/* Argument errors. */
	assert_int_equal(tce_userview_set_range(uv, geo.window_entries - 1, 2, 1 * GiB), -EINVAL);
	assert_int_equal(tce_userview_set_range(uv, 0, 1, 0), -EINVAL);
	assert_int_equal(tce_userview_set_range(uv, 0, 1, 1 * GiB + 4 * KiB), -EINVAL);
	assert_int_equal(tce_userview_set_range(uv, 0, 2, UINT64_MAX - 64 * KiB + 1), -EINVAL);
	/* The last page of the address space itself is a page like any other. */
	assert_int_equal(tce_userview_set_range(uv, 0, 1, UINT64_MAX - 64 * KiB + 1), 0);
	assert_int_equal(tce_userview_get(uv, 0, &ua), 0);
	assert_int_equal(ua, UINT64_MAX - 64 * KiB + 1);
	assert_int_equal(tce_userview_set_range(uv, 0, 2, UINT64_MAX - 128 * KiB + 1), 0);
	assert_int_equal(tce_userview_clear_range(uv, 0, 2), 0);
	assert_int_equal(tce_userview_clear_range(uv, 0, 0), -EINVAL);
	assert_int_equal(tce_userview_get(uv, geo.window_entries, &ua), -EINVAL);
	assert_int_equal(tce_userview_reserve(uv, 0, geo.window_entries + 1, 1), -EINVAL);
	userview_done(uv, account);
}

/* A range set just before a run, continuing into it, joins it from the front. */
static void test_extents_join_from_the_front(void **state)
{
	struct tce_geometry geo = geometry(16, 64 * GiB, 2);
	struct tce_account *account;
	struct tce_userview *uv;
	uint64_t ua;

	(void)state;
	uv = userview_of(TCE_USERVIEW_EXTENTS, &geo, &account);
	assert_int_equal(tce_userview_set_range(uv, 1000, 1000, 1 * GiB + 1000 * 64 * KiB), 0);
	assert_int_equal(tce_userview_set_range(uv, 5000, 10, 8 * GiB), 0);
	assert_int_equal(tce_userview_runs(uv), 2);
	assert_int_equal(tce_userview_set_range(uv, 990, 10, 1 * GiB + 990 * 64 * KiB), 0);
	assert_int_equal(tce_userview_runs(uv), 2);
	assert_int_equal(tce_userview_get(uv, 990, &ua), 0);
	assert_int_equal(ua, 1 * GiB + 990 * 64 * KiB);
	assert_int_equal(tce_userview_get(uv, 1999, &ua), 0);
	assert_int_equal(ua, 1 * GiB + 1999 * 64 * KiB);
	assert_int_equal(tce_userview_get(uv, 989, &ua), 0);
	assert_int_equal(ua, 0);
	/* Before it but with other addresses: a run of its own. */
	assert_int_equal(tce_userview_set_range(uv, 980, 10, 4 * GiB), 0);
	assert_int_equal(tce_userview_runs(uv), 3);
	assert_int_equal(tce_userview_get(uv, 989, &ua), 0);
	assert_int_equal(ua, 4 * GiB + 9 * 64 * KiB);
	assert_int_equal(tce_userview_get(uv, 990, &ua), 0);
	assert_int_equal(ua, 1 * GiB + 990 * 64 * KiB);
	/* Appending to the last run does not reach into the slot a cleared run left behind. */
	assert_int_equal(tce_userview_set_range(uv, 10000, 10, 16 * GiB), 0);
	assert_int_equal(tce_userview_set_range(uv, 10020, 10, 16 * GiB + 20 * 64 * KiB), 0);
	assert_int_equal(tce_userview_clear_range(uv, 10020, 10), 0);
	assert_int_equal(tce_userview_set_range(uv, 10010, 10, 16 * GiB + 10 * 64 * KiB), 0);
	assert_int_equal(tce_userview_get(uv, 10019, &ua), 0);
	assert_int_equal(ua, 16 * GiB + 19 * 64 * KiB);
	assert_int_equal(tce_userview_get(uv, 10025, &ua), 0);
	assert_int_equal(ua, 0);
	assert_int_equal(tce_userview_clear_range(uv, 10000, 20), 0);
	/* And the second run joined from the front too, the first left alone. */
	assert_int_equal(tce_userview_set_range(uv, 4999, 1, 8 * GiB - 64 * KiB), 0);
	assert_int_equal(tce_userview_runs(uv), 3);
	assert_int_equal(tce_userview_get(uv, 5009, &ua), 0);
	assert_int_equal(ua, 8 * GiB + 9 * 64 * KiB);
	userview_done(uv, account);
}

/* Regression (UBSan): clearing an extents view that never held a run touched a NULL array. */
/* Runs that merge as gaps fill give their storage and its charge back at compaction. */
/*
 * A hole that splits a run needs one more run: with the array full it grows
 * first, and when it cannot the clear fails with -ENOMEM and nothing changes.
 */
static void test_extents_split_when_full(void **state)
{
	struct tce_geometry geo = geometry(16, 64 * GiB, 2);
	struct tce_account *account;
	struct tce_userview *uv;
	uint64_t i, ua;

	(void)state;
	uv = userview_of(TCE_USERVIEW_EXTENTS, &geo, &account);
	/* Runs that do not continue each other, then holes that split them until the array is full. */
	for (i = 0; i < 8; i++)
		assert_int_equal(tce_userview_set_range(uv, i * 100, 10, (i + 1) * GiB), 0);
	for (i = 0; tce_userview_allocated_bytes(uv) > tce_userview_runs(uv) * 24; i++)
		assert_int_equal(tce_userview_clear_range(uv, i * 100 + 5, 1), 0);
	assert_true(i <= 8); /* every run split at most once: run 7 still has pages 700..704 */
	tce_fault_fail_nth(1);
	assert_int_equal(tce_userview_clear_range(uv, 702, 1), -ENOMEM);
	tce_fault_fail_nth(0);
	assert_int_equal(tce_userview_get(uv, 702, &ua), 0);
	assert_int_equal(ua, 8 * GiB + 2 * 64 * KiB);
	assert_int_equal(tce_userview_clear_range(uv, 702, 1), 0);
	assert_int_equal(tce_userview_get(uv, 702, &ua), 0);
	assert_int_equal(ua, 0);
	assert_int_equal(tce_userview_get(uv, 703, &ua), 0);
	assert_int_equal(ua, 8 * GiB + 3 * 64 * KiB);
	assert_int_equal(tce_userview_get(uv, 701, &ua), 0);
	assert_int_equal(ua, 8 * GiB + 1 * 64 * KiB);
	userview_done(uv, account);
}

static void test_extents_compact(void **state)
{
	struct tce_geometry geo = geometry(12, 1 * GiB, 2);
	struct tce_account *account;
	struct tce_userview *uv;
	uint64_t i, ua, peak;

	(void)state;
	uv = userview_of(TCE_USERVIEW_EXTENTS, &geo, &account);
	for (i = 0; i < 4096; i += 2)
		assert_int_equal(tce_userview_set_range(uv, i, 1, (i + 16) << 12), 0);
	assert_int_equal(tce_userview_runs(uv), 2048);
	peak = tce_userview_charged_bytes(uv);
	assert_true(peak >= 2048 * 24);
	tce_userview_compact(uv); /* all in use: nothing to give back */
	assert_int_equal(tce_userview_charged_bytes(uv), peak);
	for (i = 1; i < 4096; i += 2)
		assert_int_equal(tce_userview_set_range(uv, i, 1, (i + 16) << 12), 0);
	assert_int_equal(tce_userview_runs(uv), 1);
	assert_int_equal(tce_userview_charged_bytes(uv), peak); /* not before compaction */
	tce_userview_compact(uv);
	assert_int_equal(tce_userview_charged_bytes(uv), 8 * 24);
	assert_int_equal(tce_userview_allocated_bytes(uv), 8 * 24);
	assert_int_equal(tce_account_locked(account, TCE_TAG_MIRROR), 8 * 24);
	for (i = 0; i < 4096; i += 97) {
		assert_int_equal(tce_userview_get(uv, i, &ua), 0);
		assert_int_equal(ua, (i + 16) << 12);
	}
	/* It grows again when needed, and everything is released at the end. */
	for (i = 5000; i < 5200; i += 2)
		assert_int_equal(tce_userview_set_range(uv, i, 1, (7 * i) << 12), 0);
	assert_int_equal(tce_userview_runs(uv), 101);
	assert_int_equal(tce_userview_clear_range(uv, 0, geo.window_entries), 0);
	tce_userview_compact(uv);
	assert_int_equal(tce_userview_charged_bytes(uv), 8 * 24);
	userview_done(uv, account);
}

static void test_clear_empty_extents(void **state)
{
	struct tce_geometry geo = geometry(16, 1 * GiB, 1);
	struct tce_account *account;
	struct tce_userview *uv;
	uint64_t ua;

	(void)state;
	uv = userview_of(TCE_USERVIEW_EXTENTS, &geo, &account);
	assert_int_equal(tce_userview_reserve(uv, 0, geo.window_entries, 0), 0);
	assert_int_equal(tce_userview_clear_range(uv, 0, geo.window_entries), 0);
	assert_int_equal(tce_userview_get(uv, 5, &ua), 0);
	assert_int_equal(ua, 0);
	assert_int_equal(tce_userview_charged_bytes(uv), 0);
	tce_userview_destroy(uv);
	tce_account_destroy(account);
}

static void test_charging_and_limits(void **state)
{
	struct tce_geometry geo = geometry(12, 1 * GiB, 2);
	struct tce_account *account;
	struct tce_userview *uv = NULL;
	uint64_t i, ua;

	(void)state;
	/* Not a kind, or a geometry its profile refused: -EINVAL. */
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &account), 0);
	assert_int_equal(tce_userview_create((enum tce_userview_kind)7, &geo, account, &uv), -EINVAL);
	{
		struct tce_geometry refused = geometry(12, 64 * GiB, 1); /* a 128 MiB node: linux refuses */

		assert_int_not_equal(refused.create_errno, 0);
		assert_int_equal(tce_userview_create(TCE_USERVIEW_EXTENTS, &refused, account, &uv), -EINVAL);
	}
	assert_null(uv);
	tce_account_destroy(account);
	/* Mirror: full_bytes up front, refused whole when the limit is lower. */
	assert_int_equal(tce_account_create(geo.full_bytes - 1, &account), 0);
	assert_int_equal(tce_userview_create(TCE_USERVIEW_MIRROR, &geo, account, &uv), -ENOMEM);
	assert_null(uv);
	assert_true(tce_account_balanced(account));
	tce_account_destroy(account);
	assert_int_equal(tce_account_create(geo.full_bytes, &account), 0);
	assert_int_equal(tce_userview_create(TCE_USERVIEW_MIRROR, &geo, account, &uv), 0);
	assert_int_equal(tce_userview_charged_bytes(uv), geo.full_bytes);
	assert_int_equal(tce_userview_allocated_bytes(uv), geo.node_bytes);
	tce_userview_destroy(uv);
	tce_account_destroy(account);

	/* Extents: charged as they grow; the growth that passes the limit fails cleanly. */
	assert_int_equal(tce_account_create(2 * KiB, &account), 0);
	assert_int_equal(tce_userview_create(TCE_USERVIEW_EXTENTS, &geo, account, &uv), 0);
	for (i = 0; i < 1000; i++) {
		int rc = tce_userview_set_range(uv, 2 * i, 1, (1 + 3 * i) << 12);

		if (rc) {
			assert_int_equal(rc, -ENOMEM);
			break;
		}
	}
	assert_true(i > 10 && i < 1000);
	assert_true(tce_userview_charged_bytes(uv) <= 2 * KiB);
	/* Nothing changed by the refused call; earlier entries are intact. */
	assert_int_equal(tce_userview_get(uv, 2 * i, &ua), 0);
	assert_int_equal(ua, 0);
	assert_int_equal(tce_userview_get(uv, 2 * (i - 1), &ua), 0);
	assert_int_equal(ua, (1 + 3 * (i - 1)) << 12);
	assert_int_equal(tce_account_locked(account, TCE_TAG_MIRROR), tce_userview_charged_bytes(uv));
	userview_done(uv, account);
}

struct set_sweep {
	struct tce_userview *uv;
	struct tce_account *account;
	uint64_t charged;
};

static int set_op(void *opaque)
{
	return tce_userview_set_range(((struct set_sweep *)opaque)->uv, 200000, 1, 4 * KiB);
}

static void set_unchanged(void *opaque)
{
	struct set_sweep *sw = opaque;
	uint64_t ua = 1;

	assert_int_equal(tce_userview_get(sw->uv, 200000, &ua), 0);
	assert_int_equal(ua, 0);
	assert_int_equal(tce_userview_charged_bytes(sw->uv), sw->charged);
	assert_int_equal(tce_account_locked(sw->account, TCE_TAG_MIRROR), sw->charged);
}

static void test_reserve_makes_changes_infallible(void **state)
{
	struct tce_geometry geo = geometry(12, 1 * GiB, 3);
	enum tce_userview_kind kinds[2] = {TCE_USERVIEW_MIRROR, TCE_USERVIEW_EXTENTS};
	struct set_sweep sw;
	unsigned k;

	(void)state;
	for (k = 0; k < 2; k++) {
		struct tce_account *account;
		struct tce_userview *uv;
		uint64_t i, ua;

		assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &account), 0);
		assert_int_equal(tce_userview_create(kinds[k], &geo, account, &uv), 0);
		assert_int_equal(tce_userview_reserve(uv, 100000, 64, 64), 0);
		for (i = 0; i < 64; i++) {
			tce_fault_fail_nth(1); /* any allocation now would fail */
			assert_int_equal(tce_userview_set_range(uv, 100000 + i, 1, (5 + 2 * i) << 12), 0);
		}
		tce_fault_fail_nth(0);
		assert_int_equal(tce_userview_get(uv, 100063, &ua), 0);
		assert_int_equal(ua, (5 + 2 * 63) << 12);
		tce_userview_destroy(uv);

		/* Without a reservation any allocation failure leaves entries and charges untouched. */
		assert_int_equal(tce_userview_create(kinds[k], &geo, account, &uv), 0);
		sw.uv = uv;
		sw.account = account;
		sw.charged = tce_userview_charged_bytes(uv);
		/* mirror: the middle node and the leaf; extents: the run array */
		assert_int_equal(test_fault_sweep(set_op, set_unchanged, &sw),
				 kinds[k] == TCE_USERVIEW_MIRROR ? 2 : 1);
		assert_int_equal(tce_userview_get(uv, 200000, &ua), 0);
		assert_int_equal(ua, 4 * KiB);
		tce_userview_destroy(uv);
		assert_true(tce_account_balanced(account));
		tce_account_destroy(account);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mirror_matches_array),
		cmocka_unit_test(test_extents_match_array),
		cmocka_unit_test(test_extents_split_and_merge),
		cmocka_unit_test(test_extents_join_from_the_front),
		cmocka_unit_test(test_extents_split_when_full),
		cmocka_unit_test(test_extents_compact),
		cmocka_unit_test(test_clear_empty_extents),
		cmocka_unit_test(test_charging_and_limits),
		cmocka_unit_test(test_reserve_makes_changes_infallible),
	};

	return cmocka_run_group_tests_name("userview", tests, NULL, NULL);
}
