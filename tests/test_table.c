// SPDX-License-Identifier: MIT
/*
 * Table tests: on-demand levels against the geometry's node counts, exact
 * allocation accounting, range checks that touch nothing, the hardware byte
 * order, clears that skip missing nodes, translation, injected allocation
 * failures, and concurrent first writes into one empty node.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/fault.h"
#include "tce/geometry.h"
#include "tce/table.h"


static struct tce_geometry geometry(unsigned ps, uint64_t window, unsigned levels,
				    enum tce_profile profile, unsigned host_page_shift)
{
	struct tce_geometry_request req = {
		.page_shift = ps,
		.window_size = window,
		.levels = levels,
		.profile = profile,
		.host_page_shift = host_page_shift,
	};
	struct tce_geometry geo;

	assert_int_equal(tce_geometry_compute(&req, &geo), 0);
	return geo;
}

static struct tce_table *make_table(const struct tce_geometry *geo, uint64_t ioba_start)
{
	struct tce_table *table = NULL;

	assert_int_equal(tce_table_create(geo, ioba_start, &table), 0);
	assert_non_null(table);
	return table;
}

/* A TCE for entry idx: a distinct host page with both permissions. */
static uint64_t tce_for(unsigned ps, uint64_t idx)
{
	return ((idx + 1) << ps) | TCE_PERM_READ | TCE_PERM_WRITE;
}

/*
 * Every accepted geometry whose full copy is at most 64 MiB (4 MiB quick), for a spread of
 * page shifts and both profiles: writing every entry ends at exactly one full
 * copy, never above it, and each node is allocated when its first entry is
 * written.
 */
static void test_full_population_matches_geometry(void **state)
{
	static const struct {
		enum tce_profile profile;
		unsigned host_page_shift;
		unsigned ps;
	} cases[] = {
		{TCE_PROFILE_LINUX, 16, 12}, {TCE_PROFILE_LINUX, 16, 16}, {TCE_PROFILE_LINUX, 16, 24},
		{TCE_PROFILE_LINUX, 16, 34}, {TCE_PROFILE_EXACT, 12, 12}, {TCE_PROFILE_EXACT, 12, 21},
	};
	unsigned c, ws, levels, checked = 0;
	uint64_t limit = test_count(NULL, 4 * MiB, 64 * MiB);

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (ws = cases[c].ps; ws <= cases[c].ps + 23 && ws <= 63; ws++) {
			for (levels = 1; levels <= 5; levels++) {
				struct tce_geometry geo = geometry(cases[c].ps, UINT64_C(1) << ws, levels,
								   cases[c].profile,
								   cases[c].host_page_shift);
				struct tce_table *table;
				uint64_t idx, peak = 0;

				if (geo.create_errno != 0 || geo.full_bytes > limit)
					continue;
				table = make_table(&geo, 0);
				assert_int_equal(tce_table_allocated_bytes(table), geo.node_bytes);
				for (idx = 0; idx < geo.window_entries; idx++) {
					assert_int_equal(tce_table_xchg(table, idx << geo.page_shift,
									tce_for(geo.page_shift, idx),
									NULL),
							 0);
					/* A new leaf appears exactly at each node boundary. */
					if ((idx & (geo.entries_per_node - 1)) == 0 ||
					    idx + 1 == geo.window_entries) {
						uint64_t now = tce_table_allocated_bytes(table);

						assert_true(now <= geo.full_bytes);
						assert_true(now >= peak);
						peak = now;
					}
				}
				assert_int_equal(tce_table_allocated_bytes(table), geo.full_bytes);
				/* Spot-check values survived. */
				for (idx = 0; idx < geo.window_entries;
				     idx += 1 + geo.window_entries / 7) {
					uint64_t tce;

					assert_int_equal(tce_table_get(table, idx << geo.page_shift, &tce), 0);
					assert_int_equal(tce, tce_for(geo.page_shift, idx));
				}
				tce_table_destroy(table);
				checked++;
			}
		}
	}
	assert_true(checked >= 100);
	print_message("fully populated %u geometries\n", checked);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t count_distinct(uint64_t *v, size_t n)
{
	uint64_t distinct = 0;
	size_t i;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		if (i == 0 || v[i] != v[i - 1])
			distinct++;
	return distinct;
}

