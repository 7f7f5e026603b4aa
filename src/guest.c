// SPDX-License-Identifier: MIT
/*
 * The guest: its TCE tables by LIOBN, memslots, the hardware windows a table
 * is accelerated into, and translation for device DMA. See
 * include/tce/guest.h; the hypercalls are in hcall.c, the shared state in
 * src/guest_internal.h.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "charge.h"
#include "guest_internal.h"
#include "range.h"
#include "window_update.h"

int tce_guest_create(const struct tce_guest_config *config, struct tce_guest **guestp)
{
	struct tce_guest *g;

	if (!tce_hcall_rules_get(config->profile) || !config->account)
		return -EINVAL;
	g = tce_zalloc(sizeof(*g));
	if (!g)
		return -ENOMEM;
	pthread_mutex_init(&g->lock, NULL); /* default attributes: cannot fail on Linux */
	g->cfg = *config;
	g->rules = tce_hcall_rules_get(config->profile);
	*guestp = g;
	return 0;
}

enum tce_hcall_profile tce_guest_profile(const struct tce_guest *guest)
{
	return guest->cfg.profile;
}

static void table_free(struct tce_guest *g, struct gtable *t)
{
	uint64_t i;
	unsigned w;

	for (w = 0; w < t->nwindows; w++)
		tce_window_put(t->windows[w]);
	for (i = 0; t->pages && i < t->tce_pages; i++)
		tce_free(t->pages[i]);
	tce_free(t->pages);
	tce_free(t->dirty);
	tce_uncharge_exact(g->cfg.account, TCE_TAG_GUEST_VIEW, t->charged);
	tce_free(t);
}

void tce_guest_destroy(struct tce_guest *guest)
{
	uint64_t table;
	size_t pos = 0;

	if (!guest)
		return;
	while (tce_u64map_next(&guest->tables, &pos, NULL, &table))
		table_free(guest, (struct gtable *)(uintptr_t)table);
	tce_u64map_free(&guest->tables);
	tce_free(guest->slots);
	pthread_mutex_destroy(&guest->lock);
	tce_free(guest);
}

void tce_guest_set_notifier(struct tce_guest *guest, tce_guest_notify_fn fn, void *opaque)
{
	pthread_mutex_lock(&guest->lock);
	guest->notify = fn;
	guest->notify_opaque = opaque;
	pthread_mutex_unlock(&guest->lock);
}

/* ---- memslots ---- */

int tce_guest_add_memslot(struct tce_guest *guest, uint64_t gpa, uint64_t size, uint64_t ua)
{
	size_t at;
	int rc;

	if (!tce_range_valid(gpa, size, 12) || !tce_range_valid(ua, size, 12))
		return -EINVAL;
	pthread_mutex_lock(&guest->lock);
	at = tce_sorted_last_le(TCE_SORTED(guest->slots, guest->nslots, gpa), gpa);
	at = at == guest->nslots ? 0 : at + 1; /* where the new slot goes */
	if ((at > 0 && tce_range_overlap(guest->slots[at - 1].gpa, guest->slots[at - 1].size, gpa,
					 size)) ||
	    (at < guest->nslots &&
	     tce_range_overlap(guest->slots[at].gpa, guest->slots[at].size, gpa, size))) {
		pthread_mutex_unlock(&guest->lock);
		return -EINVAL;
	}
	rc = tce_array_reserve((void **)&guest->slots, &guest->slots_cap, guest->nslots + 1,
			       sizeof(*guest->slots));
	if (rc == 0) {
		memmove(&guest->slots[at + 1], &guest->slots[at],
			(guest->nslots - at) * sizeof(*guest->slots));
		guest->slots[at] = (struct memslot){gpa, size, ua};
		guest->nslots++;
		guest->slot_hint = 0;
	}
	pthread_mutex_unlock(&guest->lock);
	return rc;
}

int guest_gpa_to_ua(struct tce_guest *g, uint64_t gpa, uint64_t len, uint64_t *ua)
{
	size_t i = g->slot_hint;

	if (i >= g->nslots || !tce_range_inside(g->slots[i].gpa, g->slots[i].size, gpa, len)) {
		i = tce_sorted_last_le(TCE_SORTED(g->slots, g->nslots, gpa), gpa);
		if (i == g->nslots || !tce_range_inside(g->slots[i].gpa, g->slots[i].size, gpa, len))
			return -EFAULT;
		g->slot_hint = i;
	}
	*ua = g->slots[i].ua + (gpa - g->slots[i].gpa);
	return 0;
}

