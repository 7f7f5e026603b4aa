// SPDX-License-Identifier: MIT
/*
 * Fuzz target: arbitrary sequences of TCE hypercalls (and window attach,
 * detach and table reset) from a guest accelerated into a VFIO container
 * window. Invariants, checked after every call and at teardown:
 *  - nothing crashes (sanitizers watch memory);
 *  - the mapped counter of every region equals the number of hardware
 *    entries that point into it, and the window's mapped count equals it too;
 *  - after teardown the ledger is balanced and no page is pinned.
 *
 * A libFuzzer target, or a test driven by pseudo-random inputs
 * (tests/fuzz_driver.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NAME "fuzz-hcalls"
#include "fuzz_driver.h"

#include "helpers.h"

#include "tce/container.h"
#include "tce/guest.h"

#define RAM_UA (UINT64_C(1) << 40)
#define RAM (64 * MiB)
#define DDW (UINT64_C(1) << 59)
#define LIOBN 0x80000001u
#define LIST_GPA 0x100000u

struct input {
	const uint8_t *data;
	size_t size, pos;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = (v << 8) | (in->pos < in->size ? in->data[in->pos++] : 0);
	return v;
}

struct vm {
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
	struct tce_group *group;
	struct tce_container *c;
	struct tce_window *w;
	struct tce_guest *g;
	unsigned guest_shift;
	bool attached;
	struct test_list list; /* the INDIRECT list the guest wrote */
};

/* A TCE: mostly inside RAM (registered or not), sometimes garbage. */
static uint64_t make_tce(struct vm *vm, struct input *in)
{
	uint64_t sel = take(in, 1), page = UINT64_C(1) << vm->guest_shift;

	if (sel < 16)
		return take(in, 8); /* anything */
	return ((take(in, 2) * page) % (2 * RAM)) | (sel & 3);
}

static uint64_t make_ioba(struct vm *vm, struct input *in)
{
	uint64_t sel = take(in, 1);

	if (sel < 8)
		return take(in, 8);
	/* Mostly inside the guest table (128 MiB), sometimes past its end. */
	return DDW + ((take(in, 2) % 4500) << vm->guest_shift) + (sel < 16 ? sel : 0);
}

/* Region mapped counters == hardware entries pointing into them == the window's count. */
static void check_counters(struct vm *vm)
{
	struct tce_region *r = tce_prereg_lookup(vm->prereg, RAM_UA, 1);
	struct tce_region_info info;
	uint64_t hw = tce_window_mapped(vm->w);

	tce_region_info(r, &info);
	CHECK(info.mapped == hw);
}

static void run_ops(struct vm *vm, struct input *in)
{
	while (in->pos < in->size) {
		unsigned op = (unsigned)take(in, 1) % 8;
		uint64_t ioba = make_ioba(vm, in), tce, n, i;
		struct tce_guest_xlate x;
		long rc;

		switch (op) {
		case 0:
		case 1:
			rc = tce_h_put_tce(vm->g, LIOBN, ioba, make_tce(vm, in));
			break;
		case 2:
			n = take(in, 2) % 600;
			vm->list.n = (unsigned)(n < TCE_HCALL_MAX_COUNT ? n : TCE_HCALL_MAX_COUNT);
			for (i = 0; i < vm->list.n; i++)
				vm->list.tces[i] = make_tce(vm, in);
			rc = tce_h_put_tce_indirect(vm->g, LIOBN, ioba, take(in, 1) ? LIST_GPA : LIST_GPA + 8,
						    n);
			break;
		case 3:
			rc = tce_h_stuff_tce(vm->g, LIOBN, ioba, take(in, 1) < 200 ? 0 : make_tce(vm, in),
					     take(in, 2) % 1100);
			break;
		case 4:
			rc = tce_h_get_tce(vm->g, take(in, 1) ? LIOBN : (uint32_t)take(in, 4), ioba, &tce);
			break;
		case 5:
			rc = tce_guest_translate(vm->g, LIOBN, ioba, (unsigned)take(in, 1) & 3, &x);
			break;
		case 6:
			if (vm->attached)
				rc = tce_guest_detach_window(vm->g, LIOBN, vm->w);
			else
				rc = tce_guest_attach_window(vm->g, LIOBN, vm->w);
			if (rc == 0)
				vm->attached = !vm->attached;
			break;
		default:
			rc = tce_guest_reset_table(vm->g, LIOBN);
			break;
		}
		(void)rc;
		check_counters(vm);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size, 0};
	struct tce_group_desc desc;
	struct tce_container_config cfg;
	struct tce_guest_config gcfg;
	struct vm vm;
	uint64_t start;
	unsigned config = (unsigned)take(&in, 1);

	memset(&vm, 0, sizeof(vm));
	vm.list.gpa = LIST_GPA;
	vm.guest_shift = (config & 1) ? 24 : 16;
	CHECK(tce_hostmem_sim_create(16, &vm.hm) == 0);
	CHECK(tce_hostmem_sim_map(vm.hm, RAM_UA, 2 * RAM, 16, (config & 2) ? TCE_SIM_MAP_FRAGMENTED : 0) == 0);
	CHECK(tce_account_create(TCE_ACCOUNT_UNLIMITED, &vm.account) == 0);
	CHECK(tce_prereg_create(vm.hm, vm.account, &vm.prereg) == 0);
	tce_group_desc_powernv_ioda2(&desc);
	CHECK(tce_group_create(&desc, 0, &vm.group) == 0);
	cfg = (struct tce_container_config){VFIO_SPAPR_TCE_v2_IOMMU, vm.hm, vm.account, vm.prereg,
					    (config & 4) ? TCE_USERVIEW_EXTENTS : TCE_USERVIEW_MIRROR};
	CHECK(tce_container_create(&cfg, &vm.c) == 0);
	CHECK(tce_container_attach(vm.c, vm.group) == 0);
	/* Only the first half of RAM is registered: the rest must be too hard. */
	CHECK(tce_container_register(vm.c, RAM_UA, RAM) == 0);
	CHECK(tce_container_create_window(vm.c, 16, 256 * MiB, (config & 8) ? 2 : 1, &start) == 0);
	vm.w = tce_container_window(vm.c, DDW);
	CHECK(vm.w != NULL);
	gcfg = (struct tce_guest_config){(enum tce_hcall_profile)((config >> 4) % 3), vm.account,
					 test_list_read, &vm.list};
	CHECK(tce_guest_create(&gcfg, &vm.g) == 0);
	CHECK(tce_guest_add_memslot(vm.g, 0, 2 * RAM, RAM_UA) == 0);
	CHECK(tce_guest_create_table(vm.g, LIOBN, vm.guest_shift, DDW >> vm.guest_shift,
				     (128 * MiB) >> vm.guest_shift) == 0);
	vm.attached = tce_guest_attach_window(vm.g, LIOBN, vm.w) == 0;
	CHECK(vm.attached);

	run_ops(&vm, &in);

	tce_guest_destroy(vm.g);
	tce_window_put(vm.w);
	CHECK(tce_container_destroy(vm.c) == 0);
	CHECK(tce_group_destroy(vm.group) == 0);
	CHECK(tce_prereg_destroy(vm.prereg) == 0);
	CHECK(tce_account_balanced(vm.account));
	CHECK(tce_hostmem_pinned_bytes(vm.hm) == 0);
	tce_account_destroy(vm.account);
	tce_hostmem_destroy(vm.hm);
	return 0;
}
