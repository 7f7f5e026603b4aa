// SPDX-License-Identifier: MIT
/*
 * VFIO SPAPR TCE container, groups and windows. See include/tce/container.h.
 *
 * A map runs in three phases so that it is all or nothing:
 *  1. resolve: for every page with a permission, find and count its region
 *     (v2) or pin its memory (v1), and check containment;
 *  2. reserve: allocate the table nodes and userview room of the range;
 *  3. write: exchange every entry, uncount what the old entries counted,
 *     record the userspace addresses. Nothing in this phase can fail.
 * A failure in phase 1 or 2 undoes the counts and pins taken so far.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "tce/container.h"
#include "alloc.h"
#include "log2.h"

#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

struct tce_window {
	pthread_mutex_t lock;
	_Atomic unsigned refs;
	bool v2;
	bool add_read_for_write;
	struct tce_geometry geo;
	uint64_t start;
	struct tce_table *table;
	struct tce_userview *uv;
	struct tce_hostmem_pin **v1_pins; /* one per entry, allocated on first v1 map */
	struct tce_hostmem *hostmem;
	struct tce_account *account;
	struct tce_prereg *prereg;
	uint64_t table_charged;
	uint64_t mapped;
};

struct tce_group {
	pthread_mutex_t lock; /* guards programmed[] */
	struct tce_group_desc desc;
	unsigned id;
	struct tce_container *container;
	struct tce_window *programmed[TCE_MAX_WINDOWS];
};

struct held_region {
	uint64_t ua, size;
};

struct tce_container {
	pthread_mutex_t lock;
	struct tce_container_config cfg;
	bool v2;
	bool enabled;
	bool def_window_pending;
	uint64_t v1_charged;
	struct tce_group **groups;
	size_t ngroups, groups_cap;
	struct tce_window *windows[TCE_MAX_WINDOWS];
	struct held_region *held;
	size_t nheld, held_cap;
};

/* ---- groups ---- */

void tce_group_desc_powernv_ioda2(struct tce_group_desc *desc)
{
	memset(desc, 0, sizeof(*desc));
	desc->pgsizes = (UINT64_C(1) << 12) | (UINT64_C(1) << 16) | (UINT64_C(1) << 24) |
			(UINT64_C(1) << 28);
	desc->max_windows = 2;
	desc->max_levels = TCE_LEVELS_MAX;
	desc->window_start[0] = 0;
	desc->window_start[1] = UINT64_C(1) << 59;
	desc->dma32_start = 0;
	desc->dma32_size = UINT64_C(2) << 30;
	desc->ddw = true;
	desc->profile = TCE_PROFILE_LINUX;
	desc->platform = 1;
}

int tce_group_create(const struct tce_group_desc *desc, unsigned id, struct tce_group **groupp)
{
	struct tce_group *group;

	if (desc->max_windows > TCE_MAX_WINDOWS)
		return -EINVAL;
	group = tce_zalloc(sizeof(*group));
	if (!group)
		return -ENOMEM;
	if (pthread_mutex_init(&group->lock, NULL) != 0) {
		tce_free(group);
		return -ENOMEM;
	}
	group->desc = *desc;
	group->id = id;
	*groupp = group;
	return 0;
}

int tce_group_destroy(struct tce_group *group)
{
	if (!group)
		return 0;
	if (group->container)
		return -EBUSY;
	pthread_mutex_destroy(&group->lock);
	tce_free(group);
	return 0;
}

static bool window_contains(const struct tce_window *w, uint64_t iova)
{
	return iova >= w->start && ((iova - w->start) >> w->geo.window_shift) == 0;
}

int tce_group_translate(const struct tce_group *group, uint64_t iova, struct tce_translation *xlate)
{
	struct tce_group *g = (struct tce_group *)group;
	struct tce_window *w = NULL;
	unsigned slot;
	int rc;

	pthread_mutex_lock(&g->lock);
	for (slot = 0; slot < TCE_MAX_WINDOWS; slot++) {
		if (g->programmed[slot] && window_contains(g->programmed[slot], iova)) {
			w = g->programmed[slot];
			tce_window_get(w);
			break;
		}
	}
	pthread_mutex_unlock(&g->lock);
	if (!w)
		return -ENXIO;
	rc = tce_window_translate(w, iova, xlate);
	tce_window_put(w);
	return rc;
}

