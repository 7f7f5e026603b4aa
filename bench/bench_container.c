// SPDX-License-Identifier: MIT
/*
 * bench_container — VFIO MAP_DMA / UNMAP_DMA throughput and userview memory.
 *
 * 1. Throughput: a v2 container maps a 4 GiB guest (registered, simulated
 *    host memory) into a window with 64 KiB or 16 MiB IOMMU pages and 1 or 2
 *    levels, in MAP_DMA calls of `--chunk` bytes, then unmaps it; pages per
 *    second for each, against the same loop writing a flat array of TCEs (what
 *    one store per page costs), in the same run.
 *    Each round maps and unmaps the whole guest several times and runs the
 *    baseline as often; the best round of each is kept.
 * 2. Memory: a guest that maps all its RAM contiguously, with a mirror and
 *    with an extents userview: bytes charged and allocated.
 * 3. Memory against use: a 4 GiB window of 4 KiB pages (2 and 3 levels) where
 *    a fraction of the entries is mapped in runs of a given length at random
 *    places: what the table allocates against what it is charged, and what a
 *    mirror and an extents userview allocate.
 *
 * 4. Scale: a container registers N regions (in a shuffled order) and
 *    unregisters them (in another), N from 1,000 to 1,000,000: time per
 *    operation, which must stay flat as N grows.
 *
 * Usage: bench_container [--chunk BYTES] [--rounds N]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "tce/container.h"

#define RAM_UA (UINT64_C(1) << 40)
#define RAM (4 * GiB)

static unsigned rounds = 7;

struct setup {
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
	struct tce_group *group;
	struct tce_container *c;
};

static int setup(struct setup *s, unsigned ram_page_shift, enum tce_userview_kind kind)
{
	struct tce_group_desc desc;
	struct tce_container_config cfg;

	tce_group_desc_powernv_ioda2(&desc);
	if (tce_hostmem_sim_create(16, &s->hm) ||
	    tce_hostmem_sim_map(s->hm, RAM_UA, RAM, ram_page_shift, 0) ||
	    tce_account_create(TCE_ACCOUNT_UNLIMITED, &s->account) ||
	    tce_prereg_create(s->hm, s->account, &s->prereg) || tce_group_create(&desc, 1, &s->group))
		return 1;
	cfg = (struct tce_container_config){VFIO_SPAPR_TCE_v2_IOMMU, s->hm, s->account, s->prereg, kind};
	if (tce_container_create(&cfg, &s->c) || tce_container_attach(s->c, s->group) ||
	    tce_container_register(s->c, RAM_UA, RAM) || tce_container_remove_window(s->c, 0))
		return 1;
	return 0;
}

static void teardown(struct setup *s)
{
	tce_container_destroy(s->c);
	tce_group_destroy(s->group);
	tce_prereg_destroy(s->prereg);
	tce_account_destroy(s->account);
	tce_hostmem_destroy(s->hm);
}

/* The baseline: one store of a computed TCE per page. */
__attribute__((noinline)) static double flat_pass(uint64_t *flat, uint64_t pages, unsigned ps,
						  unsigned reps)
{
	double t0 = bench_now_ns();
	unsigned r;
	uint64_t i;

	for (r = 0; r < reps; r++) {
		for (i = 0; i < pages; i++)
			flat[i] = ((UINT64_C(0x100000000) + (i << ps)) | 3) + r;
		__asm__ volatile("" ::: "memory"); /* every pass is done, none folded */
	}
	bench_sink = flat[pages - 1];
	return bench_now_ns() - t0;
}

