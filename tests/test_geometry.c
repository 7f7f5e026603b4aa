// SPDX-License-Identifier: MIT
/*
 * Geometry tests. The reference below is written from the kernel's sizing rules
 * as the spec states them (a byte loop over the levels), independently of the
 * node-count arithmetic in src/geometry.c, and the worked examples are the
 * spec's table typed in by hand.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/geometry.h"


/* ---- independent reference (spec linux-kernel §2.1/§2.2) ---- */

struct ref {
	unsigned level_shift;
	uint64_t it_size;
	uint64_t charge_now; /* doubled, final step max(t, direct) */
	uint64_t charge_2015; /* one copy, final step roundup(t, direct) */
	uint64_t nodes[5];
	int create_errno;
};

static unsigned ref_log2(uint64_t v)
{
	unsigned r = 0;

	while (v >>= 1)
		r++;
	return r;
}

static uint64_t ref_roundup(uint64_t v, uint64_t to)
{
	return ((v + to - 1) / to) * to;
}

static void ref_linux(unsigned ps, uint64_t window, unsigned levels, struct ref *out)
{
	unsigned es = ref_log2(window) - ps;
	unsigned table_shift = es + 3 > 16 ? es + 3 : 16;
	unsigned es_l = (es + levels - 1) / levels;
	unsigned level_shift = es_l + 3 > 16 ? es_l + 3 : 16;
	uint64_t direct = UINT64_C(1) << level_shift;
	uint64_t t_now = (UINT64_C(1) << (es + 3)) > 4096 ? (UINT64_C(1) << (es + 3)) : 4096;
	uint64_t t_old = t_now;
	uint64_t bytes_now = 0, bytes_old = 0;
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->level_shift = level_shift;
	out->it_size = (UINT64_C(1) << table_shift) / 8;
	for (i = 0; i < levels; i++) {
		out->nodes[i] = ref_roundup(t_now, direct) / direct;
		bytes_now += ref_roundup(t_now, direct);
		t_now = (t_now / direct) * 8;
		if (t_now < direct)
			t_now = direct;

		bytes_old += ref_roundup(t_old, direct);
		t_old = (t_old / direct) * 8;
		t_old = ref_roundup(t_old, direct);
	}
	out->charge_now = 2 * bytes_now;
	out->charge_2015 = bytes_old;
	if ((level_shift - 3) * levels + ps >= 55)
		out->create_errno = -EINVAL;
	else if (level_shift > 24)
		out->create_errno = -ENOMEM;
}

/* Nodes needed to cover `entries` entries of a tree, counted top-down by division. */
static uint64_t ref_tree_nodes(uint64_t entries, uint64_t per_node, unsigned levels)
{
	uint64_t total = 0, at_level = entries;
	unsigned i;

	for (i = 0; i < levels; i++) {
		at_level = (at_level + per_node - 1) / per_node;
		if (at_level == 0)
			at_level = 1;
		total += at_level;
	}
	return total;
}

static int compute(unsigned ps, uint64_t window, unsigned levels, enum tce_profile profile,
		   unsigned host_page_shift, struct tce_geometry *geo)
{
	struct tce_geometry_request req = {
		.page_shift = ps,
		.window_size = window,
		.levels = levels,
		.profile = profile,
		.host_page_shift = host_page_shift,
	};

	return tce_geometry_compute(&req, geo);
}

/* ---- the spec's worked examples, typed in ---- */

struct example {
	unsigned ps;
	uint64_t window;
	unsigned levels;
	unsigned level_shift;
	uint64_t it_size;
	int create_errno;
	uint64_t charge_now;
	uint64_t charge_2015;
	uint64_t nodes[4];
};