/* Random sparse writes allocate the top node plus exactly the nodes they touch. */
static void test_sparse_writes_allocate_touched_nodes(void **state)
{
	static const struct {
		unsigned ps, ws, levels;
	} cases[] = {{12, 40, 3}, {12, 36, 2}, {16, 50, 2}, {12, 50, 3}, {21, 50, 2}};
	uint64_t seed = 0x9e3779b97f4a7c15u;
	unsigned c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct tce_geometry geo = geometry(cases[c].ps, UINT64_C(1) << cases[c].ws,
						   cases[c].levels, TCE_PROFILE_LINUX, 0);
		struct tce_table *table = make_table(&geo, UINT64_C(1) << 59);
		enum { WRITES = 3000 };
		uint64_t *keys = calloc(WRITES, sizeof(uint64_t));
		uint64_t expected_nodes = 1;
		unsigned level, i;
		uint64_t idx[WRITES];

		assert_int_equal(geo.create_errno, 0);
		assert_non_null(keys);
		for (i = 0; i < WRITES; i++) {
			idx[i] = test_rng(&seed) % geo.window_entries;
			assert_int_equal(tce_table_xchg(table, (UINT64_C(1) << 59) +
								       (idx[i] << geo.page_shift),
							tce_for(geo.page_shift, idx[i]), NULL),
					 0);
		}
		/* Nodes of level k (below the top) are identified by idx >> (bits * (k + 1)). */
		for (level = 0; level + 1 < geo.levels; level++) {
			for (i = 0; i < WRITES; i++)
				keys[i] = idx[i] >> (geo.level_bits * (level + 1));
			expected_nodes += count_distinct(keys, WRITES);
		}
		assert_int_equal(tce_table_allocated_bytes(table), expected_nodes * geo.node_bytes);
		free(keys);
		tce_table_destroy(table);
	}
}

struct snapshot {
	uint64_t allocated;
	uint64_t tce[4];
};

static void take_snapshot(struct tce_table *table, const uint64_t ioba[4], struct snapshot *snap)
{
	unsigned i;

	snap->allocated = tce_table_allocated_bytes(table);
	for (i = 0; i < 4; i++)
		assert_int_equal(tce_table_get(table, ioba[i], &snap->tce[i]), 0);
}

static void assert_unchanged(struct tce_table *table, const uint64_t ioba[4],
			     const struct snapshot *before)
{
	struct snapshot after;

	take_snapshot(table, ioba, &after);
	assert_memory_equal(before, &after, sizeof(after));
}

/* Out-of-range calls: -EINVAL and nothing touched, for every call. */
static void test_out_of_range_touches_nothing(void **state)
{
	struct tce_geometry geo = geometry(12, 1 * GiB, 2, TCE_PROFILE_LINUX, 0);
	const uint64_t start = UINT64_C(1) << 59;
	const uint64_t last = start + 1 * GiB - 4 * KiB;
	const uint64_t probes[4] = {start, start + 4 * KiB, last - 4 * KiB, last};
	struct tce_table *table = make_table(&geo, start);
	struct tce_translation xlate;
	struct snapshot snap;
	uint64_t tce = 77, old = 77;
	uint8_t raw[8];
	unsigned i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(tce_table_xchg(table, probes[i], tce_for(12, i), NULL), 0);
	take_snapshot(table, probes, &snap);

	/* Below the window, misaligned, past the end. */
	assert_int_equal(tce_table_xchg(table, start - 4 * KiB, tce_for(12, 9), &old), -EINVAL);
	assert_int_equal(tce_table_xchg(table, start + 1, tce_for(12, 9), &old), -EINVAL);
	assert_int_equal(tce_table_xchg(table, start + 1 * GiB, tce_for(12, 9), &old), -EINVAL);
	assert_int_equal(old, 77);
	assert_int_equal(tce_table_get(table, start + 1 * GiB, &tce), -EINVAL);
	assert_int_equal(tce, 77);
	assert_int_equal(tce_table_read_hw(table, start - 4 * KiB, raw), -EINVAL);
	assert_int_equal(tce_table_translate(table, start + 1 * GiB, &xlate), -EINVAL);
	assert_int_equal(tce_table_translate(table, start - 1, &xlate), -EINVAL);

	/* Clear: first page in, last page out (the kernel only checks the first: B-R1). */
	assert_int_equal(tce_table_clear(table, last, 2, NULL, NULL), -EINVAL);
	assert_int_equal(tce_table_clear(table, last - 4 * KiB, 3, NULL, NULL), -EINVAL);
	assert_int_equal(tce_table_clear(table, start, 0, NULL, NULL), -EINVAL);
	assert_int_equal(tce_table_clear(table, start, UINT64_MAX, NULL, NULL), -EINVAL);
	assert_int_equal(tce_table_clear(table, start + 2, 1, NULL, NULL), -EINVAL);
	assert_int_equal(tce_table_check_range(table, last, 2, NULL), -EINVAL);
	assert_int_equal(tce_table_check_range(table, last, 1, NULL), 0);
	assert_unchanged(table, probes, &snap);

	/* A host address not aligned to the IOMMU page. */
	assert_int_equal(tce_table_xchg(table, start, (UINT64_C(5) << 12) | 0x800 | 1, &old),
			 -EINVAL);
	assert_unchanged(table, probes, &snap);
	tce_table_destroy(table);
}

