// SPDX-License-Identifier: MIT
/*
 * One DMA window and its all-or-nothing map engine. See include/tce/window.h.
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

#include "tce/window.h"
#include "alloc.h"
#include "charge.h"

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
	uint64_t pinned_bytes;
};

int tce_window_create(const struct tce_window_config *cfg, struct tce_window **windowp)
{
	struct tce_window *w;
	int rc;

	if (!cfg->hostmem || !cfg->account || (cfg->v2 && !cfg->prereg))
		return -EINVAL;
	if (cfg->geo.create_errno)
		return cfg->geo.create_errno;
	w = tce_zalloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	if (pthread_mutex_init(&w->lock, NULL) != 0) {
		tce_free(w);
		return -ENOMEM;
	}
	rc = tce_account_charge(cfg->account, TCE_TAG_TABLE, cfg->geo.full_bytes);
	if (rc)
		goto fail_mutex;
	rc = tce_table_create(&cfg->geo, cfg->start, &w->table);
	if (rc)
		goto fail_charge;
	rc = tce_userview_create(cfg->userview, &cfg->geo, cfg->account, &w->uv);
	if (rc)
		goto fail_table;
	atomic_init(&w->refs, 1);
	w->v2 = cfg->v2;
	w->add_read_for_write = cfg->add_read_for_write;
	w->geo = cfg->geo;
	w->start = cfg->start;
	w->hostmem = cfg->hostmem;
	w->account = cfg->account;
	w->prereg = cfg->prereg;
	w->table_charged = cfg->geo.full_bytes;
	*windowp = w;
	return 0;

fail_table:
	tce_table_destroy(w->table);
fail_charge:
	tce_uncharge_exact(cfg->account, TCE_TAG_TABLE, cfg->geo.full_bytes);
fail_mutex:
	pthread_mutex_destroy(&w->lock);
	tce_free(w);
	return rc;
}

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

bool tce_window_contains(const struct tce_window *window, uint64_t iova)
{
	return iova >= window->start && ((iova - window->start) >> window->geo.window_shift) == 0;
}

bool tce_window_is_v2(const struct tce_window *window)
{
	return window->v2;
}

const struct tce_table *tce_window_table(const struct tce_window *window)
{
	return window->table;
}

int tce_window_translate(const struct tce_window *window, uint64_t iova,
			 struct tce_translation *xlate)
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
	usage->mapped = window->mapped;
	usage->pinned_bytes = window->pinned_bytes;
	pthread_mutex_unlock(&window->lock);
}

static uint64_t window_page(const struct tce_window *w)
{
	return UINT64_C(1) << w->geo.page_shift;
}

static void v1_unpin(struct tce_window *w, struct tce_hostmem_pin *pin)
{
	w->pinned_bytes -= tce_hostmem_pin_bytes(pin);
	tce_hostmem_unpin(w->hostmem, pin);
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
		v1_unpin(w, w->v1_pins[index]);
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
	tce_uncharge_exact(w->account, TCE_TAG_TABLE, w->table_charged);
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
				w->pinned_bytes += tce_hostmem_pin_bytes(res.pins[e]);
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
