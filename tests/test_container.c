// SPDX-License-Identifier: MIT
/*
 * Container conformance: one test per row of the kernel's ioctl table (spec
 * linux-kernel §3.5), each error asserted with its errno and with the state
 * (ledger, pins, mapped counters, window usage) unchanged; the kernel's wrong
 * behaviours (B-R1, B-L1, B-U1, B-K3, B-M1, B-W1, B-Z1) asserted the right way.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/container.h"
#include "tce/fault.h"


#include "container_fixture.h"

/* Charge of a VFIO window, computed here from spec §2.2 for the cases used. */
#define DEFAULT_WINDOW_CHARGE (2 * 4 * MiB) /* 2 GiB @4K, 1 level: 4 MiB table + mirror */
#define DDW_1G_64K_CHARGE (2 * 128 * KiB)   /* 1 GiB @64K, 1 level: 16384 entries */

/* ---- rows ---- */

static void test_check_extension_and_unknown(void **state)
{
	struct fx f;
	struct tce_container *bad = NULL;
	struct tce_container_config cfg;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, false);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU, 0), 1);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_v2_IOMMU, 0), 1);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU, 0), 0);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_CHECK_EXTENSION, VFIO_EEH, 0), 0);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_EEH_PE_OP, 0, 0), -ENOTTY);
	assert_int_equal(tce_container_ioctl(f.c, 0x12345, 0, 0), -ENOTTY);
	/* Opening with another IOMMU type. */
	cfg = (struct tce_container_config){VFIO_TYPE1_IOMMU, f.hm, f.account, f.prereg, 0};
	assert_int_equal(tce_container_create(&cfg, &bad), -EINVAL);
	cfg.type = VFIO_SPAPR_TCE_v2_IOMMU;
	cfg.prereg = NULL;
	assert_int_equal(tce_container_create(&cfg, &bad), -EINVAL);
	assert_null(bad);
	/* No memory for the container: -ENOMEM. */
	cfg.prereg = f.prereg;
	tce_fault_fail_nth(1);
	assert_int_equal(tce_container_create(&cfg, &bad), -ENOMEM);
	tce_fault_fail_nth(0);
	assert_null(bad);
	fx_teardown(&f);
}

static void test_get_info(void **state)
{
	struct fx f;
	struct vfio_iommu_spapr_tce_info info;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, false);
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, (uintptr_t)&info, sizeof(info)),
			 -ENXIO);
	/* No group is told before the argument is read, as the kernel does: -ENXIO, not -EFAULT. */
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, 0, 0), -ENXIO);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_CREATE, 0, 0), -ENXIO);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_REMOVE, 0, 0), -ENXIO);
	assert_int_equal(tce_container_attach(f.c, f.group), 0);
	/* Not enabled is told before the argument is read too: -EPERM. */
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_MAP_DMA, 0, 0), -EPERM);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_UNMAP_DMA, 0, 0), -EPERM);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, 0, 0), -EFAULT);
	info.argsz = offsetof(struct vfio_iommu_spapr_tce_info, dma32_window_size);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, (uintptr_t)&info, sizeof(info)),
			 -EINVAL);
	/* argsz up to dma32 only: flags (in those 16 bytes) says DDW; the ddw part is not written. */
	memset(&info, 0xee, sizeof(info));
	info.argsz = offsetof(struct vfio_iommu_spapr_tce_info, ddw);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, (uintptr_t)&info, sizeof(info)), 0);
	assert_int_equal(info.argsz, 16);
	assert_int_equal(info.flags, VFIO_IOMMU_SPAPR_INFO_DDW);
	assert_int_equal(info.dma32_window_size, 2 * GiB);
	assert_int_equal(info.ddw.pgsizes, UINT64_C(0xeeeeeeeeeeeeeeee));
	info.argsz = sizeof(info);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, (uintptr_t)&info, sizeof(info)), 0);
	assert_int_equal(info.flags, VFIO_IOMMU_SPAPR_INFO_DDW);
	assert_int_equal(info.dma32_window_start, 0);
	assert_int_equal(info.ddw.pgsizes, (1u << 12) | (1u << 16) | (1u << 24) | (1u << 28));
	assert_int_equal(info.ddw.max_dynamic_windows_supported, 2);
	assert_int_equal(info.ddw.levels, 5);
	fx_teardown(&f);

	/* v1: the ddw part covered by argsz is zeroed, not left as the caller had it. */
	fx_setup(&f, VFIO_SPAPR_TCE_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	memset(&info, 0xee, sizeof(info));
	info.argsz = sizeof(info);
	assert_int_equal(tce_container_get_info(f.c, &info), 0);
	assert_int_equal(info.flags, 0);
	assert_int_equal(info.dma32_window_size, 2 * GiB);
	assert_int_equal(info.ddw.pgsizes, 0);
	assert_int_equal(info.ddw.max_dynamic_windows_supported, 0);
	assert_int_equal(info.ddw.levels, 0);
	fx_teardown(&f);
}

static void test_enable_disable_v1(void **state)
{
	struct fx f;
	struct state before;
	struct tce_group_desc desc;
	struct tce_group *no32;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_IOMMU, 2 * GiB + DEFAULT_WINDOW_CHARGE, false);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_ENABLE, 0, 0), -ENODEV);
	/* A group with no 32-bit window. */
	tce_group_desc_powernv_ioda2(&desc);
	desc.dma32_size = 0;
	tce_fault_fail_nth(1); /* no memory for the group: -ENOMEM */
	assert_int_equal(tce_group_create(&desc, 2, &no32), -ENOMEM);
	tce_fault_fail_nth(0);
	assert_int_equal(tce_group_create(&desc, 2, &no32), 0);
	assert_int_equal(tce_container_attach(f.c, no32), 0);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_ENABLE, 0, 0), -EPERM);
	assert_int_equal(tce_container_detach(f.c, no32), 0);
	assert_int_equal(tce_group_destroy(no32), 0);

	assert_int_equal(tce_container_attach(f.c, f.group), 0);
	before = state_of(&f);
	/* MAP before ENABLE. */
	assert_int_equal(map_ioctl(&f, 0, 64 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), -EPERM);
	assert_int_equal(unmap_ioctl(&f, 0, 64 * KiB, 0), -EPERM);
	ASSERT_UNCHANGED(&f, before);
	/* ENABLE charges the whole 32-bit window. */
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_ENABLE, 0, 0), 0);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_V1_WINDOW), 2 * GiB);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_ENABLE, 0, 0), -EBUSY);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_V1_WINDOW), 2 * GiB);
	/* DISABLE releases it, once. */
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_DISABLE, 0, 0), 0);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_DISABLE, 0, 0), 0);
	assert_true(tce_account_balanced(f.account));
	/* Over the limit: -ENOMEM, nothing charged. */
	assert_int_equal(tce_account_charge(f.account, TCE_TAG_OTHER, DEFAULT_WINDOW_CHARGE + 1), 0);
	before = state_of(&f);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_ENABLE, 0, 0), -ENOMEM);
	ASSERT_UNCHANGED(&f, before);
	assert_int_equal(tce_account_uncharge(f.account, TCE_TAG_OTHER, DEFAULT_WINDOW_CHARGE + 1), 0);
	/* v1 refuses the v2 commands. */
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA, 64 * KiB, 0), -ENOTTY);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, RAM_UA, 64 * KiB, 0),
			 -ENOTTY);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, NULL), -ENOTTY);
	assert_int_equal(remove_ioctl(&f, 0), -ENOTTY);
	fx_teardown(&f);

	/* v2 refuses ENABLE and DISABLE. */
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_ENABLE, 0, 0), -ENOTTY);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_DISABLE, 0, 0), -ENOTTY);
	fx_teardown(&f);
}

