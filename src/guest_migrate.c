// SPDX-License-Identifier: MIT
/*
 * The guest's side of migration: dirty tracking, runs out, runs in. See
 * src/guest_migrate.h.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "guest_internal.h"
#include "guest_migrate.h"

int guest_dirty_start(struct tce_guest *g)
{
	struct gtable *t;
	uint64_t table;
	size_t pos = 0;
	int rc = 0;

	pthread_mutex_lock(&g->lock);
	while (rc == 0 && tce_u64map_next(&g->tables, &pos, NULL, &table)) {
		t = (struct gtable *)(uintptr_t)table;
		if (!t->dirty)
			t->dirty = tce_zalloc((size_t)t->tce_pages * sizeof(*t->dirty));
		rc = t->dirty ? 0 : -ENOMEM;
	}
	g->tracking = rc == 0;
	pthread_mutex_unlock(&g->lock);
	if (rc)
		guest_dirty_stop(g);
	return rc;
}

void guest_dirty_stop(struct tce_guest *g)
{
	struct gtable *t;
	uint64_t table;
	size_t pos = 0;

	pthread_mutex_lock(&g->lock);
	g->tracking = false;
	while (tce_u64map_next(&g->tables, &pos, NULL, &table)) {
		t = (struct gtable *)(uintptr_t)table;
		tce_free(t->dirty);
		t->dirty = NULL;
	}
	pthread_mutex_unlock(&g->lock);
}

void guest_dirty_mark_all(struct tce_guest *g)
{
	struct gtable *t;
	uint64_t table, p;
	size_t pos = 0;

	pthread_mutex_lock(&g->lock);
	while (tce_u64map_next(&g->tables, &pos, NULL, &table)) {
		t = (struct gtable *)(uintptr_t)table;
		for (p = 0; t->dirty && p < t->tce_pages; p++)
			if (t->pages[p])
				t->dirty[p] = UINT16_MAX;
	}
	pthread_mutex_unlock(&g->lock);
}

size_t guest_memslots(struct tce_guest *g, uint64_t (*out)[2], size_t max)
{
	size_t i, n;

	pthread_mutex_lock(&g->lock);
	n = g->nslots;
	for (i = 0; i < n && i < max; i++) {
		out[i][0] = g->slots[i].gpa;
		out[i][1] = g->slots[i].size;
	}
	pthread_mutex_unlock(&g->lock);
	return n;
}

uint64_t guest_table_generation(struct tce_guest *g, uint64_t liobn)
{
	struct gtable *t;
	uint64_t gen;

	pthread_mutex_lock(&g->lock);
	t = guest_find_table(g, liobn);
	gen = t ? t->generation : 0;
	pthread_mutex_unlock(&g->lock);
	return gen;
}

/*
 * Runs of [idx, idx + n) of one table, all in storage page @page (which
 * exists); @valid_only skips cleared entries. Under the lock: the values are
 * read straight from the page.
 */
static int emit_range(const struct gtable *t, const uint64_t *page, uint64_t idx, uint64_t n,
		      bool valid_only, guest_run_fn fn, void *ctx)
{
	const uint64_t step = UINT64_C(1) << t->page_shift;
	const uint64_t *at = page + (idx & (ENTRIES_PER_PAGE - 1));
	uint64_t i = 0;
	int rc;

	while (i < n) {
		uint64_t first = at[i], k = 1;

		/* Extend while each TCE is the previous one plus a page (zeros: while zero). */
		if (first) {
			uint64_t expect = first + step;

			while (i + k < n && at[i + k] == expect) {
				expect += step;
				k++;
			}
		} else {
			while (i + k < n && at[i + k] == 0)
				k++;
		}
		if (first || !valid_only) {
			rc = fn(ctx, t->liobn, idx + i, k, first);
			if (rc)
				return rc;
		}
		i += k;
	}
	return 0;
}

int guest_emit_runs(struct tce_guest *g, bool dirty_only, guest_table_fn table_fn,
		    guest_run_fn fn, void *ctx)
{
	const unsigned chunks = ENTRIES_PER_PAGE / DIRTY_CHUNK;
	struct gtable *t;
	uint64_t table, p;
	size_t pos = 0;
	unsigned c;
	int rc = 0;

	pthread_mutex_lock(&g->lock);
	while (rc == 0 && tce_u64map_next(&g->tables, &pos, NULL, &table)) {
		t = (struct gtable *)(uintptr_t)table;
		rc = table_fn(ctx, &(struct guest_table_desc){t->liobn, t->page_shift, t->offset,
							      t->size, t->generation});
		for (p = 0; rc == 0 && p < t->tce_pages; p++) {
			uint64_t base = p * ENTRIES_PER_PAGE, in_page = t->size - base;

			if (!t->pages[p])
				continue; /* all zero, and zero on the other side too */
			if (in_page > ENTRIES_PER_PAGE)
				in_page = ENTRIES_PER_PAGE;
			if (!dirty_only) {
				rc = emit_range(t, t->pages[p], base, in_page, true, fn, ctx);
				if (t->dirty)
					t->dirty[p] = 0; /* sent now: only later writes count */
				continue;
			}
			for (c = 0; rc == 0 && t->dirty && t->dirty[p] && c < chunks; c++) {
				uint64_t from = (uint64_t)c * DIRTY_CHUNK;

				if (!(t->dirty[p] & (1u << c)) || from >= in_page)
					continue;
				rc = emit_range(t, t->pages[p], base + from,
						in_page - from < DIRTY_CHUNK ? in_page - from : DIRTY_CHUNK,
						false, fn, ctx);
			}
			if (rc == 0 && t->dirty)
				t->dirty[p] = 0;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return rc;
}

int guest_write_runs(struct tce_guest *g, uint64_t liobn, guest_next_run_fn next, void *ctx)
{
	uint64_t tces[TCE_HCALL_MAX_COUNT], index, count, tce, i, page;
	struct gtable *t;
	int rc = 0;

	pthread_mutex_lock(&g->lock);
	t = guest_find_table(g, liobn);
	if (!t) {
		rc = -ENOENT;
		goto out;
	}
	page = UINT64_C(1) << t->page_shift;
	while (rc == 0 && next(ctx, &index, &count, &tce)) {
		uint64_t done = 0;

		if (index >= t->size || count > t->size - index) {
			rc = -EINVAL;
			break;
		}
		while (done < count && rc == 0) {
			uint64_t n = count - done < TCE_HCALL_MAX_COUNT ? count - done : TCE_HCALL_MAX_COUNT;
			/* One entry, or clears: one value. Otherwise the TCEs of the run. */
			bool one_value = tce == 0 || n == 1;
			uint64_t value = tce ? tce + done * page : 0;

			for (i = 0; !one_value && i < n; i++)
				tces[i] = tce + (done + i) * page;
			/* Storage first, so that running out of memory is told apart from a refusal. */
			rc = guest_entries_reserve(t, index + done, n, one_value ? NULL : tces, value);
			if (rc == 0 && guest_write_range(g, t, index + done, n, one_value ? NULL : tces,
							 value) != TCE_H_SUCCESS)
				rc = -EFAULT;
			done += n;
		}
	}
out:
	pthread_mutex_unlock(&g->lock);
	return rc;
}
