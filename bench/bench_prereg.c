// SPDX-License-Identifier: MIT
/*
 * bench_prereg — region lookup and pinned-memory metadata.
 *
 * 1. Lookup: libtce's lock-free region tree (a copy-on-write B+tree read
 *    under RCU, behind a per-thread last-hit hint) against a linked list
 *    scanned from the head, the way the kernel walks
 *    mm->context.iommu_group_mem_list, for 10 .. 100,000 regions, with random
 *    addresses (the hint rarely helps) and with repeated hits in one region.
 *    Then registering and unregistering 1,000 .. 1,000,000 regions.
 * 2. Metadata: bytes libtce keeps for a 64 GiB region as extents, against one
 *    8-byte word per 64 KiB page (the kernel's hpas[] array), for contiguous,
 *    huge-page and fragmented backings.
 *
 * Usage: bench_prereg
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_common.h"
#include "tce/account.h"
#include "tce/hostmem.h"
#include "tce/prereg.h"

#define BASE_UA (UINT64_C(1) << 40)
#define SLOT (128 * KiB)
#define REGION (64 * KiB)

struct list_node {
	struct list_node *next;
	uint64_t ua, size;
};

static const struct list_node *list_lookup(const struct list_node *head, uint64_t ua, uint64_t size)
{
	for (; head; head = head->next)
		if (ua >= head->ua && ua - head->ua < head->size && size <= head->size - (ua - head->ua))
			return head;
	return NULL;
}

struct lookup_ctx {
	struct tce_prereg *prereg;
	const struct list_node *head;
	const uint64_t *uas;
};

__attribute__((noinline)) static double list_run(void *opaque, size_t first, size_t n)
{
	struct lookup_ctx *c = opaque;
	double t0 = bench_now_ns();
	uint64_t acc = 0;
	size_t i;

	for (i = first; i < first + n; i++)
		acc += (uintptr_t)list_lookup(c->head, c->uas[i], 4 * KiB);
	bench_sink = acc;
	return (bench_now_ns() - t0) / (double)n;
}

__attribute__((noinline)) static double tce_run(void *opaque, size_t first, size_t n)
{
	struct lookup_ctx *c = opaque;
	double t0 = bench_now_ns();
	uint64_t acc = 0;
	size_t i;

	for (i = first; i < first + n; i++)
		acc += (uintptr_t)tce_prereg_lookup(c->prereg, c->uas[i], 4 * KiB);
	bench_sink = acc;
	return (bench_now_ns() - t0) / (double)n;
}

static int bench_lookup(unsigned regions)
{
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
	struct list_node *nodes = calloc(regions, sizeof(*nodes)), *head = NULL;
	/* Rounds of about the same time on both sides: fewer lookups for the list when it is slow. */
	size_t total = 1u << 16, tce_n = regions >= 10000 ? total : 4096;
	size_t list_n = regions >= 1000 ? 4096000 / regions : 4096;
	unsigned rounds = regions >= 10000 ? 40 : 200;
	uint64_t i, seed = 7, *random = malloc(total * sizeof(uint64_t)), *repeat;
	struct bench_pair rnd, rep;
	struct lookup_ctx c;

	repeat = malloc(total * sizeof(uint64_t));
	if (!nodes || !random || !repeat || tce_hostmem_sim_create(16, &hm) ||
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
	for (i = 0; i < total; i++) {
		random[i] = BASE_UA + (bench_rng(&seed) % regions) * SLOT + (bench_rng(&seed) % 16) * 4 * KiB;
		/* Repeated hits in one region (a guest mapping its RAM page by page). */
		repeat[i] = BASE_UA + (regions / 2) * SLOT + (i % 16) * 4 * KiB;
	}
	c = (struct lookup_ctx){prereg, head, random};
	rnd = bench_compare2(list_run, list_n, tce_run, tce_n, &c, total, rounds);
	c.uas = repeat;
	rep = bench_compare2(list_run, list_n, tce_run, tce_n, &c, total, rounds);
	printf("%8u %12.1f %12.1f %9.1fx %12.1f %12.1f %9.1fx\n", regions, rnd.base_ns, rnd.cand_ns,
	       rnd.base_ns / rnd.cand_ns, rep.base_ns, rep.cand_ns, rep.base_ns / rep.cand_ns);
	for (i = 0; i < regions; i++)
		tce_prereg_unregister(prereg, BASE_UA + i * SLOT, REGION);
	tce_prereg_destroy(prereg);
	tce_account_destroy(account);
	tce_hostmem_destroy(hm);
	free(nodes);
	free(random);
	free(repeat);
	return 0;
}

/* Register then unregister @regions regions: the time per operation shows any O(n) step. */
static int bench_churn(unsigned regions)
{
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
	double t0, reg, unreg;
	uint64_t i;

	if (tce_hostmem_sim_create(16, &hm) || tce_account_create(TCE_ACCOUNT_UNLIMITED, &account) ||
	    tce_prereg_create(hm, account, &prereg) ||
	    tce_hostmem_sim_map(hm, BASE_UA, (uint64_t)regions * SLOT, 16, 0))
		return 1;
	t0 = bench_now_ns();
	for (i = 0; i < regions; i++)
		if (tce_prereg_register(prereg, BASE_UA + i * SLOT, REGION, NULL))
			return 1;
	reg = (bench_now_ns() - t0) / regions;
	t0 = bench_now_ns();
	for (i = 0; i < regions; i++)
		if (tce_prereg_unregister(prereg, BASE_UA + i * SLOT, REGION))
			return 1;
	unreg = (bench_now_ns() - t0) / regions;
	printf("%8u %14.0f %16.0f\n", regions, reg, unreg);
	tce_prereg_destroy(prereg);
	tce_account_destroy(account);
	tce_hostmem_destroy(hm);
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
	static const unsigned counts[] = {10, 100, 1000, 10000, 100000};
	static const unsigned churn[] = {1000, 10000, 100000, 1000000};
	unsigned i;

	bench_pin_cpu();
	printf("bench_prereg: region lookup, ns per lookup (list = the kernel's linked-list scan),\n"
	       "best of interleaved rounds; speedup = list / libtce\n");
	printf("%8s %12s %12s %10s %12s %12s %10s\n", "regions", "list random", "tce random", "speedup",
	       "list repeat", "tce repeat", "speedup");
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (bench_lookup(counts[i]))
			return 1;

	printf("\nbench_prereg: register and unregister N regions, ns per operation\n");
	printf("%8s %14s %16s\n", "regions", "register ns", "unregister ns");
	for (i = 0; i < sizeof(churn) / sizeof(churn[0]); i++)
		if (bench_churn(churn[i]))
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