static void group_program(struct tce_group *group, unsigned slot, struct tce_window *w)
{
	pthread_mutex_lock(&group->lock);
	group->programmed[slot] = w;
	pthread_mutex_unlock(&group->lock);
}

/* ---- windows ---- */

void tce_window_get(struct tce_window *window)
{
	atomic_fetch_add(&window->refs, 1);
}

const struct tce_geometry *tce_window_geometry(const struct tce_window *window)
{
	return &window->geo;
}

uint64_t tce_window_start(const struct tce_window *window)
{
	return window->start;
}

bool tce_window_is_v2(const struct tce_window *window)
{
	return window->v2;
}

int tce_window_translate(struct tce_window *window, uint64_t iova, struct tce_translation *xlate)
{
	return tce_table_translate(window->table, iova, xlate);
}

uint64_t tce_window_mapped(struct tce_window *window)
{
	uint64_t mapped;

	pthread_mutex_lock(&window->lock);
	mapped = window->mapped;
	pthread_mutex_unlock(&window->lock);
	return mapped;
}

void tce_window_usage(struct tce_window *window, struct tce_window_usage *usage)
{
	pthread_mutex_lock(&window->lock);
	usage->table_charged = window->table_charged;
	usage->table_allocated = tce_table_allocated_bytes(window->table);
	usage->userview_charged = tce_userview_charged_bytes(window->uv);
	usage->userview_allocated = tce_userview_allocated_bytes(window->uv);
	pthread_mutex_unlock(&window->lock);
}

static uint64_t window_page(const struct tce_window *w)
{
	return UINT64_C(1) << w->geo.page_shift;
}

/* Uncount what the old entry at @index counted. */
static void window_uncount(struct tce_window *w, uint64_t index, uint64_t old_tce)
{
	if (!(old_tce & TCE_PERM_MASK))
		return;
	if (w->v2) {
		uint64_t old_ua = 0;
		struct tce_region *region;

		tce_userview_get(w->uv, index, &old_ua);
		region = tce_prereg_lookup(w->prereg, old_ua, window_page(w));
		assert(region); /* a counted region cannot have gone away */
		if (region)
			tce_region_mapped_dec(region);
	} else {
		tce_hostmem_unpin(w->hostmem, w->v1_pins[index]);
		w->v1_pins[index] = NULL;
	}
	w->mapped--;
}

struct clear_ctx {
	struct tce_window *w;
	int64_t mapped;
};

static void clear_one(void *opaque, uint64_t ioba, uint64_t old_tce)
{
	struct clear_ctx *ctx = opaque;

	if (old_tce & TCE_PERM_MASK)
		ctx->mapped++;
	window_uncount(ctx->w, (ioba - ctx->w->start) >> ctx->w->geo.page_shift, old_tce);
}

/* Under the window lock. */
static int64_t window_unmap_locked(struct tce_window *w, uint64_t ioba, uint64_t npages)
{
	struct clear_ctx ctx = {w, 0};
	uint64_t index;
	int64_t rc;

	rc = tce_table_check_range(w->table, ioba, npages, &index);
	if (rc)
		return rc;
	rc = tce_userview_reserve(w->uv, index, npages, 0);
	if (rc)
		return rc;
	rc = tce_table_clear(w->table, ioba, npages, clear_one, &ctx);
	assert(rc >= 0);
	tce_userview_clear_range(w->uv, index, npages);
	return ctx.mapped;
}

int64_t tce_window_unmap(struct tce_window *window, uint64_t ioba, uint64_t npages)
{
	int64_t rc;

	pthread_mutex_lock(&window->lock);
	rc = window_unmap_locked(window, ioba, npages);
	pthread_mutex_unlock(&window->lock);
	return rc;
}

