// SPDX-License-Identifier: MIT
/*
 * bench_guest — TCE hypercalls, translation and replay, per second.
 *
 * Each libtce figure runs beside a baseline in the same process: QEMU's
 * emulated table, a flat array of TCEs with a bounds check per call (what
 * spapr_iommu.c does). Accelerated calls also write a VFIO window (64 KiB
 * pages, 1 level, registered guest RAM). Replay runs synthetic H_PUT_TCE trace
 * lines against calling H_PUT_TCE directly with the same values.
 *
 * Usage: bench_guest
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tce/container.h"
#include "tce/guest.h"
#include "tce/trace.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define RAM_UA (UINT64_C(1) << 40)
#define DDW (UINT64_C(1) << 59)
#define LIOBN 0x80000001u
#define PS 16u
#define ENTRIES 16384u /* 1 GiB of 64 KiB pages */
#define OPS 2000000u

static volatile uint64_t sink;
static uint64_t list[512];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int read_list(void *opaque, uint64_t gpa, void *buf, uint64_t len)
{
	uint8_t *out = buf;
	uint64_t i;

	(void)opaque;
	(void)gpa;
	for (i = 0; i < len; i++)
		out[i] = (uint8_t)(list[i / 8] >> (56 - 8 * (i % 8)));
	return 0;
}

/* QEMU's table: flat, host order, bounds-checked. */
struct flat {
	uint64_t *table;
	uint64_t bus_offset, nb;
};

static long flat_put(struct flat *f, uint64_t ioba, uint64_t tce)
{
	uint64_t idx = (ioba - f->bus_offset) >> PS;

	if (idx >= f->nb)
		return TCE_H_PARAMETER;
	f->table[idx] = tce;
	return TCE_H_SUCCESS;
}

struct vm {
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
	struct tce_group *group;
	struct tce_container *c;
	struct tce_window *w;
	struct tce_guest *g;
};

static int vm_setup(struct vm *vm, enum tce_hcall_profile profile, bool accel)
{
	struct tce_group_desc desc;
	struct tce_container_config cfg;
	struct tce_guest_config gcfg = {profile, NULL, read_list, NULL};
	uint64_t start;

	memset(vm, 0, sizeof(*vm));
	tce_group_desc_powernv_ioda2(&desc);
	if (tce_hostmem_sim_create(16, &vm->hm) || tce_hostmem_sim_map(vm->hm, RAM_UA, 1 * GiB, 16, 0) ||
	    tce_account_create(TCE_ACCOUNT_UNLIMITED, &vm->account) ||
	    tce_prereg_create(vm->hm, vm->account, &vm->prereg))
		return 1;
	gcfg.account = vm->account;
	if (tce_guest_create(&gcfg, &vm->g) || tce_guest_add_memslot(vm->g, 0, 1 * GiB, RAM_UA) ||
	    tce_guest_create_table(vm->g, LIOBN, PS, DDW >> PS, ENTRIES))
		return 1;
	if (!accel)
		return 0;
	cfg = (struct tce_container_config){VFIO_SPAPR_TCE_v2_IOMMU, vm->hm, vm->account, vm->prereg,
					    TCE_USERVIEW_MIRROR};
	if (tce_group_create(&desc, 0, &vm->group) || tce_container_create(&cfg, &vm->c) ||
	    tce_container_attach(vm->c, vm->group) || tce_container_register(vm->c, RAM_UA, 1 * GiB) ||
	    tce_container_create_window(vm->c, PS, 1 * GiB, 1, &start))
		return 1;
	vm->w = tce_container_window(vm->c, DDW);
	return tce_guest_attach_window(vm->g, LIOBN, vm->w);
}

static void vm_teardown(struct vm *vm)
{
	tce_guest_destroy(vm->g);
	tce_window_put(vm->w);
	tce_container_destroy(vm->c);
	tce_group_destroy(vm->group);
	tce_prereg_destroy(vm->prereg);
	tce_account_destroy(vm->account);
	tce_hostmem_destroy(vm->hm);
}

static void report(const char *what, double ops, double libtce_s, double base_s)
{
	printf("%-34s %14.0f %14.0f %9.1fx\n", what, ops / libtce_s, ops / base_s, libtce_s / base_s);
}

