// SPDX-License-Identifier: MIT
/*
 * bench_table — get, exchange and translate on a fully populated libtce table
 * of 1, 2 and 3 levels, against a fair flat baseline in the same run: a flat
 * array of big-endian TCEs (what the hardware reads) with the same window
 * check, the way a VMM would keep its own table. libtce is measured through
 * its exported functions and through the inline view (tce_table_view_*), the
 * fast path a device model calls per DMA access. Best of interleaved runs;
 * the ratio is libtce / flat. Then translate time against the table's size.
 *
 * Usage: bench_table [--ops N] [--reps N]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "tce/geometry.h"
#include "tce/table.h"

#define PAGE_SHIFT 12u
#define START (UINT64_C(1) << 59)

struct flat {
	uint64_t *be; /* big-endian words */
	uint64_t start, entries;
	unsigned page_shift; /* read at run time, as a VMM's table has it */
};

enum op { GET, GET_VIEW, XCHG, TRANSLATE, TRANSLATE_VIEW, OP_COUNT };
static const char *const op_names[OP_COUNT] = {"get", "get (view)", "xchg", "translate",
					       "translate (view)"};

/* One loop per operation, so that neither column pays for a dispatch. */
#define LOOP(body)                                                                                 \
	do {                                                                                       \
		for (i = 0; i < ops; i++) {                                                        \
			uint64_t ioba = iobas[i];                                                  \
			body;                                                                      \
		}                                                                                  \
	} while (0)

/* The baseline: the same work on a flat big-endian array. */
__attribute__((noinline)) static double run_flat(enum op op, struct flat *f, const uint64_t *iobas,
						 size_t ops)
{
	uint64_t acc = 0, start = f->start, entries = f->entries, *be = f->be;
	unsigned ps = f->page_shift;
	double t0 = bench_now_ns();
	size_t i;

	switch (op) {
	case GET:
	case GET_VIEW:
		LOOP({
			uint64_t idx = (ioba - start) >> ps;

			if (idx < entries)
				acc += tce_be64(be[idx]);
		});
		break;
	case XCHG:
		LOOP({
			uint64_t idx = (ioba - start) >> ps;

			if (idx < entries) {
				uint64_t tce = tce_be64(be[idx]);

				be[idx] = tce_be64(((ioba - start) & ~((UINT64_C(1) << ps) - 1)) + (UINT64_C(1) << 32) + 3);
				acc += tce;
			}
		});
		break;
	default:
		LOOP({
			uint64_t idx = (ioba - start) >> ps;

			if (idx < entries) {
				uint64_t tce = tce_be64(be[idx]);

				acc += (tce & ~TCE_PERM_MASK) + (ioba & ((UINT64_C(1) << ps) - 1)) +
				       (tce & TCE_PERM_MASK);
			}
		});
		break;
	}
	bench_sink = acc;
	return (bench_now_ns() - t0) / (double)ops;
}

__attribute__((noinline)) static double run_table(enum op op, struct tce_table *table,
						  const uint64_t *iobas, size_t ops)
{
	uint64_t acc = 0, page_mask = (UINT64_C(1) << PAGE_SHIFT) - 1;
	struct tce_table_view got, view;
	double t0 = bench_now_ns();
	size_t i;

	/* A local copy nothing else can see: the compiler keeps it in registers. */
	tce_table_get_view(table, &got);
	view = got;
	switch (op) {
	case GET:
		LOOP({
			uint64_t tce = 0;

			tce_table_get(table, ioba & ~page_mask, &tce);
			acc += tce;
		});
		break;
	case GET_VIEW:
		LOOP({
			uint64_t tce = 0;

			tce_table_view_lookup(&view, ioba, &tce);
			acc += tce;
		});
		break;
	case XCHG:
		/* One call: it returns the old entry, as the baseline reads it. */
		LOOP({
			uint64_t old = 0;

			tce_table_xchg(table, ioba & ~page_mask,
				       ((ioba - START) & ~page_mask) + (UINT64_C(1) << 32) + 3, &old);
			acc += old;
		});
		break;
	case TRANSLATE:
		LOOP({
			struct tce_translation x;

			if (tce_table_translate(table, ioba, &x) == 0)
				acc += x.hpa + x.perm;
		});
		break;
	default:
		LOOP({
			struct tce_translation x;

			if (tce_table_view_translate(&view, ioba, &x))
				acc += x.hpa + x.perm;
		});
		break;
	}
	bench_sink = acc;
	return (bench_now_ns() - t0) / (double)ops;
}