static int bench_throughput(unsigned ps, unsigned levels, uint64_t chunk)
{
	struct setup s;
	uint64_t start, off, pages = RAM >> ps, *flat = calloc(pages, sizeof(uint64_t));
	double map_ns = 1e30, unmap_ns = 1e30, flat_ns = 1e30, t0, tm, tu;
	unsigned r, rep, reps;

	if (!flat || setup(&s, ps == 24 ? 24 : 16, TCE_USERVIEW_MIRROR) ||
	    tce_container_create_window(s.c, ps, RAM, levels, &start))
		return 1;
	if (chunk < (UINT64_C(1) << ps))
		chunk = UINT64_C(1) << ps;
	/* Warm the table's nodes once so map and unmap are measured, not first-touch allocation. */
	for (off = 0; off < RAM; off += chunk)
		tce_container_map(s.c, start + off, chunk, RAM_UA + off, VFIO_DMA_MAP_FLAG_READ);
	tce_container_unmap(s.c, start, RAM);
	/* About 64 Ki pages per round. */
	reps = pages >= 65536 ? 1 : (unsigned)(65536 / pages);
	for (r = 0; r < rounds; r++) {
		flat_ns = bench_best(flat_ns, flat_pass(flat, pages, ps, reps));
		tm = tu = 0;
		for (rep = 0; rep < reps; rep++) {
			t0 = bench_now_ns();
			for (off = 0; off < RAM; off += chunk)
				if (tce_container_map(s.c, start + off, chunk, RAM_UA + off,
						      VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
					return 1;
			tm += bench_now_ns() - t0;
			t0 = bench_now_ns();
			for (off = 0; off < RAM; off += chunk)
				if (tce_container_unmap(s.c, start + off, chunk))
					return 1;
			tu += bench_now_ns() - t0;
		}
		map_ns = bench_best(map_ns, tm);
		unmap_ns = bench_best(unmap_ns, tu);
	}
	pages *= reps;
	printf("%-9u %-6u %10" PRIu64 " %14.0f %14.0f %14.0f %9.1fx %9.1fx\n", 1u << (ps - 10), levels,
	       pages / reps, pages / map_ns * 1e9, pages / unmap_ns * 1e9, pages / flat_ns * 1e9,
	       map_ns / flat_ns, unmap_ns / flat_ns);
	free(flat);
	teardown(&s);
	return 0;
}

static int bench_memory(enum tce_userview_kind kind, unsigned ps, unsigned levels)
{
	struct setup s;
	struct tce_window *w;
	struct tce_window_usage usage;
	uint64_t start;

	if (setup(&s, 16, kind) || tce_container_create_window(s.c, ps, RAM, levels, &start) ||
	    tce_container_map(s.c, start, RAM, RAM_UA, VFIO_DMA_MAP_FLAG_READ))
		return 1;
	w = tce_container_window(s.c, start);
	tce_window_usage(w, &usage);
	printf("%-8s %6u KiB %6u %16" PRIu64 " %16" PRIu64 " %16" PRIu64 " %16" PRIu64 "\n",
	       kind == TCE_USERVIEW_MIRROR ? "mirror" : "extents", 1u << (ps - 10), levels,
	       usage.table_charged, usage.table_allocated, usage.userview_charged,
	       usage.userview_allocated);
	tce_window_put(w);
	teardown(&s);
	return 0;
}

/* Map @fraction_pct % of a 4 GiB window of 4 KiB pages in runs of @run pages at random places. */
static int bench_use(unsigned levels, unsigned fraction_pct, uint64_t run)
{
	static const enum tce_userview_kind kinds[2] = {TCE_USERVIEW_MIRROR, TCE_USERVIEW_EXTENTS};
	struct tce_window_usage usage[2];
	uint64_t entries = RAM >> 12, runs = entries / run, want = entries * fraction_pct / 100 / run;
	unsigned k;

	for (k = 0; k < 2; k++) {
		uint64_t rng = 0x9e3779b97f4a7c15u, done = 0, start, i;
		uint8_t *used = calloc(runs, 1);
		struct tce_window *w;
		struct setup s;

		if (!used || setup(&s, 16, kinds[k]) ||
		    tce_container_create_window(s.c, 12, RAM, levels, &start))
			return 1;
		/* Distinct random run slots (the same ones for both userviews). */
		while (done < want) {
			i = bench_rng(&rng) % runs;
			if (used[i])
				continue;
			used[i] = 1;
			done++;
			if (tce_container_map(s.c, start + (i * run << 12), run << 12,
					      RAM_UA + (i * run << 12), VFIO_DMA_MAP_FLAG_READ))
				return 1;
		}
		w = tce_container_window(s.c, start);
		tce_window_usage(w, &usage[k]);
		tce_window_put(w);
		teardown(&s);
		free(used);
	}
	printf("%-6u %8u%% %8" PRIu64 " %14" PRIu64 " %14" PRIu64 " %14" PRIu64 " %14" PRIu64 "\n",
	       levels, fraction_pct, run, usage[0].table_allocated, usage[0].table_charged,
	       usage[0].userview_allocated, usage[1].userview_allocated);
	return 0;
}

/* Register and unregister @n 64 KiB regions 128 KiB apart through one container. */
static int bench_register_scale(uint64_t n)
{
	struct tce_container_config cfg;
	struct tce_group_desc desc;
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
	struct tce_group *group;
	struct tce_container *c;
	uint64_t *order = malloc(n * sizeof(*order)), rng = 42, i;
	double t0, reg_ns, unreg_ns;

	if (!order || tce_hostmem_sim_create(16, &hm) ||
	    tce_hostmem_sim_map(hm, RAM_UA, 2 * n * 64 * KiB, 16, 0) ||
	    tce_account_create(TCE_ACCOUNT_UNLIMITED, &account) ||
	    tce_prereg_create(hm, account, &prereg))
		return 1;
	tce_group_desc_powernv_ioda2(&desc);
	cfg = (struct tce_container_config){VFIO_SPAPR_TCE_v2_IOMMU, hm, account, prereg,
					    TCE_USERVIEW_MIRROR};
	if (tce_group_create(&desc, 0, &group) || tce_container_create(&cfg, &c) ||
	    tce_container_attach(c, group))
		return 1;
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) { /* shuffled: no order helps a sorted array */
		uint64_t j = bench_rng(&rng) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		if (tce_container_register(c, RAM_UA + order[i] * 128 * KiB, 64 * KiB))
			return 1;
	reg_ns = (bench_now_ns() - t0) / (double)n;
	for (i = 0; i < n; i++) { /* a different order out */
		uint64_t j = bench_rng(&rng) % (n - i), t = order[i];

		order[i] = order[i + j];
		order[i + j] = t;
	}
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		if (tce_container_unregister(c, RAM_UA + order[i] * 128 * KiB, 64 * KiB))
			return 1;
	unreg_ns = (bench_now_ns() - t0) / (double)n;
	printf("%10" PRIu64 " %14.0f %14.0f\n", n, reg_ns, unreg_ns);
	tce_container_destroy(c);
	tce_group_destroy(group);
	tce_prereg_destroy(prereg);
	tce_account_destroy(account);
	tce_hostmem_destroy(hm);
	free(order);
	return 0;
}

int main(int argc, char **argv)
{
	static const unsigned fractions[] = {1, 10, 50, 100};
	static const uint64_t run_lengths[] = {1, 16, 512};
	uint64_t chunk = bench_arg(argc, argv, "--chunk", 64 * MiB);
	unsigned levels, f, l;

	rounds = (unsigned)bench_arg(argc, argv, "--rounds", rounds);
	bench_pin_cpu();
	printf("bench_container: MAP_DMA/UNMAP_DMA of a 4 GiB registered guest, %" PRIu64
	       " MiB per call, pages per second (flat = one store per page); best of %u rounds\n",
	       chunk >> 20, rounds);
	printf("%-9s %-6s %10s %14s %14s %14s %10s %10s\n", "page KiB", "levels", "pages", "map/s",
	       "unmap/s", "flat/s", "map cost", "unmap cost");
	if (bench_throughput(16, 1, chunk) || bench_throughput(16, 2, chunk) ||
	    bench_throughput(24, 1, chunk) || bench_throughput(24, 2, chunk))
		return 1;
	printf("\nbench_container: a guest mapping all 4 GiB contiguously, bytes per window\n");
	printf("%-8s %10s %6s %16s %16s %16s %16s\n", "userview", "page", "levels", "table charged",
	       "table alloc", "view charged", "view alloc");
	if (bench_memory(TCE_USERVIEW_MIRROR, 16, 1) || bench_memory(TCE_USERVIEW_EXTENTS, 16, 1) ||
	    bench_memory(TCE_USERVIEW_MIRROR, 16, 2) || bench_memory(TCE_USERVIEW_EXTENTS, 16, 2) ||
	    bench_memory(TCE_USERVIEW_MIRROR, 12, 2) || bench_memory(TCE_USERVIEW_EXTENTS, 12, 2))
		return 1;
	printf("\nbench_container: 4 GiB window of 4 KiB pages, a fraction of it mapped in runs at "
	       "random places, bytes\n");
	printf("%-6s %9s %8s %14s %14s %14s %14s\n", "levels", "used", "run", "table alloc",
	       "table charged", "mirror alloc", "extents alloc");
	for (levels = 2; levels <= 3; levels++)
		for (f = 0; f < sizeof(fractions) / sizeof(fractions[0]); f++)
			for (l = 0; l < sizeof(run_lengths) / sizeof(run_lengths[0]); l++)
				if (bench_use(levels, fractions[f], run_lengths[l]))
					return 1;
	printf("\nbench_container: register and unregister N regions through one container, "
	       "ns per operation\n%10s %14s %14s\n", "regions", "register", "unregister");
	if (bench_register_scale(1000) || bench_register_scale(10000) ||
	    bench_register_scale(100000) || bench_register_scale(1000000))
		return 1;
	return 0;
}
