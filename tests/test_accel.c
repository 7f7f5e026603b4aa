// SPDX-License-Identifier: MIT
/*
 * Acceleration: guest hypercalls written through to attached container
 * windows (as KVM does after KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE), with one and
 * two windows, guest pages split into smaller hardware pages, missing
 * registrations (H_TOO_HARD, nothing changed), permission-less TCEs never
 * counted (B-K3), and the attach rules of spec linux-kernel §3.6.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/container.h"
#include "tce/guest.h"
#include "tce/migrate.h"

#define RAM_UA (UINT64_C(1) << 40) /* guest RAM, gpa 0..1 GiB, 64 KiB host pages */
#define DDW (UINT64_C(1) << 59)
#define LIOBN 0x80000001u
#define R TCE_PERM_READ
#define W TCE_PERM_WRITE

struct vm {
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
	struct tce_group *group[2];
	struct tce_container *c[2];
	struct tce_window *w[2];
	struct tce_guest *g;
	struct test_list list; /* the INDIRECT list the guest wrote */
};

/* Set by a test before vm_setup*(): levels of the windows, and RAM backed by 16 MiB pages first. */
static unsigned window_levels = 1;
static uint64_t huge_first;

/* A VM whose RAM is registered in @regions pieces (so some can be left out). */
static void vm_setup_flags(struct vm *vm, unsigned guest_shift, const unsigned hw_shift[2],
			   unsigned windows, bool register_ram, unsigned map_flags)
{
	struct tce_group_desc desc;
	struct tce_container_config cfg;
	struct tce_guest_config gcfg;
	unsigned i;
	uint64_t start;

	memset(vm, 0, sizeof(*vm));
	vm->list.gpa = 0x200000;
	assert_int_equal(tce_hostmem_sim_create(16, &vm->hm), 0);
	if (huge_first)
		assert_int_equal(tce_hostmem_sim_map(vm->hm, RAM_UA, huge_first, 24, 0), 0);
	assert_int_equal(tce_hostmem_sim_map(vm->hm, RAM_UA + huge_first, 1 * GiB - huge_first, 16,
					     map_flags),
			 0);
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &vm->account), 0);
	assert_int_equal(tce_prereg_create(vm->hm, vm->account, &vm->prereg), 0);
	tce_group_desc_powernv_ioda2(&desc);
	for (i = 0; i < windows; i++) {
		assert_int_equal(tce_group_create(&desc, i, &vm->group[i]), 0);
		cfg = (struct tce_container_config){VFIO_SPAPR_TCE_v2_IOMMU, vm->hm, vm->account,
						    vm->prereg, TCE_USERVIEW_MIRROR};
		assert_int_equal(tce_container_create(&cfg, &vm->c[i]), 0);
		assert_int_equal(tce_container_attach(vm->c[i], vm->group[i]), 0);
		if (register_ram)
			assert_int_equal(tce_container_register(vm->c[i], RAM_UA, 1 * GiB), 0);
		assert_int_equal(tce_container_create_window(vm->c[i], hw_shift[i], 1 * GiB, window_levels,
							     &start),
				 0);
		assert_int_equal(start, DDW);
		vm->w[i] = tce_container_window(vm->c[i], DDW);
		assert_non_null(vm->w[i]);
	}
	gcfg = (struct tce_guest_config){TCE_HCALL_KVM, vm->account, test_list_read, &vm->list};
	assert_int_equal(tce_guest_create(&gcfg, &vm->g), 0);
	assert_int_equal(tce_guest_add_memslot(vm->g, 0, 1 * GiB, RAM_UA), 0);
	assert_int_equal(tce_guest_create_table(vm->g, LIOBN, guest_shift, DDW >> guest_shift,
						(1 * GiB) >> guest_shift),
			 0);
	for (i = 0; i < windows; i++)
		assert_int_equal(tce_guest_attach_window(vm->g, LIOBN, vm->w[i]), 0);
}

static void vm_setup(struct vm *vm, unsigned guest_shift, const unsigned hw_shift[2], unsigned windows,
		     bool register_ram)
{
	vm_setup_flags(vm, guest_shift, hw_shift, windows, register_ram, 0);
}

static void vm_teardown(struct vm *vm)
{
	unsigned i;

	tce_guest_destroy(vm->g);
	for (i = 0; i < 2; i++) {
		tce_window_put(vm->w[i]);
		if (vm->c[i])
			assert_int_equal(tce_container_destroy(vm->c[i]), 0);
		if (vm->group[i])
			assert_int_equal(tce_group_destroy(vm->group[i]), 0);
	}
	assert_int_equal(tce_prereg_destroy(vm->prereg), 0);
	assert_true(tce_account_balanced(vm->account));
	assert_int_equal(tce_hostmem_pinned_bytes(vm->hm), 0);
	tce_account_destroy(vm->account);
	tce_hostmem_destroy(vm->hm);
}

static uint64_t ram_mapped(struct vm *vm)
{
	struct tce_region *r = tce_prereg_lookup(vm->prereg, RAM_UA, 1);
	struct tce_region_info info;

	if (!r)
		return 0;
	tce_region_info(r, &info);
	return info.mapped;
}

static uint64_t host_of(struct vm *vm, uint64_t ua)
{
	struct tce_host_page page;

	assert_int_equal(tce_hostmem_query(vm->hm, ua, &page), 0);
	return page.hpa;
}

