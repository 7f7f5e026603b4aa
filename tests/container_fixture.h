/* SPDX-License-Identifier: MIT */
/*
 * The container tests' fixture: a simulated host with 1 GiB of 64 KiB-page
 * RAM and 256 MiB of 16 MiB pages, an account, a prereg, one PowerNV group
 * and a container; a snapshot of everything a failing call must leave alone;
 * and the ioctls with their structs filled in.
 */
#ifndef LIBTCE_TEST_CONTAINER_FIXTURE_H
#define LIBTCE_TEST_CONTAINER_FIXTURE_H

#include <string.h>

#include "helpers.h"
#include "tce/container.h"

#define RAM_UA (UINT64_C(1) << 40)  /* 1 GiB of 64 KiB pages */
#define HUGE_UA (UINT64_C(1) << 41) /* 256 MiB of 16 MiB pages */
#define DDW (UINT64_C(1) << 59)

struct fx {
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
	struct tce_group *group;
	struct tce_container *c;
};

static inline void fx_setup_kind(struct fx *f, unsigned type, uint64_t limit, bool attach,
			  enum tce_userview_kind kind, enum tce_profile profile)
{
	struct tce_group_desc desc;
	struct tce_container_config cfg;

	memset(f, 0, sizeof(*f));
	assert_int_equal(tce_hostmem_sim_create(16, &f->hm), 0);
	assert_int_equal(tce_hostmem_sim_map(f->hm, RAM_UA, 1 * GiB, 16, 0), 0);
	assert_int_equal(tce_hostmem_sim_map(f->hm, HUGE_UA, 256 * MiB, 24, 0), 0);
	assert_int_equal(tce_account_create(limit, &f->account), 0);
	assert_int_equal(tce_prereg_create(f->hm, f->account, &f->prereg), 0);
	tce_group_desc_powernv_ioda2(&desc);
	desc.profile = profile;
	assert_int_equal(tce_group_create(&desc, 1, &f->group), 0);
	cfg = (struct tce_container_config){type, f->hm, f->account, f->prereg, kind};
	assert_int_equal(tce_container_create(&cfg, &f->c), 0);
	if (attach)
		assert_int_equal(tce_container_attach(f->c, f->group), 0);
}

static inline void fx_setup(struct fx *f, unsigned type, uint64_t limit, bool attach)
{
	fx_setup_kind(f, type, limit, attach, TCE_USERVIEW_MIRROR, TCE_PROFILE_LINUX);
}

static inline void fx_teardown(struct fx *f)
{
	assert_int_equal(tce_container_destroy(f->c), 0);
	assert_int_equal(tce_group_destroy(f->group), 0);
	assert_int_equal(tce_prereg_destroy(f->prereg), 0);
	assert_true(tce_account_balanced(f->account));
	assert_int_equal(tce_hostmem_pinned_bytes(f->hm), 0);
	tce_account_destroy(f->account);
	tce_hostmem_destroy(f->hm);
}

/* What a failing call must leave alone. */
struct state {
	struct tce_account_totals totals;
	uint64_t pinned;
	size_t regions;
	uint64_t ram_mapped, huge_mapped;
	uint64_t win_mapped[2];
	struct tce_window_usage usage[2];
};

static inline uint64_t region_mapped(struct fx *f, uint64_t ua)
{
	struct tce_region *r = tce_prereg_lookup(f->prereg, ua, 1);
	struct tce_region_info info;

	if (!r)
		return UINT64_MAX;
	tce_region_info(r, &info);
	return info.mapped;
}

static inline struct state state_of(struct fx *f)
{
	struct state s;
	uint64_t starts[2] = {0, DDW};
	unsigned i;

	memset(&s, 0, sizeof(s));
	tce_account_totals(f->account, &s.totals);
	/* Statistics a refused or rolled-back charge may move; the ledger is what is locked. */
	s.totals.failed_charges = 0;
	s.totals.peak = 0;
	memset(s.totals.charged_by_tag, 0, sizeof(s.totals.charged_by_tag));
	memset(s.totals.released_by_tag, 0, sizeof(s.totals.released_by_tag));
	s.pinned = tce_hostmem_pinned_bytes(f->hm);
	s.regions = tce_prereg_count(f->prereg);
	s.ram_mapped = region_mapped(f, RAM_UA);
	s.huge_mapped = region_mapped(f, HUGE_UA);
	for (i = 0; i < 2; i++) {
		struct tce_window *w = tce_container_window(f->c, starts[i]);

		if (w) {
			s.win_mapped[i] = tce_window_mapped(w);
			tce_window_usage(w, &s.usage[i]);
			tce_window_put(w);
		}
	}
	return s;
}

#define ASSERT_UNCHANGED(f, before)                                                                \
	do {                                                                                       \
		struct state after_ = state_of(f);                                                 \
		assert_memory_equal(&(before), &after_, sizeof(after_));                            \
	} while (0)

static inline int reg_ioctl(struct fx *f, unsigned long cmd, uint64_t ua, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_spapr_register_memory reg = {sizeof(reg), flags, ua, size};

	return tce_container_ioctl(f->c, cmd, (uintptr_t)&reg, sizeof(reg));
}

static inline int map_ioctl(struct fx *f, uint64_t iova, uint64_t size, uint64_t ua, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {sizeof(map), flags, ua, iova, size};

	return tce_container_ioctl(f->c, VFIO_IOMMU_MAP_DMA, (uintptr_t)&map, sizeof(map));
}

static inline int unmap_ioctl(struct fx *f, uint64_t iova, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_unmap unmap = {sizeof(unmap), flags, iova, size};

	return tce_container_ioctl(f->c, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&unmap, sizeof(unmap));
}

static inline int create_ioctl(struct fx *f, uint32_t ps, uint64_t size, uint32_t levels, uint64_t *start)
{
	struct vfio_iommu_spapr_tce_create create = {
		.argsz = sizeof(create), .page_shift = ps, .window_size = size, .levels = levels};
	int rc = tce_container_ioctl(f->c, VFIO_IOMMU_SPAPR_TCE_CREATE, (uintptr_t)&create, sizeof(create));

	if (rc == 0 && start)
		*start = create.start_addr;
	return rc;
}

static inline int remove_ioctl(struct fx *f, uint64_t start)
{
	struct vfio_iommu_spapr_tce_remove remove = {sizeof(remove), 0, start};

	return tce_container_ioctl(f->c, VFIO_IOMMU_SPAPR_TCE_REMOVE, (uintptr_t)&remove, sizeof(remove));
}

#endif /* LIBTCE_TEST_CONTAINER_FIXTURE_H */
