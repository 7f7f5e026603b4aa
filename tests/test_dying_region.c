// SPDX-License-Identifier: MIT
/*
 * A region whose destruction has begun (its mapped count dropped to 0 by an
 * unregister that has not yet taken it out of the tree) can still be found
 * by a lock-free lookup, which is how a MAP_DMA or an accelerated hypercall
 * racing an UNREGISTER meets it. The kernel then stops mapping with ret = 0
 * (B-M1, spec linux-kernel §5): a partial map reported as success. libtce
 * refuses the whole call: MAP_DMA with -EINVAL (VFIO's code for memory it
 * cannot map), H_PUT_TCE and H_PUT_TCE_INDIRECT with H_TOO_HARD, nothing
 * mapped. The race is made deterministic here by putting the region in that
 * state directly (an internal test: it links the static library).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "container_fixture.h"
#include "prereg_fast.h"
#include "tce/guest.h"

#define LIOBN 0x80000001u

/* Make @region look as it does between an unregister's first step and its removal. */
static void begin_destruction(struct tce_region *region)
{
	uint64_t one = 1;

	assert_true(atomic_compare_exchange_strong(&region->mapped, &one, 0));
}

static void end_destruction(struct tce_region *region)
{
	atomic_store(&region->mapped, 1);
}

static void test_map_into_dying_region_maps_nothing(void **state)
{
	struct tce_region *region;
	struct tce_window *w;
	struct fx f;
	struct state before;
	uint64_t start;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA, 1 * GiB, 0), 0);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), 0);
	assert_int_equal(start, DDW);
	region = tce_prereg_lookup(f.prereg, RAM_UA, 1);
	assert_non_null(region);
	before = state_of(&f);
	begin_destruction(region);
	/* The region's own calls say what it is: being destroyed. */
	assert_int_equal(tce_region_mapped_inc(region), -ENXIO);
	assert_int_equal(tce_prereg_lookup_get(f.prereg, RAM_UA, 64 * KiB, &(struct tce_region *){NULL}),
			 -ENXIO);
	/* Found by the lookup, refused by the count: -EINVAL, not a partial success. */
	assert_int_equal(map_ioctl(&f, DDW, 16 * 64 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), -EINVAL);
	assert_int_equal(tce_container_map(f.c, DDW, 64 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), -EINVAL);
	end_destruction(region);
	ASSERT_UNCHANGED(&f, before);
	/* Once it is alive again the same call maps all 16 pages. */
	assert_int_equal(map_ioctl(&f, DDW, 16 * 64 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), 0);
	w = tce_container_window(f.c, DDW);
	assert_int_equal(tce_window_mapped(w), 16);
	tce_window_put(w);
	assert_int_equal(unmap_ioctl(&f, DDW, 16 * 64 * KiB, 0), 0);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, RAM_UA, 1 * GiB, 0), 0);
	fx_teardown(&f);
}

static void test_hypercalls_into_dying_region_change_nothing(void **state)
{
	struct tce_guest_config gcfg;
	struct test_list list = {.gpa = 0x200000, .n = 4};
	struct tce_region *region;
	struct tce_window *w;
	struct tce_guest *g;
	struct fx f;
	struct state before;
	uint64_t start, tce, i;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA, 1 * GiB, 0), 0);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), 0);
	w = tce_container_window(f.c, DDW);
	gcfg = (struct tce_guest_config){TCE_HCALL_KVM, f.account, test_list_read, &list};
	assert_int_equal(tce_guest_create(&gcfg, &g), 0);
	assert_int_equal(tce_guest_add_memslot(g, 0, 1 * GiB, RAM_UA), 0);
	assert_int_equal(tce_guest_create_table(g, LIOBN, 16, DDW >> 16, 16384), 0);
	assert_int_equal(tce_guest_attach_window(g, LIOBN, w), 0);
	/* (An unregister starts only on a region nothing maps: -EBUSY otherwise.) */
	region = tce_prereg_lookup(f.prereg, RAM_UA, 1);
	before = state_of(&f);
	for (i = 0; i < 4; i++)
		list.tces[i] = ((20 + i) * 64 * KiB) | TCE_PERM_READ;
	begin_destruction(region);
	assert_int_equal(tce_h_put_tce(g, LIOBN, DDW + 64 * KiB, (5 * 64 * KiB) | TCE_PERM_WRITE),
			 TCE_H_TOO_HARD);
	assert_int_equal(tce_h_put_tce(g, LIOBN, DDW, (7 * 64 * KiB) | TCE_PERM_READ), TCE_H_TOO_HARD);
	assert_int_equal(tce_h_put_tce_indirect(g, LIOBN, DDW + 2 * 64 * KiB, list.gpa, 4),
			 TCE_H_TOO_HARD);
	end_destruction(region);
	ASSERT_UNCHANGED(&f, before);
	for (i = 0; i < 6; i++) {
		assert_int_equal(tce_h_get_tce(g, LIOBN, DDW + i * 64 * KiB, &tce), TCE_H_SUCCESS);
		assert_int_equal(tce, 0);
	}
	/* Alive again: the INDIRECT goes through. */
	assert_int_equal(tce_h_put_tce_indirect(g, LIOBN, DDW + 2 * 64 * KiB, list.gpa, 4),
			 TCE_H_SUCCESS);
	assert_int_equal(tce_window_mapped(w), 4);
	assert_int_equal(tce_h_stuff_tce(g, LIOBN, DDW, 0, 8), TCE_H_SUCCESS);
	tce_guest_destroy(g);
	tce_window_put(w);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, RAM_UA, 1 * GiB, 0), 0);
	fx_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_into_dying_region_maps_nothing),
		cmocka_unit_test(test_hypercalls_into_dying_region_change_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