static void test_put_through_one_window(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct vm vm;
	struct tce_translation x;
	uint64_t tce;

	(void)state;
	vm_setup(&vm, 16, hw, 1, true);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW + 5 * 64 * KiB, (7 * 64 * KiB) | R | W), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 1);
	assert_int_equal(tce_window_mapped(vm.w[0]), 1);
	assert_int_equal(tce_group_translate(vm.group[0], DDW + 5 * 64 * KiB + 3, &x), 0);
	assert_int_equal(x.hpa, host_of(&vm, RAM_UA + 7 * 64 * KiB) + 3);
	assert_int_equal(x.perm, R | W);
	/* The guest view holds the guest's TCE. */
	assert_int_equal(tce_h_get_tce(vm.g, LIOBN, DDW + 5 * 64 * KiB, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, (7 * 64 * KiB) | R | W);
	/* Replacing moves the count; clearing releases it. */
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW + 5 * 64 * KiB, (9 * 64 * KiB) | R), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 1);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW + 5 * 64 * KiB, 0), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 0);
	assert_int_equal(tce_group_translate(vm.group[0], DDW + 5 * 64 * KiB, &x), 0);
	assert_int_equal(x.perm, 0);
	/* INDIRECT of 512 and STUFF of 512. */
	for (vm.list.n = 0; vm.list.n < 512; vm.list.n++)
		vm.list.tces[vm.list.n] = ((100 + vm.list.n) * 64 * KiB) | R;
	assert_int_equal(tce_h_put_tce_indirect(vm.g, LIOBN, DDW, 0x200000, 512), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 512);
	assert_int_equal(tce_h_stuff_tce(vm.g, LIOBN, DDW, 0, 512), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 0);
	assert_int_equal(tce_window_mapped(vm.w[0]), 0);
	vm_teardown(&vm);
}

/* 16 MiB guest pages over 64 KiB hardware pages: 256 hardware entries per TCE. */
static void test_guest_pages_split(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct vm vm;
	struct tce_translation x;

	(void)state;
	vm_setup(&vm, 24, hw, 1, true);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW + 16 * MiB, (32 * MiB) | W), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 256);
	assert_int_equal(tce_group_translate(vm.group[0], DDW + 16 * MiB + 255 * 64 * KiB + 1, &x), 0);
	assert_int_equal(x.hpa, host_of(&vm, RAM_UA + 32 * MiB + 255 * 64 * KiB) + 1);
	assert_int_equal(x.page_mask, 64 * KiB - 1);
	assert_int_equal(x.perm, R | W); /* PowerNV adds R to W */
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW + 16 * MiB, 0), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 0);
	vm_teardown(&vm);
}

/*
 * B-P1: RAM whose first 16 MiB is one huge page and the rest 64 KiB pages. The
 * region's page shift stays 16 MiB (as the kernel computes it), and KVM,
 * relying on it alone, would map a 16 MiB TCE over 64 KiB pages. libtce checks
 * the page behind each hardware page: H_TOO_HARD, nothing written anywhere.
 */
static void test_large_tce_over_small_pages_refused(void **state)
{
	static const unsigned hw[2] = {24, 24};
	struct tce_region_info info;
	struct tce_translation x;
	struct vm vm;
	uint64_t tce = 1;

	(void)state;
	huge_first = 16 * MiB;
	vm_setup(&vm, 24, hw, 1, true);
	huge_first = 0;
	tce_region_info(tce_prereg_lookup(vm.prereg, RAM_UA, 1), &info);
	assert_int_equal(info.max_page_shift, 24);
	/* Over the huge page: fine. */
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW, 0 | R), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 1);
	/* Over 64 KiB pages: refused whole. */
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW + 16 * MiB, (16 * MiB) | R), TCE_H_TOO_HARD);
	assert_int_equal(tce_h_get_tce(vm.g, LIOBN, DDW + 16 * MiB, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0);
	assert_int_equal(tce_group_translate(vm.group[0], DDW + 16 * MiB, &x), 0);
	assert_int_equal(x.perm, 0);
	assert_int_equal(ram_mapped(&vm), 1);
	/* INDIRECT with one such TCE among good ones: nothing written. */
	vm.list.n = 2;
	vm.list.tces[0] = 0 | R | W;
	vm.list.tces[1] = (32 * MiB) | R;
	assert_int_equal(tce_h_put_tce_indirect(vm.g, LIOBN, DDW + 32 * MiB, 0x200000, 2),
			 TCE_H_TOO_HARD);
	assert_int_equal(tce_h_get_tce(vm.g, LIOBN, DDW + 32 * MiB, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0);
	assert_int_equal(tce_window_mapped(vm.w[0]), 1);
	assert_int_equal(ram_mapped(&vm), 1);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW, 0), TCE_H_SUCCESS);
	vm_teardown(&vm);
}

/* Memory that is not registered: H_TOO_HARD and nothing changes anywhere. */
static void test_missing_registration(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct vm vm;
	struct tce_guest_table_info info;
	uint64_t tce;

	(void)state;
	vm_setup(&vm, 16, hw, 1, false);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW, (3 * 64 * KiB) | R), TCE_H_TOO_HARD);
	assert_int_equal(tce_h_get_tce(vm.g, LIOBN, DDW, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0);
	assert_int_equal(tce_window_mapped(vm.w[0]), 0);
	vm.list.n = 4;
	vm.list.tces[0] = 0;
	vm.list.tces[1] = (5 * 64 * KiB) | R;
	vm.list.tces[2] = 0;
	vm.list.tces[3] = 0;
	assert_int_equal(tce_h_put_tce_indirect(vm.g, LIOBN, DDW, 0x200000, 4), TCE_H_TOO_HARD);
	assert_int_equal(tce_guest_table_info(vm.g, LIOBN, &info), 0);
	assert_int_equal(info.valid_entries, 0);
	/* Clearing needs no registration. */
	assert_int_equal(tce_h_stuff_tce(vm.g, LIOBN, DDW, 0, 16), TCE_H_SUCCESS);
	/* Register part of RAM: pages inside map, pages outside are too hard. */
	assert_int_equal(tce_container_register(vm.c[0], RAM_UA, 1 * MiB), 0);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW, (3 * 64 * KiB) | R), TCE_H_SUCCESS);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW + 64 * KiB, (2 * MiB) | R), TCE_H_TOO_HARD);
	assert_int_equal(tce_window_mapped(vm.w[0]), 1);
	assert_int_equal(tce_container_unregister(vm.c[0], RAM_UA, 1 * MiB), -EBUSY);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW, 0), TCE_H_SUCCESS);
	assert_int_equal(tce_container_unregister(vm.c[0], RAM_UA, 1 * MiB), 0);
	vm_teardown(&vm);
}