struct ctx {
	enum op op;
	struct flat *flat;
	struct tce_table *table;
	const uint64_t *iobas;
};

static double flat_run(void *opaque, size_t first, size_t n)
{
	struct ctx *c = opaque;

	return run_flat(c->op, c->flat, c->iobas + first, n);
}

static double table_run(void *opaque, size_t first, size_t n)
{
	struct ctx *c = opaque;

	return run_table(c->op, c->table, c->iobas + first, n);
}

static struct tce_table *populated(unsigned levels, uint64_t window, struct flat *f)
{
	struct tce_geometry_request req = {.page_shift = PAGE_SHIFT, .window_size = window,
					   .levels = levels, .profile = TCE_PROFILE_LINUX};
	struct tce_geometry geo;
	struct tce_table *table;
	uint64_t e;

	if (tce_geometry_compute(&req, &geo) || tce_table_create(&geo, START, &table))
		return NULL;
	for (e = 0; e < geo.window_entries; e++) {
		uint64_t tce = ((e << PAGE_SHIFT) + (UINT64_C(1) << 32)) | TCE_PERM_READ;

		if (f)
			f->be[e] = tce_be64(tce);
		tce_table_xchg(table, START + (e << PAGE_SHIFT), tce, NULL);
	}
	return table;
}

int main(int argc, char **argv)
{
	size_t ops = bench_arg(argc, argv, "--ops", 4u << 20);
	size_t chunk = bench_arg(argc, argv, "--chunk", 1u << 14);
	unsigned reps = (unsigned)bench_arg(argc, argv, "--reps", 600), levels;
	uint64_t window = 1 * GiB, entries = window >> PAGE_SHIFT, e, seed = 88172645463325252u;
	struct flat f = {calloc(entries, sizeof(uint64_t)), START, entries, PAGE_SHIFT};
	uint64_t *iobas = malloc(ops * sizeof(*iobas));

	bench_pin_cpu();
	if (!f.be || !iobas || ops == 0 || reps == 0 || chunk > ops) {
		fprintf(stderr, "bench_table: bad arguments or out of memory\n");
		return 2;
	}
	for (e = 0; e < ops; e++)
		iobas[e] = START + (bench_rng(&seed) % (window + window / 64)) ; /* ~1.5% outside */
	printf("bench_table: 1 GiB window of 4 KiB pages (262144 entries), random accesses; best of %u "
	       "interleaved rounds of %zu\n", reps, chunk);
	printf("%-7s %-17s %11s %12s %8s\n", "levels", "op", "flat ns/op", "libtce ns/op", "ratio");
	for (levels = 1; levels <= 3; levels++) {
		struct tce_table *table = populated(levels, window, &f);
		enum op op;

		if (!table) {
			fprintf(stderr, "bench_table: cannot create a %u-level table\n", levels);
			return 1;
		}
		for (op = GET; op < OP_COUNT; op++) {
			struct ctx c = {op, &f, table, iobas};
			struct bench_pair p = bench_compare(flat_run, table_run, &c, ops, chunk, reps);

			printf("%-7u %-17s %11.2f %12.2f %7.2fx\n", levels, op_names[op], p.base_ns,
			       p.cand_ns, p.cand_ns / p.base_ns);
		}
		tce_table_destroy(table);
	}

	/* Translate (view) against the table's size: 512 KiB .. 32 MiB of TCEs, 2 levels. */
	printf("\ntranslate (view), 2 levels, against the table's size\n");
	printf("%-12s %-12s %11s %12s %8s\n", "table bytes", "window", "flat ns/op", "libtce ns/op",
	       "ratio");
	for (window = 256 * MiB; window <= 16 * GiB; window *= 4) {
		struct flat g = {calloc(window >> PAGE_SHIFT, sizeof(uint64_t)), START,
				 window >> PAGE_SHIFT, PAGE_SHIFT};
		struct tce_table *table = g.be ? populated(2, window, &g) : NULL;
		struct ctx c = {TRANSLATE_VIEW, &g, table, iobas};
		struct bench_pair p;

		if (!table)
			return 1;
		for (e = 0; e < ops; e++)
			iobas[e] = START + bench_rng(&seed) % window;
		p = bench_compare(flat_run, table_run, &c, ops, chunk, reps);
		printf("%-12" PRIu64 " %-12" PRIu64 " %11.2f %12.2f %7.2fx\n", (window >> PAGE_SHIFT) * 8,
		       window, p.base_ns, p.cand_ns, p.cand_ns / p.base_ns);
		tce_table_destroy(table);
		free(g.be);
	}
	free(iobas);
	free(f.be);
	return 0;
}