static void test_v1_map_pins(void **state)
{
	struct fx f;
	struct state before;
	struct tce_translation x;
	struct tce_host_page page;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(tce_container_enable(f.c), 0);
	/* First MAP creates the default window: 4 KiB pages over 64 KiB host pages. */
	assert_int_equal(map_ioctl(&f, 1 * MiB, 8 * KiB, RAM_UA + 4 * KiB, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_TABLE), DEFAULT_WINDOW_CHARGE / 2);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_MIRROR), DEFAULT_WINDOW_CHARGE / 2);
	/* Each page pins its host page: two pins of one 64 KiB page. */
	assert_int_equal(tce_hostmem_pinned_bytes(f.hm), 2 * 64 * KiB);
	assert_int_equal(tce_hostmem_query(f.hm, RAM_UA, &page), 0);
	assert_int_equal(page.pin_count, 2);
	assert_int_equal(tce_group_translate(f.group, 1 * MiB + 4 * KiB + 3, &x), 0);
	assert_int_equal(x.hpa, page.page_hpa + 8 * KiB + 3);
	assert_int_equal(x.perm, TCE_PERM_READ);
	/* Unmapped memory: -EFAULT, nothing pinned. */
	before = state_of(&f);
	assert_int_equal(map_ioctl(&f, 2 * MiB, 4 * KiB, RAM_UA + 2 * GiB, VFIO_DMA_MAP_FLAG_WRITE),
			 -EFAULT);
	ASSERT_UNCHANGED(&f, before);
	/* Replacing unpins the old page; unmapping unpins the rest. */
	assert_int_equal(map_ioctl(&f, 1 * MiB, 4 * KiB, RAM_UA + 64 * KiB, VFIO_DMA_MAP_FLAG_WRITE), 0);
	assert_int_equal(tce_hostmem_query(f.hm, RAM_UA, &page), 0);
	assert_int_equal(page.pin_count, 1);
	assert_int_equal(tce_group_translate(f.group, 1 * MiB, &x), 0);
	assert_int_equal(x.perm, TCE_PERM_READ | TCE_PERM_WRITE); /* PowerNV adds R to W */
	assert_int_equal(unmap_ioctl(&f, 1 * MiB, 8 * KiB, 0), 0);
	assert_int_equal(tce_hostmem_pinned_bytes(f.hm), 0);
	assert_int_equal(tce_container_disable(f.c), 0);
	fx_teardown(&f);
}

static void test_register_unregister(void **state)
{
	struct fx f;
	struct state before;
	struct tce_container *other;
	struct tce_container_config cfg;
	struct tce_region_info info;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, 1 * GiB + 256 * MiB, true);
	before = state_of(&f);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, 0, 0), -EFAULT);
	{
		struct vfio_iommu_spapr_register_memory reg = {
			offsetof(struct vfio_iommu_spapr_register_memory, size), 0, RAM_UA, 64 * KiB};

		assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
						     (uintptr_t)&reg, sizeof(reg)),
				 -EINVAL);
	}
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA, 64 * KiB, 1), -EINVAL);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA + 4 * KiB, 64 * KiB, 0),
			 -EINVAL);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA, 60 * KiB, 0), -EINVAL);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA, 0, 0), -EINVAL);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, UINT64_MAX - 64 * KiB + 1,
				   128 * KiB, 0),
			 -EINVAL);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA + 1 * GiB, 64 * KiB, 0),
			 -EFAULT);
	/* Within the limit but running past the mapped memory: -EFAULT. */
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA + 1 * GiB - 64 * KiB,
				   128 * KiB, 0),
			 -EFAULT);
	/* Over the limit: refused by the charge, before anything is pinned. */
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA, 2 * GiB, 0), -ENOMEM);
	/* MAP is not yet legal: registering is what enables a v2 container. */
	assert_int_equal(map_ioctl(&f, DDW, 64 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), -EPERM);
	ASSERT_UNCHANGED(&f, before);

	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA, 1 * GiB, 0), 0);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_REGION), 1 * GiB);
	before = state_of(&f);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA, 1 * GiB, 0), -EBUSY);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, RAM_UA, 512 * MiB, 0),
			 -EINVAL); /* overlap */
	/* Over the limit: 256 MiB left, asking for 256 MiB + nothing else works, more does not. */
	assert_int_equal(tce_account_charge(f.account, TCE_TAG_OTHER, 64 * KiB), 0);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, HUGE_UA, 256 * MiB, 0),
			 -ENOMEM);
	assert_int_equal(tce_account_uncharge(f.account, TCE_TAG_OTHER, 64 * KiB), 0);
	ASSERT_UNCHANGED(&f, before);

	/* Another container of the same address space shares the region. */
	cfg = (struct tce_container_config){VFIO_SPAPR_TCE_v2_IOMMU, f.hm, f.account, f.prereg,
					    TCE_USERVIEW_MIRROR};
	assert_int_equal(tce_container_create(&cfg, &other), 0);
	assert_int_equal(tce_container_register(other, RAM_UA, 1 * GiB), 0);
	tce_region_info(tce_prereg_lookup(f.prereg, RAM_UA, 1), &info);
	assert_int_equal(info.refs, 2);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_REGION), 1 * GiB);

	/* UNREGISTER errors. */
	before = state_of(&f);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, RAM_UA, 1 * GiB, 2), -EINVAL);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, RAM_UA + 4 * KiB, 1 * GiB, 0),
			 -EINVAL);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, RAM_UA, 512 * MiB, 0),
			 -ENOENT);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, HUGE_UA, 256 * MiB, 0),
			 -ENOENT);
	ASSERT_UNCHANGED(&f, before);
	assert_int_equal(tce_container_unregister(other, RAM_UA, 1 * GiB), 0);
	assert_int_equal(tce_container_unregister(other, RAM_UA, 1 * GiB), -ENOENT);
	assert_int_equal(tce_container_destroy(other), 0);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, RAM_UA, 1 * GiB, 0), 0);
	assert_true(tce_account_balanced(f.account));
	fx_teardown(&f);
}