static const struct example examples[] = {
	{12, 1 * GiB, 1, 21, 262144, 0, 4194304, 2097152, {1}},
	{12, 1 * GiB, 2, 16, 262144, 0, 4325376, 2162688, {32, 1}},
	{12, 1 * GiB, 3, 16, 262144, 0, 4456448, 2228224, {32, 1, 1}},
	{12, 1 * GiB, 4, 16, 262144, -EINVAL, 4587520, 2293760, {32, 1, 1, 1}},
	{12, 64 * GiB, 1, 27, 16777216, -ENOMEM, 268435456, 134217728, {1}},
	{12, 64 * GiB, 2, 16, 16777216, 0, 268566528, 134283264, {2048, 1}},
	{12, 64 * GiB, 3, 16, 16777216, 0, 268697600, 134348800, {2048, 1, 1}},
	{12, 64 * GiB, 4, 16, 16777216, -EINVAL, 268828672, 134414336, {2048, 1, 1, 1}},
	{12, 1 * TiB, 1, 31, 268435456, -ENOMEM, 4294967296, 2147483648, {1}},
	{12, 1 * TiB, 2, 17, 268435456, 0, 4295229440, 2147614720, {16384, 1}},
	{12, 1 * TiB, 3, 16, 268435456, 0, 4295622656, 2147811328, {32768, 4, 1}},
	{12, 1 * TiB, 4, 16, 268435456, -EINVAL, 4295753728, 2147876864, {32768, 4, 1, 1}},
	{16, 1 * GiB, 1, 17, 16384, 0, 262144, 131072, {1}},
	{16, 1 * GiB, 2, 16, 16384, 0, 393216, 196608, {2, 1}},
	{16, 1 * GiB, 3, 16, 16384, -EINVAL, 524288, 262144, {2, 1, 1}},
	{16, 1 * GiB, 4, 16, 16384, -EINVAL, 655360, 327680, {2, 1, 1, 1}},
	{16, 64 * GiB, 1, 23, 1048576, 0, 16777216, 8388608, {1}},
	{16, 64 * GiB, 2, 16, 1048576, 0, 16908288, 8454144, {128, 1}},
	{16, 64 * GiB, 3, 16, 1048576, -EINVAL, 17039360, 8519680, {128, 1, 1}},
	{16, 64 * GiB, 4, 16, 1048576, -EINVAL, 17170432, 8585216, {128, 1, 1, 1}},
	{16, 1 * TiB, 1, 27, 16777216, -ENOMEM, 268435456, 134217728, {1}},
	{16, 1 * TiB, 2, 16, 16777216, 0, 268566528, 134283264, {2048, 1}},
	{16, 1 * TiB, 3, 16, 16777216, -EINVAL, 268697600, 134348800, {2048, 1, 1}},
	{16, 1 * TiB, 4, 16, 16777216, -EINVAL, 268828672, 134414336, {2048, 1, 1, 1}},
	{24, 1 * GiB, 1, 16, 8192, 0, 131072, 65536, {1}},
	{24, 1 * GiB, 2, 16, 8192, 0, 262144, 65536, {1, 1}},
	{24, 1 * GiB, 3, 16, 8192, -EINVAL, 393216, 65536, {1, 1, 1}},
	{24, 1 * GiB, 4, 16, 8192, -EINVAL, 524288, 65536, {1, 1, 1, 1}},
	{24, 64 * GiB, 1, 16, 8192, 0, 131072, 65536, {1}},
	{24, 64 * GiB, 2, 16, 8192, 0, 262144, 65536, {1, 1}},
	{24, 64 * GiB, 3, 16, 8192, -EINVAL, 393216, 65536, {1, 1, 1}},
	{24, 64 * GiB, 4, 16, 8192, -EINVAL, 524288, 65536, {1, 1, 1, 1}},
	{24, 1 * TiB, 1, 19, 65536, 0, 1048576, 524288, {1}},
	{24, 1 * TiB, 2, 16, 65536, 0, 1179648, 589824, {8, 1}},
	{24, 1 * TiB, 3, 16, 65536, -EINVAL, 1310720, 655360, {8, 1, 1}},
	{24, 1 * TiB, 4, 16, 65536, -EINVAL, 1441792, 720896, {8, 1, 1, 1}},
};

static void test_spec_worked_examples(void **state)
{
	size_t i;
	unsigned l;

	(void)state;
	for (i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		const struct example *ex = &examples[i];
		struct tce_geometry geo;

		assert_int_equal(compute(ex->ps, ex->window, ex->levels, TCE_PROFILE_LINUX, 0, &geo), 0);
		assert_int_equal(geo.level_shift, ex->level_shift);
		assert_int_equal(geo.table_entries, ex->it_size);
		assert_int_equal(geo.create_errno, ex->create_errno);
		assert_int_equal(tce_geometry_charge_bytes(&geo, true), ex->charge_now);
		assert_int_equal(tce_geometry_charge_2015(&geo), ex->charge_2015);
		for (l = 0; l < ex->levels; l++)
			assert_int_equal(geo.nodes[l], ex->nodes[l]);
		assert_int_equal(geo.initial_bytes, UINT64_C(1) << ex->level_shift);
	}
}