static void window_free(struct tce_window *w)
{
	/* Clearing a whole window needs no room, so it cannot fail. */
	int64_t rc = window_unmap_locked(w, w->start, w->geo.window_entries);

	assert(rc >= 0);
	(void)rc;
	tce_userview_destroy(w->uv);
	tce_table_destroy(w->table);
	tce_account_uncharge(w->account, TCE_TAG_TABLE, w->table_charged);
	tce_free(w->v1_pins);
	pthread_mutex_destroy(&w->lock);
	tce_free(w);
}

void tce_window_put(struct tce_window *window)
{
	if (window && atomic_fetch_sub(&window->refs, 1) == 1)
		window_free(window);
}

/* ---- mapping ---- */

struct map_req {
	uint64_t ioba;
	unsigned list_shift;
	uint64_t count;
	const struct tce_window_page *pages; /* NULL: contiguous ua0, perm0 */
	uint64_t ua0;
	unsigned perm0;
};

struct region_run {
	struct tce_region *region;
	uint64_t n;
};

struct resolved {
	struct region_run *runs; /* v2 */
	size_t nruns, cap;
	struct tce_hostmem_pin **pins; /* v1, one per entry */
};

static void req_page(const struct map_req *req, const struct tce_window *w, uint64_t e,
		     uint64_t *ua, unsigned *perm)
{
	unsigned sub_shift = req->list_shift - w->geo.page_shift;

	if (req->pages) {
		const struct tce_window_page *p = &req->pages[e >> sub_shift];

		*perm = p->perm & (unsigned)TCE_PERM_MASK;
		*ua = p->ua + ((e & ((UINT64_C(1) << sub_shift) - 1)) << w->geo.page_shift);
	} else {
		*perm = req->perm0;
		*ua = req->ua0 + (e << w->geo.page_shift);
	}
}

static void resolved_undo(struct tce_window *w, struct resolved *res, uint64_t nentries)
{
	size_t i;
	uint64_t k;

	for (i = 0; i < res->nruns; i++)
		for (k = 0; k < res->runs[i].n; k++)
			tce_region_mapped_dec(res->runs[i].region);
	if (res->pins)
		for (k = 0; k < nentries; k++)
			tce_hostmem_unpin(w->hostmem, res->pins[k]);
	tce_free(res->runs);
	tce_free(res->pins);
}

/* Phase 1, v2: count each page's region and check containment. */
static int resolve_v2(struct tce_window *w, const struct map_req *req, uint64_t n,
		      struct resolved *res)
{
	struct tce_region *cur = NULL;
	uint64_t e, ua, hpa;
	unsigned perm;
	int rc;

	for (e = 0; e < n; e++) {
		req_page(req, w, e, &ua, &perm);
		if (!perm)
			continue;
		if (cur && (rc = tce_region_ua_to_hpa(cur, ua, w->geo.page_shift, &hpa)) != -EFAULT) {
			if (rc)
				return rc;
			rc = tce_region_mapped_inc(cur);
			if (rc)
				return rc;
			res->runs[res->nruns - 1].n++;
			continue;
		}
		rc = tce_array_reserve((void **)&res->runs, &res->cap, res->nruns + 1,
				       sizeof(*res->runs));
		if (rc)
			return rc;
		rc = tce_prereg_lookup_get(w->prereg, ua, window_page(w), &cur);
		if (rc)
			return rc;
		res->runs[res->nruns++] = (struct region_run){cur, 1};
		rc = tce_region_ua_to_hpa(cur, ua, w->geo.page_shift, &hpa);
		if (rc)
			return rc;
	}
	return 0;
}

/* Phase 1, v1: pin each page's host memory and check containment. */
static int resolve_v1(struct tce_window *w, const struct map_req *req, uint64_t n,
		      struct resolved *res)
{
	uint64_t host_mask = (UINT64_C(1) << tce_hostmem_page_shift(w->hostmem)) - 1;
	uint64_t e, ua, hpa, first, last;
	unsigned perm;
	int rc;

