// SPDX-License-Identifier: MIT
/*
 * The platform model of the container (issue "kernel conformance", items 4-6):
 * firmware failures when a window is programmed into a group, groups without
 * platform data, platforms that cannot unprogram a window, the process a
 * container is bound to, and the getters a caller needs to see all of it,
 * on both host memory back ends. Every failure is asserted with its errno and
 * with nothing changed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "container_fixture.h"
#include "tce/fault.h"

/* Each of @n groups sees a window at bus address @start, or none does. */
static void assert_programmed(struct tce_group *const *groups, unsigned n, uint64_t start, bool yes)
{
	struct tce_translation x;
	unsigned g;

	for (g = 0; g < n; g++)
		assert_int_equal(tce_group_translate(groups[g], start, &x), yes ? 0 : -ENXIO);
}

static void test_opal_errno(void **state)
{
	(void)state;
	assert_int_equal(tce_opal_errno(TCE_OPAL_SUCCESS), 0);
	assert_int_equal(tce_opal_errno(TCE_OPAL_PARAMETER), -EINVAL);
	assert_int_equal(tce_opal_errno(TCE_OPAL_BUSY), -EBUSY);
	assert_int_equal(tce_opal_errno(TCE_OPAL_BUSY_EVENT), -EBUSY);
	assert_int_equal(tce_opal_errno(TCE_OPAL_NO_MEM), -ENOMEM);
	assert_int_equal(tce_opal_errno(TCE_OPAL_PERMISSION), -EPERM);
	assert_int_equal(tce_opal_errno(TCE_OPAL_ASYNC_COMPLETION), -EINPROGRESS);
	assert_int_equal(tce_opal_errno(TCE_OPAL_TIMEOUT), -ETIMEDOUT);
	assert_int_equal(tce_opal_errno(TCE_OPAL_HARDWARE), -EIO);
	assert_int_equal(tce_opal_errno(TCE_OPAL_UNSUPPORTED), -EIO);
	assert_int_equal(tce_opal_errno(TCE_OPAL_RESOURCE), -EIO);
	assert_int_equal(tce_opal_errno(-1000), -EIO);
}

/*
 * TCE_CREATE into a container with two groups: the window is programmed into
 * each. Failing the first or the second programming, with each status, must
 * return the mapped errno and leave no window anywhere, nothing charged.
 */
static void test_create_rolls_back_platform_failures(void **state)
{
	static const long statuses[] = {TCE_OPAL_PARAMETER, TCE_OPAL_HARDWARE, TCE_OPAL_BUSY,
					TCE_OPAL_NO_MEM};
	struct tce_group_desc desc;
	struct tce_group *groups[2];
	struct state before;
	uint64_t start = 0, calls;
	unsigned nth, k;
	struct fx f;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	tce_group_desc_powernv_ioda2(&desc);
	assert_int_equal(tce_group_create(&desc, 7, &groups[1]), 0);
	groups[0] = f.group;
	assert_int_equal(tce_container_attach(f.c, groups[1]), 0);
	assert_int_equal(remove_ioctl(&f, 0), 0); /* no default window: only the new one is made */
	before = state_of(&f);
	for (k = 0; k < sizeof(statuses) / sizeof(statuses[0]); k++) {
		for (nth = 1; nth <= 2; nth++) {
			calls = tce_fault_set_window_calls();
			tce_fault_set_window_fail_nth(nth, statuses[k]);
			assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 2, &start),
					 tce_opal_errno(statuses[k]));
			assert_int_equal(tce_fault_set_window_calls() - calls, nth);
			ASSERT_UNCHANGED(&f, before);
			assert_programmed(groups, 2, 0, false);
			assert_null(tce_container_window(f.c, 0));
		}
	}
	/* Unarmed, it works (in the first free slot, at bus 0), and both groups see it. */
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 2, &start), 0);
	assert_int_equal(start, 0);
	assert_programmed(groups, 2, 0, true);
	assert_int_equal(tce_container_detach(f.c, groups[1]), 0);
	assert_int_equal(tce_group_destroy(groups[1]), 0);
	fx_teardown(&f);
}

