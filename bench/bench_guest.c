// SPDX-License-Identifier: MIT
/*
 * bench_guest — TCE hypercalls and device translation, as ratios.
 *
 * Every figure is the best of interleaved rounds against a baseline in the
 * same process:
 *  - emulated hypercalls (a guest table with KVM's rules, no window) against
 *    QEMU's table: a flat host-order array with a bounds check per entry;
 *  - accelerated hypercalls (the table attached to a VFIO window of 64 KiB
 *    pages over registered guest RAM: KVM's work) against the emulated ones,
 *    and against what QEMU does without acceleration: the emulated write, the
 *    IOMMU notifier and a VFIO MAP_DMA (or UNMAP_DMA) into the container;
 *  - translation for device DMA, through the inline view and through the
 *    locked call, against the flat array.
 * The H_PUT_TCE_INDIRECT list is served from ready big-endian words (memcpy),
 * so the reader costs what a real guest-memory read costs.
 *
 * Usage: bench_guest [--rounds N]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "tce/container.h"
#include "tce/guest.h"
#include "tce/phb.h"

#define RAM_UA (UINT64_C(1) << 40)
#define DDW (UINT64_C(1) << 59)
#define PS 16u
#define ENTRIES 16384u /* 1 GiB of 64 KiB pages */

/* QEMU's table: flat, host order, bounds-checked. */
struct flat {
	uint64_t *table;
	uint64_t bus_offset, nb;
	unsigned page_shift;
};

__attribute__((noinline)) static long flat_put(struct flat *f, uint64_t ioba, uint64_t tce)
{
	uint64_t idx = (ioba - f->bus_offset) >> f->page_shift;

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
	uint64_t liobn;
};