	if (n > SIZE_MAX / sizeof(*res->pins))
		return -ENOMEM;
	res->pins = tce_zalloc((size_t)n * sizeof(*res->pins));
	if (!res->pins)
		return -ENOMEM;
	for (e = 0; e < n; e++) {
		req_page(req, w, e, &ua, &perm);
		if (!perm)
			continue;
		first = ua & ~host_mask;
		last = ((ua + window_page(w) - 1) | host_mask);
		rc = tce_hostmem_pin(w->hostmem, first, last - first + 1, &res->pins[e]);
		if (rc)
			return rc;
		rc = tce_hostmem_pin_translate(res->pins[e], ua, window_page(w), &hpa);
		if (rc)
			return rc;
	}
	return 0;
}

static int window_map_req(struct tce_window *w, const struct map_req *req, bool check_only)
{
	struct resolved res = {0};
	uint64_t n, index, e, ua, hpa, old;
	size_t run = 0;
	uint64_t used_in_run = 0;
	unsigned perm;
	int rc;

	if (req->list_shift < w->geo.page_shift || req->list_shift > 62 || req->count == 0 ||
	    req->list_shift - w->geo.page_shift >= 64 ||
	    req->count > (UINT64_MAX >> (req->list_shift - w->geo.page_shift)))
		return -EINVAL;
	n = req->count << (req->list_shift - w->geo.page_shift);
	if (req->ioba & ((UINT64_C(1) << req->list_shift) - 1))
		return -EINVAL;
	rc = tce_table_check_range(w->table, req->ioba, n, &index);
	if (rc)
		return rc;
	for (e = 0; e < req->count; e++) {
		uint64_t first_ua;

		req_page(req, w, e << (req->list_shift - w->geo.page_shift), &first_ua, &perm);
		if (perm && (first_ua & (window_page(w) - 1)))
			return -EINVAL;
		if (!req->pages)
			break;
	}

	/* Phase 1. */
	rc = w->v2 ? resolve_v2(w, req, n, &res) : resolve_v1(w, req, n, &res);
	if (check_only || rc) {
		resolved_undo(w, &res, n);
		return rc;
	}
	/* Phase 2. */
	if (rc == 0)
		rc = tce_table_reserve(w->table, req->ioba, n);
	if (rc == 0)
		rc = tce_userview_reserve(w->uv, index, n, req->pages ? req->count : 1);
	if (rc == 0 && !w->v2 && !w->v1_pins) {
		w->v1_pins = tce_zalloc((size_t)w->geo.window_entries * sizeof(*w->v1_pins));
		if (!w->v1_pins)
			rc = -ENOMEM;
	}
	if (rc) {
		resolved_undo(w, &res, n);
		return rc;
	}

	/* Phase 3: nothing below can fail. */
	for (e = 0; e < n; e++) {
		uint64_t tce = 0;

		req_page(req, w, e, &ua, &perm);
		if (perm) {
			if (w->v2) {
				while (used_in_run == res.runs[run].n) {
					run++;
					used_in_run = 0;
				}
				used_in_run++;
				rc = tce_region_ua_to_hpa(res.runs[run].region, ua, w->geo.page_shift, &hpa);
			} else {
				rc = tce_hostmem_pin_translate(res.pins[e], ua, window_page(w), &hpa);
			}
			assert(rc == 0);
			if (w->add_read_for_write && (perm & TCE_PERM_WRITE))
				perm |= TCE_PERM_READ;
			tce = hpa | perm;
		}
		rc = tce_table_xchg(w->table, req->ioba + (e << w->geo.page_shift), tce, &old);
		assert(rc == 0);
		window_uncount(w, index + e, old);
		if (perm) {
			w->mapped++;
			if (!w->v2) {
				w->v1_pins[index + e] = res.pins[e];
				res.pins[e] = NULL;
			}
		}
	}
	if (!req->pages) {
		rc = tce_userview_set_range(w->uv, index, n, req->ua0);
		assert(rc == 0);
	} else {
		uint64_t sub = UINT64_C(1) << (req->list_shift - w->geo.page_shift);

		for (e = 0; e < req->count; e++) {
			if (req->pages[e].perm & TCE_PERM_MASK)
				rc = tce_userview_set_range(w->uv, index + e * sub, sub, req->pages[e].ua);
			else
				rc = tce_userview_clear_range(w->uv, index + e * sub, sub);
			assert(rc == 0);
		}
	}
	/* The counts now belong to the entries; the pins array is empty. */
	tce_free(res.runs);
	tce_free(res.pins);
	return 0;
}

