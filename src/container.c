// SPDX-License-Identifier: MIT
/*
 * VFIO SPAPR TCE container and groups. See include/tce/container.h.
 * The windows are window.h objects; the ioctl decoding is in vfio_ioctl.c.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "tce/container.h"
#include "alloc.h"
#include "charge.h"
#include "group_internal.h"
#include "range.h"
#include "u64map.h"

struct tce_container {
	pthread_mutex_t lock;
	struct tce_container_config cfg;
	bool v2;
	bool enabled;
	bool bound; /* bound to its address space (the kernel's container->mm is set) */
	bool def_window_pending;
	uint64_t v1_charged;
	struct tce_group **groups;
	size_t ngroups, groups_cap;
	struct tce_window *windows[TCE_MAX_WINDOWS];
	struct tce_u64map held;    /* regions this container registered: ua -> size */
	uint64_t held_bytes;       /* their total size */
};

/* ---- container ---- */

int tce_container_create(const struct tce_container_config *config,
			 struct tce_container **containerp)
{
	struct tce_container *c;

	if (config->type != VFIO_SPAPR_TCE_IOMMU && config->type != VFIO_SPAPR_TCE_v2_IOMMU)
		return -EINVAL;
	if (!config->hostmem || !config->account ||
	    (config->type == VFIO_SPAPR_TCE_v2_IOMMU && !config->prereg))
		return -EINVAL;
	c = tce_zalloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL); /* default attributes: cannot fail on Linux */
	c->cfg = *config;
	c->v2 = config->type == VFIO_SPAPR_TCE_v2_IOMMU;
	*containerp = c;
	return 0;
}

static const struct tce_group_desc *container_desc(const struct tce_container *c)
{
	return c->ngroups ? &c->groups[0]->desc : NULL;
}

/* Create the window of @slot; under the container lock. */
static int window_create(struct tce_container *c, unsigned slot, unsigned page_shift,
			 uint64_t window_size, unsigned levels)
{
	const struct tce_group_desc *desc = container_desc(c);
	struct tce_geometry_request req = {.page_shift = page_shift, .window_size = window_size,
					   .levels = levels, .profile = desc->profile};
	struct tce_window_config wcfg = {
		.start = slot == 0 ? desc->dma32_start : desc->window_start[slot],
		.v2 = c->v2,
		.add_read_for_write = desc->profile == TCE_PROFILE_LINUX,
		.userview = c->cfg.userview,
		.hostmem = c->cfg.hostmem,
		.account = c->cfg.account,
		.prereg = c->cfg.prereg,
	};
	struct tce_window *w;
	size_t g;
	int rc;

	if (levels > desc->max_levels)
		return -EINVAL;
	rc = tce_geometry_compute(&req, &wcfg.geo);
	if (rc)
		return rc;
	rc = tce_window_create(&wcfg, &w);
	if (rc)
		return rc;
	/* Program it into every group; a platform failure unprograms the others and frees it. */
	for (g = 0; g < c->ngroups && rc == 0; g++)
		rc = tce_group_set_window(c->groups[g], slot, w);
	if (rc) {
		while (g-- > 1)
			tce_group_unset_window(c->groups[g - 1], slot);
		tce_window_put(w);
		return rc;
	}
	c->windows[slot] = w;
	return 0;
}

/* Clear every entry of a window (uncounting its mappings); cannot fail. */
static void window_clear(struct tce_window *w)
{
	tce_window_unmap(w, tce_window_start(w), tce_window_geometry(w)->window_entries);
}

/* Remove the window of @slot from the container and its groups; under the container lock. */
static void window_remove(struct tce_container *c, unsigned slot)
{
	struct tce_window *w = c->windows[slot];
	size_t g;

	c->windows[slot] = NULL;
	for (g = 0; g < c->ngroups; g++)
		tce_group_unset_window(c->groups[g], slot);
	window_clear(w);
	tce_window_put(w);
}