/* B-U1: UNREGISTER with a live mapping is -EBUSY and keeps everything. */
static void test_unregister_while_mapped(void **state)
{
	struct fx f;
	struct state before;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(tce_container_register(f.c, RAM_UA, 1 * GiB), 0);
	assert_int_equal(map_ioctl(&f, 1 * MiB, 64 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 16); /* 4 KiB pages in the default window */
	before = state_of(&f);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, RAM_UA, 1 * GiB, 0), -EBUSY);
	ASSERT_UNCHANGED(&f, before);
	assert_int_equal(unmap_ioctl(&f, 1 * MiB, 64 * KiB, 0), 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 0);
	assert_int_equal(reg_ioctl(&f, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, RAM_UA, 1 * GiB, 0), 0);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_REGION), 0);
	fx_teardown(&f);
}

static void test_create_remove(void **state)
{
	struct fx f;
	struct state before;
	uint64_t start = 0;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, false);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), -ENXIO);
	assert_int_equal(remove_ioctl(&f, 0), -ENXIO);
	assert_int_equal(tce_container_attach(f.c, f.group), 0);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_CREATE, 0, 0), -EFAULT);
	{
		struct vfio_iommu_spapr_tce_create create = {
			.argsz = offsetof(struct vfio_iommu_spapr_tce_create, start_addr),
			.page_shift = 16, .window_size = 1 * GiB, .levels = 1};

		assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_CREATE,
						     (uintptr_t)&create, sizeof(create)),
				 -EINVAL);
		create.argsz = sizeof(create);
		create.flags = 1;
		assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_CREATE,
						     (uintptr_t)&create, sizeof(create)),
				 -EINVAL);
	}
	/* The first CREATE creates the pending default window in slot 0. */
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), 0);
	assert_int_equal(start, DDW);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_TABLE),
			 DEFAULT_WINDOW_CHARGE / 2 + DDW_1G_64K_CHARGE / 2);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_MIRROR),
			 DEFAULT_WINDOW_CHARGE / 2 + DDW_1G_64K_CHARGE / 2);
	before = state_of(&f);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), -ENOSPC);
	ASSERT_UNCHANGED(&f, before);

	/* Remove the default window: the next window lands at bus 0. */
	assert_int_equal(remove_ioctl(&f, 0), 0);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_TABLE), DDW_1G_64K_CHARGE / 2);
	before = state_of(&f);
	assert_int_equal(create_ioctl(&f, 13, 1 * GiB, 1, &start), -EINVAL); /* not in pgsizes */
	assert_int_equal(create_ioctl(&f, 21, 1 * GiB, 1, &start), -EINVAL); /* 2M not on POWER8 */
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 0, &start), -EINVAL);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 6, &start), -EINVAL);
	assert_int_equal(create_ioctl(&f, 16, 3 * GiB, 1, &start), -EINVAL);
	assert_int_equal(create_ioctl(&f, 16, 4 * KiB, 1, &start), -EINVAL); /* B-W1 */
	/* B-L1: refused after the kernel would have charged; here nothing stays charged. */
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 3, &start), -EINVAL);  /* 55 bits */
	assert_int_equal(create_ioctl(&f, 12, 64 * GiB, 1, &start), -ENOMEM); /* 128 MiB node */
	assert_int_equal(remove_ioctl(&f, 4 * GiB), -EINVAL);
	{
		struct vfio_iommu_spapr_tce_remove remove = {sizeof(remove), 1, DDW};

		assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_REMOVE,
						     (uintptr_t)&remove, sizeof(remove)),
				 -EINVAL);
		remove.argsz = 8;
		remove.flags = 0;
		assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_REMOVE,
						     (uintptr_t)&remove, sizeof(remove)),
				 -EINVAL);
	}
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_REMOVE, 0, 0), -EFAULT);
	ASSERT_UNCHANGED(&f, before);
	assert_int_equal(create_ioctl(&f, 24, 1 * GiB, 2, &start), 0);
	assert_int_equal(start, 0);
	/* REMOVE finds the window holding the address, not only its first byte; past its end, none. */
	assert_int_equal(remove_ioctl(&f, 1 * GiB), -EINVAL);
	assert_int_equal(remove_ioctl(&f, 1 * GiB - 1), 0);
	assert_int_equal(remove_ioctl(&f, 0), -EINVAL);
	assert_int_equal(remove_ioctl(&f, DDW + 12345), 0);
	assert_int_equal(remove_ioctl(&f, DDW), -EINVAL);
	assert_true(tce_account_balanced(f.account));
	fx_teardown(&f);
}

/* A container operation under test_fault_sweep(), and the state it must leave alone. */
struct sweep {
	struct fx *f;
	struct state before;
	bool nodes_may_stay; /* table nodes reserved before a failure may stay (window 1) */
};

static int create_op(void *opaque)
{
	uint64_t start;

	return create_ioctl(((struct sweep *)opaque)->f, 12, 64 * GiB, 2, &start);
}

static int map_op(void *opaque)
{
	return map_ioctl(((struct sweep *)opaque)->f, DDW + 8 * GiB, 1 * MiB, RAM_UA + 1 * MiB,
			 VFIO_DMA_MAP_FLAG_WRITE);
}

static void sweep_unchanged(void *opaque)
{
	struct sweep *sw = opaque;
	struct state now = state_of(sw->f);

	if (sw->nodes_may_stay)
		now.usage[1] = sw->before.usage[1];
	assert_memory_equal(&sw->before, &now, sizeof(now));
}