/*
 * Two windows over RAM whose 64 KiB host pages are scattered: the 16 MiB one
 * cannot map a 16 MiB page there, so nothing changes in either.
 */
static void test_two_windows_all_or_nothing(void **state)
{
	static const unsigned hw[2] = {16, 24};
	struct vm vm;
	uint64_t tce;

	(void)state;
	vm_setup_flags(&vm, 24, hw, 2, true, TCE_SIM_MAP_FRAGMENTED);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW, (16 * MiB) | R), TCE_H_TOO_HARD);
	assert_int_equal(tce_window_mapped(vm.w[0]), 0);
	assert_int_equal(tce_window_mapped(vm.w[1]), 0);
	assert_int_equal(ram_mapped(&vm), 0);
	assert_int_equal(tce_h_get_tce(vm.g, LIOBN, DDW, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0);
	/* Detach the 16 MiB window: the same call now works in the other. */
	assert_int_equal(tce_guest_detach_window(vm.g, LIOBN, vm.w[1]), 0);
	assert_int_equal(tce_guest_detach_window(vm.g, LIOBN, vm.w[1]), -ENOENT);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW, (16 * MiB) | R), TCE_H_SUCCESS);
	assert_int_equal(tce_window_mapped(vm.w[0]), 256);
	assert_int_equal(tce_window_mapped(vm.w[1]), 0);
	vm_teardown(&vm);
}

/* Two windows that both work get the same mappings. */
static void test_two_windows_both_updated(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct vm vm;
	struct tce_translation x0, x1;

	(void)state;
	vm_setup(&vm, 16, hw, 2, true);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW + 64 * KiB, (11 * 64 * KiB) | W), TCE_H_SUCCESS);
	assert_int_equal(tce_group_translate(vm.group[0], DDW + 64 * KiB, &x0), 0);
	assert_int_equal(tce_group_translate(vm.group[1], DDW + 64 * KiB, &x1), 0);
	assert_int_equal(x0.hpa, x1.hpa);
	assert_int_equal(ram_mapped(&vm), 2);
	assert_int_equal(tce_h_stuff_tce(vm.g, LIOBN, DDW, 0, 4), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 0);
	vm_teardown(&vm);
}

/* B-K3: a TCE without permission in an INDIRECT list is never counted as a mapping. */
static void test_indirect_zero_tce_not_counted(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct vm vm;

	(void)state;
	vm_setup(&vm, 16, hw, 1, true);
	vm.list.n = 3;
	vm.list.tces[0] = (1 * 64 * KiB) | R;
	vm.list.tces[1] = 2 * 64 * KiB; /* an address but no permission */
	vm.list.tces[2] = 0;
	assert_int_equal(tce_h_put_tce_indirect(vm.g, LIOBN, DDW, 0x200000, 3), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 1);
	assert_int_equal(tce_h_stuff_tce(vm.g, LIOBN, DDW, 0, 3), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 0);
	assert_int_equal(tce_container_unregister(vm.c[0], RAM_UA, 1 * GiB), 0);
	vm_teardown(&vm);
}

/* What one window translates at a bus address: the host address, or 0 when unmapped. */
static uint64_t hw_at(struct vm *vm, unsigned w, uint64_t ioba)
{
	struct tce_translation x;

	assert_int_equal(tce_window_translate(vm->w[w], ioba, &x), 0);
	return x.perm ? x.hpa : 0;
}

/* Contiguous pages with different permissions keep their own permission in hardware. */
static void test_indirect_mixed_permissions(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct tce_translation x;
	struct vm vm;
	unsigned i;

	(void)state;
	vm_setup(&vm, 16, hw, 1, true);
	vm.list.n = 4;
	vm.list.tces[0] = (1 * 64 * KiB) | R;
	vm.list.tces[1] = (2 * 64 * KiB) | W;
	vm.list.tces[2] = (3 * 64 * KiB) | R | W;
	vm.list.tces[3] = (4 * 64 * KiB) | R;
	/* Twice: the second call must not be swayed by what the first one left behind. */
	assert_int_equal(tce_h_put_tce_indirect(vm.g, LIOBN, DDW, 0x200000, 4), TCE_H_SUCCESS);
	assert_int_equal(tce_h_put_tce_indirect(vm.g, LIOBN, DDW, 0x200000, 4), TCE_H_SUCCESS);
	for (i = 0; i < 4; i++) {
		assert_int_equal(tce_window_translate(vm.w[0], DDW + i * 64 * KiB, &x), 0);
		/* PowerNV stores a write permission as read and write (spec: FROM_DEVICE is R|W). */
		assert_int_equal(x.perm, (vm.list.tces[i] & W) ? R | W : R);
		assert_int_equal(x.hpa, host_of(&vm, RAM_UA + (i + 1) * 64 * KiB));
	}
	assert_int_equal(ram_mapped(&vm), 4);
	/* A clear right after a mapped page is a clear, after calls that left the same pattern. */
	vm.list.tces[1] = 0;
	assert_int_equal(tce_h_put_tce_indirect(vm.g, LIOBN, DDW, 0x200000, 4), TCE_H_SUCCESS);
	assert_int_equal(tce_window_translate(vm.w[0], DDW + 64 * KiB, &x), 0);
	assert_int_equal(x.perm, 0);
	assert_int_equal(ram_mapped(&vm), 3);
	assert_int_equal(tce_h_stuff_tce(vm.g, LIOBN, DDW, 0, 4), TCE_H_SUCCESS);
	assert_int_equal(tce_container_unregister(vm.c[0], RAM_UA, 1 * GiB), 0);
	vm_teardown(&vm);
}