/*
 * Whether every attached group can unprogram a window. The kernel finds out
 * group by group, after unprogramming the ones before; libtce asks first, so a
 * refused REMOVE leaves the window whole.
 */
static bool unset_supported(const struct tce_container *c)
{
	size_t g;

	for (g = 0; g < c->ngroups; g++)
		if (c->groups[g]->desc.no_unset_window)
			return false;
	return true;
}

/* The slot of the window containing @iova, or TCE_MAX_WINDOWS; under the container lock. */
static unsigned window_slot(const struct tce_container *c, uint64_t iova)
{
	unsigned slot;

	for (slot = 0; slot < TCE_MAX_WINDOWS; slot++)
		if (c->windows[slot] && tce_window_contains(c->windows[slot], iova))
			break;
	return slot;
}

/* The default 32-bit window, created on first use; under the container lock. */
static int create_pending_default(struct tce_container *c)
{
	const struct tce_group_desc *desc = container_desc(c);
	int rc;

	if (!c->def_window_pending)
		return 0;
	if (!desc)
		return -ENODEV;
	rc = window_create(c, 0, 12, desc->dma32_size, 1);
	if (rc == 0)
		c->def_window_pending = false;
	return rc;
}

int tce_container_attach(struct tce_container *c, struct tce_group *group)
{
	unsigned slot;
	int rc = 0;

	if (group->desc.emulated)
		return -EINVAL;
	if (group->desc.no_platform_data)
		return -ENODEV;
	pthread_mutex_lock(&c->lock);
	if (c->v2 && (!group->desc.ddw || group->desc.max_windows == 0)) {
		rc = -EINVAL;
	} else if (!c->v2 && c->ngroups > 0) {
		rc = -EBUSY;
	} else if (group->container) {
		rc = -EBUSY;
	} else if (c->ngroups > 0 && c->groups[0]->desc.platform != group->desc.platform) {
		rc = -EPERM;
	} else {
		rc = tce_array_reserve((void **)&c->groups, &c->groups_cap, c->ngroups + 1,
				       sizeof(*c->groups));
	}
	/* Program the existing windows; a platform failure unprograms them and refuses the group. */
	for (slot = 0; slot < TCE_MAX_WINDOWS && rc == 0; slot++)
		if (c->windows[slot])
			rc = tce_group_set_window(group, slot, c->windows[slot]);
	if (rc) {
		while (slot-- > 0)
			tce_group_unset_window(group, slot);
	} else {
		c->groups[c->ngroups++] = group;
		group->container = c;
		if (c->ngroups == 1 && !c->windows[0])
			c->def_window_pending = true;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int tce_container_detach(struct tce_container *c, struct tce_group *group)
{
	unsigned slot;
	size_t i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->ngroups && c->groups[i] != group; i++)
		;
	if (i == c->ngroups) {
		pthread_mutex_unlock(&c->lock);
		return -EINVAL;
	}
	for (slot = 0; slot < TCE_MAX_WINDOWS; slot++)
		tce_group_unset_window(group, slot);
	memmove(&c->groups[i], &c->groups[i + 1], (c->ngroups - i - 1) * sizeof(*c->groups));
	c->ngroups--;
	group->container = NULL;
	if (c->ngroups == 0) {
		/* No device can reach the windows any more: release their mappings. */
		for (slot = 0; slot < TCE_MAX_WINDOWS; slot++)
			if (c->windows[slot])
				window_clear(c->windows[slot]);
		c->def_window_pending = false;
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int tce_container_get_info(struct tce_container *c, struct vfio_iommu_spapr_tce_info *info)
{
	const size_t minsz = offsetof(struct vfio_iommu_spapr_tce_info, dma32_window_size) +
			     sizeof(info->dma32_window_size);
	const size_t ddwsz = offsetof(struct vfio_iommu_spapr_tce_info, ddw) + sizeof(info->ddw);
	struct vfio_iommu_spapr_tce_info out;
	const struct tce_group_desc *desc;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	desc = container_desc(c);
	if (!desc) {
		rc = -ENXIO;
	} else if (info->argsz < minsz) {
		rc = -EINVAL;
	} else {
		/* Filled whole, as the kernel does, then copied as far as argsz reaches. */
		memset(&out, 0, sizeof(out));
		out.argsz = info->argsz;
		out.dma32_window_start = (uint32_t)desc->dma32_start;
		out.dma32_window_size = (uint32_t)desc->dma32_size;
		if (c->v2 && desc->ddw) {
			out.flags = VFIO_IOMMU_SPAPR_INFO_DDW;
			out.ddw.pgsizes = desc->pgsizes;
			out.ddw.max_dynamic_windows_supported = desc->max_windows;
			out.ddw.levels = desc->max_levels;
		}
		memcpy(info, &out, info->argsz >= ddwsz ? ddwsz : minsz);
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int tce_container_enable(struct tce_container *c)
{
	const struct tce_group_desc *desc;
	int rc = 0;

	if (c->v2)
		return -ENOTTY;
	pthread_mutex_lock(&c->lock);
	desc = container_desc(c);
	if (c->enabled)
		rc = -EBUSY;
	else if (!desc)
		rc = -ENODEV;
	else if (desc->dma32_size == 0)
		rc = -EPERM;
	else {
		c->bound = true;
		rc = tce_account_charge(c->cfg.account, TCE_TAG_V1_WINDOW, desc->dma32_size);
	}
	if (rc == 0) {
		c->v1_charged = desc->dma32_size;
		c->enabled = true;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Release the v1 ENABLE charge; under the container lock. */
static void v1_release(struct tce_container *c)
{
	if (c->enabled && !c->v2) {
		tce_uncharge_exact(c->cfg.account, TCE_TAG_V1_WINDOW, c->v1_charged);
		c->v1_charged = 0;
		c->enabled = false;
	}
}

int tce_container_disable(struct tce_container *c)
{
	if (c->v2)
		return -ENOTTY;
	pthread_mutex_lock(&c->lock);
	v1_release(c);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* Host-page alignment of a range (size 0 is judged by the caller). */
static bool range_aligned(const struct tce_container *c, uint64_t ua, uint64_t size)
{
	unsigned shift = tce_hostmem_page_shift(c->cfg.hostmem);

	return size == 0 ? (ua & ((UINT64_C(1) << shift) - 1)) == 0 : tce_range_valid(ua, size, shift);
}

/* Whether this container registered exactly [ua, ua + size). */
static bool held_find(const struct tce_container *c, uint64_t ua, uint64_t size)
{
	uint64_t held_size;

	return tce_u64map_get(&c->held, ua, &held_size) && held_size == size;
}

int tce_container_register(struct tce_container *c, uint64_t ua, uint64_t size)
{
	int rc;

	if (!c->v2)
		return -ENOTTY;
	pthread_mutex_lock(&c->lock);
	c->bound = true; /* the kernel binds before it looks at the arguments */
	pthread_mutex_unlock(&c->lock);
	if (!range_aligned(c, ua, size) || size == 0)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	if (held_find(c, ua, size)) {
		rc = -EBUSY;
		goto out;
	}
	/* Room first: once registered, remembering it cannot fail. */
	rc = tce_u64map_reserve(&c->held, c->held.n + 1);
	if (rc)
		goto out;
	rc = tce_prereg_register(c->cfg.prereg, ua, size, NULL);
	if (rc)
		goto out;
	rc = tce_u64map_put(&c->held, ua, size);
	assert(rc == 0); /* reserved */
	c->held_bytes += size;
	c->enabled = true;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int tce_container_unregister(struct tce_container *c, uint64_t ua, uint64_t size)
{
	int rc;

	if (!c->v2)
		return -ENOTTY;
	pthread_mutex_lock(&c->lock);
	rc = c->bound ? 0 : -EPERM; /* nothing was ever registered from an address space */
	pthread_mutex_unlock(&c->lock);
	if (rc)
		return rc;
	if (!range_aligned(c, ua, size))
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	if (!held_find(c, ua, size)) {
		rc = -ENOENT;
		goto out;
	}
	rc = tce_prereg_unregister(c->cfg.prereg, ua, size);
	if (rc == 0) {
		tce_u64map_remove(&c->held, ua, NULL);
		c->held_bytes -= size;
	}
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int tce_container_create_window(struct tce_container *c, unsigned page_shift,
				uint64_t window_size, unsigned levels, uint64_t *start)
{
	const struct tce_group_desc *desc;
	unsigned slot;
	int rc;

	if (!c->v2)
		return -ENOTTY;
	pthread_mutex_lock(&c->lock);
	c->bound = true;
	desc = container_desc(c);
	if (!desc) {
		rc = -ENXIO;
		goto out;
	}
	rc = create_pending_default(c);
	if (rc)
		goto out;
	for (slot = 0; slot < desc->max_windows && c->windows[slot]; slot++)
		;
	if (slot == desc->max_windows) {
		rc = -ENOSPC;
		goto out;
	}
	if (page_shift >= 64 || !(desc->pgsizes & (UINT64_C(1) << page_shift))) {
		rc = -EINVAL;
		goto out;
	}
	rc = window_create(c, slot, page_shift, window_size, levels);
	if (rc == 0)
		*start = tce_window_start(c->windows[slot]);
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int tce_container_remove_window(struct tce_container *c, uint64_t start)
{
	unsigned slot;
	int rc = -EINVAL;

	if (!c->v2)
		return -ENOTTY;
	pthread_mutex_lock(&c->lock);
	c->bound = true;
	if (!container_desc(c)) {
		rc = -ENXIO;
	} else if (c->def_window_pending && start == 0) {
		c->def_window_pending = false;
		rc = 0;
	} else {
		/* The window that holds @start, as the kernel finds it (not only its first byte). */
		slot = window_slot(c, start);
		if (slot < TCE_MAX_WINDOWS)
			rc = unset_supported(c) ? 0 : -EPERM;
		if (rc == 0)
			window_remove(c, slot);
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* The checks MAP and UNMAP share; returns the window with a reference. */
static int container_dma_window(struct tce_container *c, uint64_t iova, struct tce_window **wp)
{
	unsigned slot;
	int rc;

	pthread_mutex_lock(&c->lock);
	if (!c->enabled) {
		rc = -EPERM;
		goto out;
	}
	rc = create_pending_default(c);
	if (rc)
		goto out;
	slot = window_slot(c, iova);
	if (slot == TCE_MAX_WINDOWS) {
		rc = -ENXIO;
		goto out;
	}
	tce_window_get(c->windows[slot]);
	*wp = c->windows[slot];
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* The window's pages of [iova, iova + size), checked as MAP and UNMAP check them. */
static int dma_pages(const struct tce_window *w, uint64_t iova, uint64_t size, uint64_t *npages)
{
	unsigned page_shift = tce_window_geometry(w)->page_shift;

	if (size & ((UINT64_C(1) << page_shift) - 1))
		return -EINVAL;
	*npages = size >> page_shift;
	/* The whole range, not only its first page (B-R1). */
	return tce_table_check_range(tce_window_table(w), iova, *npages ? *npages : 1, NULL);
}

int tce_container_map(struct tce_container *c, uint64_t iova, uint64_t size, uint64_t ua,
		      uint32_t flags)
{
	struct tce_window *w;
	uint64_t npages = 0;
	unsigned perm = 0;
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = c->enabled ? 0 : -EPERM;
	pthread_mutex_unlock(&c->lock);
	if (rc)
		return rc;
	if (flags & ~(uint32_t)(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -EINVAL;
	rc = container_dma_window(c, iova, &w);
	if (rc)
		return rc;
	if (ua & ((UINT64_C(1) << tce_window_geometry(w)->page_shift) - 1))
		rc = -EINVAL;
	else if (!(flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		rc = -EINVAL;
	else
		rc = dma_pages(w, iova, size, &npages);
	if (rc == 0 && npages) {
		if (flags & VFIO_DMA_MAP_FLAG_READ)
			perm |= TCE_PERM_READ;
		if (flags & VFIO_DMA_MAP_FLAG_WRITE)
			perm |= TCE_PERM_WRITE;
		rc = tce_window_map(w, iova, npages, ua, perm);
		/* VFIO reports a page outside every region (or one being destroyed) as -EINVAL. */
		if (c->v2 && (rc == -EFAULT || rc == -ENXIO))
			rc = -EINVAL;
	}
	tce_window_put(w);
	return rc;
}

int tce_container_unmap(struct tce_container *c, uint64_t iova, uint64_t size)
{
	struct tce_window *w;
	uint64_t npages = 0;
	int64_t cleared;
	int rc = container_dma_window(c, iova, &w);

	if (rc)
		return rc;
	rc = dma_pages(w, iova, size, &npages);
	if (rc == 0 && npages) {
		cleared = tce_window_unmap(w, iova, npages);
		rc = cleared < 0 ? (int)cleared : 0;
	}
	tce_window_put(w);
	return rc;
}

struct tce_window *tce_container_window(struct tce_container *c, uint64_t iova)
{
	struct tce_window *w = NULL;
	unsigned slot;

	pthread_mutex_lock(&c->lock);
	slot = window_slot(c, iova);
	if (slot < TCE_MAX_WINDOWS) {
		w = c->windows[slot];
		tce_window_get(w);
	}
	pthread_mutex_unlock(&c->lock);
	return w;
}

void tce_container_state(struct tce_container *c, struct tce_container_state *state)
{
	unsigned slot;

	memset(state, 0, sizeof(*state));
	pthread_mutex_lock(&c->lock);
	state->v2 = c->v2;
	state->enabled = c->enabled;
	state->bound = c->bound;
	state->hostmem = c->cfg.hostmem;
	state->def_window_pending = c->def_window_pending;
	state->groups = (unsigned)c->ngroups;
	state->regions = (unsigned)c->held.n;
	state->registered_bytes = c->held_bytes;
	for (slot = 0; slot < TCE_MAX_WINDOWS; slot++) {
		struct tce_window_usage usage;

		if (!c->windows[slot])
			continue;
		tce_window_usage(c->windows[slot], &usage);
		state->windows++;
		state->pinned_bytes += usage.pinned_bytes;
		state->mapped += usage.mapped;
	}
	pthread_mutex_unlock(&c->lock);
}

size_t tce_container_regions(struct tce_container *c, struct tce_container_region *regions,
			     size_t max)
{
	size_t n, kept = 0, pos = 0, j;
	uint64_t ua, size;

	/* The @max lowest addresses, in order: an insertion into the (short) output. */
	pthread_mutex_lock(&c->lock);
	n = c->held.n;
	while (tce_u64map_next(&c->held, &pos, &ua, &size)) {
		for (j = kept; j > 0 && regions[j - 1].ua > ua; j--)
			if (j < max)
				regions[j] = regions[j - 1];
		if (j < max) {
			regions[j] = (struct tce_container_region){ua, size};
			kept += kept < max;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

int tce_container_destroy(struct tce_container *c)
{
	unsigned slot;
	int rc = 0;

	if (!c)
		return 0;
	while (c->ngroups)
		tce_container_detach(c, c->groups[c->ngroups - 1]);
	pthread_mutex_lock(&c->lock);
	for (slot = 0; slot < TCE_MAX_WINDOWS; slot++)
		if (c->windows[slot])
			window_remove(c, slot);
	{
		uint64_t ua, size;
		size_t pos = 0;

		while (tce_u64map_next(&c->held, &pos, &ua, &size))
			if (tce_prereg_unregister(c->cfg.prereg, ua, size) != 0)
				rc = -EBUSY;
	}
	v1_release(c);
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_destroy(&c->lock);
	tce_free(c->groups);
	tce_u64map_free(&c->held);
	tce_free(c);
	return rc;
}