int tce_guest_gpa_to_ua(struct tce_guest *guest, uint64_t gpa, uint64_t *ua)
{
	int rc;

	pthread_mutex_lock(&guest->lock);
	rc = guest_gpa_to_ua(guest, gpa, 1, ua);
	pthread_mutex_unlock(&guest->lock);
	return rc;
}

/* ---- tables ---- */

struct gtable *guest_find_table(struct tce_guest *g, uint64_t liobn)
{
	uint64_t table;

	if (g->table_hint && g->table_hint->liobn == liobn)
		return g->table_hint;
	if (liobn >> 32 || !tce_u64map_get(&g->tables, liobn, &table))
		return NULL;
	g->table_hint = (struct gtable *)(uintptr_t)table;
	return g->table_hint;
}

int tce_guest_create_table(struct tce_guest *guest, uint64_t liobn, unsigned page_shift,
			   uint64_t offset, uint64_t size)
{
	struct gtable *t;
	uint64_t tce_pages, stt_pages;
	int rc;

	if (liobn >> 32 || size == 0 || page_shift < 12 || page_shift > 34 ||
	    offset > (UINT64_MAX >> page_shift) || size - 1 > (UINT64_MAX >> page_shift) - offset)
		return -EINVAL;
	/* KVM's charge: the pages of TCEs, plus the descriptor with one pointer per page. */
	tce_pages = size / ENTRIES_PER_PAGE + (size % ENTRIES_PER_PAGE != 0);
	stt_pages = tce_pages + (TCE_GUEST_STT_BYTES + tce_pages * 8 + TCE_GUEST_PAGE_BYTES - 1) /
					TCE_GUEST_PAGE_BYTES;
	if (tce_pages > SIZE_MAX / sizeof(uint64_t *))
		return -ENOMEM;
	pthread_mutex_lock(&guest->lock);
	if (tce_u64map_get(&guest->tables, liobn, NULL)) {
		rc = -EBUSY;
		goto out;
	}
	/* Room first: once charged and allocated, the insert cannot fail. */
	rc = tce_u64map_reserve(&guest->tables, guest->tables.n + 1);
	if (rc)
		goto out;
	rc = tce_account_charge(guest->cfg.account, TCE_TAG_GUEST_VIEW,
				stt_pages * TCE_GUEST_PAGE_BYTES);
	if (rc)
		goto out;
	t = tce_zalloc(sizeof(*t));
	if (t)
		t->pages = tce_zalloc((size_t)tce_pages * sizeof(*t->pages));
	if (t && t->pages && guest->tracking) /* a migration is on: record writes from the start */
		t->dirty = tce_zalloc((size_t)tce_pages * sizeof(*t->dirty));
	if (!t || !t->pages || (guest->tracking && !t->dirty)) {
		if (t)
			tce_free(t->pages);
		tce_free(t);
		tce_uncharge_exact(guest->cfg.account, TCE_TAG_GUEST_VIEW,
				   stt_pages * TCE_GUEST_PAGE_BYTES);
		rc = -ENOMEM;
		goto out;
	}
	t->liobn = liobn;
	t->page_shift = page_shift;
	t->offset = offset;
	t->size = size;
	t->tce_pages = tce_pages;
	t->charged = stt_pages * TCE_GUEST_PAGE_BYTES;
	t->generation = ++guest->next_generation;
	rc = tce_u64map_put(&guest->tables, liobn, (uintptr_t)t);
	assert(rc == 0); /* reserved */
out:
	pthread_mutex_unlock(&guest->lock);
	return rc;
}

int tce_guest_remove_table(struct tce_guest *guest, uint64_t liobn)
{
	struct gtable *t;
	uint64_t table;

	pthread_mutex_lock(&guest->lock);
	if (liobn >> 32 || !tce_u64map_remove(&guest->tables, liobn, &table)) {
		pthread_mutex_unlock(&guest->lock);
		return -ENOENT;
	}
	t = (struct gtable *)(uintptr_t)table;
	if (guest->table_hint == t)
		guest->table_hint = NULL;
	table_free(guest, t);
	pthread_mutex_unlock(&guest->lock);
	return 0;
}

