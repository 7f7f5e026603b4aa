/* SPDX-License-Identifier: MIT */
/*
 * Shared test helpers: sizes, a reproducible PRNG, the guest-memory reader
 * that serves an H_PUT_TCE_INDIRECT list, a clock, the test level, CRC-32C
 * and little-endian words (to read and forge migration streams), and the
 * one fault-injection sweep every test of an error path uses.
 *
 * Concepts: a test that checks failure atomicity must reach every allocation
 * the operation makes, including allocations added after the test was
 * written; test_fault_sweep() fails the 1st, 2nd, ... allocation in turn until
 * a run completes without an injected failure, so it never stops short.
 * The level (LIBTCE_TEST_LEVEL=quick or full, default full) scales the
 * randomized tests: `meson test --setup quick` for a fast edit-test loop.
 * Include after <cmocka.h> (the sweep needs its assertions).
 */
#ifndef LIBTCE_TEST_HELPERS_H
#define LIBTCE_TEST_HELPERS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tce/fault.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

/* xorshift64: reproducible runs from a non-zero seed. */
static inline uint64_t test_rng(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* Seconds on a monotonic clock. */
static inline double test_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* True unless LIBTCE_TEST_LEVEL=quick. */
static inline bool test_level_full(void)
{
	const char *level = getenv("LIBTCE_TEST_LEVEL");

	return !level || strcmp(level, "quick") != 0;
}

/*
 * A count for a randomized test: @env_name overrides it when set (a positive
 * number), else @full, or @quick at the quick level.
 */
static inline uint64_t test_count(const char *env_name, uint64_t quick, uint64_t full)
{
	const char *env = env_name ? getenv(env_name) : NULL;

	if (env && strtoull(env, NULL, 10) > 0)
		return strtoull(env, NULL, 10);
	return test_level_full() ? full : quick;
}

/* CRC-32C written from its definition (reflected polynomial 0x82F63B78), to check streams against. */
static inline uint32_t test_crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
	}
	return ~crc;
}

/* Little-endian 32-bit words in a byte stream. */
static inline uint32_t test_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void test_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* An H_PUT_TCE_INDIRECT list in guest memory at @gpa: @n TCEs, host order here. */
struct test_list {
	uint64_t gpa;
	unsigned n;
	uint64_t tces[512];
};

/*
 * A tce_guest_read_fn serving a struct test_list (@opaque) as guest memory:
 * big-endian words at list->gpa. -EFAULT outside the list.
 */
static inline int test_list_read(void *opaque, uint64_t gpa, void *buf, uint64_t len)
{
	const struct test_list *list = opaque;
	uint8_t *out = buf;
	uint64_t i;

	if (gpa < list->gpa || gpa - list->gpa > (uint64_t)list->n * 8 ||
	    len > (uint64_t)list->n * 8 - (gpa - list->gpa))
		return -EFAULT;
	for (i = 0; i < len; i++) {
		uint64_t byte = gpa - list->gpa + i;

		out[i] = (uint8_t)(list->tces[byte / 8] >> (56 - 8 * (byte % 8)));
	}
	return 0;
}

#ifdef assert_int_equal /* cmocka tests only */
/*
 * test_fault_sweep() - run @op with its 1st, 2nd, ... allocation failing, in
 * turn, until it runs with no injected failure.
 * @op: the operation; returns 0 or a negative errno, and must be repeatable
 *      after a failure.
 * @unchanged: called after each run an injected failure made fail; asserts
 *      that the state is what it was before (may be NULL).
 * @ctx: passed to both.
 *
 * Every run that met an injected failure must return -ENOMEM; the final run,
 * which met none, must return 0 (its effect stays).
 *
 * Return: the number of allocations the operation made (the failing runs).
 */
static inline unsigned test_fault_sweep(int (*op)(void *ctx), void (*unchanged)(void *ctx),
					void *ctx)
{
	unsigned nth;

	for (nth = 1;; nth++) {
		uint64_t failures = tce_fault_failures();
		int rc;

		tce_fault_fail_nth(nth);
		rc = op(ctx);
		tce_fault_fail_nth(0);
		if (tce_fault_failures() == failures) {
			assert_int_equal(rc, 0);
			return nth - 1;
		}
		assert_int_equal(rc, -ENOMEM);
		if (unchanged)
			unchanged(ctx);
		assert_true(nth < 1000000);
	}
}
#endif

#endif /* LIBTCE_TEST_HELPERS_H */
