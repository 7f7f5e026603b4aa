// SPDX-License-Identifier: MIT
/*
 * The internal allocation helpers (src/alloc.h): arrays that grow by
 * doubling refuse sizes that overflow with -ENOMEM and stay as they were;
 * shrinking keeps the contents; tce_grow keeps them too and fails under
 * fault injection like every allocation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "alloc.h"

static void test_array_reserve_and_shrink(void **state)
{
	uint32_t *array = NULL;
	size_t cap = 0, i;

	(void)state;
	assert_int_equal(tce_array_reserve((void **)&array, &cap, 5, sizeof(*array)), 0);
	assert_int_equal(cap, 8);
	for (i = 0; i < 8; i++)
		array[i] = (uint32_t)i * 3;
	assert_int_equal(tce_array_reserve((void **)&array, &cap, 8, sizeof(*array)), 0);
	assert_int_equal(cap, 8); /* enough already: nothing moves */
	assert_int_equal(tce_array_reserve((void **)&array, &cap, 9, sizeof(*array)), 0);
	assert_int_equal(cap, 16);
	for (i = 0; i < 8; i++)
		assert_int_equal(array[i], i * 3);
	assert_int_equal(array[8], 0); /* the new room is zeroed */
	/* Counts that overflow, by doubling or by element size: -ENOMEM, the array as it was. */
	assert_int_equal(tce_array_reserve((void **)&array, &cap, SIZE_MAX, sizeof(*array)), -ENOMEM);
	assert_int_equal(tce_array_reserve((void **)&array, &cap, SIZE_MAX / 2 + 2, 1), -ENOMEM);
	/* No overflow, but past PTRDIFF_MAX bytes: refused before the allocator sees it. */
	assert_int_equal(tce_array_reserve((void **)&array, &cap, SIZE_MAX / 8, sizeof(*array)), -ENOMEM);
	assert_int_equal(tce_array_reserve((void **)&array, &cap, PTRDIFF_MAX / 4 + 1, sizeof(*array)), -ENOMEM);
	assert_int_equal(cap, 16);
	assert_int_equal(array[7], 21);
	/* An injected failure: the same. */
	tce_fault_fail_nth(1);
	assert_int_equal(tce_array_reserve((void **)&array, &cap, 17, sizeof(*array)), -ENOMEM);
	tce_fault_fail_nth(0);
	assert_int_equal(cap, 16);
	tce_array_shrink((void **)&array, &cap, 32, sizeof(*array)); /* not a shrink: nothing changes */
	assert_int_equal(cap, 16);
	tce_array_shrink((void **)&array, &cap, 4, sizeof(*array));
	assert_int_equal(cap, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(array[i], i * 3);
	tce_free(array);
}

static void test_grow(void **state)
{
	uint8_t *p = tce_grow(NULL, 16), *q;

	(void)state;
	assert_non_null(p);
	memset(p, 0xab, 16);
	q = tce_grow(p, 1 << 20);
	assert_non_null(q);
	assert_int_equal(q[15], 0xab);
	tce_fault_fail_nth(1);
	assert_null(tce_grow(q, 2 << 20)); /* the block stays where it was */
	tce_fault_fail_nth(0);
	assert_int_equal(q[0], 0xab);
	tce_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_array_reserve_and_shrink),
		cmocka_unit_test(test_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
