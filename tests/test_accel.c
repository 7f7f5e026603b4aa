// SPDX-License-Identifier: MIT
/*
 * Acceleration: guest hypercalls written through to attached container
 * windows (as KVM does after KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE), with one and
 * two windows, guest pages split into smaller hardware pages, missing
 * registrations (H_TOO_HARD, nothing changed), permission-less TCEs never
 * counted (B-K3), and the attach rules of spec linux-kernel §3.6.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/container.h"
#include "tce/guest.h"

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
	assert_int_equal(tce_hostmem_sim_map(vm->hm, RAM_UA, 1 * GiB, 16, map_flags), 0);
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
		assert_int_equal(tce_container_create_window(vm->c[i], hw_shift[i], 1 * GiB, 1, &start), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_through_one_window),
		cmocka_unit_test(test_guest_pages_split),
		cmocka_unit_test(test_missing_registration),
		cmocka_unit_test(test_two_windows_all_or_nothing),
		cmocka_unit_test(test_two_windows_both_updated),
		cmocka_unit_test(test_indirect_zero_tce_not_counted),
		cmocka_unit_test(test_attach_rules),
		cmocka_unit_test(test_refused_attach_changes_nothing),
	};

	return cmocka_run_group_tests_name("accel", tests, NULL, NULL);
}