/* Create charges, then every allocation failure and a limit one short release exactly. */
static void test_create_failures_release_exactly(void **state)
{
	struct fx f;
	struct state before;
	struct sweep sw = {.f = &f};
	uint64_t start;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(remove_ioctl(&f, 0), 0); /* cancel the default window */
	sw.before = state_of(&f);
	assert_true(test_fault_sweep(create_op, sweep_unchanged, &sw) >= 3);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_COUNT), 268566528); /* spec §2.4 */
	assert_int_equal(remove_ioctl(&f, 0), 0);
	fx_teardown(&f);

	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, 268566528 - 1, true);
	assert_int_equal(remove_ioctl(&f, 0), 0);
	before = state_of(&f);
	assert_int_equal(create_ioctl(&f, 12, 64 * GiB, 2, &start), -ENOMEM);
	ASSERT_UNCHANGED(&f, before);
	fx_teardown(&f);
}

static void test_remove_cancels_pending_default(void **state)
{
	struct fx f;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(tce_container_register(f.c, RAM_UA, 1 * GiB), 0);
	assert_int_equal(remove_ioctl(&f, 0), 0);
	assert_int_equal(map_ioctl(&f, 1 * MiB, 4 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), -ENXIO);
	assert_int_equal(unmap_ioctl(&f, 1 * MiB, 4 * KiB, 0), -ENXIO);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_TABLE), 0);
	assert_int_equal(tce_container_unregister(f.c, RAM_UA, 1 * GiB), 0);
	fx_teardown(&f);
}

static void test_map_unmap_v2(void **state)
{
	struct fx f;
	struct state before;
	struct tce_translation x;
	struct tce_host_page page;
	uint64_t start;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(tce_container_register(f.c, RAM_UA, 1 * GiB), 0);
	assert_int_equal(tce_container_register(f.c, HUGE_UA, 256 * MiB), 0);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), 0);
	before = state_of(&f);

	/* Argument errors, in the kernel's order. */
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_MAP_DMA, 0, 0), -EFAULT);
	{
		struct vfio_iommu_type1_dma_map map = {8, VFIO_DMA_MAP_FLAG_READ, RAM_UA, DDW, 64 * KiB};

		assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_MAP_DMA, (uintptr_t)&map, sizeof(map)), -EINVAL);
	}
	assert_int_equal(map_ioctl(&f, DDW, 64 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_VADDR), -EINVAL);
	assert_int_equal(map_ioctl(&f, 3 * GiB, 64 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), -ENXIO);
	assert_int_equal(map_ioctl(&f, DDW, 4 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), -EINVAL);
	assert_int_equal(map_ioctl(&f, DDW, 64 * KiB, RAM_UA + 4 * KiB, VFIO_DMA_MAP_FLAG_READ),
			 -EINVAL);
	assert_int_equal(map_ioctl(&f, DDW, 64 * KiB, RAM_UA, 0), -EINVAL);
	assert_int_equal(map_ioctl(&f, DDW + 4 * KiB, 64 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ),
			 -EINVAL);
	/* B-R1: first page in the window, the second past its end. */
	assert_int_equal(map_ioctl(&f, DDW + 1 * GiB - 64 * KiB, 128 * KiB, RAM_UA,
				   VFIO_DMA_MAP_FLAG_READ),
			 -EINVAL);
	/* Memory not registered; a range whose last page is not (all or nothing). */
	assert_int_equal(map_ioctl(&f, DDW, 64 * KiB, RAM_UA + 2 * GiB, VFIO_DMA_MAP_FLAG_READ), -EINVAL);
	assert_int_equal(map_ioctl(&f, DDW, 2 * MiB, RAM_UA + 1 * GiB - 1 * MiB, VFIO_DMA_MAP_FLAG_READ),
			 -EINVAL);
	ASSERT_UNCHANGED(&f, before);

	/* Map 1 MiB: 16 entries, 16 mappings of the RAM region. */
	assert_int_equal(map_ioctl(&f, DDW + 16 * MiB, 1 * MiB, RAM_UA + 32 * MiB,
				   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE),
			 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 16);
	assert_int_equal(tce_hostmem_query(f.hm, RAM_UA + 32 * MiB + 64 * KiB, &page), 0);
	assert_int_equal(tce_group_translate(f.group, DDW + 16 * MiB + 64 * KiB + 5, &x), 0);
	assert_int_equal(x.hpa, page.page_hpa + 5);
	assert_int_equal(x.perm, TCE_PERM_READ | TCE_PERM_WRITE);
	assert_int_equal(x.page_mask, 64 * KiB - 1);
	/* Replace 4 entries with huge-page memory: RAM loses 4, HUGE gains 4. */
	assert_int_equal(map_ioctl(&f, DDW + 16 * MiB, 256 * KiB, HUGE_UA, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 12);
	assert_int_equal(region_mapped(&f, HUGE_UA), 4);
	/* Unmap more than was mapped (never-mapped entries are fine). */
	assert_int_equal(unmap_ioctl(&f, DDW, 64 * MiB, 0), 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 0);
	assert_int_equal(region_mapped(&f, HUGE_UA), 0);
	assert_int_equal(tce_group_translate(f.group, DDW + 16 * MiB, &x), 0);
	assert_int_equal(x.perm, 0);

	/* UNMAP errors. */
	before = state_of(&f);
	assert_int_equal(unmap_ioctl(&f, DDW, 64 * KiB, 1), -EINVAL);
	assert_int_equal(unmap_ioctl(&f, DDW, 4 * KiB, 0), -EINVAL);
	assert_int_equal(unmap_ioctl(&f, DDW + 1 * GiB - 64 * KiB, 128 * KiB, 0), -EINVAL); /* B-R1 */
	assert_int_equal(unmap_ioctl(&f, 5 * GiB, 64 * KiB, 0), -ENXIO);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_UNMAP_DMA, 0, 0), -EFAULT);
	assert_int_equal(unmap_ioctl(&f, DDW, 0, 0), 0);
	assert_int_equal(map_ioctl(&f, DDW, 0, RAM_UA, VFIO_DMA_MAP_FLAG_READ), 0);
	ASSERT_UNCHANGED(&f, before);
	assert_int_equal(remove_ioctl(&f, DDW), 0);
	fx_teardown(&f);
}