/* The lazy default window is programmed on the first MAP: a failure leaves it pending. */
static void test_default_window_programming_fails(void **state)
{
	struct tce_container_state st;
	struct state before;
	struct fx f;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(tce_container_enable(f.c), 0);
	before = state_of(&f);
	tce_fault_set_window_fail_nth(1, TCE_OPAL_HARDWARE);
	assert_int_equal(map_ioctl(&f, 1 * MiB, 4 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), -EIO);
	ASSERT_UNCHANGED(&f, before);
	tce_container_state(f.c, &st);
	assert_true(st.def_window_pending);
	assert_int_equal(st.windows, 0);
	assert_int_equal(map_ioctl(&f, 1 * MiB, 4 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), 0);
	tce_container_state(f.c, &st);
	assert_false(st.def_window_pending);
	assert_int_equal(st.windows, 1);
	assert_int_equal(st.pinned_bytes, 64 * KiB);
	assert_int_equal(unmap_ioctl(&f, 1 * MiB, 4 * KiB, 0), 0);
	fx_teardown(&f);
}

/* A second group joins a container with two windows: a failure programming either refuses it. */
static void test_attach_rolls_back_platform_failures(void **state)
{
	struct tce_group_desc desc;
	struct tce_group *second;
	struct tce_translation x;
	struct tce_container_state st;
	uint64_t start = 0;
	unsigned nth;
	struct fx f;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), 0); /* default + DDW */
	tce_group_desc_powernv_ioda2(&desc);
	assert_int_equal(tce_group_create(&desc, 9, &second), 0);
	for (nth = 1; nth <= 2; nth++) {
		tce_fault_set_window_fail_nth(nth, TCE_OPAL_PARAMETER);
		assert_int_equal(tce_container_attach(f.c, second), -EINVAL);
		tce_container_state(f.c, &st);
		assert_int_equal(st.groups, 1);
		assert_int_equal(tce_group_translate(second, 0, &x), -ENXIO);
		assert_int_equal(tce_group_translate(second, DDW, &x), -ENXIO);
		assert_int_equal(tce_group_translate(f.group, DDW, &x), 0);
		assert_int_equal(tce_group_destroy(second), 0); /* not attached anywhere */
		assert_int_equal(tce_group_create(&desc, 9, &second), 0);
	}
	assert_int_equal(tce_container_attach(f.c, second), 0);
	assert_int_equal(tce_group_translate(second, DDW, &x), 0);
	assert_int_equal(tce_container_detach(f.c, second), 0);
	assert_int_equal(tce_group_destroy(second), 0);
	fx_teardown(&f);
}

/* A PE without platform data cannot be attached; a platform without unset_window cannot REMOVE. */
static void test_platform_limits(void **state)
{
	struct tce_group_desc desc;
	struct tce_group *bare, *sticky, *groups[2];
	struct state before;
	uint64_t start = 0;
	struct fx f;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	tce_group_desc_powernv_ioda2(&desc);
	desc.no_platform_data = true;
	assert_int_equal(tce_group_create(&desc, 3, &bare), 0);
	assert_int_equal(tce_container_attach(f.c, bare), -ENODEV);
	assert_int_equal(tce_group_destroy(bare), 0);
	/* The kernel unprograms the first group, then fails on the second; libtce asks first. */
	tce_group_desc_powernv_ioda2(&desc);
	desc.no_unset_window = true;
	assert_int_equal(tce_group_create(&desc, 4, &sticky), 0);
	assert_int_equal(tce_container_attach(f.c, sticky), 0);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), 0);
	assert_int_equal(tce_container_register(f.c, RAM_UA, 1 * GiB), 0);
	assert_int_equal(map_ioctl(&f, DDW, 1 * MiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), 0);
	before = state_of(&f);
	assert_int_equal(remove_ioctl(&f, DDW), -EPERM);
	ASSERT_UNCHANGED(&f, before);
	groups[0] = f.group;
	groups[1] = sticky;
	assert_programmed(groups, 2, DDW, true);
	/* Detaching the sticky group lets REMOVE work again. */
	assert_int_equal(tce_container_detach(f.c, sticky), 0);
	assert_int_equal(remove_ioctl(&f, DDW), 0);
	assert_programmed(groups, 1, DDW, false);
	assert_int_equal(region_mapped(&f, RAM_UA), 0);
	assert_int_equal(tce_group_destroy(sticky), 0);
	fx_teardown(&f);
}

