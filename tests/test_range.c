// SPDX-License-Identifier: MIT
/*
 * The internal range toolkit: valid ranges up to 2^64, overlap and
 * containment by last address, and the sorted-interval search against a
 * linear scan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"
#include "range.h"

static void test_valid(void **state)
{
	(void)state;
	assert_true(tce_range_valid(0, 4096, 12));
	assert_true(tce_range_valid(UINT64_MAX - 4095, 4096, 12)); /* ends exactly at 2^64 */
	assert_false(tce_range_valid(UINT64_MAX - 4095, 8192, 12)); /* wraps */
	assert_false(tce_range_valid(0, 0, 12));
	assert_false(tce_range_valid(4096, 2048, 12));
	assert_false(tce_range_valid(2048, 4096, 12));
	assert_true(tce_range_valid(1, UINT64_MAX, 0));
	assert_false(tce_range_valid(2, UINT64_MAX, 0));
	assert_int_equal(tce_range_last(UINT64_MAX - 4095, 4096), UINT64_MAX);
}

static void test_overlap_inside(void **state)
{
	(void)state;
	assert_true(tce_range_overlap(0, 10, 9, 1));
	assert_false(tce_range_overlap(0, 10, 10, 1));
	assert_true(tce_range_overlap(UINT64_MAX - 9, 10, UINT64_MAX, 1));
	assert_false(tce_range_overlap(UINT64_MAX - 9, 10, 0, UINT64_MAX - 9));
	assert_true(tce_range_inside(100, 50, 100, 50));
	assert_true(tce_range_inside(100, 50, 149, 1));
	assert_false(tce_range_inside(100, 50, 149, 2));
	assert_false(tce_range_inside(100, 50, 99, 1));
	assert_true(tce_range_inside(UINT64_MAX - 9, 10, UINT64_MAX, 1));
	assert_false(tce_range_inside(UINT64_MAX - 9, 10, UINT64_MAX, 2));
}

struct span {
	uint32_t pad;
	uint64_t start;
	uint64_t size;
};

/* Sorted, non-overlapping spans with gaps, against a linear scan. */
static void test_sorted_search(void **state)
{
	enum { N = 300 };
	static struct span spans[N];
	uint64_t seed = 7, at = 1000, key;
	size_t i, n, expect_le, expect_after, k;

	(void)state;
	for (i = 0; i < N; i++) {
		at += test_rng(&seed) % 100; /* a gap, maybe empty */
		spans[i] = (struct span){0, at, 1 + test_rng(&seed) % 50};
		at += spans[i].size;
	}
	for (n = 0; n <= N; n += (n < 5 ? 1 : 37)) {
		for (k = 0; k < 2000; k++) {
			key = test_rng(&seed) % (at + 200);
			expect_le = n;
			for (i = 0; i < n; i++)
				if (spans[i].start <= key)
					expect_le = i;
			expect_after = n;
			for (i = n; i-- > 0;)
				if (spans[i].start + spans[i].size > key)
					expect_after = i;
			assert_int_equal(tce_sorted_last_le(TCE_SORTED(spans, n, start), key), expect_le);
			assert_int_equal(tce_sorted_first_ending_after(
						 TCE_SORTED_RANGES(spans, n, start, size), key),
					 expect_after);
		}
	}
	/* A span ending exactly at 2^64. */
	spans[0] = (struct span){0, UINT64_MAX - 15, 16};
	assert_int_equal(tce_sorted_first_ending_after(TCE_SORTED_RANGES(spans, 1, start, size),
						       UINT64_MAX),
			 0);
	assert_int_equal(tce_sorted_first_ending_after(TCE_SORTED_RANGES(spans, 1, start, size), 5),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_overlap_inside),
		cmocka_unit_test(test_sorted_search),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