/*
 * An extents userview gives back what it no longer needs after each MAP/UNMAP:
 * a guest mapping page by page in random order ends with one run.
 */
static void test_extents_window_compacts(void **state)
{
	struct tce_window_usage usage;
	struct tce_window *w;
	uint64_t start = 0, i, peak;
	struct fx f;

	(void)state;
	fx_setup_kind(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true,
		      TCE_USERVIEW_EXTENTS, TCE_PROFILE_LINUX);
	assert_int_equal(tce_container_register(f.c, RAM_UA, 1 * GiB), 0);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), 0);
	w = tce_container_window(f.c, start);
	for (i = 0; i < 1024; i += 2)
		assert_int_equal(map_ioctl(&f, start + i * 64 * KiB, 64 * KiB, RAM_UA + i * 64 * KiB,
					   VFIO_DMA_MAP_FLAG_READ), 0);
	tce_window_usage(w, &usage);
	peak = usage.userview_charged;
	assert_true(peak >= 512 * 24);
	for (i = 1; i < 1024; i += 2)
		assert_int_equal(map_ioctl(&f, start + i * 64 * KiB, 64 * KiB, RAM_UA + i * 64 * KiB,
					   VFIO_DMA_MAP_FLAG_READ), 0);
	tce_window_usage(w, &usage);
	assert_int_equal(usage.userview_charged, 8 * 24);
	assert_int_equal(usage.userview_allocated, 8 * 24);
	assert_int_equal(region_mapped(&f, RAM_UA), 1024);
	/* Unmapping every other page splits it again; unmapping the rest gives it back. */
	for (i = 0; i < 1024; i += 2)
		assert_int_equal(unmap_ioctl(&f, start + i * 64 * KiB, 64 * KiB, 0), 0);
	tce_window_usage(w, &usage);
	assert_true(usage.userview_charged >= 512 * 24);
	assert_int_equal(unmap_ioctl(&f, start, 1 * GiB, 0), 0);
	tce_window_usage(w, &usage);
	assert_int_equal(usage.userview_charged, 8 * 24);
	assert_int_equal(region_mapped(&f, RAM_UA), 0);
	tce_window_put(w);
	fx_teardown(&f);
}

/*
 * Which memory a 16 MiB IOMMU page may map. Linux rules: the region's page
 * shift (from its backing pages) first (-EINVAL), then the page backing each
 * IOMMU page (-EPERM); exact rules: host contiguity is enough.
 */
static void test_map_page_size_rules(void **state)
{
	static const uint64_t MIXED = UINT64_C(3) << 40; /* [16 MiB huge page][16 MiB of 64 KiB] */
	static const uint64_t FRAG = UINT64_C(1) << 30;  /* 32 MiB of scattered 64 KiB pages */
	struct tce_region_info info;
	struct state before;
	uint64_t start = 0;
	unsigned p;

	(void)state;
	for (p = 0; p < 2; p++) {
		enum tce_profile profile = p ? TCE_PROFILE_EXACT : TCE_PROFILE_LINUX;
		bool linux_rules = profile == TCE_PROFILE_LINUX;
		struct fx f;

		fx_setup_kind(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true,
			      TCE_USERVIEW_MIRROR, profile);
		assert_int_equal(tce_hostmem_sim_map(f.hm, FRAG, 32 * MiB, 16, TCE_SIM_MAP_FRAGMENTED), 0);
		assert_int_equal(tce_hostmem_sim_map(f.hm, MIXED, 16 * MiB, 24, 0), 0);
		assert_int_equal(tce_hostmem_sim_map(f.hm, MIXED + 16 * MiB, 16 * MiB, 16, 0), 0);
		assert_int_equal(tce_container_register(f.c, RAM_UA, 1 * GiB), 0);
		assert_int_equal(tce_container_register(f.c, FRAG, 32 * MiB), 0);
		assert_int_equal(tce_container_register(f.c, MIXED, 32 * MiB), 0);
		assert_int_equal(tce_container_register(f.c, HUGE_UA, 256 * MiB), 0);
		/* What the kernel records: the huge pages' shift, or the base page (B-P1 kept). */
		tce_region_info(tce_prereg_lookup(f.prereg, RAM_UA, 1), &info);
		assert_int_equal(info.max_page_shift, 16);
		assert_int_equal(info.contiguous_page_shift, 30);
		tce_region_info(tce_prereg_lookup(f.prereg, MIXED, 1), &info);
		assert_int_equal(info.max_page_shift, 24);
		tce_region_info(tce_prereg_lookup(f.prereg, HUGE_UA, 1), &info);
		assert_int_equal(info.max_page_shift, 24);
		assert_int_equal(create_ioctl(&f, 24, 1 * GiB, 1, &start), 0);
		before = state_of(&f);
		/* Contiguous 64 KiB pages: the region's shift refuses (linux); contiguity allows (exact). */
		assert_int_equal(map_ioctl(&f, DDW, 16 * MiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ),
				 linux_rules ? -EINVAL : 0);
		assert_int_equal(unmap_ioctl(&f, DDW, 16 * MiB, 0), 0);
		/* Scattered 64 KiB pages: refused before containment (linux) or by it (exact). */
		assert_int_equal(map_ioctl(&f, DDW, 16 * MiB, FRAG, VFIO_DMA_MAP_FLAG_READ),
				 linux_rules ? -EINVAL : -EPERM);
		/* The huge half of the mixed region maps; the 64 KiB half is refused page by page. */
		if (linux_rules)
			assert_int_equal(map_ioctl(&f, DDW, 16 * MiB, MIXED + 16 * MiB,
						   VFIO_DMA_MAP_FLAG_READ),
					 -EPERM);
		/* The first page fine, the second not: nothing mapped. */
		assert_int_equal(map_ioctl(&f, DDW, 32 * MiB, HUGE_UA + 256 * MiB - 16 * MiB,
					   VFIO_DMA_MAP_FLAG_READ),
				 -EINVAL);
		ASSERT_UNCHANGED(&f, before);
		assert_int_equal(map_ioctl(&f, DDW, 16 * MiB, MIXED, VFIO_DMA_MAP_FLAG_READ), 0);
		assert_int_equal(region_mapped(&f, MIXED), 1);
		assert_int_equal(map_ioctl(&f, DDW + 16 * MiB, 256 * MiB, HUGE_UA, VFIO_DMA_MAP_FLAG_READ),
				 0);
		assert_int_equal(region_mapped(&f, HUGE_UA), 16);
		assert_int_equal(unmap_ioctl(&f, DDW, 1 * GiB, 0), 0);
		assert_int_equal(region_mapped(&f, MIXED), 0);
		fx_teardown(&f);
	}
}

