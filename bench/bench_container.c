// SPDX-License-Identifier: MIT
/*
 * bench_container — VFIO MAP_DMA / UNMAP_DMA throughput and userview memory.
 *
 * 1. Throughput: a v2 container maps a 4 GiB guest (registered, simulated
 *    host memory) into a window with 64 KiB or 16 MiB IOMMU pages and 1 or 2
 *    levels, in MAP_DMA calls of `--chunk` bytes, then unmaps it; pages per
 *    second for each, against the same loop writing a flat array of TCEs (what
 *    one store per page costs), in the same run.
 * 2. Memory: a guest that maps all its RAM contiguously, with a mirror and
 *    with an extents userview: bytes charged and allocated.
 *
 * Usage: bench_container [--chunk BYTES]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tce/container.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define RAM_UA (UINT64_C(1) << 40)
#define RAM (4 * GiB)

static volatile uint64_t sink;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

static int bench_throughput(unsigned ps, unsigned levels, uint64_t chunk)
{
	struct setup s;
	uint64_t start, off, pages = RAM >> ps, *flat = calloc(pages, sizeof(uint64_t)), i;
	double t0, map_s, unmap_s, flat_s;
	uint64_t rounds, r;
	int reps;

	if (!flat || setup(&s, ps == 24 ? 24 : 16, TCE_USERVIEW_MIRROR) ||
	    tce_container_create_window(s.c, ps, RAM, levels, &start))
		return 1;
	if (chunk < (UINT64_C(1) << ps))
		chunk = UINT64_C(1) << ps;
	/* Warm the table's nodes once so map and unmap are measured, not first-touch allocation. */
	for (off = 0; off < RAM; off += chunk)
		tce_container_map(s.c, start + off, chunk, RAM_UA + off, VFIO_DMA_MAP_FLAG_READ);
	tce_container_unmap(s.c, start, RAM);

	/* Enough map/unmap rounds to cover about a million pages. */
	rounds = pages >= (UINT64_C(1) << 20) ? 1 : (UINT64_C(1) << 20) / pages;
	map_s = unmap_s = 0;
	for (r = 0; r < rounds; r++) {
		t0 = now_s();
		for (off = 0; off < RAM; off += chunk)
			if (tce_container_map(s.c, start + off, chunk, RAM_UA + off,
					      VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
				return 1;
		map_s += now_s() - t0;
		t0 = now_s();
		for (off = 0; off < RAM; off += chunk)
			if (tce_container_unmap(s.c, start + off, chunk))
				return 1;
		unmap_s += now_s() - t0;
	}
	map_s /= (double)rounds;
	unmap_s /= (double)rounds;
	/* Baseline: one store of a computed TCE per page, 5 times for a stable figure. */
	t0 = now_s();
	for (reps = 0; reps < 5; reps++)
		for (i = 0; i < pages; i++)
			flat[i] = ((UINT64_C(0x100000000) + (i << ps)) | 3) + (uint64_t)reps;
	flat_s = (now_s() - t0) / 5;
	sink = flat[pages - 1];
	printf("%-9u %-6u %10" PRIu64 " %14.0f %14.0f %14.0f %9.1fx %9.1fx\n", 1u << (ps - 10), levels,
	       pages, (double)pages / map_s, (double)pages / unmap_s, (double)pages / flat_s,
	       map_s / flat_s, unmap_s / flat_s);
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

int main(int argc, char **argv)
{
	uint64_t chunk = 64 * MiB;

	if (argc == 3 && strcmp(argv[1], "--chunk") == 0)
		chunk = strtoull(argv[2], NULL, 0);
	printf("bench_container: MAP_DMA/UNMAP_DMA of a 4 GiB registered guest, %" PRIu64
	       " MiB per call, pages per second (flat = one store per page)\n",
	       chunk >> 20);
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
	return 0;
}
