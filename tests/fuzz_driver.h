/* SPDX-License-Identifier: MIT */
/*
 * The main() of every fuzz target when it is not built for libFuzzer: feed
 * LLVMFuzzerTestOneInput() pseudo-random inputs (LIBTCE_FUZZ_RUNS of them,
 * 1000 at the full level, 100 quick), so each target runs in the plain test
 * suite and under the sanitizers too. Built with -DLIBTCE_LIBFUZZER (and
 * clang's -fsanitize=fuzzer) the file is a libFuzzer target instead.
 *
 * Include it first, with FUZZ_NAME defined to the target's test name. It
 * declares LLVMFuzzerTestOneInput() and gives CHECK(cond), which reports a
 * broken invariant with the target's name and aborts (the crash libFuzzer
 * and the test both see).
 */
#ifndef LIBTCE_TEST_FUZZ_DRIVER_H
#define LIBTCE_TEST_FUZZ_DRIVER_H

#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "helpers.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s: invariant failed: %s (%s:%d)\n", FUZZ_NAME, #cond,   \
				__FILE__, __LINE__);                                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef LIBTCE_LIBFUZZER
int main(void)
{
	unsigned runs = (unsigned)test_count("LIBTCE_FUZZ_RUNS", 100, 1000), r;
	uint64_t s = 0x853c49e6748fea9bu;
	static uint8_t buf[4096];

	/* Keep freed tables for the next input instead of unmapping them (glibc). */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	for (r = 0; r < runs; r++) {
		size_t size = (size_t)(test_rng(&s) % 2048), i;

		for (i = 0; i < size; i++)
			buf[i] = (uint8_t)test_rng(&s);
		LLVMFuzzerTestOneInput(buf, size);
	}
	printf("%s: %u random inputs, invariants held\n", FUZZ_NAME, runs);
	printf("%s: 1 passed, 0 failed\n", FUZZ_NAME);
	return 0;
}
#endif

#endif /* LIBTCE_TEST_FUZZ_DRIVER_H */
