/* SPDX-License-Identifier: MIT */
/*
 * What every benchmark shares: a clock, a reproducible PRNG, a sink the
 * compiler cannot optimise away, the "best of interleaved runs" rule, and the
 * guest memory that serves an H_PUT_TCE_INDIRECT list.
 *
 * Concepts: the machine is shared and noisy, so a benchmark never reports an
 * absolute time alone. It runs libtce and a fair baseline side by side in the
 * same process, repeats both alternately, keeps the best of each and reports
 * their ratio. Baseline loops are kept from being vectorised where libtce's
 * cannot be (the functions are noinline and write through the sink).
 */
#ifndef LIBTCE_BENCH_COMMON_H
#define LIBTCE_BENCH_COMMON_H

#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

static volatile uint64_t bench_sink;

static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline uint64_t bench_rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Stay on the CPU we start on: a migration in the middle of a round costs more than the work. */
static inline void bench_pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* The smaller of a best-so-far and a new time. */
static inline double bench_best(double best, double t)
{
	return t < best ? t : best;
}

/* "--reps N" (and the like) from argv, or @def. */
static inline unsigned long bench_arg(int argc, char **argv, const char *name, unsigned long def)
{
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return strtoul(argv[i + 1], NULL, 0);
	return def;
}

/*
 * Time a baseline and a candidate side by side: @rounds rounds, each running
 * the baseline then the candidate on the same @n operations (starting at a
 * different offset each round), keeping the fastest round of each. With
 * bench_compare2() each side has its own count, so that a side a hundred times
 * slower does not make the rounds of the fast side too short to time. Short
 * rounds taken back to back see the same machine, so their ratio is stable
 * where long absolute times are not. Each run returns its nanoseconds per
 * operation.
 */
typedef double (*bench_run_fn)(void *ctx, size_t first, size_t n);

struct bench_pair {
	double base_ns, cand_ns;
};

static inline struct bench_pair bench_compare2(bench_run_fn base, size_t base_n, bench_run_fn cand,
					       size_t cand_n, void *ctx, size_t total, unsigned rounds)
{
	struct bench_pair best = {1e30, 1e30};
	size_t n = base_n > cand_n ? base_n : cand_n;
	unsigned r;

	for (r = 0; r < rounds; r++) {
		size_t first = total > n ? (size_t)(((uint64_t)r * 7919u * n) % (total - n)) : 0;

		best.base_ns = bench_best(best.base_ns, base(ctx, first, base_n));
		best.cand_ns = bench_best(best.cand_ns, cand(ctx, first, cand_n));
	}
	return best;
}

static inline struct bench_pair bench_compare(bench_run_fn base, bench_run_fn cand, void *ctx,
					      size_t total, size_t n, unsigned rounds)
{
	return bench_compare2(base, n, cand, n, ctx, total, rounds);
}

/* Where the benchmarks' guests keep their H_PUT_TCE_INDIRECT list. */
#define BENCH_LIST_GPA 0x100000u

/* The INDIRECT list as guest memory holds it (big-endian words). */
static uint64_t bench_list_be[512];

/*
 * A tce_guest_read_fn serving bench_list_be at BENCH_LIST_GPA (memcpy: what a
 * real guest-memory read costs); -1 for any other read.
 */
static inline int bench_read_list(void *opaque, uint64_t gpa, void *buf, uint64_t len)
{
	(void)opaque;
	if (gpa != BENCH_LIST_GPA || len > sizeof(bench_list_be))
		return -1;
	memcpy(buf, bench_list_be, (size_t)len);
	return 0;
}

#endif /* LIBTCE_BENCH_COMMON_H */
