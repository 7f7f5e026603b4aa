// SPDX-License-Identifier: MIT
/*
 * The internal hash map against a plain array under random inserts, replaces
 * and removes (removal shifts entries back: every key must stay findable),
 * keys that collide on purpose, the walk, and a failed allocation that leaves
 * the map as it was.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/fault.h"
#include "u64map.h"

#define KEYS 4096

static void test_against_array(void **state)
{
	static uint64_t model[KEYS]; /* value + 1, 0 when absent */
	struct tce_u64map map = TCE_U64MAP_INIT;
	uint64_t seed = 99, step, i, v, key;
	size_t n = 0, pos, seen;

	(void)state;
	for (step = 0; step < 200000; step++) {
		/* Keys spaced by 2^32 and by 1: both must spread over the slots. */
		uint64_t k = test_rng(&seed) % KEYS, real = (k << 32) | (k & 7);

		if (test_rng(&seed) % 3) {
			v = test_rng(&seed) >> 1; /* v + 1 never wraps */
			assert_int_equal(tce_u64map_put(&map, real, v), 0);
			n += model[k] == 0;
			model[k] = v + 1;
		} else {
			bool had = tce_u64map_remove(&map, real, &v);

			assert_int_equal(had, model[k] != 0);
			if (had)
				assert_int_equal(v + 1, model[k]);
			n -= model[k] != 0;
			model[k] = 0;
		}
		assert_int_equal(map.n, n);
		if (step % 10000 == 0) {
			for (i = 0; i < KEYS; i++) {
				bool found = tce_u64map_get(&map, (i << 32) | (i & 7), &v);

				assert_int_equal(found, model[i] != 0);
				if (found)
					assert_int_equal(v + 1, model[i]);
			}
			for (pos = 0, seen = 0; tce_u64map_next(&map, &pos, &key, &v); seen++)
				assert_int_equal(v + 1, model[key >> 32]);
			assert_int_equal(seen, n);
		}
	}
	tce_u64map_free(&map);
	assert_int_equal(map.n, 0);
	assert_false(tce_u64map_get(&map, 0, NULL));
	assert_false(tce_u64map_remove(&map, 0, NULL));
}

static void test_failed_growth_changes_nothing(void **state)
{
	struct tce_u64map map = TCE_U64MAP_INIT;
	uint64_t i, v;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(tce_u64map_put(&map, i, i * 10), 0);
	assert_int_equal(map.cap, 8);
	tce_fault_fail_nth(1);
	assert_int_equal(tce_u64map_put(&map, 100, 1), -ENOMEM); /* needs to grow */
	tce_fault_fail_nth(0);
	assert_int_equal(map.n, 4);
	assert_false(tce_u64map_get(&map, 100, NULL));
	for (i = 0; i < 4; i++) {
		assert_true(tce_u64map_get(&map, i, &v));
		assert_int_equal(v, i * 10);
	}
	/* Reserved room: the next inserts allocate nothing. */
	assert_int_equal(tce_u64map_reserve(&map, 64), 0);
	assert_int_equal(tce_u64map_reserve(&map, SIZE_MAX / 4), -ENOMEM); /* the slots would overflow */
	tce_fault_fail_nth(1);
	for (i = 4; i < 64; i++)
		assert_int_equal(tce_u64map_put(&map, i, i), 0);
	tce_fault_fail_nth(0);
	assert_int_equal(map.n, 64);
	tce_u64map_free(&map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_array),
		cmocka_unit_test(test_failed_growth_changes_nothing),
	};

	return cmocka_run_group_tests_name("u64map", tests, NULL, NULL);
}