/* A remap through two windows, state sampled before it, and what must hold after a failure. */
struct remap {
	struct vm *vm;
	uint64_t guest[6], hw[2][6], ram;
};

/* Entries sampled, from REMAP_BASE: the remap starts at +128 and crosses a leaf node at +256. */
#define REMAP_BASE (8192 - 256)
static const uint64_t remap_at[6] = {0, 127, 128, 255, 256, 639};

static void remap_snapshot(struct remap *r)
{
	unsigned k, w;

	for (k = 0; k < 6; k++) {
		uint64_t ioba = DDW + (REMAP_BASE + remap_at[k]) * 64 * KiB;

		assert_int_equal(tce_h_get_tce(r->vm->g, LIOBN, ioba, &r->guest[k]), TCE_H_SUCCESS);
		for (w = 0; w < 2; w++)
			r->hw[w][k] = hw_at(r->vm, w, ioba);
	}
	r->ram = ram_mapped(r->vm);
}

static int remap_op(void *opaque)
{
	struct remap *r = opaque;
	long rc;

	for (r->vm->list.n = 0; r->vm->list.n < 512; r->vm->list.n++)
		r->vm->list.tces[r->vm->list.n] = ((1000 + r->vm->list.n) * 64 * KiB) | R | W;
	rc = tce_h_put_tce_indirect(r->vm->g, LIOBN, DDW + (REMAP_BASE + 128) * 64 * KiB, 0x200000, 512);
	return rc == TCE_H_SUCCESS ? 0 : rc == TCE_H_TOO_HARD ? -ENOMEM : -EIO;
}

static void remap_unchanged(void *opaque)
{
	struct remap *r = opaque, now = {r->vm, {0}, {{0}}, 0};

	remap_snapshot(&now);
	assert_memory_equal(r->guest, now.guest, sizeof(now.guest));
	assert_memory_equal(r->hw, now.hw, sizeof(now.hw));
	assert_int_equal(r->ram, now.ram);
}

/*
 * The fused path's rollback: an INDIRECT that remaps 128 mapped entries and
 * maps 384 new ones through two two-level windows, with each of its
 * allocations (table nodes, mirror nodes, guest storage) failing in turn:
 * H_TOO_HARD, and the guest table, both windows and the region's count are
 * exactly as before. Then it succeeds everywhere.
 */
static void test_fused_update_failures_change_nothing(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct vm vm;
	struct remap r = {&vm, {0}, {{0}}, 0};
	unsigned k;

	(void)state;
	window_levels = 2;
	vm_setup(&vm, 16, hw, 2, true);
	window_levels = 1;
	for (vm.list.n = 0; vm.list.n < 256; vm.list.n++)
		vm.list.tces[vm.list.n] = ((1 + vm.list.n) * 64 * KiB) | R;
	assert_int_equal(tce_h_put_tce_indirect(vm.g, LIOBN, DDW + REMAP_BASE * 64 * KiB, 0x200000, 256),
			 TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 2 * 256);
	remap_snapshot(&r);
	/*
	 * It needs two table nodes, two mirror nodes and one guest storage page;
	 * what a failed run allocated before its failure stays (empty nodes, a
	 * zeroed page), so later runs allocate less: the sweep fails three.
	 */
	assert_int_equal(test_fault_sweep(remap_op, remap_unchanged, &r), 3);
	/* Both windows now map the new pages; the 128 old ones were uncounted. */
	for (k = 2; k < 6; k++) {
		uint64_t gpa = (1000 + remap_at[k] - 128) * 64 * KiB;
		uint64_t ioba = DDW + (REMAP_BASE + remap_at[k]) * 64 * KiB;

		assert_int_equal(hw_at(&vm, 0, ioba), host_of(&vm, RAM_UA + gpa));
		assert_int_equal(hw_at(&vm, 1, ioba), host_of(&vm, RAM_UA + gpa));
	}
	assert_int_equal(hw_at(&vm, 0, DDW + (REMAP_BASE + 127) * 64 * KiB),
			 host_of(&vm, RAM_UA + 128 * 64 * KiB));
	assert_int_equal(ram_mapped(&vm), 2 * (128 + 512));
	assert_int_equal(tce_window_mapped(vm.w[0]), 128 + 512);
	assert_int_equal(tce_h_stuff_tce(vm.g, LIOBN, DDW + REMAP_BASE * 64 * KiB, 0, 512), TCE_H_SUCCESS);
	assert_int_equal(tce_h_stuff_tce(vm.g, LIOBN, DDW + (REMAP_BASE + 512) * 64 * KiB, 0, 128),
			 TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 0);
	vm_teardown(&vm);
}

/* One H_PUT_TCE through two windows, as a sweep operation: H_TOO_HARD (memory) as -ENOMEM. */
static struct vm *one_vm;
static uint64_t one_ioba, one_tce;

