// SPDX-License-Identifier: MIT
/*
 * bench_prereg — region lookup and pinned-memory metadata.
 *
 * 1. Lookup: libtce's sorted regions (binary search behind a last-hit hint)
 *    against a linked list scanned from the head, the way the kernel walks
 *    mm->context.iommu_group_mem_list, for 10 .. 100,000 regions, with random
 *    addresses (the hint rarely helps) and with repeated hits in one region.
 * 2. Metadata: bytes libtce keeps for a 64 GiB region as extents, against one
 *    8-byte word per 64 KiB page (the kernel's hpas[] array), for contiguous,
 *    huge-page and fragmented backings.
 *
 * Usage: bench_prereg
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tce/account.h"
#include "tce/hostmem.h"
#include "tce/prereg.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define BASE_UA (UINT64_C(1) << 40)
#define SLOT (128 * KiB)
#define REGION (64 * KiB)

struct list_node {
	struct list_node *next;
	uint64_t ua, size;
};

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

static const struct list_node *list_lookup(const struct list_node *head, uint64_t ua, uint64_t size)
{
	for (; head; head = head->next)
		if (ua >= head->ua && ua + size <= head->ua + head->size)
			return head;
	return NULL;
}

static int bench_lookup(unsigned regions)
{
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
	struct list_node *nodes = calloc(regions, sizeof(*nodes)), *head = NULL;
	uint64_t lookups = 20000000 / regions + 20000, i, seed = 7, acc = 0;
	uint64_t *uas = malloc(lookups * sizeof(*uas));
	double t0, list_random, tce_random, tce_repeat, list_repeat;

	if (!nodes || !uas || tce_hostmem_sim_create(16, &hm) ||
	    tce_account_create(TCE_ACCOUNT_UNLIMITED, &account) ||
	    tce_prereg_create(hm, account, &prereg) ||
	    tce_hostmem_sim_map(hm, BASE_UA, (uint64_t)regions * SLOT, 16, 0))
		return 1;
	for (i = 0; i < regions; i++) {
		uint64_t ua = BASE_UA + i * SLOT;

		if (tce_prereg_register(prereg, ua, REGION, NULL))
			return 1;
		/* The kernel adds new regions at the head of its list. */
		nodes[i] = (struct list_node){head, ua, REGION};
		head = &nodes[i];
	}
	for (i = 0; i < lookups; i++)
		uas[i] = BASE_UA + (xorshift(&seed) % regions) * SLOT + (xorshift(&seed) % 16) * 4 * KiB;

	t0 = now_ns();
	for (i = 0; i < lookups; i++)
		acc += (uintptr_t)tce_prereg_lookup(prereg, uas[i], 4 * KiB);
	tce_random = (now_ns() - t0) / (double)lookups;
	t0 = now_ns();
	for (i = 0; i < lookups; i++)
		acc += (uintptr_t)list_lookup(head, uas[i], 4 * KiB);
	list_random = (now_ns() - t0) / (double)lookups;
	/* Repeated hits in one region (a guest mapping its RAM page by page). */
	t0 = now_ns();
	for (i = 0; i < lookups; i++)
		acc += (uintptr_t)tce_prereg_lookup(prereg, uas[0] - (uas[0] % SLOT) + (i % 16) * 4 * KiB,
						     4 * KiB);
	tce_repeat = (now_ns() - t0) / (double)lookups;
	t0 = now_ns();
	for (i = 0; i < lookups; i++)
		acc += (uintptr_t)list_lookup(head, uas[0] - (uas[0] % SLOT) + (i % 16) * 4 * KiB, 4 * KiB);
	list_repeat = (now_ns() - t0) / (double)lookups;
	sink = acc;

	printf("%8u %12.1f %12.1f %9.1fx %12.1f %12.1f %9.1fx\n", regions, list_random, tce_random,
	       list_random / tce_random, list_repeat, tce_repeat, list_repeat / tce_repeat);
	for (i = 0; i < regions; i++)
		tce_prereg_unregister(prereg, BASE_UA + i * SLOT, REGION);
	tce_prereg_destroy(prereg);
	tce_account_destroy(account);
	tce_hostmem_destroy(hm);
	free(nodes);
	free(uas);
	return 0;
}

static int bench_metadata(const char *name, unsigned page_shift, unsigned flags)
{
	const uint64_t size = 64 * GiB;
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
	struct tce_region *region;
	struct tce_region_info info;
	uint64_t per_page = (size >> 16) * 8;

	if (tce_hostmem_sim_create(16, &hm) || tce_account_create(TCE_ACCOUNT_UNLIMITED, &account) ||
	    tce_prereg_create(hm, account, &prereg) ||
	    tce_hostmem_sim_map(hm, BASE_UA, size, page_shift, flags) ||
	    tce_prereg_register(prereg, BASE_UA, size, &region))
		return 1;
	tce_region_info(region, &info);
	printf("%-34s %10zu %14" PRIu64 " %14" PRIu64 " %9.4f\n", name, info.extents,
	       info.metadata_bytes, per_page, (double)info.metadata_bytes / (double)per_page);
	tce_prereg_unregister(prereg, BASE_UA, size);
	tce_prereg_destroy(prereg);
	tce_account_destroy(account);
	tce_hostmem_destroy(hm);
	return 0;
}

int main(void)
{
	static const unsigned counts[] = {10, 1000, 10000, 100000};
	unsigned i;

	printf("bench_prereg: region lookup, ns per lookup (list = the kernel's linked-list scan)\n");
	printf("%8s %12s %12s %10s %12s %12s %10s\n", "regions", "list random", "tce random", "speedup",
	       "list repeat", "tce repeat", "speedup");
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (bench_lookup(counts[i]))
			return 1;

	printf("\nbench_prereg: metadata of one 64 GiB region (64 KiB host pages)\n");
	printf("%-34s %10s %14s %14s %9s\n", "backing", "extents", "extent bytes", "word/page bytes",
	       "ratio");
	if (bench_metadata("contiguous 64 KiB pages", 16, 0) ||
	    bench_metadata("16 MiB huge pages, contiguous", 24, 0) ||
	    bench_metadata("16 MiB huge pages, scattered", 24, TCE_SIM_MAP_FRAGMENTED) ||
	    bench_metadata("64 KiB pages, fully fragmented", 16, TCE_SIM_MAP_FRAGMENTED))
		return 1;
	return 0;
}