/* The kernel binds a container to the first mm that registers, enables, creates or removes. */
static void test_process_identity(void **state)
{
	struct vfio_iommu_spapr_register_memory reg = {sizeof(reg), 0, RAM_UA, 64 * MiB};
	struct vfio_iommu_spapr_tce_info info = {.argsz = sizeof(info)};
	struct vfio_iommu_type1_dma_map map = {sizeof(map), VFIO_DMA_MAP_FLAG_READ, RAM_UA, DDW,
					       64 * KiB};
	struct tce_container_state st;
	struct tce_hostmem *other;
	struct state before;
	uint64_t start = 0;
	struct fx f;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(tce_hostmem_sim_create(16, &other), 0);
	tce_container_state(f.c, &st);
	assert_false(st.bound);
	assert_ptr_equal(st.hostmem, f.hm);
	before = state_of(&f);
	/* Unbound: UNREGISTER from anyone is -EPERM; another process cannot bind it. */
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, RAM_UA, 64 * MiB, 0), -EPERM);
	assert_int_equal(tce_container_unregister(f.c, RAM_UA, 64 * MiB), -EPERM);
	assert_int_equal(tce_container_ioctl_as(f.c, other, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
						(uintptr_t)&reg, sizeof(reg)),
			 -EPERM);
	/* What does not bind still answers another process (nothing is bound to refuse it). */
	assert_int_equal(tce_container_ioctl_as(f.c, other, VFIO_IOMMU_SPAPR_TCE_GET_INFO,
						(uintptr_t)&info, sizeof(info)),
			 0);
	ASSERT_UNCHANGED(&f, before);
	tce_container_state(f.c, &st);
	assert_false(st.bound);
	/* A failed REGISTER from the owner still binds, as the kernel binds before the checks. */
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA + 1, 64 * MiB, 0),
			 -EINVAL);
	tce_container_state(f.c, &st);
	assert_true(st.bound);
	assert_false(st.enabled);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, RAM_UA, 64 * MiB, 0), -ENOENT);
	/* Bound: everything from another process is -EPERM except CHECK_EXTENSION. */
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, (uintptr_t)&reg, sizeof(reg)), 0);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), 0);
	before = state_of(&f);
	assert_int_equal(tce_container_ioctl_as(f.c, other, VFIO_CHECK_EXTENSION,
						VFIO_SPAPR_TCE_v2_IOMMU, 0),
			 1);
	assert_int_equal(tce_container_ioctl_as(f.c, other, VFIO_IOMMU_SPAPR_TCE_GET_INFO,
						(uintptr_t)&info, sizeof(info)),
			 -EPERM);
	assert_int_equal(tce_container_ioctl_as(f.c, other, VFIO_IOMMU_MAP_DMA, (uintptr_t)&map, sizeof(map)),
			 -EPERM);
	assert_int_equal(tce_container_ioctl_as(f.c, other, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY,
						(uintptr_t)&reg, sizeof(reg)),
			 -EPERM);
	ASSERT_UNCHANGED(&f, before);
	/* The owner's own calls go through ioctl_as with its address space. */
	assert_int_equal(tce_container_ioctl_as(f.c, f.hm, VFIO_IOMMU_MAP_DMA, (uintptr_t)&map, sizeof(map)), 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 1);
	assert_int_equal(unmap_ioctl(&f, DDW, 64 * KiB, 0), 0);
	tce_hostmem_destroy(other);
	fx_teardown(&f);
}

/* What a container holds: its regions, by address. */
static void test_regions_getter(void **state)
{
	struct tce_container_region held[4];
	struct tce_container_state st;
	struct fx f;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(tce_container_regions(f.c, NULL, 0), 0);
	assert_int_equal(tce_container_register(f.c, HUGE_UA, 256 * MiB), 0);
	assert_int_equal(tce_container_register(f.c, RAM_UA + 64 * MiB, 64 * MiB), 0);
	assert_int_equal(tce_container_register(f.c, RAM_UA, 64 * MiB), 0);
	assert_int_equal(tce_container_regions(f.c, held, 2), 3); /* room for two, holds three */
	assert_int_equal(held[0].ua, RAM_UA);
	assert_int_equal(held[1].ua, RAM_UA + 64 * MiB);
	assert_int_equal(tce_container_regions(f.c, held, 4), 3);
	assert_int_equal(held[2].ua, HUGE_UA);
	assert_int_equal(held[2].size, 256 * MiB);
	tce_container_state(f.c, &st);
	assert_int_equal(st.regions, 3);
	assert_int_equal(st.registered_bytes, 384 * MiB);
	assert_int_equal(tce_container_unregister(f.c, RAM_UA + 64 * MiB, 64 * MiB), 0);
	assert_int_equal(tce_container_regions(f.c, held, 4), 2);
	assert_int_equal(held[1].ua, HUGE_UA);
	fx_teardown(&f);
}