/*
 * v1 pins each IOMMU page: under the linux rules one larger than the (compound)
 * page behind it is refused (-EPERM), pinning nothing; exact rules need only
 * contiguity. A window of 64 KiB pages over 4 KiB host pages.
 */
static void test_v1_map_page_size_rules(void **state)
{
	unsigned p;

	(void)state;
	for (p = 0; p < 2; p++) {
		enum tce_profile profile = p ? TCE_PROFILE_EXACT : TCE_PROFILE_LINUX;
		struct tce_geometry_request req = {.page_shift = 16, .window_size = 1 * GiB,
						   .levels = 1, .profile = profile};
		struct tce_window_config cfg = {.start = 0, .v2 = false,
						.userview = TCE_USERVIEW_MIRROR};
		struct tce_window *w;

		assert_int_equal(tce_hostmem_sim_create(12, &cfg.hostmem), 0);
		assert_int_equal(tce_hostmem_sim_map(cfg.hostmem, RAM_UA, 1 * MiB, 12, 0), 0);
		assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &cfg.account), 0);
		assert_int_equal(tce_geometry_compute(&req, &cfg.geo), 0);
		if (p == 0) {
			/* Each missing part of the configuration, alone: -EINVAL. */
			struct tce_window_config bad = cfg;

			bad.account = NULL;
			assert_int_equal(tce_window_create(&bad, &w), -EINVAL);
			bad = cfg;
			bad.hostmem = NULL;
			assert_int_equal(tce_window_create(&bad, &w), -EINVAL);
			bad = cfg;
			bad.v2 = true; /* without its regions */
			assert_int_equal(tce_window_create(&bad, &w), -EINVAL);
		}
		assert_int_equal(tce_window_create(&cfg, &w), 0);
		assert_false(tce_window_is_v2(w));
		{
			/* A list that runs past the window's end: -EINVAL, nothing mapped. */
			const struct tce_window_page two[2] = {{RAM_UA, TCE_PERM_READ},
								{RAM_UA + 64 * KiB, TCE_PERM_READ}};

			assert_int_equal(tce_window_map_list(w, 1 * GiB - 64 * KiB, 16, 2, two), -EINVAL);
			assert_int_equal(tce_window_mapped(w), 0);
		}
		if (profile == TCE_PROFILE_EXACT) {
			/* The second page is not mapped: the first page's pin is given back. */
			const struct tce_window_page two[2] = {{RAM_UA, TCE_PERM_READ},
								{RAM_UA + 4 * MiB, TCE_PERM_READ}};

			assert_int_equal(tce_window_map_list(w, 0, 16, 2, two), -EFAULT);
			assert_int_equal(tce_window_mapped(w), 0);
			assert_int_equal(tce_hostmem_pinned_bytes(cfg.hostmem), 0);
			/* A check pins what a map would and gives it all back. */
			assert_int_equal(tce_window_check_list(w, 0, 16, 1, two), 0);
			assert_int_equal(tce_window_check_list(w, 0, 16, 2, two), -EFAULT);
			assert_int_equal(tce_window_mapped(w), 0);
			assert_int_equal(tce_hostmem_pinned_bytes(cfg.hostmem), 0);
		}
		assert_int_equal(tce_window_map(w, 64 * KiB, 1, RAM_UA, TCE_PERM_READ),
				 profile == TCE_PROFILE_LINUX ? -EPERM : 0);
		assert_int_equal(tce_window_mapped(w), profile == TCE_PROFILE_LINUX ? 0 : 1);
		assert_int_equal(tce_hostmem_pinned_bytes(cfg.hostmem),
				 profile == TCE_PROFILE_LINUX ? 0 : 64 * KiB);
		tce_window_put(w);
		assert_int_equal(tce_hostmem_pinned_bytes(cfg.hostmem), 0);
		assert_true(tce_account_balanced(cfg.account));
		tce_account_destroy(cfg.account);
		tce_hostmem_destroy(cfg.hostmem);
	}
}

/*
 * The functions behind the ioctls, called directly: each refuses what its
 * ioctl refuses before reaching it (the v2-only calls on v1, GET_INFO without
 * a group or with a short argsz), with the errno its comment gives.
 */
static void test_direct_calls(void **state)
{
	struct vfio_iommu_spapr_tce_info info;
	struct fx f;
	uint64_t start = 0;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_IOMMU, TCE_ACCOUNT_UNLIMITED, false);
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	assert_int_equal(tce_container_get_info(f.c, &info), -ENXIO);
	assert_int_equal(tce_container_register(f.c, RAM_UA, 64 * KiB), -ENOTTY);
	assert_int_equal(tce_container_unregister(f.c, RAM_UA, 64 * KiB), -ENOTTY);
	assert_int_equal(tce_container_create_window(f.c, 16, 1 * GiB, 1, &start), -ENOTTY);
	assert_int_equal(start, 0);
	assert_int_equal(tce_container_remove_window(f.c, 0), -ENOTTY);
	assert_int_equal(tce_container_attach(f.c, f.group), 0);
	info.argsz = offsetof(struct vfio_iommu_spapr_tce_info, dma32_window_size) +
		     sizeof(info.dma32_window_size) - 1;
	assert_int_equal(tce_container_get_info(f.c, &info), -EINVAL);
	assert_int_equal(info.dma32_window_size, 0);
	info.argsz++;
	assert_int_equal(tce_container_get_info(f.c, &info), 0);
	assert_int_equal(info.dma32_window_size, 2 * GiB); /* the IODA2 PE's 32-bit window */
	fx_teardown(&f);
}

/*
 * Buffers shorter than the struct the kernel would copy: -EFAULT, nothing read
 * past the buffer (each lives in a heap block of exactly its length, so ASan
 * would see an over-read) and nothing changed.
 */
