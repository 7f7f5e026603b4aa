// SPDX-License-Identifier: MIT
/*
 * One DMA window: its lifetime, charge, getters and the public map and unmap
 * calls. See include/tce/window.h; the update engine they all go through is
 * src/window_update.c.
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
#include "rcu.h"
#include "window_update.h"

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
	pthread_mutex_init(&w->lock, NULL); /* default attributes: cannot fail on Linux */
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

int tce_window_map_list(struct tce_window *window, uint64_t ioba, unsigned list_page_shift,
			uint64_t count, const struct tce_window_page *pages)
{
	struct tce_window_req req = {.ioba = ioba, .list_shift = list_page_shift, .count = count,
				     .kind = TCE_REQ_LIST, .pages = pages};

	return pages ? tce_window_update(&window, 1, &req, false) : -EINVAL;
}

int tce_window_check_list(struct tce_window *window, uint64_t ioba, unsigned list_page_shift,
			  uint64_t count, const struct tce_window_page *pages)
{
	struct tce_window_req req = {.ioba = ioba, .list_shift = list_page_shift, .count = count,
				     .kind = TCE_REQ_LIST, .pages = pages};

	return pages ? tce_window_update(&window, 1, &req, true) : -EINVAL;
}

int tce_window_map(struct tce_window *window, uint64_t ioba, uint64_t npages, uint64_t ua,
		   unsigned perm)
{
	struct tce_window_req req = {.ioba = ioba, .list_shift = window->geo.page_shift,
				     .count = npages, .kind = TCE_REQ_CONTIGUOUS, .ua = ua,
				     .perm = perm & (unsigned)TCE_PERM_MASK};

	if (!req.perm || (perm & ~(unsigned)TCE_PERM_MASK))
		return -EINVAL;
	return tce_window_update(&window, 1, &req, false);
}

int64_t tce_window_unmap(struct tce_window *window, uint64_t ioba, uint64_t npages)
{
	uint64_t index;
	int64_t rc;

	pthread_mutex_lock(&window->lock);
	rc = tce_table_check_range(window->table, ioba, npages, &index);
	if (rc == 0)
		rc = tce_userview_reserve(window->uv, index, npages, 0);
	if (rc == 0) {
		tce_rcu_read_lock();
		rc = tce_window_clear_locked(window, index, npages);
		tce_rcu_read_unlock();
		tce_userview_compact(window->uv);
	}
	pthread_mutex_unlock(&window->lock);
	return rc;
}

static void window_free(struct tce_window *w)
{
	/* Clearing a whole window needs no room, so it cannot fail. */
	tce_rcu_read_lock();
	tce_window_clear_locked(w, 0, w->geo.window_entries);
	tce_rcu_read_unlock();
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
