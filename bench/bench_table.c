// SPDX-License-Identifier: MIT
/*
 * bench_table — get, exchange and translate on a fully populated libtce table
 * of 1, 2 and 3 levels, against a flat host-order array (one load per lookup,
 * the way QEMU stores a guest TCE table), in the same run. Each figure is the
 * best of several interleaved repetitions; the ratio is table / flat.
 *
 * Usage: bench_table [--ops N] [--reps N]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tce/geometry.h"
#include "tce/table.h"

#define PAGE_SHIFT 12u
#define WINDOW (UINT64_C(1) << 30)

static volatile uint64_t sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

enum op { OP_GET, OP_XCHG, OP_TRANSLATE, OP_COUNT };
static const char *op_names[OP_COUNT] = {"get", "xchg", "translate"};

/* The baseline: QEMU-style flat array of host-order TCEs. */
static double run_flat(enum op op, uint64_t *flat, const uint64_t *idx, size_t ops)
{
	double t0 = now_ns();
	uint64_t acc = 0;
	size_t i;

	for (i = 0; i < ops; i++) {
		uint64_t e = idx[i];

		switch (op) {
		case OP_GET:
			acc += flat[e];
			break;
		case OP_XCHG: {
			uint64_t old = flat[e];

			flat[e] = old ^ TCE_PERM_WRITE;
			acc += old;
			break;
		}
		case OP_TRANSLATE: {
			uint64_t tce = flat[e];
			uint64_t ioba = (e << PAGE_SHIFT) | 0x123;

			acc += (tce & ~TCE_PERM_MASK) + (ioba & ((1u << PAGE_SHIFT) - 1)) + (tce & 3);
			break;
		}
		default:
			break;
		}
	}
	sink = acc;
	return (now_ns() - t0) / (double)ops;
}

static double run_table(enum op op, struct tce_table *table, const uint64_t *idx, size_t ops)
{
	double t0 = now_ns();
	uint64_t acc = 0;
	size_t i;

	for (i = 0; i < ops; i++) {
		uint64_t ioba = idx[i] << PAGE_SHIFT;

		switch (op) {
		case OP_GET: {
			uint64_t tce;

			tce_table_get(table, ioba, &tce);
			acc += tce;
			break;
		}
		case OP_XCHG: {
			uint64_t tce, old = 0;

			tce_table_get(table, ioba, &tce);
			tce_table_xchg(table, ioba, tce ^ TCE_PERM_WRITE, &old);
			acc += old;
			break;
		}
		case OP_TRANSLATE: {
			struct tce_translation x;

			tce_table_translate(table, ioba | 0x123, &x);
			acc += x.hpa + x.perm;
			break;
		}
		default:
			break;
		}
	}
	sink = acc;
	return (now_ns() - t0) / (double)ops;
}

int main(int argc, char **argv)
{
	size_t ops = 4u << 20;
	unsigned reps = 5, levels, r;
	uint64_t entries = WINDOW >> PAGE_SHIFT, e, seed = 88172645463325252u;
	uint64_t *flat = malloc(entries * sizeof(*flat));
	uint64_t *idx;
	int a;

	for (a = 1; a + 1 < argc; a += 2) {
		if (strcmp(argv[a], "--ops") == 0)
			ops = strtoull(argv[a + 1], NULL, 0);
		else if (strcmp(argv[a], "--reps") == 0)
			reps = (unsigned)strtoul(argv[a + 1], NULL, 0);
	}
	idx = malloc(ops * sizeof(*idx));
	if (!flat || !idx || ops == 0 || reps == 0) {
		fprintf(stderr, "bench_table: bad arguments or out of memory\n");
		return 2;
	}
	for (e = 0; e < entries; e++)
		flat[e] = ((e + 1) << PAGE_SHIFT) | TCE_PERM_READ;
	for (e = 0; e < ops; e++)
		idx[e] = xorshift(&seed) % entries;

	printf("bench_table: 1 GiB window of 4 KiB pages (262144 entries), %zu random ops, best of %u\n",
	       ops, reps);
	printf("%-7s %-10s %12s %12s %8s\n", "levels", "op", "flat ns/op", "table ns/op", "ratio");
	for (levels = 1; levels <= 3; levels++) {
		struct tce_geometry_request req = {.page_shift = PAGE_SHIFT, .window_size = WINDOW,
						   .levels = levels, .profile = TCE_PROFILE_LINUX};
		struct tce_geometry geo;
		struct tce_table *table;
		enum op op;

		if (tce_geometry_compute(&req, &geo) || tce_table_create(&geo, 0, &table)) {
			fprintf(stderr, "bench_table: cannot create a %u-level table\n", levels);
			return 1;
		}
		for (e = 0; e < entries; e++)
			tce_table_xchg(table, e << PAGE_SHIFT, flat[e], NULL);
		for (op = OP_GET; op < OP_COUNT; op++) {
			double best_flat = 1e30, best_table = 1e30;

			for (r = 0; r < reps; r++) {
				double f = run_flat(op, flat, idx, ops);
				double t = run_table(op, table, idx, ops);

				best_flat = f < best_flat ? f : best_flat;
				best_table = t < best_table ? t : best_table;
			}
			printf("%-7u %-10s %12.2f %12.2f %7.2fx\n", levels, op_names[op], best_flat,
			       best_table, best_table / best_flat);
		}
		tce_table_destroy(table);
	}
	free(idx);
	free(flat);
	return 0;
}