static int window_list(struct tce_window *window, uint64_t ioba, unsigned list_page_shift,
		       uint64_t count, const struct tce_window_page *pages, bool check_only)
{
	struct map_req req = {ioba, list_page_shift, count, pages, 0, 0};
	int rc;

	if (!pages)
		return -EINVAL;
	pthread_mutex_lock(&window->lock);
	rc = window_map_req(window, &req, check_only);
	pthread_mutex_unlock(&window->lock);
	return rc;
}

int tce_window_map_list(struct tce_window *window, uint64_t ioba, unsigned list_page_shift,
			uint64_t count, const struct tce_window_page *pages)
{
	return window_list(window, ioba, list_page_shift, count, pages, false);
}

int tce_window_check_list(struct tce_window *window, uint64_t ioba, unsigned list_page_shift,
			  uint64_t count, const struct tce_window_page *pages)
{
	return window_list(window, ioba, list_page_shift, count, pages, true);
}

int tce_window_map(struct tce_window *window, uint64_t ioba, uint64_t npages, uint64_t ua,
		   unsigned perm)
{
	struct map_req req = {ioba, window->geo.page_shift, npages, NULL, ua,
			      perm & (unsigned)TCE_PERM_MASK};
	int rc;

	if (!req.perm0 || (perm & ~(unsigned)TCE_PERM_MASK))
		return -EINVAL;
	pthread_mutex_lock(&window->lock);
	rc = window_map_req(window, &req, false);
	pthread_mutex_unlock(&window->lock);
	return rc;
}

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
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		tce_free(c);
		return -ENOMEM;
	}
	c->cfg = *config;
	c->v2 = config->type == VFIO_SPAPR_TCE_v2_IOMMU;
	*containerp = c;
	return 0;
}

static const struct tce_group_desc *container_desc(const struct tce_container *c)
{
	return c->ngroups ? &c->groups[0]->desc : NULL;
}

/* Create the window of @slot; under the container lock. Charges before allocating. */
static int window_create(struct tce_container *c, unsigned slot, unsigned page_shift,
			 uint64_t window_size, unsigned levels)
{
	const struct tce_group_desc *desc = container_desc(c);
	struct tce_geometry_request req = {.page_shift = page_shift, .window_size = window_size,
					   .levels = levels, .profile = desc->profile};
	struct tce_geometry geo;
	struct tce_window *w;
	uint64_t start = slot == 0 ? desc->dma32_start : desc->window_start[slot];
	size_t g;
	int rc;

	if (levels > desc->max_levels)
		return -EINVAL;
	rc = tce_geometry_compute(&req, &geo);
	if (rc)
		return rc;
	if (geo.create_errno)
		return geo.create_errno;
	w = tce_zalloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	if (pthread_mutex_init(&w->lock, NULL) != 0) {
		tce_free(w);
		return -ENOMEM;
	}
	rc = tce_account_charge(c->cfg.account, TCE_TAG_TABLE, geo.full_bytes);
	if (rc)
		goto fail_mutex;
	rc = tce_table_create(&geo, start, &w->table);
	if (rc)
		goto fail_charge;
	rc = tce_userview_create(c->cfg.userview, &geo, c->cfg.account, &w->uv);
	if (rc)
		goto fail_table;
	atomic_init(&w->refs, 1);
	w->v2 = c->v2;
	w->add_read_for_write = desc->profile == TCE_PROFILE_LINUX;
	w->geo = geo;
	w->start = start;
	w->hostmem = c->cfg.hostmem;
	w->account = c->cfg.account;
	w->prereg = c->cfg.prereg;
	w->table_charged = geo.full_bytes;
	c->windows[slot] = w;
	for (g = 0; g < c->ngroups; g++)
		group_program(c->groups[g], slot, w);
	return 0;

fail_table:
	tce_table_destroy(w->table);
fail_charge:
	tce_account_uncharge(c->cfg.account, TCE_TAG_TABLE, geo.full_bytes);
fail_mutex:
	pthread_mutex_destroy(&w->lock);
	tce_free(w);
	return rc;
}