static void test_create_rejects(void **state)
{
	struct tce_geometry bad = geometry(16, 1 * GiB, 3, TCE_PROFILE_LINUX, 0);
	struct tce_geometry big = geometry(12, 64 * GiB, 1, TCE_PROFILE_LINUX, 0);
	struct tce_geometry ok = geometry(16, 1 * GiB, 1, TCE_PROFILE_LINUX, 0);
	struct tce_table *table = NULL;

	(void)state;
	assert_int_equal(tce_table_create(&bad, 0, &table), -EINVAL);
	assert_int_equal(tce_table_create(&big, 0, &table), -ENOMEM);
	assert_int_equal(tce_table_create(&ok, 4 * KiB, &table), -EINVAL); /* misaligned */
	assert_int_equal(tce_table_create(&ok, UINT64_MAX - 64 * KiB + 1, &table), -EINVAL);
	/* A geometry edited by hand into nonsense (no levels, too many, no node size): -EINVAL. */
	{
		struct tce_geometry broken = ok;

		broken.levels = 0;
		assert_int_equal(tce_table_create(&broken, 0, &table), -EINVAL);
		broken.levels = TCE_LEVELS_MAX + 1;
		assert_int_equal(tce_table_create(&broken, 0, &table), -EINVAL);
		broken = ok;
		broken.node_bytes = 0;
		assert_int_equal(tce_table_create(&broken, 0, &table), -EINVAL);
	}
	assert_null(table);
}

/* Entries are stored big-endian, permission bits in the last byte. */
static void test_hardware_byte_order(void **state)
{
	struct tce_geometry geo = geometry(16, 1 * GiB, 2, TCE_PROFILE_LINUX, 0);
	struct tce_table *table = make_table(&geo, 0);
	const uint64_t tce = UINT64_C(0x0123456789ab0000) | TCE_PERM_WRITE | TCE_PERM_READ;
	static const uint8_t expect[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0x00, 0x03};
	static const uint8_t zero[8] = {0};
	uint8_t raw[8];

	(void)state;
	assert_int_equal(tce_table_read_hw(table, 64 * KiB, raw), 0);
	assert_memory_equal(raw, zero, 8);
	assert_int_equal(tce_table_xchg(table, 64 * KiB, tce, NULL), 0);
	assert_int_equal(tce_table_read_hw(table, 64 * KiB, raw), 0);
	assert_memory_equal(raw, expect, 8);
	tce_table_destroy(table);
}

static void test_xchg_semantics(void **state)
{
	struct tce_geometry geo = geometry(12, 64 * GiB, 3, TCE_PROFILE_LINUX, 0);
	struct tce_table *table = make_table(&geo, 0);
	uint64_t old = 99, tce;

	(void)state;
	/* Writing 0 where no node exists allocates nothing. */
	assert_int_equal(tce_table_xchg(table, 32 * GiB, 0, &old), 0);
	assert_int_equal(old, 0);
	assert_int_equal(tce_table_allocated_bytes(table), geo.node_bytes);
	/* First write allocates the middle and leaf node. */
	assert_int_equal(tce_table_xchg(table, 32 * GiB, tce_for(12, 1), &old), 0);
	assert_int_equal(old, 0);
	assert_int_equal(tce_table_allocated_bytes(table), 3 * geo.node_bytes);
	/* Replace returns the old value; a TCE without permissions is still stored. */
	assert_int_equal(tce_table_xchg(table, 32 * GiB, UINT64_C(7) << 12, &old), 0);
	assert_int_equal(old, tce_for(12, 1));
	assert_int_equal(tce_table_get(table, 32 * GiB, &tce), 0);
	assert_int_equal(tce, UINT64_C(7) << 12);
	assert_int_equal(tce_table_xchg(table, 32 * GiB, 0, &old), 0);
	assert_int_equal(old, UINT64_C(7) << 12);
	/* Nodes stay until destroy. */
	assert_int_equal(tce_table_allocated_bytes(table), 3 * geo.node_bytes);
	assert_int_equal(tce_table_get(table, 48 * GiB, &tce), 0);
	assert_int_equal(tce, 0);
	tce_table_destroy(table);
}