/* QEMU without acceleration: its VFIO listener maps each TCE the guest writes. */
static void vfio_listener(void *opaque, const struct tce_guest_event *ev)
{
	struct vm *vm = opaque;

	if (ev->map)
		tce_container_map(vm->c, DDW + ev->iova, ev->addr_mask + 1, RAM_UA + ev->gpa,
				  VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	else
		tce_container_unmap(vm->c, DDW + ev->iova, ev->addr_mask + 1);
}

enum mode { EMULATED, ACCELERATED, QEMU_VFIO };

static int vm_setup(struct vm *vm, enum mode mode)
{
	struct tce_group_desc desc;
	struct tce_container_config cfg;
	/* The same rules (KVM's) with and without a window: only the acceleration differs. */
	struct tce_guest_config gcfg = {mode == QEMU_VFIO ? TCE_HCALL_QEMU : TCE_HCALL_KVM, NULL,
					bench_read_list, NULL};
	uint64_t start;

	memset(vm, 0, sizeof(*vm));
	vm->liobn = tce_liobn_pci(0, 1);
	tce_group_desc_powernv_ioda2(&desc);
	if (tce_hostmem_sim_create(16, &vm->hm) || tce_hostmem_sim_map(vm->hm, RAM_UA, 1 * GiB, 16, 0) ||
	    tce_account_create(TCE_ACCOUNT_UNLIMITED, &vm->account) ||
	    tce_prereg_create(vm->hm, vm->account, &vm->prereg))
		return 1;
	gcfg.account = vm->account;
	if (tce_guest_create(&gcfg, &vm->g) || tce_guest_add_memslot(vm->g, 0, 1 * GiB, RAM_UA) ||
	    tce_guest_create_table(vm->g, vm->liobn, PS, DDW >> PS, ENTRIES))
		return 1;
	if (mode == EMULATED)
		return 0;
	cfg = (struct tce_container_config){VFIO_SPAPR_TCE_v2_IOMMU, vm->hm, vm->account, vm->prereg,
					    TCE_USERVIEW_MIRROR};
	if (tce_group_create(&desc, 0, &vm->group) || tce_container_create(&cfg, &vm->c) ||
	    tce_container_attach(vm->c, vm->group) || tce_container_register(vm->c, RAM_UA, 1 * GiB) ||
	    tce_container_create_window(vm->c, PS, 1 * GiB, 1, &start))
		return 1;
	vm->w = tce_container_window(vm->c, DDW);
	if (mode == QEMU_VFIO) {
		tce_guest_set_notifier(vm->g, vfio_listener, vm);
		return 0;
	}
	return tce_guest_attach_window(vm->g, vm->liobn, vm->w);
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

/* ---- the operations, each a function of (ctx, first, n) -> ns per operation ---- */

struct ctx {
	struct flat flat;
	struct vm emu, acc, qemu;
	struct tce_guest_view view;
	const uint64_t *iobas; /* random translation addresses */
	uint64_t put_calls;
};

static uint64_t put_ioba(uint64_t i)
{
	return DDW + ((i * 7919) % ENTRIES << PS);
}

static uint64_t put_tce(uint64_t i)
{
	return (((i * 31) % ENTRIES) << PS) | 3;
}

#define TIMED(...)                                                                                 \
	do {                                                                                       \
		double t0 = bench_now_ns();                                                        \
		long rc_ = 0;                                                                      \
		size_t i;                                                                          \
		for (i = first; i < first + n; i++) {                                              \
			__VA_ARGS__;                                                               \
		}                                                                                  \
		bench_sink = (uint64_t)rc_;                                                        \
		return (bench_now_ns() - t0) / (double)n;                                          \
	} while (0)

static double put_flat(void *o, size_t first, size_t n)
{
	struct ctx *c = o;

	TIMED(rc_ |= flat_put(&c->flat, put_ioba(i), put_tce(i)));
}

static double put_emu(void *o, size_t first, size_t n)
{
	struct ctx *c = o;

	TIMED(rc_ |= tce_h_put_tce(c->emu.g, c->emu.liobn, put_ioba(i), put_tce(i)));
}

static double put_acc(void *o, size_t first, size_t n)
{
	struct ctx *c = o;

	TIMED(rc_ |= tce_h_put_tce(c->acc.g, c->acc.liobn, put_ioba(i), put_tce(i)));
}

static double put_qemu(void *o, size_t first, size_t n)
{
	struct ctx *c = o;

	TIMED(rc_ |= tce_h_put_tce(c->qemu.g, c->qemu.liobn, put_ioba(i), put_tce(i)));
}

static uint64_t list_ioba(uint64_t i)
{
	return DDW + (((i * 512) % ENTRIES) << PS);
}

static double indirect_flat(void *o, size_t first, size_t n)
{
	struct ctx *c = o;
	uint64_t buf[512];

	/* QEMU: read the list page, then one bounds-checked store per entry. */
	TIMED({
		uint64_t k, at = list_ioba(i);

		bench_read_list(NULL, BENCH_LIST_GPA, buf, sizeof(buf));
		for (k = 0; k < 512; k++)
			rc_ |= flat_put(&c->flat, at + (k << PS), tce_be64(buf[k]));
	});
}

static double indirect_emu(void *o, size_t first, size_t n)
{
	struct ctx *c = o;

	TIMED(rc_ |= tce_h_put_tce_indirect(c->emu.g, c->emu.liobn, list_ioba(i), BENCH_LIST_GPA, 512));
}

static double indirect_acc(void *o, size_t first, size_t n)
{
	struct ctx *c = o;

	TIMED(rc_ |= tce_h_put_tce_indirect(c->acc.g, c->acc.liobn, list_ioba(i), BENCH_LIST_GPA, 512));
}

static double indirect_qemu(void *o, size_t first, size_t n)
{
	struct ctx *c = o;

	TIMED(rc_ |= tce_h_put_tce_indirect(c->qemu.g, c->qemu.liobn, list_ioba(i), BENCH_LIST_GPA, 512));
}

static double stuff_flat(void *o, size_t first, size_t n)
{
	struct ctx *c = o;

	TIMED({
		uint64_t k, at = list_ioba(i);

		for (k = 0; k < 512; k++)
			rc_ |= flat_put(&c->flat, at + (k << PS), 0);
	});
}

static double stuff_emu(void *o, size_t first, size_t n)
{
	struct ctx *c = o;

	TIMED(rc_ |= tce_h_stuff_tce(c->emu.g, c->emu.liobn, list_ioba(i), 0, 512));
}

static double stuff_acc(void *o, size_t first, size_t n)
{
	struct ctx *c = o;

	TIMED(rc_ |= tce_h_stuff_tce(c->acc.g, c->acc.liobn, list_ioba(i), 0, 512));
}

static double xlate_flat(void *o, size_t first, size_t n)
{
	struct ctx *c = o;
	uint64_t acc = 0;

	TIMED({
		uint64_t ioba = c->iobas[i], idx = (ioba - c->flat.bus_offset) >> c->flat.page_shift;

		if (idx < c->flat.nb) {
			uint64_t tce = c->flat.table[idx];

			acc += (tce & ~((UINT64_C(1) << c->flat.page_shift) - 1)) + (tce & 3);
		}
		rc_ = (long)acc;
	});
}

static double xlate_view(void *o, size_t first, size_t n)
{
	struct ctx *c = o;
	struct tce_guest_view view = c->view; /* a local the compiler keeps in registers */
	uint64_t acc = 0;

	TIMED({
		struct tce_guest_xlate x;

		if (tce_guest_view_translate(&view, c->iobas[i], &x))
			acc += x.gpa + x.perm;
		rc_ = (long)acc;
	});
}

static double xlate_locked(void *o, size_t first, size_t n)
{
	struct ctx *c = o;
	uint64_t acc = 0;

	TIMED({
		struct tce_guest_xlate x;

		if (tce_guest_translate(c->emu.g, c->emu.liobn, c->iobas[i], 0, &x) == 0)
			acc += x.gpa + x.perm;
		rc_ = (long)acc;
	});
}

static void row(const char *what, const char *base_name, struct bench_pair p, double ops_per_call)
{
	printf("%-38s %-18s %10.1f %10.1f %8.2fx %10.2f\n", what, base_name, p.base_ns, p.cand_ns,
	       p.cand_ns / p.base_ns, p.cand_ns / ops_per_call);
}

int main(int argc, char **argv)
{
	unsigned rounds = (unsigned)bench_arg(argc, argv, "--rounds", 200);
	static struct ctx c;
	uint64_t i, seed = 5, *iobas;
	size_t total = 1u << 16;

	bench_pin_cpu();
	iobas = malloc(total * sizeof(*iobas));
	c.flat = (struct flat){calloc(ENTRIES, sizeof(uint64_t)), DDW, ENTRIES, PS};
	if (!iobas || !c.flat.table || vm_setup(&c.emu, EMULATED) || vm_setup(&c.acc, ACCELERATED) ||
	    vm_setup(&c.qemu, QEMU_VFIO) || tce_guest_get_view(c.emu.g, c.emu.liobn, &c.view)) {
		fprintf(stderr, "bench_guest: setup failed\n");
		return 1;
	}
	for (i = 0; i < 512; i++)
		bench_list_be[i] = tce_be64(((i + 1) << PS) | 3);
	/* Half the table mapped, for translation. */
	for (i = 0; i < ENTRIES; i += 2) {
		tce_h_put_tce(c.emu.g, c.emu.liobn, DDW + (i << PS), put_tce(i));
		c.flat.table[i] = put_tce(i);
	}
	for (i = 0; i < total; i++)
		iobas[i] = DDW + bench_rng(&seed) % ((uint64_t)ENTRIES << PS);
	c.iobas = iobas;

	printf("bench_guest: best of %u interleaved rounds; ns per call; the last column is ns per "
	       "TCE written\n", rounds);
	printf("%-38s %-18s %10s %10s %9s %10s\n", "operation", "baseline", "base ns", "libtce ns",
	       "ratio", "ns/TCE");
	row("H_PUT_TCE emulated", "QEMU flat table", bench_compare(put_flat, put_emu, &c, total, 2048, rounds), 1);
	row("H_PUT_TCE accelerated (1 window)", "emulated", bench_compare(put_emu, put_acc, &c, total, 1024, rounds), 1);
	row("H_PUT_TCE accelerated (1 window)", "QEMU+VFIO map", bench_compare(put_qemu, put_acc, &c, total, 256, rounds), 1);
	row("H_PUT_TCE_INDIRECT x512 emulated", "QEMU flat table", bench_compare(indirect_flat, indirect_emu, &c, total, 8, rounds), 512);
	row("H_PUT_TCE_INDIRECT x512 accelerated", "emulated", bench_compare(indirect_emu, indirect_acc, &c, total, 8, rounds), 512);
	row("H_PUT_TCE_INDIRECT x512 accelerated", "QEMU+VFIO map", bench_compare(indirect_qemu, indirect_acc, &c, total, 2, rounds), 512);
	row("H_STUFF_TCE x512 (clear) emulated", "QEMU flat table", bench_compare(stuff_flat, stuff_emu, &c, total, 8, rounds), 512);
	row("H_STUFF_TCE x512 (clear) accelerated", "emulated", bench_compare(stuff_emu, stuff_acc, &c, total, 8, rounds), 512);
	row("translate (inline view)", "QEMU flat table", bench_compare(xlate_flat, xlate_view, &c, total, 4096, rounds), 1);
	row("translate (locked call)", "QEMU flat table", bench_compare(xlate_flat, xlate_locked, &c, total, 4096, rounds), 1);

	vm_teardown(&c.emu);
	vm_teardown(&c.acc);
	vm_teardown(&c.qemu);
	free(c.flat.table);
	free(iobas);
	return 0;
}