/* Remove the window of @slot from the container and its groups; under the container lock. */
static void window_remove(struct tce_container *c, unsigned slot)
{
	struct tce_window *w = c->windows[slot];
	size_t g;

	c->windows[slot] = NULL;
	for (g = 0; g < c->ngroups; g++)
		group_program(c->groups[g], slot, NULL);
	tce_window_unmap(w, w->start, w->geo.window_entries);
	tce_window_put(w);
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
	if (rc == 0) {
		c->groups[c->ngroups++] = group;
		group->container = c;
		for (slot = 0; slot < TCE_MAX_WINDOWS; slot++)
			group_program(group, slot, c->windows[slot]);
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
		group_program(group, slot, NULL);
	memmove(&c->groups[i], &c->groups[i + 1], (c->ngroups - i - 1) * sizeof(*c->groups));
	c->ngroups--;
	group->container = NULL;
	if (c->ngroups == 0) {
		/* No device can reach the windows any more: release their mappings. */
		for (slot = 0; slot < TCE_MAX_WINDOWS; slot++)
			if (c->windows[slot])
				tce_window_unmap(c->windows[slot], c->windows[slot]->start,
						 c->windows[slot]->geo.window_entries);
		c->def_window_pending = false;
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int tce_container_get_info(struct tce_container *c, struct vfio_iommu_spapr_tce_info *info)
{
	const struct tce_group_desc *desc;
	uint32_t argsz = info->argsz;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	desc = container_desc(c);
	if (!desc) {
		rc = -ENXIO;
	} else if (argsz < offsetofend(struct vfio_iommu_spapr_tce_info, dma32_window_size)) {
		rc = -EINVAL;
	} else {
		info->flags = 0;
		info->dma32_window_start = (uint32_t)desc->dma32_start;
		info->dma32_window_size = (uint32_t)desc->dma32_size;
		if (c->v2 && desc->ddw && argsz >= offsetofend(struct vfio_iommu_spapr_tce_info, ddw)) {
			info->flags = VFIO_IOMMU_SPAPR_INFO_DDW;
			info->ddw.pgsizes = desc->pgsizes;
			info->ddw.max_dynamic_windows_supported = desc->max_windows;
			info->ddw.levels = desc->max_levels;
		}
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
	else
		rc = tce_account_charge(c->cfg.account, TCE_TAG_V1_WINDOW, desc->dma32_size);
	if (rc == 0) {
		c->v1_charged = desc->dma32_size;
		c->enabled = true;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int tce_container_disable(struct tce_container *c)
{
	if (c->v2)
		return -ENOTTY;
	pthread_mutex_lock(&c->lock);
	if (c->enabled) {
		tce_account_uncharge(c->cfg.account, TCE_TAG_V1_WINDOW, c->v1_charged);
		c->v1_charged = 0;
		c->enabled = false;
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static bool range_aligned(const struct tce_container *c, uint64_t ua, uint64_t size)
{
	uint64_t mask = (UINT64_C(1) << tce_hostmem_page_shift(c->cfg.hostmem)) - 1;

	return (ua & mask) == 0 && (size & mask) == 0 && (size == 0 || ua + (size - 1) >= ua);
}

static size_t held_find(const struct tce_container *c, uint64_t ua, uint64_t size)
{
	size_t i;

	for (i = 0; i < c->nheld; i++)
		if (c->held[i].ua == ua && c->held[i].size == size)
			return i;
	return c->nheld;
}

int tce_container_register(struct tce_container *c, uint64_t ua, uint64_t size)
{
	int rc;

	if (!c->v2)
		return -ENOTTY;
	if (!range_aligned(c, ua, size) || size == 0)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	if (held_find(c, ua, size) < c->nheld) {
		rc = -EBUSY;
		goto out;
	}
	rc = tce_array_reserve((void **)&c->held, &c->held_cap, c->nheld + 1, sizeof(*c->held));
	if (rc)
		goto out;
	rc = tce_prereg_register(c->cfg.prereg, ua, size, NULL);
	if (rc)
		goto out;
	c->held[c->nheld++] = (struct held_region){ua, size};
	c->enabled = true;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int tce_container_unregister(struct tce_container *c, uint64_t ua, uint64_t size)
{
	size_t i;
	int rc;

	if (!c->v2)
		return -ENOTTY;
	if (!range_aligned(c, ua, size))
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	i = held_find(c, ua, size);
	if (i == c->nheld) {
		rc = -ENOENT;
		goto out;
	}
	rc = tce_prereg_unregister(c->cfg.prereg, ua, size);
	if (rc == 0) {
		memmove(&c->held[i], &c->held[i + 1], (c->nheld - i - 1) * sizeof(*c->held));
		c->nheld--;
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
		*start = c->windows[slot]->start;
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
	if (!container_desc(c)) {
		rc = -ENXIO;
	} else if (c->def_window_pending && start == 0) {
		c->def_window_pending = false;
		rc = 0;
	} else {
		for (slot = 0; slot < TCE_MAX_WINDOWS; slot++) {
			if (c->windows[slot] && c->windows[slot]->start == start) {
				window_remove(c, slot);
				rc = 0;
				break;
			}
		}
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* The checks MAP and UNMAP share; returns the window with a reference. */
static int container_dma_window(struct tce_container *c, uint64_t iova, struct tce_window **wp)
{
	struct tce_window *w = NULL;
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
	for (slot = 0; slot < TCE_MAX_WINDOWS; slot++)
		if (c->windows[slot] && window_contains(c->windows[slot], iova))
			w = c->windows[slot];
	if (!w) {
		rc = -ENXIO;
		goto out;
	}
	tce_window_get(w);
	*wp = w;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int tce_container_map(struct tce_container *c, uint64_t iova, uint64_t size, uint64_t ua,
		      uint32_t flags)
{
	struct tce_window *w;
	uint64_t page_mask;
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
	page_mask = window_page(w) - 1;
	if ((size & page_mask) || (ua & page_mask))
		rc = -EINVAL;
	else if (!(flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		rc = -EINVAL;
	else if (tce_table_check_range(w->table, iova, size ? size >> w->geo.page_shift : 1, NULL))
		rc = -EINVAL; /* the whole range, not only its first page (B-R1) */
	if (rc == 0 && size) {
		if (flags & VFIO_DMA_MAP_FLAG_READ)
			perm |= TCE_PERM_READ;
		if (flags & VFIO_DMA_MAP_FLAG_WRITE)
			perm |= TCE_PERM_WRITE;
		rc = tce_window_map(w, iova, size >> w->geo.page_shift, ua, perm);
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
	int64_t cleared;
	int rc = container_dma_window(c, iova, &w);

	if (rc)
		return rc;
	if (size & (window_page(w) - 1))
		rc = -EINVAL;
	else if (tce_table_check_range(w->table, iova, size ? size >> w->geo.page_shift : 1, NULL))
		rc = -EINVAL;
	if (rc == 0 && size) {
		cleared = tce_window_unmap(w, iova, size >> w->geo.page_shift);
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
	for (slot = 0; slot < TCE_MAX_WINDOWS; slot++) {
		if (c->windows[slot] && window_contains(c->windows[slot], iova)) {
			w = c->windows[slot];
			tce_window_get(w);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return w;
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
	while (c->nheld) {
		struct held_region h = c->held[--c->nheld];

		if (tce_prereg_unregister(c->cfg.prereg, h.ua, h.size) != 0)
			rc = -EBUSY;
	}
	if (c->enabled && !c->v2)
		tce_account_uncharge(c->cfg.account, TCE_TAG_V1_WINDOW, c->v1_charged);
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_destroy(&c->lock);
	tce_free(c->groups);
	tce_free(c->held);
	tce_free(c);
	return rc;
}

/* ---- the ioctl surface ---- */

/* What must hold before a command looks at its struct. */
enum ioctl_gate {
	GATE_NONE,
	GATE_GROUP,   /* a group attached, else -ENXIO */
	GATE_ENABLED, /* the container enabled, else -EPERM */
};

/*
 * The checks every struct command starts with, in the kernel's order: its gate,
 * the struct pointer (-EFAULT), argsz covering @minsz, and no flags when the
 * command takes none (-EINVAL). Every struct starts with u32 argsz, u32 flags.
 */
static int ioctl_prologue(struct tce_container *c, enum ioctl_gate gate, uintptr_t arg,
			  size_t minsz, bool check_flags)
{
	struct {
		uint32_t argsz, flags;
	} head;
	int rc = 0;

	if (gate != GATE_NONE) {
		pthread_mutex_lock(&c->lock);
		if (gate == GATE_GROUP)
			rc = c->ngroups ? 0 : -ENXIO;
		else
			rc = c->enabled ? 0 : -EPERM;
		pthread_mutex_unlock(&c->lock);
		if (rc)
			return rc;
	}
	if (!arg)
		return -EFAULT;
	memcpy(&head, (const void *)arg, sizeof(head));
	if (head.argsz < minsz || (check_flags && head.flags))
		return -EINVAL;
	return 0;
}

int tce_container_ioctl(struct tce_container *container, unsigned long cmd, uintptr_t arg)
{
	struct tce_container *c = container;
	int rc;

	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
		return arg == VFIO_SPAPR_TCE_IOMMU || arg == VFIO_SPAPR_TCE_v2_IOMMU;
	case VFIO_IOMMU_SPAPR_TCE_GET_INFO:
		rc = ioctl_prologue(c, GATE_GROUP, arg, 0, false);
		return rc ? rc : tce_container_get_info(c, (struct vfio_iommu_spapr_tce_info *)arg);
	case VFIO_IOMMU_ENABLE:
		return tce_container_enable(c);
	case VFIO_IOMMU_DISABLE:
		return tce_container_disable(c);
	case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
	case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY: {
		struct vfio_iommu_spapr_register_memory *reg = (void *)arg;

		if (!c->v2)
			return -ENOTTY;
		rc = ioctl_prologue(c, GATE_NONE, arg,
				    offsetofend(struct vfio_iommu_spapr_register_memory, size), true);
		if (rc)
			return rc;
		return cmd == VFIO_IOMMU_SPAPR_REGISTER_MEMORY
			       ? tce_container_register(c, reg->vaddr, reg->size)
			       : tce_container_unregister(c, reg->vaddr, reg->size);
	}
	case VFIO_IOMMU_SPAPR_TCE_CREATE: {
		struct vfio_iommu_spapr_tce_create *create = (void *)arg;
		uint64_t start = 0;

		if (!c->v2)
			return -ENOTTY;
		rc = ioctl_prologue(c, GATE_GROUP, arg,
				    offsetofend(struct vfio_iommu_spapr_tce_create, start_addr), true);
		if (rc)
			return rc;
		rc = tce_container_create_window(c, create->page_shift, create->window_size,
						 create->levels, &start);
		if (rc == 0)
			create->start_addr = start;
		return rc;
	}
	case VFIO_IOMMU_SPAPR_TCE_REMOVE:
		if (!c->v2)
			return -ENOTTY;
		rc = ioctl_prologue(c, GATE_GROUP, arg,
				    offsetofend(struct vfio_iommu_spapr_tce_remove, start_addr), true);
		return rc ? rc
			  : tce_container_remove_window(
				    c, ((struct vfio_iommu_spapr_tce_remove *)arg)->start_addr);
	case VFIO_IOMMU_MAP_DMA: {
		struct vfio_iommu_type1_dma_map *map = (void *)arg;

		/* Its flags are checked by the map itself (READ and WRITE are allowed). */
		rc = ioctl_prologue(c, GATE_ENABLED, arg,
				    offsetofend(struct vfio_iommu_type1_dma_map, size), false);
		return rc ? rc : tce_container_map(c, map->iova, map->size, map->vaddr, map->flags);
	}
	case VFIO_IOMMU_UNMAP_DMA: {
		struct vfio_iommu_type1_dma_unmap *unmap = (void *)arg;

		rc = ioctl_prologue(c, GATE_ENABLED, arg,
				    offsetofend(struct vfio_iommu_type1_dma_unmap, size), true);
		return rc ? rc : tce_container_unmap(c, unmap->iova, unmap->size);
	}
	default:
		return -ENOTTY;
	}
}