struct seen {
	uint64_t ioba[8];
	uint64_t tce[8];
	unsigned n;
};

static void record_cleared(void *opaque, uint64_t ioba, uint64_t old_tce)
{
	struct seen *seen = opaque;

	assert_true(seen->n < 8);
	seen->ioba[seen->n] = ioba;
	seen->tce[seen->n] = old_tce;
	seen->n++;
}

/* A clear over a huge sparse window skips missing nodes (it would not finish otherwise). */
static void test_clear_skips_missing_nodes(void **state)
{
	/* 2^38 entries, 3 levels: visiting every entry would take minutes. */
	struct tce_geometry geo = geometry(12, UINT64_C(1) << 50, 3, TCE_PROFILE_LINUX, 0);
	struct tce_table *table = make_table(&geo, 0);
	const uint64_t iobas[3] = {4 * KiB, UINT64_C(1) << 45, (UINT64_C(1) << 50) - 4 * KiB};
	struct seen seen = {.n = 0};
	uint64_t allocated, tce;
	unsigned i;

	(void)state;
	assert_int_equal(geo.create_errno, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(tce_table_xchg(table, iobas[i], tce_for(12, i), NULL), 0);
	allocated = tce_table_allocated_bytes(table);
	assert_int_equal(tce_table_clear(table, 0, geo.window_entries, record_cleared, &seen), 3);
	assert_int_equal(seen.n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(seen.ioba[i], iobas[i]);
		assert_int_equal(seen.tce[i], tce_for(12, i));
		assert_int_equal(tce_table_get(table, iobas[i], &tce), 0);
		assert_int_equal(tce, 0);
	}
	assert_int_equal(tce_table_allocated_bytes(table), allocated);
	/* Clearing again finds nothing; a partial range clears only its part. */
	assert_int_equal(tce_table_clear(table, 0, geo.window_entries, NULL, NULL), 0);
	assert_int_equal(tce_table_xchg(table, 8 * KiB, tce_for(12, 5), NULL), 0);
	assert_int_equal(tce_table_xchg(table, 12 * KiB, tce_for(12, 6), NULL), 0);
	assert_int_equal(tce_table_clear(table, 12 * KiB, 1, NULL, NULL), 1);
	assert_int_equal(tce_table_get(table, 8 * KiB, &tce), 0);
	assert_int_equal(tce, tce_for(12, 5));
	tce_table_destroy(table);
}

static void test_translate(void **state)
{
	struct tce_geometry geo = geometry(24, 2 * GiB, 1, TCE_PROFILE_LINUX, 0);
	const uint64_t start = UINT64_C(1) << 59;
	struct tce_table *table = make_table(&geo, start);
	struct tce_translation x;

	(void)state;
	assert_int_equal(tce_table_xchg(table, start + 16 * MiB,
					(UINT64_C(0x40) << 24) | TCE_PERM_WRITE, NULL),
			 0);
	assert_int_equal(tce_table_translate(table, start + 16 * MiB + 0x1234, &x), 0);
	assert_int_equal(x.ioba_page, start + 16 * MiB);
	assert_int_equal(x.page_hpa, UINT64_C(0x40) << 24);
	assert_int_equal(x.hpa, (UINT64_C(0x40) << 24) + 0x1234);
	assert_int_equal(x.page_mask, 16 * MiB - 1);
	assert_int_equal(x.perm, TCE_PERM_WRITE);
	{
		/* One level: the exchange hands back the entry it replaced. */
		uint64_t old = 7;

		assert_int_equal(tce_table_xchg(table, start + 16 * MiB, (UINT64_C(0x41) << 24) | TCE_PERM_READ,
						&old), 0);
		assert_int_equal(old, (UINT64_C(0x40) << 24) | TCE_PERM_WRITE);
		assert_int_equal(tce_table_xchg(table, start + 16 * MiB, (UINT64_C(0x40) << 24) | TCE_PERM_WRITE,
						&old), 0);
		assert_int_equal(old, (UINT64_C(0x41) << 24) | TCE_PERM_READ);
	}
	/* Unmapped page: no permission, no address. */
	assert_int_equal(tce_table_translate(table, start + 5, &x), 0);
	assert_int_equal(x.perm, 0);
	assert_int_equal(x.tce, 0);
	assert_int_equal(x.hpa, 0);
	/* Last byte of the window is in; one past is out. */
	assert_int_equal(tce_table_translate(table, start + 2 * GiB - 1, &x), 0);
	assert_int_equal(tce_table_translate(table, start + 2 * GiB, &x), -EINVAL);
	assert_int_equal(tce_table_ioba_start(table), start);
	assert_ptr_not_equal(tce_table_geometry(table), NULL);
	assert_int_equal(tce_table_geometry(table)->page_shift, 24);
	tce_table_destroy(table);
}

static const struct tce_geometry *sweep_geo;

static int create_op(void *opaque)
{
	return tce_table_create(sweep_geo, 0, opaque);
}

static void create_unchanged(void *opaque)
{
	assert_null(*(struct tce_table **)opaque);
}

/* Every allocation of a first write, failed in turn: -ENOMEM, the entry untouched. */
static void test_injected_allocation_failures(void **state)
{
	struct tce_geometry geo = geometry(12, 64 * GiB, 3, TCE_PROFILE_LINUX, 0);
	struct tce_table *table = NULL;
	uint64_t failures_before = tce_fault_failures(), tce, old = 5;

	(void)state;
	/* Create: the table, then its top node; nothing is left after a failure. */
	sweep_geo = &geo;
	assert_int_equal(test_fault_sweep(create_op, create_unchanged, &table), 2);
	assert_int_equal(tce_fault_failures(), failures_before + 2);
	{
		/* Each allocation through the hook is counted: a create is the table and its top node. */
		uint64_t before = tce_fault_allocations();
		struct tce_table *counted = make_table(&geo, 0);

		assert_int_equal(tce_fault_allocations(), before + 2);
		tce_table_destroy(counted);
	}
	assert_non_null(table);
	tce_table_destroy(table);

	table = make_table(&geo, 0);
	/* First write needs two nodes: fail the first (nothing published)... */
	tce_fault_fail_nth(1);
	assert_int_equal(tce_table_xchg(table, 8 * GiB, tce_for(12, 3), &old), -ENOMEM);
	assert_int_equal(old, 5);
	assert_int_equal(tce_table_allocated_bytes(table), geo.node_bytes);
	/* ...then the second (the middle node stays published, the entry is untouched). */
	tce_fault_fail_nth(2);
	assert_int_equal(tce_table_xchg(table, 8 * GiB, tce_for(12, 3), &old), -ENOMEM);
	assert_int_equal(tce_table_allocated_bytes(table), 2 * geo.node_bytes);
	assert_int_equal(tce_table_get(table, 8 * GiB, &tce), 0);
	assert_int_equal(tce, 0);
	/* Without failure it completes and the counts are exact. */
	assert_int_equal(tce_table_xchg(table, 8 * GiB, tce_for(12, 3), &old), 0);
	assert_int_equal(tce_table_allocated_bytes(table), 3 * geo.node_bytes);
	tce_fault_fail_nth(0);
	tce_table_destroy(table);
}

/* Reserve allocates exactly the nodes of the range, changes no entry, and makes writes infallible. */
static void test_reserve(void **state)
{
	struct tce_geometry geo = geometry(12, 64 * GiB, 3, TCE_PROFILE_LINUX, 0);
	struct tce_table *table = make_table(&geo, 0);
	uint64_t span = geo.entries_per_node << 12; /* bytes one leaf covers */
	uint64_t i, tce;

	(void)state;
	/* Three leaves under one middle node. */
	assert_int_equal(tce_table_reserve(table, span - 4 * KiB, 2 * (span >> 12) + 1), 0);
	assert_int_equal(tce_table_allocated_bytes(table), (1 + 1 + 3) * geo.node_bytes);
	assert_int_equal(tce_table_get(table, span, &tce), 0);
	assert_int_equal(tce, 0);
	/* Reserving again allocates nothing. */
	assert_int_equal(tce_table_reserve(table, 0, 3 * (span >> 12)), 0);
	assert_int_equal(tce_table_allocated_bytes(table), 5 * geo.node_bytes);
	/* Writes in the reserved range allocate nothing, even with every allocation failing. */
	for (i = 0; i < 3 * (span >> 12); i += 1000) {
		tce_fault_fail_nth(1);
		assert_int_equal(tce_table_xchg(table, i << 12, tce_for(12, i), NULL), 0);
	}
	tce_fault_fail_nth(0);
	assert_int_equal(tce_table_allocated_bytes(table), 5 * geo.node_bytes);
	/* Bad ranges and a failing allocation. */
	assert_int_equal(tce_table_reserve(table, 64 * GiB - 4 * KiB, 2), -EINVAL);
	assert_int_equal(tce_table_reserve(table, 0, 0), -EINVAL);
	tce_fault_fail_nth(1);
	assert_int_equal(tce_table_reserve(table, 32 * GiB, 1), -ENOMEM);
	tce_fault_fail_nth(0);
	tce_table_destroy(table);
}

/* ---- concurrency: racing first writes into one empty node ---- */

enum { RACERS = 8, PER_RACER = 64, ROUNDS = 200 };

struct race {
	struct tce_table *table;
	pthread_barrier_t *barrier;
	unsigned racer;
	uint64_t base_idx;
	unsigned ps;
};

static void *racer_main(void *arg)
{
	struct race *r = arg;
	unsigned i;

	pthread_barrier_wait(r->barrier);
	for (i = 0; i < PER_RACER; i++) {
		uint64_t idx = r->base_idx + (uint64_t)i * RACERS + r->racer;

		if (tce_table_xchg(r->table, idx << r->ps, tce_for(r->ps, idx), NULL) != 0)
			return (void *)1;
	}
	return NULL;
}

static void test_concurrent_first_writes(void **state)
{
	/* 3 levels, 64 KiB nodes: all racers need the same middle and leaf node. */
	struct tce_geometry geo = geometry(12, 64 * GiB, 3, TCE_PROFILE_LINUX, 0);
	pthread_barrier_t barrier;
	unsigned round;

	(void)state;
	for (round = 0; round < ROUNDS; round++) {
		struct tce_table *table = make_table(&geo, 0);
		pthread_t threads[RACERS];
		struct race races[RACERS];
		uint64_t base = (uint64_t)(round % 16) * geo.entries_per_node * 3;
		uint64_t idx;
		unsigned t;

		assert_int_equal(pthread_barrier_init(&barrier, NULL, RACERS), 0);
		for (t = 0; t < RACERS; t++) {
			races[t] = (struct race){table, &barrier, t, base, geo.page_shift};
			assert_int_equal(pthread_create(&threads[t], NULL, racer_main, &races[t]), 0);
		}
		for (t = 0; t < RACERS; t++) {
			void *ret;

			assert_int_equal(pthread_join(threads[t], &ret), 0);
			assert_null(ret);
		}
		pthread_barrier_destroy(&barrier);
		/* Exactly one node per level was kept: top + middle + leaf. */
		assert_int_equal(tce_table_allocated_bytes(table), 3 * geo.node_bytes);
		for (idx = base; idx < base + RACERS * PER_RACER; idx++) {
			uint64_t tce;

			assert_int_equal(tce_table_get(table, idx << geo.page_shift, &tce), 0);
			assert_int_equal(tce, tce_for(geo.page_shift, idx));
		}
		tce_table_destroy(table);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_population_matches_geometry),
		cmocka_unit_test(test_sparse_writes_allocate_touched_nodes),
		cmocka_unit_test(test_out_of_range_touches_nothing),
		cmocka_unit_test(test_create_rejects),
		cmocka_unit_test(test_hardware_byte_order),
		cmocka_unit_test(test_xchg_semantics),
		cmocka_unit_test(test_clear_skips_missing_nodes),
		cmocka_unit_test(test_translate),
		cmocka_unit_test(test_injected_allocation_failures),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_concurrent_first_writes),
	};

	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