int main(void)
{
	struct flat flat = {calloc(ENTRIES, sizeof(uint64_t)), DDW, ENTRIES};
	struct vm emu, acc;
	double t0, base, t;
	uint64_t i, tce;
	long rc = 0;

	if (!flat.table || vm_setup(&emu, TCE_HCALL_KVM, false) || vm_setup(&acc, TCE_HCALL_KVM, true))
		return 1;
	for (i = 0; i < 512; i++)
		list[i] = ((i + 1) << PS) | 3;
	printf("bench_guest: per second; baseline = QEMU's flat emulated table\n");
	printf("%-34s %14s %14s %10s\n", "operation", "libtce/s", "baseline/s", "cost");

	t0 = now_s();
	for (i = 0; i < OPS; i++)
		rc |= flat_put(&flat, DDW + ((i % ENTRIES) << PS), (((i * 7) % ENTRIES) << PS) | 3);
	base = now_s() - t0;
	t0 = now_s();
	for (i = 0; i < OPS; i++)
		rc |= tce_h_put_tce(emu.g, LIOBN, DDW + ((i % ENTRIES) << PS), (((i * 7) % ENTRIES) << PS) | 3);
	t = now_s() - t0;
	report("H_PUT_TCE emulated", OPS, t, base);
	t0 = now_s();
	for (i = 0; i < OPS / 4; i++)
		rc |= tce_h_put_tce(acc.g, LIOBN, DDW + ((i % ENTRIES) << PS), (((i * 7) % ENTRIES) << PS) | 3);
	t = now_s() - t0;
	report("H_PUT_TCE accelerated (1 window)", OPS / 4, t, base / 4);

	t0 = now_s();
	for (i = 0; i < OPS / 512; i++) {
		uint64_t k, at = DDW + (((i * 512) % ENTRIES) << PS);

		for (k = 0; k < 512; k++)
			rc |= flat_put(&flat, at + (k << PS), list[k]);
	}
	base = now_s() - t0;
	t0 = now_s();
	for (i = 0; i < OPS / 512; i++)
		rc |= tce_h_put_tce_indirect(emu.g, LIOBN, DDW + (((i * 512) % ENTRIES) << PS), 0x100000, 512);
	t = now_s() - t0;
	report("H_PUT_TCE_INDIRECT x512 emulated", OPS / 512, t, base);
	t0 = now_s();
	for (i = 0; i < OPS / 512 / 4; i++)
		rc |= tce_h_put_tce_indirect(acc.g, LIOBN, DDW + (((i * 512) % ENTRIES) << PS), 0x100000, 512);
	t = now_s() - t0;
	report("H_PUT_TCE_INDIRECT x512 accelerated", OPS / 512 / 4, t, base / 4);
	t0 = now_s();
	for (i = 0; i < OPS / 512; i++)
		rc |= tce_h_stuff_tce(emu.g, LIOBN, DDW + (((i * 512) % ENTRIES) << PS), 0, 512);
	t = now_s() - t0;
	report("H_STUFF_TCE x512 emulated", OPS / 512, t, base);
	t0 = now_s();
	for (i = 0; i < OPS / 512 / 4; i++)
		rc |= tce_h_stuff_tce(acc.g, LIOBN, DDW + (((i * 512) % ENTRIES) << PS), 0, 512);
	t = now_s() - t0;
	report("H_STUFF_TCE x512 accelerated", OPS / 512 / 4, t, base / 4);

	/* Translate: baseline is the flat lookup. */
	t0 = now_s();
	for (i = 0; i < OPS; i++) {
		uint64_t idx = (i * 13) % ENTRIES;

		tce = flat.table[idx];
		sink += (tce & ~((UINT64_C(1) << PS) - 1)) + (tce & 3);
	}
	base = now_s() - t0;
	t0 = now_s();
	for (i = 0; i < OPS; i++) {
		struct tce_guest_xlate x;

		tce_guest_translate(emu.g, LIOBN, DDW + (((i * 13) % ENTRIES) << PS) + 5, 0, &x);
		sink += x.gpa + x.perm;
	}
	t = now_s() - t0;
	report("translate", OPS, t, base);

	/* Replay: parsing trace lines against calling H_PUT_TCE with the same values. */
	{
		enum { LINES = 500000 };
		char **lines = malloc(LINES * sizeof(*lines));
		struct tce_replay_config rcfg = {TCE_HCALL_QEMU, 10};
		struct tce_replay *r;
		struct vm q;

		if (!lines || tce_replay_create(&rcfg, &r) || vm_setup(&q, TCE_HCALL_QEMU, false))
			return 1;
		tce_guest_create_table(q.g, tce_liobn_pci(0, 0), 12, 0, 262144);
		for (i = 0; i < LINES; i++) {
			lines[i] = malloc(128);
			snprintf(lines[i], 128,
				 "6720@1795546047.414891:spapr_iommu_pci_put liobn=0x80000000 ioba=0x%" PRIx64
				 " tce=0x%" PRIx64 " ret=0",
				 (i % 262144) << 12, ((i * 7) % 262144) << 12 | 3);
		}
		tce_replay_line(r, "1@1.0:spapr_iommu_new_table liobn=0x80000000 table=0x1 fd=-1", 60, 0);
		t0 = now_s();
		for (i = 0; i < LINES; i++)
			rc |= tce_h_put_tce(q.g, tce_liobn_pci(0, 0), (i % 262144) << 12, ((i * 7) % 262144) << 12 | 3);
		base = now_s() - t0;
		t0 = now_s();
		for (i = 0; i < LINES; i++)
			rc |= tce_replay_line(r, lines[i], strlen(lines[i]), i + 1);
		t = now_s() - t0;
		report("replay (H_PUT_TCE lines)", LINES, t, base);
		for (i = 0; i < LINES; i++)
			free(lines[i]);
		free(lines);
		tce_replay_destroy(r);
		vm_teardown(&q);
	}
	vm_teardown(&emu);
	vm_teardown(&acc);
	free(flat.table);
	sink += (uint64_t)rc;
	return rc ? 1 : 0;
}