int guest_entries_reserve(struct gtable *t, uint64_t idx, uint64_t n, const uint64_t *tces,
			  uint64_t value)
{
	uint64_t i = 0;

	/* A storage page at a time: only a missing page has its values looked at. */
	while (i < n) {
		uint64_t at = idx + i, p = at >> ENTRIES_PER_PAGE_SHIFT, k;
		uint64_t cnt = ENTRIES_PER_PAGE - (at & (ENTRIES_PER_PAGE - 1));
		bool needed = false;
		uint64_t *page;

		if (cnt > n - i)
			cnt = n - i;
		if (!tces)
			needed = !t->pages[p] && value != 0; /* one value for all: no need to look at each */
		for (k = 0; tces && !t->pages[p] && !needed && k < cnt; k++)
			needed = tces[i + k] != 0;
		i += cnt;
		if (!needed)
			continue;
		page = tce_zalloc(TCE_GUEST_PAGE_BYTES);
		if (!page)
			return -ENOMEM;
		__atomic_store_n(&t->pages[p], page, __ATOMIC_RELEASE);
		t->allocated_pages++;
	}
	return 0;
}

void guest_entry_set(struct gtable *t, uint64_t idx, uint64_t tce)
{
	uint64_t *page = t->pages[idx >> ENTRIES_PER_PAGE_SHIFT];

	if (!page) {
		assert(tce == 0);
		return;
	}
	__atomic_store_n(&page[idx & (ENTRIES_PER_PAGE - 1)], tce, __ATOMIC_RELAXED);
	guest_mark_dirty(t, idx, 1);
}

/* Entries with a permission, counted when asked (hypercalls do not keep a count). */
static uint64_t valid_entries(const struct gtable *t)
{
	uint64_t p, k, valid = 0;

	for (p = 0; p < t->tce_pages; p++)
		for (k = 0; t->pages[p] && k < ENTRIES_PER_PAGE; k++)
			valid += (t->pages[p][k] & TCE_PERM_MASK) != 0;
	return valid;
}

int tce_guest_table_info(struct tce_guest *guest, uint64_t liobn, struct tce_guest_table_info *info)
{
	struct gtable *t;

	pthread_mutex_lock(&guest->lock);
	t = guest_find_table(guest, liobn);
	if (t) {
		info->liobn = t->liobn;
		info->page_shift = t->page_shift;
		info->offset = t->offset;
		info->size = t->size;
		info->charged_bytes = t->charged;
		info->allocated_bytes = t->allocated_pages * TCE_GUEST_PAGE_BYTES;
		info->valid_entries = valid_entries(t);
		info->windows = t->nwindows;
	}
	pthread_mutex_unlock(&guest->lock);
	return t ? 0 : -ENOENT;
}

/* Fill a view of @liobn's table; under the lock. */
static int view_locked(struct tce_guest *guest, uint64_t liobn, struct tce_guest_view *view)
{
	struct gtable *t = guest_find_table(guest, liobn);

	if (!t)
		return -ENOENT;
	view->pages = (uint64_t *const *)t->pages;
	view->offset = t->offset;
	view->size = t->size;
	view->page_shift = t->page_shift;
	return 0;
}

int tce_guest_get_view(struct tce_guest *guest, uint64_t liobn, struct tce_guest_view *view)
{
	int rc;

	pthread_mutex_lock(&guest->lock);
	rc = view_locked(guest, liobn, view);
	pthread_mutex_unlock(&guest->lock);
	return rc;
}

/* ---- acceleration ---- */

int guest_tce_to_page(struct tce_guest *g, const struct gtable *t, uint64_t tce,
		      struct tce_window_page *page)
{
	unsigned perm = (unsigned)(tce & TCE_PERM_MASK);

	page->perm = perm;
	page->ua = 0;
	if (!perm)
		return 0;
	if ((tce & ~TCE_PERM_MASK) & guest_page_mask(t))
		return -EINVAL; /* not page-aligned: cannot be mapped by hardware */
	return guest_gpa_to_ua(g, tce & ~TCE_PERM_MASK, UINT64_C(1) << t->page_shift, &page->ua);
}

/*
 * Check (@check_only) or write every valid TCE of @t into @window, a list of
 * up to 512 entries at a time; never-allocated storage pages are skipped.
 */
static int mirror_table(struct tce_guest *g, const struct gtable *t, struct tce_window *window,
			bool check_only)
{
	struct tce_window_page pages[TCE_HCALL_MAX_COUNT];
	uint64_t idx = 0;
	int rc = 0;

	while (rc == 0 && idx < t->size) {
		uint64_t first = idx, n = 0;

		if (!t->pages[idx >> ENTRIES_PER_PAGE_SHIFT]) {
			idx = (idx | (ENTRIES_PER_PAGE - 1)) + 1;
			continue;
		}
		/* A run of entries with a permission, within one storage page. */
		while (idx < t->size && n < TCE_HCALL_MAX_COUNT &&
		       (guest_entry_get(t, idx) & TCE_PERM_MASK) &&
		       (n == 0 || (idx & (ENTRIES_PER_PAGE - 1)) != 0)) {
			rc = guest_tce_to_page(g, t, guest_entry_get(t, idx), &pages[n]);
			if (rc)
				return rc;
			n++;
			idx++;
		}
		if (n == 0) {
			idx++;
			continue;
		}
		rc = (check_only ? tce_window_check_list : tce_window_map_list)(
			window, (t->offset + first) << t->page_shift, t->page_shift, n, pages);
	}
	return rc;
}