/* Spec §2.4 note 7: ps=16, W=64 MiB rounds the flat table up to 8192 entries. */
static void test_small_window_rounds_up(void **state)
{
	struct tce_geometry geo;

	(void)state;
	assert_int_equal(compute(16, 64 * MiB, 1, TCE_PROFILE_LINUX, 0, &geo), 0);
	assert_int_equal(geo.window_entries, 1024);
	assert_int_equal(geo.table_entries, 8192);
	assert_int_equal(tce_geometry_charge_bytes(&geo, true), 128 * KiB);
}

/* Every page shift 12..40, every window to 2^63, every level count: against the reference. */
static void test_linux_matches_reference_sweep(void **state)
{
	unsigned ps, ws, levels, compared = 0;

	(void)state;
	for (ps = 12; ps <= 40; ps++) {
		for (ws = ps; ws <= 63; ws++) {
			for (levels = 1; levels <= 5; levels++) {
				struct tce_geometry geo;
				struct ref ref;
				unsigned l;

				ref_linux(ps, UINT64_C(1) << ws, levels, &ref);
				assert_int_equal(compute(ps, UINT64_C(1) << ws, levels,
							 TCE_PROFILE_LINUX, 0, &geo),
						 0);
				assert_int_equal(geo.level_shift, ref.level_shift);
				assert_int_equal(geo.table_entries, ref.it_size);
				assert_int_equal(tce_geometry_charge_bytes(&geo, true), ref.charge_now);
				assert_int_equal(tce_geometry_charge_2015(&geo), ref.charge_2015);
				assert_int_equal(geo.create_errno, ref.create_errno);
				assert_int_equal(geo.create_errno == 0, geo.reason == NULL);
				for (l = 0; l < levels; l++)
					assert_int_equal(geo.nodes[l], ref.nodes[l]);
				compared++;
			}
		}
	}
	assert_true(compared >= 300);
	print_message("compared %u (page_shift, window, levels) combinations\n", compared);
}

/*
 * The spec's census: ps in {12,16,21,24,28,30}, W = 2^ps..2^59, N = 1..5 gives
 * 415 combinations the 55-bit rule accepts, and the 2015 rule under-counts 78.
 * For every accepted one the charge is twice the fully populated tree.
 */
static void test_census_and_identity(void **state)
{
	static const unsigned shifts[] = {12, 16, 21, 24, 28, 30};
	unsigned i, ws, levels, valid = 0, under = 0;

	(void)state;
	for (i = 0; i < 6; i++) {
		for (ws = shifts[i]; ws <= 59; ws++) {
			for (levels = 1; levels <= 5; levels++) {
				struct tce_geometry geo;
				uint64_t entries, per_node, nodes;

				assert_int_equal(compute(shifts[i], UINT64_C(1) << ws, levels,
							 TCE_PROFILE_LINUX, 0, &geo),
						 0);
				if (geo.create_errno == -EINVAL)
					continue;
				valid++;
				entries = UINT64_C(1) << (ws - shifts[i]);
				per_node = geo.node_bytes / 8;
				nodes = ref_tree_nodes(entries, per_node, levels);
				assert_int_equal(tce_geometry_charge_bytes(&geo, true),
						 2 * nodes * geo.node_bytes);
				assert_int_equal(geo.full_bytes, nodes * geo.node_bytes);
				if (tce_geometry_charge_2015(&geo) < geo.full_bytes)
					under++;
			}
		}
	}
	assert_int_equal(valid, 415);
	assert_int_equal(under, 78);
}

/* The 2015 under-count example of spec §2.2: ps=24, W=1 GiB, N=2. */
static void test_2015_undercount_example(void **state)
{
	struct tce_geometry geo;

	(void)state;
	assert_int_equal(compute(24, 1 * GiB, 2, TCE_PROFILE_LINUX, 0, &geo), 0);
	assert_int_equal(tce_geometry_charge_2015(&geo), 64 * KiB);
	assert_int_equal(geo.full_bytes, 128 * KiB);
	assert_int_equal(tce_geometry_charge_bytes(&geo, true), 256 * KiB);
}