static int one_put_op(void *ctx)
{
	long rc = tce_h_put_tce(one_vm->g, LIOBN, one_ioba, one_tce);

	(void)ctx;
	return rc == TCE_H_SUCCESS ? 0 : rc == TCE_H_TOO_HARD ? -ENOMEM : -EIO;
}

static void one_put_unchanged(void *ctx)
{
	uint64_t tce;

	(void)ctx;
	assert_int_equal(ram_mapped(one_vm), 2);
	assert_int_equal(tce_window_mapped(one_vm->w[0]), 1);
	assert_int_equal(tce_window_mapped(one_vm->w[1]), 1);
	assert_int_equal(hw_at(one_vm, 0, one_ioba), 0);
	assert_int_equal(hw_at(one_vm, 1, one_ioba), 0);
	assert_int_equal(tce_h_get_tce(one_vm->g, LIOBN, one_ioba, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0);
}

/*
 * The one-entry path with two windows: when the second window cannot get its
 * table or mirror node, the first window's count on the region is given back
 * and neither window nor the guest view changes.
 */
static void test_one_entry_second_window_fails(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct vm vm;

	(void)state;
	window_levels = 2;
	vm_setup(&vm, 16, hw, 2, true);
	window_levels = 1;
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW, (3 * 64 * KiB) | R), TCE_H_SUCCESS);
	/* An entry in a leaf node neither window has yet. */
	one_vm = &vm;
	one_ioba = DDW + 10000 * 64 * KiB;
	one_tce = (5 * 64 * KiB) | R | W;
	/*
	 * The guest's storage page, then table and mirror leaves per window. What
	 * a failed run allocated stays, so run 1 fails the guest page, run 2 the
	 * first window's table leaf and run 3 the second window's table leaf,
	 * after the first window counted its mapping: that count must go back.
	 */
	assert_int_equal(test_fault_sweep(one_put_op, one_put_unchanged, NULL), 3);
	assert_int_equal(ram_mapped(&vm), 4);
	assert_int_equal(hw_at(&vm, 0, one_ioba), host_of(&vm, RAM_UA + 5 * 64 * KiB));
	assert_int_equal(hw_at(&vm, 1, one_ioba), host_of(&vm, RAM_UA + 5 * 64 * KiB));
	assert_int_equal(tce_h_stuff_tce(vm.g, LIOBN, DDW, 0, 1), TCE_H_SUCCESS);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, one_ioba, 0), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 0);
	vm_teardown(&vm);
}

/*
 * The second window refuses what the first could map: both keep the old
 * mapping. RAM: 32 MiB of 16 MiB pages, then scattered 64 KiB pages; windows
 * of 64 KiB and 16 MiB pages under a table of 16 MiB pages.
 */
static void test_second_window_refuses_first_keeps_old(void **state)
{
	static const unsigned hw[2] = {16, 24};
	uint64_t old_huge, tce, i;
	struct vm vm;

	(void)state;
	huge_first = 32 * MiB;
	vm_setup_flags(&vm, 24, hw, 2, true, TCE_SIM_MAP_FRAGMENTED);
	huge_first = 0;
	/* A page both can map: the second 16 MiB huge page. */
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW, (16 * MiB) | R | W), TCE_H_SUCCESS);
	old_huge = host_of(&vm, RAM_UA + 16 * MiB);
	assert_int_equal(hw_at(&vm, 1, DDW), old_huge);
	assert_int_equal(ram_mapped(&vm), 256 + 1);
	/* Remap it to scattered 64 KiB pages: window 0 could, window 1 cannot. */
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW, (512 * MiB) | R), TCE_H_TOO_HARD);
	assert_int_equal(tce_h_get_tce(vm.g, LIOBN, DDW, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, (16 * MiB) | R | W);
	for (i = 0; i < 256; i += 85)
		assert_int_equal(hw_at(&vm, 0, DDW + i * 64 * KiB), old_huge + i * 64 * KiB);
	assert_int_equal(hw_at(&vm, 1, DDW), old_huge);
	assert_int_equal(ram_mapped(&vm), 256 + 1);
	/* The same through INDIRECT with the bad page last. */
	vm.list.n = 2;
	vm.list.tces[0] = (16 * MiB) | R;
	vm.list.tces[1] = (512 * MiB) | R;
	assert_int_equal(tce_h_put_tce_indirect(vm.g, LIOBN, DDW + 16 * MiB, 0x200000, 2),
			 TCE_H_TOO_HARD);
	assert_int_equal(hw_at(&vm, 0, DDW + 16 * MiB), 0);
	assert_int_equal(hw_at(&vm, 1, DDW + 16 * MiB), 0);
	assert_int_equal(ram_mapped(&vm), 256 + 1);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW, 0), TCE_H_SUCCESS);
	assert_int_equal(ram_mapped(&vm), 0);
	vm_teardown(&vm);
}

/* ---- concurrency: hypercalls, container map/unmap, lock-free translation, registrations ---- */

enum { CONC_ROUNDS = 3000 };

struct conc {
	struct vm *vm;
	struct tce_guest_view view;
	uint64_t seed;
	_Atomic unsigned *running;
	uint64_t seen;
};