/* The hardware entries a guest table covers in @window. */
static uint64_t hw_entries(const struct gtable *t, const struct tce_window *window)
{
	return t->size << (t->page_shift - tce_window_geometry(window)->page_shift);
}

int tce_guest_attach_window(struct tce_guest *guest, uint64_t liobn, struct tce_window *window)
{
	const struct tce_geometry *hw = tce_window_geometry(window);
	struct gtable *t;
	int64_t cleared;
	unsigned w;
	int rc = 0;

	pthread_mutex_lock(&guest->lock);
	t = guest_find_table(guest, liobn);
	if (!t) {
		rc = -ENOENT;
		goto out;
	}
	/* KVM's rules: hardware page not larger, same start, hardware window not smaller. */
	if (hw->page_shift > t->page_shift || tce_window_start(window) != t->offset << t->page_shift ||
	    t->size > (hw->window_entries >> (t->page_shift - hw->page_shift))) {
		rc = -EINVAL;
		goto out;
	}
	for (w = 0; w < t->nwindows; w++)
		if (t->windows[w] == window)
			rc = -EEXIST;
	if (rc == 0 && t->nwindows == TCE_GUEST_MAX_WINDOWS)
		rc = -ENOSPC;
	if (rc)
		goto out;
	/* Check every current TCE first, so a refusal leaves the window as it was. */
	rc = mirror_table(guest, t, window, true);
	if (rc)
		goto out;
	cleared = tce_window_unmap(window, tce_window_start(window), hw_entries(t, window));
	rc = cleared < 0 ? (int)cleared : mirror_table(guest, t, window, false);
	if (rc) {
		/* Only memory can fail here: leave the window empty rather than half filled. */
		tce_window_unmap(window, tce_window_start(window), hw_entries(t, window));
		rc = rc < 0 ? rc : -ENOMEM;
		goto out;
	}
	tce_window_get(window);
	t->windows[t->nwindows++] = window;
out:
	pthread_mutex_unlock(&guest->lock);
	return rc;
}

int tce_guest_detach_window(struct tce_guest *guest, uint64_t liobn, struct tce_window *window)
{
	struct gtable *t;
	unsigned w;
	int rc = -ENOENT;

	pthread_mutex_lock(&guest->lock);
	t = guest_find_table(guest, liobn);
	for (w = 0; t && w < t->nwindows; w++) {
		if (t->windows[w] == window) {
			t->windows[w] = t->windows[--t->nwindows];
			tce_window_put(window);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&guest->lock);
	return rc;
}

int tce_guest_reset_table(struct tce_guest *guest, uint64_t liobn)
{
	struct gtable *t;
	uint64_t p, i;
	unsigned w;

	pthread_mutex_lock(&guest->lock);
	t = guest_find_table(guest, liobn);
	if (t) {
		for (p = 0; p < t->tce_pages; p++) {
			for (i = 0; t->pages[p] && i < ENTRIES_PER_PAGE; i++)
				__atomic_store_n(&t->pages[p][i], 0, __ATOMIC_RELAXED);
			if (t->pages[p])
				guest_mark_dirty(t, p * ENTRIES_PER_PAGE, ENTRIES_PER_PAGE);
		}
		for (w = 0; w < t->nwindows; w++)
			tce_window_unmap(t->windows[w], tce_window_start(t->windows[w]),
					 hw_entries(t, t->windows[w]));
	}
	pthread_mutex_unlock(&guest->lock);
	return t ? 0 : -ENOENT;
}

/* ---- translation for device DMA ---- */

int tce_guest_translate(struct tce_guest *guest, uint64_t liobn, uint64_t ioba, unsigned access,
			struct tce_guest_xlate *xlate)
{
	struct tce_guest_view view;
	int rc;

	pthread_mutex_lock(&guest->lock);
	rc = view_locked(guest, liobn, &view);
	if (rc == 0 && !tce_guest_view_translate(&view, ioba, xlate))
		rc = -EFAULT;
	pthread_mutex_unlock(&guest->lock);
	if (rc == 0 && ((access & (unsigned)TCE_PERM_MASK) & ~xlate->perm))
		rc = -EACCES;
	return rc;
}