/* Exact profile, 4 KiB host pages: values worked by hand. */
static void test_exact_profile_by_hand(void **state)
{
	struct tce_geometry geo;

	(void)state;
	/* es = 18, 2 levels of 9 bits: 4 KiB nodes, 512 leaves + 1 top. */
	assert_int_equal(compute(12, 1 * GiB, 2, TCE_PROFILE_EXACT, 12, &geo), 0);
	assert_int_equal(geo.level_shift, 12);
	assert_int_equal(geo.nodes[0], 512);
	assert_int_equal(geo.nodes[1], 1);
	assert_int_equal(geo.full_bytes, 513 * 4 * KiB);
	assert_int_equal(geo.create_errno, 0);
	assert_int_equal(geo.table_entries, 262144);

	/* es = 18, 3 levels of ceil(18/3) = 6 bits, clamped to a 4 KiB node (9 bits). */
	assert_int_equal(compute(12, 1 * GiB, 3, TCE_PROFILE_EXACT, 12, &geo), 0);
	assert_int_equal(geo.level_bits, 9);
	assert_int_equal(geo.total_nodes, 514);
	assert_int_equal(geo.tree_bits, 39);

	/* A 128 MiB single node is fine without the kernel's 16 MiB limit. */
	assert_int_equal(compute(12, 64 * GiB, 1, TCE_PROFILE_EXACT, 16, &geo), 0);
	assert_int_equal(geo.create_errno, 0);
	assert_int_equal(geo.full_bytes, 128 * MiB);

	/* ...and the 55-bit rule is not applied: ps=16, W=1 GiB, N=3 indexes 55 bits. */
	assert_int_equal(compute(16, 1 * GiB, 3, TCE_PROFILE_EXACT, 16, &geo), 0);
	assert_int_equal(geo.create_errno, 0);
	assert_int_equal(geo.tree_bits, 55);

	/* 64 address bits: ps=12, 5 levels of 13 bits = 77 bits. */
	assert_int_equal(compute(12, 8 * KiB, 5, TCE_PROFILE_EXACT, 16, &geo), 0);
	assert_int_equal(geo.create_errno, -EINVAL);
	assert_non_null(geo.reason);

	/* Exactly 64 bits is the limit, inclusive: ps=16 + 4 levels of 12 bits; ps=17 is one too many. */
	assert_int_equal(compute(16, UINT64_C(1) << 61, 4, TCE_PROFILE_EXACT, 12, &geo), 0);
	assert_int_equal(geo.tree_bits, 64);
	assert_int_equal(geo.create_errno, 0);
	assert_int_equal(compute(17, UINT64_C(1) << 62, 4, TCE_PROFILE_EXACT, 12, &geo), 0);
	assert_int_equal(geo.tree_bits, 65);
	assert_int_equal(geo.create_errno, -EINVAL);

	/* Host page 0 means 64 KiB. */
	assert_int_equal(compute(12, 1 * GiB, 2, TCE_PROFILE_EXACT, 0, &geo), 0);
	assert_int_equal(geo.host_page_shift, 16);
}

static void expect_reject(unsigned ps, uint64_t window, unsigned levels, enum tce_profile profile,
			  unsigned host_page_shift, const char *word)
{
	struct tce_geometry geo;

	assert_int_equal(compute(ps, window, levels, profile, host_page_shift, &geo), -EINVAL);
	assert_non_null(geo.reason);
	assert_non_null(strstr(geo.reason, word));
}

static void test_rejections_name_the_argument(void **state)
{
	(void)state;
	expect_reject(11, 1 * GiB, 1, TCE_PROFILE_LINUX, 0, "page");
	expect_reject(63, UINT64_C(1) << 63, 1, TCE_PROFILE_LINUX, 0, "page");
	expect_reject(12, 3 * GiB, 1, TCE_PROFILE_LINUX, 0, "window");
	expect_reject(12, 0, 1, TCE_PROFILE_LINUX, 0, "window");
	expect_reject(16, 4 * KiB, 1, TCE_PROFILE_LINUX, 0, "window"); /* B-W1 */
	expect_reject(12, 1 * GiB, 0, TCE_PROFILE_LINUX, 0, "levels");
	expect_reject(12, 1 * GiB, 6, TCE_PROFILE_LINUX, 0, "levels");
	expect_reject(12, 1 * GiB, 1, TCE_PROFILE_EXACT, 13, "host page");
	expect_reject(12, 1 * GiB, 1, (enum tce_profile)7, 0, "profile");
}