/* The guest maps and unmaps the first 512 MiB of the window. */
static void *conc_guest(void *arg)
{
	struct conc *c = arg;
	unsigned i;

	for (i = 0; i < CONC_ROUNDS; i++) {
		uint64_t e = test_rng(&c->seed) % 8192, ioba = DDW + e * 64 * KiB;
		uint64_t gpa = (test_rng(&c->seed) % 8192) * 64 * KiB;

		if (tce_h_put_tce(c->vm->g, LIOBN, ioba, gpa | R) != TCE_H_SUCCESS ||
		    (i % 3 == 0 && tce_h_stuff_tce(c->vm->g, LIOBN, ioba & ~(UINT64_C(511) << 16), 0, 512) !=
					   TCE_H_SUCCESS))
			return (void *)1;
	}
	atomic_fetch_sub(c->running, 1);
	return NULL;
}

/* VFIO maps and unmaps the second 512 MiB of the same window. */
static void *conc_vfio(void *arg)
{
	struct conc *c = arg;
	unsigned i;

	for (i = 0; i < CONC_ROUNDS; i++) {
		uint64_t e = 8192 + test_rng(&c->seed) % 8192, iova = DDW + e * 64 * KiB;
		uint64_t ua = RAM_UA + (test_rng(&c->seed) % 8192) * 64 * KiB;

		if (tce_container_map(c->vm->c[0], iova, 64 * KiB, ua, VFIO_DMA_MAP_FLAG_READ) ||
		    (i % 2 && tce_container_unmap(c->vm->c[0], iova, 64 * KiB)))
			return (void *)2;
	}
	atomic_fetch_sub(c->running, 1);
	return NULL;
}

/* A device model translates through both tables without a lock. */
static void *conc_translate(void *arg)
{
	struct conc *c = arg;
	struct tce_table_view hw;

	tce_table_get_view(tce_window_table(c->vm->w[0]), &hw);
	while (atomic_load(c->running) > 0) {
		uint64_t ioba = DDW + test_rng(&c->seed) % (1 * GiB);
		struct tce_guest_xlate gx;
		struct tce_translation hx;

		if (!tce_guest_view_translate(&c->view, ioba, &gx) || !tce_table_view_translate(&hw, ioba, &hx))
			return (void *)3;
		c->seen += hx.perm != 0;
	}
	return NULL;
}

/* Registrations of another range churn the region tree (and its reclamation). */
static void *conc_register(void *arg)
{
	struct conc *c = arg;

	while (atomic_load(c->running) > 0) {
		if (tce_prereg_register(c->vm->prereg, 2 * RAM_UA, 64 * KiB, NULL) ||
		    tce_prereg_unregister(c->vm->prereg, 2 * RAM_UA, 64 * KiB))
			return (void *)4;
	}
	return NULL;
}

static void test_concurrent_hypercalls_maps_translations(void **state)
{
	static const unsigned hw[2] = {16, 16};
	void *(*const mains[4])(void *) = {conc_guest, conc_vfio, conc_translate, conc_register};
	_Atomic unsigned running = 2;
	struct conc c[4];
	pthread_t threads[4];
	struct vm vm;
	unsigned t;

	(void)state;
	window_levels = 2;
	vm_setup(&vm, 16, hw, 1, true);
	window_levels = 1;
	assert_int_equal(tce_hostmem_sim_map(vm.hm, 2 * RAM_UA, 64 * KiB, 16, 0), 0);
	for (t = 0; t < 4; t++) {
		c[t] = (struct conc){&vm, {0}, 77 + t, &running, 0};
		assert_int_equal(tce_guest_get_view(vm.g, LIOBN, &c[t].view), 0);
		assert_int_equal(pthread_create(&threads[t], NULL, mains[t], &c[t]), 0);
	}
	for (t = 0; t < 4; t++) {
		void *ret;

		assert_int_equal(pthread_join(threads[t], &ret), 0);
		assert_int_equal((uintptr_t)ret, 0);
	}
	/* Everything either side mapped is counted exactly once. */
	assert_int_equal(ram_mapped(&vm), tce_window_mapped(vm.w[0]));
	assert_int_equal(tce_h_stuff_tce(vm.g, LIOBN, DDW, 0, 8192), TCE_H_SUCCESS);
	assert_int_equal(tce_container_unmap(vm.c[0], DDW + 512 * MiB, 512 * MiB), 0);
	assert_int_equal(tce_window_mapped(vm.w[0]), 0);
	assert_int_equal(ram_mapped(&vm), 0);
	vm_teardown(&vm);
}

static void test_attach_rules(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct vm vm;
	struct tce_window *w;
	uint64_t start;

	(void)state;
	vm_setup(&vm, 16, hw, 1, true);
	assert_int_equal(tce_guest_attach_window(vm.g, LIOBN, vm.w[0]), -EEXIST);
	assert_int_equal(tce_guest_attach_window(vm.g, 0x777, vm.w[0]), -ENOENT);
	/* Hardware page larger than the guest's. */
	assert_int_equal(tce_guest_create_table(vm.g, 0x80000002, 12, DDW >> 12, 1024), 0);
	assert_int_equal(tce_guest_attach_window(vm.g, 0x80000002, vm.w[0]), -EINVAL);
	/* Another bus start. */
	assert_int_equal(tce_guest_create_table(vm.g, 0x80000003, 16, 0, 1024), 0);
	assert_int_equal(tce_guest_attach_window(vm.g, 0x80000003, vm.w[0]), -EINVAL);
	/* A guest window larger than the hardware one (2 GiB over 1 GiB). */
	assert_int_equal(tce_guest_create_table(vm.g, 0x80000004, 16, DDW >> 16, 32768), 0);
	assert_int_equal(tce_guest_attach_window(vm.g, 0x80000004, vm.w[0]), -EINVAL);
	/* A smaller guest window and a larger guest page are fine; existing TCEs are mirrored. */
	assert_int_equal(tce_guest_create_table(vm.g, 0x80000005, 24, DDW >> 24, 8), 0);
	assert_int_equal(tce_h_put_tce(vm.g, 0x80000005, DDW + 16 * MiB, (48 * MiB) | R), TCE_H_SUCCESS);
	assert_int_equal(tce_container_remove_window(vm.c[0], DDW), 0); /* the old one: removed but held */
	assert_int_equal(tce_container_create_window(vm.c[0], 16, 1 * GiB, 1, &start), 0);
	w = tce_container_window(vm.c[0], DDW);
	assert_int_equal(tce_guest_attach_window(vm.g, 0x80000005, w), 0);
	assert_int_equal(tce_window_mapped(w), 256);
	assert_int_equal(tce_guest_remove_table(vm.g, 0x80000005), 0);
	tce_window_put(w);
	vm_teardown(&vm);
}

