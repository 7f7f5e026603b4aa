// SPDX-License-Identifier: MIT
/*
 * The window update entry points the accelerated hypercalls use
 * (src/window_update.h) take the windows a guest table is attached to: one
 * or two. Any other count is a caller's bug; both entry points refuse it
 * with -EINVAL before touching a window, and the windows keep their entries
 * and counts. An unmap that splits an extents run reserves the room first, so
 * an allocation failure changes nothing. An internal test: it links the
 * static library.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/account.h"
#include "tce/fault.h"
#include "tce/hostmem.h"
#include "tce/prereg.h"
#include "tce/window.h"
#include "window_update.h"

#define RAM_UA (UINT64_C(1) << 40)
#define NWINDOWS 3

/* 16 MiB of registered 64 KiB pages at RAM_UA, with its ledger. */
struct space {
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
};

/* Set up @s; returns the configuration of a v2 window of 64 KiB pages over it. */
static struct tce_window_config space_setup(struct space *s, enum tce_userview_kind userview)
{
	struct tce_geometry_request req = {.page_shift = 16, .window_size = 256 * MiB, .levels = 1,
					   .profile = TCE_PROFILE_LINUX};
	struct tce_window_config cfg = {.v2 = true, .userview = userview};

	assert_int_equal(tce_hostmem_sim_create(16, &s->hm), 0);
	assert_int_equal(tce_hostmem_sim_map(s->hm, RAM_UA, 16 * MiB, 16, 0), 0);
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &s->account), 0);
	assert_int_equal(tce_prereg_create(s->hm, s->account, &s->prereg), 0);
	assert_int_equal(tce_prereg_register(s->prereg, RAM_UA, 16 * MiB, NULL), 0);
	assert_int_equal(tce_geometry_compute(&req, &cfg.geo), 0);
	cfg.hostmem = s->hm;
	cfg.account = s->account;
	cfg.prereg = s->prereg;
	return cfg;
}

/* After the windows are gone: everything charged was given back. */
static void space_teardown(struct space *s)
{
	assert_int_equal(tce_prereg_destroy(s->prereg), 0);
	assert_true(tce_account_balanced(s->account));
	tce_account_destroy(s->account);
	tce_hostmem_destroy(s->hm);
}

struct fixture {
	struct space space;
	struct tce_window *windows[NWINDOWS];
	uint64_t page_hpa; /* the host page behind RAM_UA */
};

/* Three v2 windows of 64 KiB pages over 16 MiB of registered memory, each mapping its page 0. */
static void fixture_setup(struct fixture *f)
{
	struct tce_window_config cfg = space_setup(&f->space, TCE_USERVIEW_MIRROR);
	struct tce_translation x;
	unsigned i;

	for (i = 0; i < NWINDOWS; i++) {
		assert_int_equal(tce_window_create(&cfg, &f->windows[i]), 0);
		assert_int_equal(tce_window_map(f->windows[i], 0, 1, RAM_UA, TCE_PERM_READ), 0);
	}
	assert_int_equal(tce_window_translate(f->windows[0], 0, &x), 0);
	f->page_hpa = x.page_hpa;
}

/* Every window still maps exactly its page 0, read-only, to the region's first host page. */
static void assert_unchanged(struct fixture *f)
{
	unsigned i;

	for (i = 0; i < NWINDOWS; i++) {
		struct tce_translation x;

		assert_int_equal(tce_window_mapped(f->windows[i]), 1);
		assert_int_equal(tce_window_translate(f->windows[i], 0, &x), 0);
		assert_int_equal(x.perm, TCE_PERM_READ);
		assert_int_equal(x.page_hpa, f->page_hpa);
		assert_int_equal(tce_window_translate(f->windows[i], 64 * KiB, &x), 0);
		assert_int_equal(x.perm, 0);
	}
}

static void fixture_teardown(struct fixture *f)
{
	unsigned i;

	for (i = 0; i < NWINDOWS; i++)
		tce_window_put(f->windows[i]);
	space_teardown(&f->space);
}