static void test_ioctl_short_buffers(void **state)
{
	struct vfio_iommu_spapr_tce_info info = {.argsz = sizeof(info)};
	struct vfio_iommu_spapr_register_memory reg = {sizeof(reg), 0, RAM_UA, 64 * MiB};
	struct vfio_iommu_spapr_tce_create create = {
		.argsz = sizeof(create), .page_shift = 16, .window_size = 1 * GiB, .levels = 1};
	struct state before;
	unsigned char *buf;
	size_t len;
	struct fx f;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	before = state_of(&f);
	for (len = 0; len < sizeof(info); len++) {
		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		memcpy(buf, &info, len);
		/* 16 bytes are enough to be read; the ddw part the argsz asks for must fit too. */
		assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_GET_INFO,
						     (uintptr_t)buf, len),
				 -EFAULT);
		free(buf);
	}
	/* A 16-byte buffer whose argsz says 16 is exactly what the kernel copies. */
	info.argsz = 16;
	buf = malloc(16);
	memcpy(buf, &info, 16);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, (uintptr_t)buf, 16), 0);
	memcpy(&info, buf, 16);
	assert_int_equal(info.flags, VFIO_IOMMU_SPAPR_INFO_DDW);
	free(buf);
	/* A 10-byte buffer that claims argsz 16. */
	buf = malloc(10);
	memcpy(buf, &info, 10);
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, (uintptr_t)buf, 10),
			 -EFAULT);
	free(buf);
	for (len = 0; len < sizeof(reg); len++) {
		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		memcpy(buf, &reg, len);
		assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
						     (uintptr_t)buf, len),
				 -EFAULT);
		free(buf);
	}
	for (len = 0; len < sizeof(create); len++) {
		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		memcpy(buf, &create, len);
		assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_TCE_CREATE,
						     (uintptr_t)buf, len),
				 -EFAULT);
		free(buf);
	}
	ASSERT_UNCHANGED(&f, before);
	/* argsz larger than the buffer is fine where the kernel reads no further. */
	reg.argsz = 4096;
	assert_int_equal(tce_container_ioctl(f.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, (uintptr_t)&reg,
					     sizeof(reg)),
			 0);
	assert_int_equal(tce_container_unregister(f.c, RAM_UA, 64 * MiB), 0);
	fx_teardown(&f);
}

/* Every allocation of a MAP, failed in turn: -ENOMEM and nothing changed (B-N1). */
static void test_map_allocation_failures(void **state)
{
	struct fx f;
	struct sweep sw = {.f = &f, .nodes_may_stay = true};
	uint64_t start;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(tce_container_register(f.c, RAM_UA, 1 * GiB), 0);
	assert_int_equal(create_ioctl(&f, 12, 16 * GiB, 3, &start), 0);
	assert_int_equal(map_ioctl(&f, 0, 64 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), 0);
	/* Nodes reserved before the failure may stay; nothing else changes. */
	sw.before = state_of(&f);
	assert_true(test_fault_sweep(map_op, sweep_unchanged, &sw) >= 2);
	assert_int_equal(region_mapped(&f, RAM_UA), 16 + 256);
	assert_int_equal(remove_ioctl(&f, DDW), 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 16);
	fx_teardown(&f);
}

static void test_attach_detach(void **state)
{
	struct fx f;
	struct tce_group_desc desc;
	struct tce_group *g2, *emulated, *other_platform, *noddw;
	struct tce_container *v1;
	struct tce_container_config cfg;
	struct tce_translation x;
	uint64_t start;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	tce_group_desc_powernv_ioda2(&desc);
	assert_int_equal(tce_group_create(&desc, 2, &g2), 0);
	desc.emulated = true;
	assert_int_equal(tce_group_create(&desc, 3, &emulated), 0);
	tce_group_desc_powernv_ioda2(&desc);
	desc.platform = 2;
	assert_int_equal(tce_group_create(&desc, 4, &other_platform), 0);
	tce_group_desc_powernv_ioda2(&desc);
	desc.max_windows = TCE_MAX_WINDOWS + 1; /* more windows than a container has */
	assert_int_equal(tce_group_create(&desc, 5, &noddw), -EINVAL);
	desc.ddw = false;
	desc.max_windows = 0;
	assert_int_equal(tce_group_create(&desc, 5, &noddw), 0);

	assert_int_equal(tce_container_attach(f.c, emulated), -EINVAL);
	assert_int_equal(tce_container_attach(f.c, noddw), -EINVAL);
	assert_int_equal(tce_container_attach(f.c, other_platform), -EPERM);
	assert_int_equal(tce_container_attach(f.c, f.group), -EBUSY);
	assert_int_equal(tce_group_destroy(f.group), -EBUSY);

	/* A window mapped with one group is programmed into a group attached later. */
	assert_int_equal(tce_container_register(f.c, RAM_UA, 1 * GiB), 0);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), 0);
	assert_int_equal(map_ioctl(&f, DDW, 64 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(tce_group_translate(g2, DDW, &x), -ENXIO);
	assert_int_equal(tce_container_attach(f.c, g2), 0);
	assert_int_equal(tce_group_translate(g2, DDW, &x), 0);
	assert_int_equal(x.perm, TCE_PERM_READ);
	/* A group attached to one container cannot join another; v1 takes one group. */
	cfg = (struct tce_container_config){VFIO_SPAPR_TCE_IOMMU, f.hm, f.account, NULL, 0};
	assert_int_equal(tce_container_create(&cfg, &v1), 0);
	assert_int_equal(tce_container_attach(v1, g2), -EBUSY);
	assert_int_equal(tce_container_attach(v1, noddw), 0);
	assert_int_equal(tce_container_attach(v1, other_platform), -EBUSY);
	assert_int_equal(tce_container_destroy(v1), 0);

	/* Detach one: its devices lose the windows, the other keeps the mapping. */
	assert_int_equal(tce_container_detach(f.c, g2), 0);
	assert_int_equal(tce_container_detach(f.c, g2), -EINVAL);
	assert_int_equal(tce_group_translate(g2, DDW, &x), -ENXIO);
	assert_int_equal(tce_group_translate(f.group, DDW, &x), 0);
	assert_int_equal(x.perm, TCE_PERM_READ);
	assert_int_equal(region_mapped(&f, RAM_UA), 1);
	/* Detach the last: mappings released, windows kept. */
	assert_int_equal(tce_container_detach(f.c, f.group), 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 0);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_TABLE), DDW_1G_64K_CHARGE / 2 +
									DEFAULT_WINDOW_CHARGE / 2);
	assert_int_equal(tce_container_attach(f.c, f.group), 0);
	assert_int_equal(tce_container_unregister(f.c, RAM_UA, 1 * GiB), 0);
	assert_int_equal(tce_group_destroy(g2), 0);
	assert_int_equal(tce_group_destroy(emulated), 0);
	assert_int_equal(tce_group_destroy(other_platform), 0);
	assert_int_equal(tce_group_destroy(noddw), 0);
	fx_teardown(&f);
}