/* A table takes two hardware windows at most: a third is refused and changes nothing. */
static void test_third_window_refused(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct tce_guest_table_info info;
	struct vm vm;
	struct tce_window *w;
	uint64_t start;

	(void)state;
	vm_setup(&vm, 16, hw, 2, true);
	assert_int_equal(tce_h_put_tce(vm.g, LIOBN, DDW, (5 * 64 * KiB) | R), TCE_H_SUCCESS);
	assert_int_equal(tce_container_remove_window(vm.c[0], DDW), 0); /* still attached, held */
	assert_int_equal(tce_container_create_window(vm.c[0], 16, 1 * GiB, 1, &start), 0);
	w = tce_container_window(vm.c[0], DDW);
	assert_int_equal(tce_guest_attach_window(vm.g, LIOBN, w), -ENOSPC);
	assert_int_equal(tce_window_mapped(w), 0);
	assert_int_equal(tce_guest_table_info(vm.g, LIOBN, &info), 0);
	assert_int_equal(info.windows, 2);
	/* Detach one: then the new window fits, filled from the table. */
	assert_int_equal(tce_guest_detach_window(vm.g, LIOBN, vm.w[0]), 0);
	assert_int_equal(tce_guest_attach_window(vm.g, LIOBN, w), 0);
	assert_int_equal(tce_window_mapped(w), 1);
	assert_int_equal(tce_guest_detach_window(vm.g, LIOBN, w), 0);
	tce_window_put(w);
	vm_teardown(&vm);
}

/* An attach the window cannot take leaves the window exactly as it was. */
static void test_refused_attach_changes_nothing(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct vm vm;
	struct tce_translation x;

	(void)state;
	vm_setup(&vm, 16, hw, 1, false);
	/* A VFIO mapping of registered memory in the window. */
	assert_int_equal(tce_container_register(vm.c[0], RAM_UA, 1 * MiB), 0);
	assert_int_equal(tce_container_map(vm.c[0], DDW, 64 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), 0);
	/* A second table whose TCE points outside the registered memory. */
	assert_int_equal(tce_guest_create_table(vm.g, 0x80000006, 16, DDW >> 16, 16384), 0);
	assert_int_equal(tce_h_put_tce(vm.g, 0x80000006, DDW + 64 * KiB, (512 * MiB) | R), TCE_H_SUCCESS);
	assert_int_equal(tce_guest_attach_window(vm.g, 0x80000006, vm.w[0]), -EFAULT);
	assert_int_equal(tce_group_translate(vm.group[0], DDW, &x), 0);
	assert_int_equal(x.perm, R);
	assert_int_equal(tce_window_mapped(vm.w[0]), 1);
	/* Once the TCE is gone the attach works, replacing the window's contents. */
	assert_int_equal(tce_h_put_tce(vm.g, 0x80000006, DDW + 64 * KiB, 0), TCE_H_SUCCESS);
	assert_int_equal(tce_guest_attach_window(vm.g, 0x80000006, vm.w[0]), 0);
	assert_int_equal(tce_window_mapped(vm.w[0]), 0);
	assert_int_equal(tce_guest_remove_table(vm.g, 0x80000006), 0);
	assert_int_equal(tce_container_unregister(vm.c[0], RAM_UA, 1 * MiB), 0);
	vm_teardown(&vm);
}

/* One final migration pass of @from's guest loaded into @to's (no PHBs: the table is the VMM's). */
static void migrate_guest(struct vm *from, struct vm *to)
{
	struct tce_migration *out, *in;
	void *stream;
	size_t len;

	assert_int_equal(tce_migration_start(from->g, NULL, 0, &out), 0);
	assert_int_equal(tce_migration_save(out, true, &stream, &len), 0);
	assert_int_equal(tce_migration_accept(to->g, NULL, 0, &in), 0);
	assert_int_equal(tce_migration_load(in, stream, len), 0);
	tce_migration_free_stream(stream);
	tce_migration_done(out);
	tce_migration_done(in);
}

/*
 * Migration of an accelerated table: the destination attaches its own
 * hardware window after the last pass, and every valid TCE is mirrored into
 * it with the usual checks (its RAM must be registered there too).
 */