/* 0 or 3 windows: -EINVAL from both entry points, nothing written. */
static void test_window_counts_refused(void **state)
{
	static const unsigned bad_counts[] = {0, NWINDOWS};
	struct fixture f;
	unsigned i;

	(void)state;
	fixture_setup(&f);
	for (i = 0; i < 2; i++) {
		unsigned n = bad_counts[i];
		struct tce_window_req req = {.ioba = 64 * KiB, .list_shift = 16, .count = 1,
					     .kind = TCE_REQ_REPEAT, .ua = RAM_UA + 64 * KiB,
					     .perm = TCE_PERM_READ | TCE_PERM_WRITE};

		assert_int_equal(tce_window_update_one(f.windows, n, 64 * KiB, 16, RAM_UA + 64 * KiB,
						       TCE_PERM_READ | TCE_PERM_WRITE), -EINVAL);
		assert_unchanged(&f);
		assert_int_equal(tce_window_update_one(f.windows, n, 0, 16, 0, 0), -EINVAL);
		assert_unchanged(&f);
		assert_int_equal(tce_window_update(f.windows, n, &req, false), -EINVAL);
		assert_unchanged(&f);
	}
	/* The counts that are allowed do write: 2 windows map page 1, then 1 window clears it. */
	assert_int_equal(tce_window_update_one(f.windows, 2, 64 * KiB, 16, RAM_UA + 64 * KiB,
					       TCE_PERM_READ), 0);
	assert_int_equal(tce_window_mapped(f.windows[0]), 2);
	assert_int_equal(tce_window_mapped(f.windows[1]), 2);
	assert_int_equal(tce_window_mapped(f.windows[2]), 1);
	assert_int_equal(tce_window_update_one(f.windows, 1, 64 * KiB, 16, 0, 0), 0);
	assert_int_equal(tce_window_mapped(f.windows[0]), 1);
	assert_int_equal(tce_window_mapped(f.windows[1]), 2);
	assert_true(tce_window_is_v2(f.windows[0]));
	fixture_teardown(&f);
}

/* An unmap that splits an extents window's run, for test_fault_sweep(). */
struct unmap_ctx {
	struct tce_window *window;
	uint64_t page_hpa[64];
};

static int unmap_page_15(void *arg)
{
	struct unmap_ctx *u = arg;
	int64_t rc = tce_window_unmap(u->window, 15 * 64 * KiB, 1);

	return rc < 0 ? (int)rc : 0;
}

/* Pages 0..63 mapped as they were, but for the odd pages 1..13. */
static void as_before_page_15(void *arg)
{
	struct unmap_ctx *u = arg;
	unsigned i;

	assert_int_equal(tce_window_mapped(u->window), 57);
	for (i = 0; i < 64; i++) {
		struct tce_translation x;

		assert_int_equal(tce_window_translate(u->window, i * 64 * KiB, &x), 0);
		assert_int_equal(x.page_hpa, (i % 2 && i < 15) ? 0 : u->page_hpa[i]);
	}
}

/*
 * Splitting an extents run needs room for one more run: an unmap reserves it
 * before it clears anything. With the run array full (8 runs in its first 8
 * slots) and each allocation failing in turn, the unmap fails whole (-ENOMEM,
 * every page as it was), then succeeds.
 */
static void test_unmap_reserves_before_clearing(void **state)
{
	struct space space;
	struct tce_window_config cfg = space_setup(&space, TCE_USERVIEW_EXTENTS);
	struct unmap_ctx u;
	struct tce_translation x;
	unsigned i;

	(void)state;
	assert_int_equal(tce_window_create(&cfg, &u.window), 0);
	assert_int_equal(tce_window_map(u.window, 0, 64, RAM_UA, TCE_PERM_READ), 0);
	for (i = 0; i < 64; i++) {
		assert_int_equal(tce_window_translate(u.window, i * 64 * KiB, &x), 0);
		u.page_hpa[i] = x.page_hpa;
	}
	/* Seven holes: eight runs. */
	for (i = 1; i < 15; i += 2)
		assert_int_equal(tce_window_unmap(u.window, i * 64 * KiB, 1), 1);
	as_before_page_15(&u);
	assert_true(test_fault_sweep(unmap_page_15, as_before_page_15, &u) >= 1);
	assert_int_equal(tce_window_mapped(u.window), 56);
	assert_int_equal(tce_window_translate(u.window, 15 * 64 * KiB, &x), 0);
	assert_int_equal(x.perm, 0);
	assert_int_equal(tce_window_translate(u.window, 16 * 64 * KiB, &x), 0);
	assert_int_equal(x.page_hpa, u.page_hpa[16]);
	tce_window_put(u.window);
	space_teardown(&space);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_counts_refused),
		cmocka_unit_test(test_unmap_reserves_before_clearing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