/* Windows are reference counted: a held window outlives its removal; the charge goes with the last reference. */
static void test_window_outlives_removal(void **state)
{
	struct fx f;
	struct tce_window *w;
	uint64_t start;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(tce_container_register(f.c, RAM_UA, 1 * GiB), 0);
	assert_int_equal(remove_ioctl(&f, 0), 0);
	assert_int_equal(create_ioctl(&f, 16, 1 * GiB, 1, &start), 0);
	assert_int_equal(start, 0);
	w = tce_container_window(f.c, 0);
	assert_non_null(w);
	assert_int_equal(tce_window_map(w, 0, 4, RAM_UA, TCE_PERM_READ), 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 4);
	assert_int_equal(remove_ioctl(&f, 0), 0);
	/* Removal cleared it and unprogrammed it; the charge stays while held. */
	assert_int_equal(region_mapped(&f, RAM_UA), 0);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_TABLE), DDW_1G_64K_CHARGE / 2);
	assert_int_equal(tce_window_map(w, 0, 2, RAM_UA, TCE_PERM_WRITE), 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 2);
	assert_int_equal(tce_container_unregister(f.c, RAM_UA, 1 * GiB), -EBUSY);
	tce_window_put(w);
	assert_int_equal(region_mapped(&f, RAM_UA), 0);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_TABLE), 0);
	assert_int_equal(tce_container_unregister(f.c, RAM_UA, 1 * GiB), 0);
	fx_teardown(&f);
}

/* A list map with a permission-less entry clears it; nothing without R/W is counted (B-K3). */
static void test_window_list_map(void **state)
{
	struct fx f;
	struct tce_window *w;
	struct tce_translation x;
	struct tce_window_page pages[4] = {
		{RAM_UA + 16 * MiB, TCE_PERM_READ},
		{0, 0},
		{RAM_UA + 48 * MiB, TCE_PERM_WRITE},
		{RAM_UA + 1 * GiB, 0}, /* unregistered, but not mapped: fine */
	};
	uint64_t start;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(tce_container_register(f.c, RAM_UA, 1 * GiB), 0);
	assert_int_equal(create_ioctl(&f, 16, 4 * GiB, 1, &start), 0);
	w = tce_container_window(f.c, DDW);
	assert_non_null(w);
	/* 16 MiB guest pages over 64 KiB host TCEs: 256 entries each. */
	assert_int_equal(tce_window_map_list(w, DDW, 24, 4, pages), 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 512);
	assert_int_equal(tce_window_mapped(w), 512);
	assert_int_equal(tce_window_translate(w, DDW + 32 * MiB + 5 * 64 * KiB, &x), 0);
	assert_int_equal(x.perm, TCE_PERM_READ | TCE_PERM_WRITE);
	assert_int_equal(tce_window_translate(w, DDW + 16 * MiB, &x), 0);
	assert_int_equal(x.perm, 0);
	/* Clearing through the list uncounts. */
	pages[0].perm = 0;
	assert_int_equal(tce_window_map_list(w, DDW, 24, 1, pages), 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 256);
	/* Bad lists. */
	assert_int_equal(tce_window_map_list(w, DDW + 64 * KiB, 24, 1, pages), -EINVAL);
	assert_int_equal(tce_window_map_list(w, DDW, 12, 1, pages), -EINVAL);
	assert_int_equal(tce_window_map_list(w, DDW, 24, 0, pages), -EINVAL);
	assert_int_equal(tce_window_map(w, DDW, 1, RAM_UA, 0), -EINVAL);
	pages[0] = (struct tce_window_page){RAM_UA + 4 * KiB, TCE_PERM_READ};
	assert_int_equal(tce_window_map_list(w, DDW, 16, 1, pages), -EINVAL);
	tce_window_put(w);
	assert_int_equal(remove_ioctl(&f, DDW), 0);
	assert_int_equal(region_mapped(&f, RAM_UA), 0);
	assert_int_equal(tce_container_unregister(f.c, RAM_UA, 1 * GiB), 0);
	fx_teardown(&f);
}

/* Closing the container releases everything, including regions and the default window. */
static void test_destroy_releases_everything(void **state)
{
	struct fx f;
	uint64_t start;

	(void)state;
	fx_setup(&f, VFIO_SPAPR_TCE_v2_IOMMU, TCE_ACCOUNT_UNLIMITED, true);
	assert_int_equal(tce_container_register(f.c, RAM_UA, 1 * GiB), 0);
	assert_int_equal(tce_container_register(f.c, HUGE_UA, 256 * MiB), 0);
	assert_int_equal(create_ioctl(&f, 24, 1 * GiB, 1, &start), 0);
	assert_int_equal(map_ioctl(&f, DDW, 256 * MiB, HUGE_UA, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(map_ioctl(&f, 0, 1 * MiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_false(tce_account_balanced(f.account));
	fx_teardown(&f); /* asserts balanced and nothing pinned */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_extension_and_unknown),
		cmocka_unit_test(test_get_info),
		cmocka_unit_test(test_enable_disable_v1),
		cmocka_unit_test(test_v1_map_pins),
		cmocka_unit_test(test_register_unregister),
		cmocka_unit_test(test_unregister_while_mapped),
		cmocka_unit_test(test_create_remove),
		cmocka_unit_test(test_create_failures_release_exactly),
		cmocka_unit_test(test_remove_cancels_pending_default),
		cmocka_unit_test(test_map_unmap_v2),
		cmocka_unit_test(test_map_page_size_rules),
		cmocka_unit_test(test_v1_map_page_size_rules),
		cmocka_unit_test(test_extents_window_compacts),
		cmocka_unit_test(test_direct_calls),
		cmocka_unit_test(test_ioctl_short_buffers),
		cmocka_unit_test(test_map_allocation_failures),
		cmocka_unit_test(test_attach_detach),
		cmocka_unit_test(test_window_outlives_removal),
		cmocka_unit_test(test_window_list_map),
		cmocka_unit_test(test_destroy_releases_everything),
	};

	return cmocka_run_group_tests_name("container", tests, NULL, NULL);
}