static void test_window_limits(void **state)
{
	struct tce_geometry geo;

	(void)state;
	/* 2^63 is describable; the linux profile refuses it, the exact one with 5 levels too. */
	assert_int_equal(compute(12, UINT64_C(1) << 63, 5, TCE_PROFILE_LINUX, 0, &geo), 0);
	assert_int_equal(geo.create_errno, -EINVAL);
	assert_int_equal(compute(12, UINT64_C(1) << 63, 5, TCE_PROFILE_EXACT, 16, &geo), 0);
	assert_int_equal(geo.entries_shift, 51);
	/* Largest linux window: 2^54 with ps=16, N=2 (4 MiB levels). */
	assert_int_equal(compute(16, UINT64_C(1) << 54, 2, TCE_PROFILE_LINUX, 0, &geo), 0);
	assert_int_equal(geo.create_errno, 0);
	assert_int_equal(geo.level_shift, 22);
	/* The ends of the page-shift range are accepted: 12 and 62 (one page of 4 EiB, 2 pages). */
	assert_int_equal(compute(TCE_PAGE_SHIFT_MIN, 4 * KiB, 1, TCE_PROFILE_EXACT, 16, &geo), 0);
	assert_int_equal(geo.window_entries, 1);
	assert_int_equal(compute(TCE_PAGE_SHIFT_MAX, UINT64_C(1) << 62, 1, TCE_PROFILE_EXACT, 16, &geo),
			 0);
	assert_int_equal(geo.window_entries, 1);
	assert_int_equal(compute(62, UINT64_C(1) << 63, 1, TCE_PROFILE_LINUX, 0, &geo), 0);
	assert_int_equal(geo.window_entries, 2);
	/* A window of exactly one page. */
	assert_int_equal(compute(30, 1 * GiB, 1, TCE_PROFILE_LINUX, 0, &geo), 0);
	assert_int_equal(geo.window_entries, 1);
	assert_int_equal(geo.full_bytes, 64 * KiB);
}

static void test_auto_levels(void **state)
{
	struct tce_geometry_request req = {.page_shift = 12, .profile = TCE_PROFILE_LINUX};
	struct tce_geometry geo;
	unsigned first, ps, ws;

	(void)state;
	req.window_size = 1 * GiB;
	assert_int_equal(tce_geometry_auto_levels(&req, &geo, &first), 0);
	assert_int_equal(geo.levels, 1);
	assert_int_equal(first, 1);

	req.window_size = 64 * GiB; /* one level needs a 128 MiB node */
	assert_int_equal(tce_geometry_auto_levels(&req, &geo, &first), 0);
	assert_int_equal(geo.levels, 2);
	assert_int_equal(first, 2);

	req.window_size = UINT64_C(1) << 55; /* 2 levels: 32 MiB nodes; 3: 57 bits */
	assert_int_equal(tce_geometry_auto_levels(&req, &geo, &first), -EINVAL);
	assert_non_null(geo.reason);

	req.window_size = 4 * KiB;
	req.page_shift = 16;
	assert_int_equal(tce_geometry_auto_levels(&req, &geo, &first), -EINVAL);
	assert_int_equal(geo.levels, 0);

	/* Linux: QEMU's first guess is never above the fewest accepted count. */
	for (ps = 12; ps <= 34; ps++) {
		for (ws = ps; ws <= 63; ws++) {
			unsigned l;

			req.page_shift = ps;
			req.window_size = UINT64_C(1) << ws;
			if (tce_geometry_auto_levels(&req, &geo, &first) != 0)
				continue;
			assert_true(first <= geo.levels);
			for (l = 1; l < geo.levels; l++) {
				struct tce_geometry fewer;

				assert_int_equal(compute(ps, req.window_size, l, TCE_PROFILE_LINUX, 0,
							 &fewer),
						 0);
				assert_int_not_equal(fewer.create_errno, 0);
			}
		}
	}
}

static void test_profile_names(void **state)
{
	enum tce_profile p = TCE_PROFILE_EXACT;

	(void)state;
	assert_int_equal(tce_profile_parse("linux", &p), 0);
	assert_int_equal(p, TCE_PROFILE_LINUX);
	assert_int_equal(tce_profile_parse("exact", &p), 0);
	assert_int_equal(p, TCE_PROFILE_EXACT);
	assert_int_equal(tce_profile_parse("qemu", &p), -EINVAL);
	assert_int_equal(p, TCE_PROFILE_EXACT);
	assert_string_equal(tce_profile_name(TCE_PROFILE_LINUX), "linux");
	assert_string_equal(tce_profile_name((enum tce_profile)9), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_worked_examples),
		cmocka_unit_test(test_small_window_rounds_up),
		cmocka_unit_test(test_linux_matches_reference_sweep),
		cmocka_unit_test(test_census_and_identity),
		cmocka_unit_test(test_2015_undercount_example),
		cmocka_unit_test(test_exact_profile_by_hand),
		cmocka_unit_test(test_rejections_name_the_argument),
		cmocka_unit_test(test_window_limits),
		cmocka_unit_test(test_auto_levels),
		cmocka_unit_test(test_profile_names),
	};

	return cmocka_run_group_tests_name("geometry", tests, NULL, NULL);
}