/*
 * Pins attributed per container and per window on the real process back end:
 * a v1 container over a memfd pins each mapped page, and the container's state
 * and the window's usage say how many bytes, as the hostmem's total does.
 */
static void test_pins_per_window_process(void **state)
{
	struct tce_container_config cfg;
	struct tce_group_desc desc;
	struct tce_window_usage usage;
	struct tce_container_state st;
	struct tce_container *c;
	struct tce_account *account;
	struct tce_hostmem *hm;
	struct tce_group *group;
	struct tce_window *w;
	long page = sysconf(_SC_PAGESIZE);
	int fd = memfd_create("libtce-test", 0);
	void *ram;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 * MiB), 0);
	ram = mmap(NULL, 1 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(ram != MAP_FAILED);
	assert_int_equal(tce_hostmem_process_create(&hm), 0);
	assert_int_equal(tce_hostmem_process_add_fd(hm, (uintptr_t)ram, 1 * MiB, fd, 0), 0);
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &account), 0);
	tce_group_desc_powernv_ioda2(&desc);
	assert_int_equal(tce_group_create(&desc, 0, &group), 0);
	cfg = (struct tce_container_config){VFIO_SPAPR_TCE_IOMMU, hm, account, NULL,
					    TCE_USERVIEW_MIRROR};
	assert_int_equal(tce_container_create(&cfg, &c), 0);
	assert_int_equal(tce_container_attach(c, group), 0);
	assert_int_equal(tce_container_enable(c), 0);
	/* Three 4 KiB IOMMU pages, each pinning the host page behind it. */
	assert_int_equal(tce_container_map(c, 1 * MiB, 3 * 4 * KiB, (uintptr_t)ram,
					   VFIO_DMA_MAP_FLAG_READ),
			 0);
	tce_container_state(c, &st);
	assert_int_equal(st.pinned_bytes, 3 * (uint64_t)(page > 4096 ? page : 4096));
	assert_int_equal(st.pinned_bytes, tce_hostmem_pinned_bytes(hm));
	w = tce_container_window(c, 1 * MiB);
	assert_non_null(w);
	tce_window_usage(w, &usage);
	assert_int_equal(usage.pinned_bytes, st.pinned_bytes);
	assert_int_equal(usage.mapped, 3);
	tce_window_put(w);
	assert_int_equal(tce_container_unmap(c, 1 * MiB, 3 * 4 * KiB), 0);
	tce_container_state(c, &st);
	assert_int_equal(st.pinned_bytes, 0);
	assert_int_equal(tce_hostmem_pinned_bytes(hm), 0);
	assert_int_equal(tce_container_destroy(c), 0);
	assert_int_equal(tce_group_destroy(group), 0);
	assert_true(tce_account_balanced(account));
	tce_account_destroy(account);
	tce_hostmem_destroy(hm);
	munmap(ram, 1 * MiB);
	close(fd);
}

/* CREATE and REMOVE bind an unbound container to their caller, as ENABLE and REGISTER do. */
static void test_create_and_remove_bind(void **state)
{
	struct tce_container_state st;
	uint64_t start = 0;
	struct fx f;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), 0);
	tce_container_state(f.c, &st);
	assert_true(st.bound);
	fx_teardown(&f);
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	remove_ioctl(&f, 1ull << 59); /* whatever it answers, the caller is now the owner */
	tce_container_state(f.c, &st);
	assert_true(st.bound);
	fx_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_remove_bind),
		cmocka_unit_test(test_opal_errno),
		cmocka_unit_test(test_create_rolls_back_platform_failures),
		cmocka_unit_test(test_default_window_programming_fails),
		cmocka_unit_test(test_attach_rolls_back_platform_failures),
		cmocka_unit_test(test_platform_limits),
		cmocka_unit_test(test_process_identity),
		cmocka_unit_test(test_regions_getter),
		cmocka_unit_test(test_pins_per_window_process),
	};

	return cmocka_run_group_tests_name("platform", tests, NULL, NULL);
}