static void test_migrated_table_reattached(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct vm src, dst, unregistered;
	struct tce_translation x;
	unsigned i;

	(void)state;
	vm_setup(&src, 16, hw, 1, true);
	for (src.list.n = 0; src.list.n < 300; src.list.n++)
		src.list.tces[src.list.n] = ((1000 + src.list.n) * 64 * KiB) | R;
	assert_int_equal(tce_h_put_tce_indirect(src.g, LIOBN, DDW, 0x200000, 300), TCE_H_SUCCESS);
	assert_int_equal(tce_h_put_tce(src.g, LIOBN, DDW + 4000 * 64 * KiB, (5 * 64 * KiB) | R | W),
			 TCE_H_SUCCESS);
	assert_int_equal(tce_window_mapped(src.w[0]), 301);
	/* Destinations without the table (the load creates it), one with its RAM unregistered. */
	vm_setup(&dst, 16, hw, 1, true);
	vm_setup(&unregistered, 16, hw, 1, false);
	for (i = 0; i < 2; i++) {
		struct vm *d = i ? &unregistered : &dst;

		assert_int_equal(tce_guest_detach_window(d->g, LIOBN, d->w[0]), 0);
		assert_int_equal(tce_guest_remove_table(d->g, LIOBN), 0);
		migrate_guest(&src, d);
	}
	/* Unregistered RAM: the attach is refused and the window stays empty. */
	assert_int_equal(tce_guest_attach_window(unregistered.g, LIOBN, unregistered.w[0]), -EFAULT);
	assert_int_equal(tce_window_mapped(unregistered.w[0]), 0);
	/* Registered: every entry is in the destination's window, at the destination's host pages. */
	assert_int_equal(tce_guest_attach_window(dst.g, LIOBN, dst.w[0]), 0);
	assert_int_equal(tce_window_mapped(dst.w[0]), 301);
	assert_int_equal(ram_mapped(&dst), 301);
	assert_int_equal(tce_group_translate(dst.group[0], DDW + 299 * 64 * KiB + 5, &x), 0);
	assert_int_equal(x.hpa, host_of(&dst, RAM_UA + 1299 * 64 * KiB) + 5);
	assert_int_equal(x.perm, R);
	assert_int_equal(tce_group_translate(dst.group[0], DDW + 4000 * 64 * KiB, &x), 0);
	assert_int_equal(x.hpa, host_of(&dst, RAM_UA + 5 * 64 * KiB));
	assert_int_equal(x.perm, R | W);
	/* And the guest goes on through it. */
	assert_int_equal(tce_h_stuff_tce(dst.g, LIOBN, DDW, 0, 300), TCE_H_SUCCESS);
	assert_int_equal(tce_window_mapped(dst.w[0]), 1);
	vm_teardown(&src);
	vm_teardown(&dst);
	vm_teardown(&unregistered);
}

/*
 * A later pass whose entries an attached window refuses (the destination's
 * RAM is not registered): -EFAULT, and loading it again after the RAM is
 * registered applies it.
 */
static void test_migration_pass_refused_by_window(void **state)
{
	static const unsigned hw[2] = {16, 16};
	struct tce_migration *out, *in;
	struct vm src, dst;
	void *stream;
	size_t len;

	(void)state;
	vm_setup(&src, 16, hw, 1, true);
	vm_setup(&dst, 16, hw, 1, false);
	assert_int_equal(tce_guest_detach_window(dst.g, LIOBN, dst.w[0]), 0);
	assert_int_equal(tce_guest_remove_table(dst.g, LIOBN), 0);
	/* Pass 0: the table, still empty; the destination attaches its window to it. */
	assert_int_equal(tce_migration_start(src.g, NULL, 0, &out), 0);
	assert_int_equal(tce_migration_accept(dst.g, NULL, 0, &in), 0);
	assert_int_equal(tce_migration_save(out, false, &stream, &len), 0);
	assert_int_equal(tce_migration_load(in, stream, len), 0);
	tce_migration_free_stream(stream);
	assert_int_equal(tce_guest_attach_window(dst.g, LIOBN, dst.w[0]), 0);
	/* Pass 1 maps a page the destination's window cannot reach. */
	assert_int_equal(tce_h_put_tce(src.g, LIOBN, DDW + 7 * 64 * KiB, (9 * 64 * KiB) | R), TCE_H_SUCCESS);
	assert_int_equal(tce_migration_save(out, true, &stream, &len), 0);
	assert_int_equal(tce_migration_load(in, stream, len), -EFAULT);
	assert_int_equal(tce_window_mapped(dst.w[0]), 0);
	/* With the RAM registered, the same pass loads. */
	assert_int_equal(tce_container_register(dst.c[0], RAM_UA, 1 * GiB), 0);
	assert_int_equal(tce_migration_load(in, stream, len), 0);
	assert_int_equal(tce_window_mapped(dst.w[0]), 1);
	tce_migration_free_stream(stream);
	tce_migration_done(out);
	tce_migration_done(in);
	assert_int_equal(tce_h_put_tce(dst.g, LIOBN, DDW + 7 * 64 * KiB, 0), TCE_H_SUCCESS);
	vm_teardown(&src);
	vm_teardown(&dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_through_one_window),
		cmocka_unit_test(test_guest_pages_split),
		cmocka_unit_test(test_large_tce_over_small_pages_refused),
		cmocka_unit_test(test_missing_registration),
		cmocka_unit_test(test_two_windows_all_or_nothing),
		cmocka_unit_test(test_two_windows_both_updated),
		cmocka_unit_test(test_fused_update_failures_change_nothing),
		cmocka_unit_test(test_second_window_refuses_first_keeps_old),
		cmocka_unit_test(test_one_entry_second_window_fails),
		cmocka_unit_test(test_concurrent_hypercalls_maps_translations),
		cmocka_unit_test(test_indirect_zero_tce_not_counted),
		cmocka_unit_test(test_indirect_mixed_permissions),
		cmocka_unit_test(test_attach_rules),
		cmocka_unit_test(test_third_window_refused),
		cmocka_unit_test(test_refused_attach_changes_nothing),
		cmocka_unit_test(test_migrated_table_reattached),
		cmocka_unit_test(test_migration_pass_refused_by_window),
	};

	return cmocka_run_group_tests_name("accel", tests, NULL, NULL);
}
