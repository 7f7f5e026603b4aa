// SPDX-License-Identifier: MIT
/*
 * Userspace addresses of one window: a mirror tree or sorted runs.
 * See include/tce/userview.h.
 */
#include <errno.h>
#include <string.h>

#include "tce/table.h"
#include "tce/userview.h"
#include "alloc.h"
#include "charge.h"
#include "range.h"
#include "userview_fast.h"

int tce_userview_create(enum tce_userview_kind kind, const struct tce_geometry *geo,
			struct tce_account *account, struct tce_userview **userviewp)
{
	struct tce_userview *uv;
	int rc;

	if ((kind != TCE_USERVIEW_MIRROR && kind != TCE_USERVIEW_EXTENTS) || geo->create_errno)
		return -EINVAL;
	uv = tce_zalloc(sizeof(*uv));
	if (!uv)
		return -ENOMEM;
	uv->kind = kind;
	uv->geo = *geo;
	uv->account = account;
	if (kind == TCE_USERVIEW_MIRROR) {
		rc = tce_account_charge(account, TCE_TAG_MIRROR, geo->full_bytes);
		if (rc) {
			tce_free(uv);
			return rc;
		}
		uv->charged = geo->full_bytes;
		rc = tce_table_create(geo, 0, &uv->mirror);
		if (rc) {
			tce_uncharge_exact(account, TCE_TAG_MIRROR, uv->charged);
			tce_free(uv);
			return rc;
		}
	}
	*userviewp = uv;
	return 0;
}

void tce_userview_destroy(struct tce_userview *userview)
{
	if (!userview)
		return;
	tce_table_destroy(userview->mirror);
	tce_free(userview->runs);
	tce_uncharge_exact(userview->account, TCE_TAG_MIRROR, userview->charged);
	tce_free(userview);
}

enum tce_userview_kind tce_userview_kind(const struct tce_userview *userview)
{
	return userview->kind;
}

static int check_range(const struct tce_userview *uv, uint64_t index, uint64_t npages)
{
	if (npages == 0 || index >= uv->geo.window_entries ||
	    npages > uv->geo.window_entries - index)
		return -EINVAL;
	return 0;
}

static uint64_t mirror_ioba(const struct tce_userview *uv, uint64_t index)
{
	return index << uv->geo.page_shift;
}

/* ---- extents ---- */

static uint64_t run_end(const struct uv_run *run)
{
	return run->index + run->count;
}

/* Index of the first run ending after @index (containing it or above it). */
size_t tce_userview_run_after(const struct tce_userview *uv, uint64_t index)
{
	return tce_sorted_first_ending_after(TCE_SORTED_RANGES(uv->runs, uv->nruns, index, count),
					     index);
}

/* Grow the run array so it holds @need runs, charging the growth first. */
static int runs_reserve(struct tce_userview *uv, uint64_t need)
{
	size_t new_cap = uv->cap ? uv->cap : 8;
	uint64_t grow;
	int rc;

	if (need <= uv->cap)
		return 0;
	if (need > SIZE_MAX / sizeof(struct uv_run) / 2)
		return -ENOMEM;
	while (new_cap < need)
		new_cap *= 2;
	grow = (uint64_t)(new_cap - uv->cap) * sizeof(struct uv_run);
	rc = tce_account_charge(uv->account, TCE_TAG_MIRROR, grow);
	if (rc)
		return rc;
	rc = tce_array_reserve((void **)&uv->runs, &uv->cap, new_cap, sizeof(struct uv_run));
	if (rc) {
		tce_uncharge_exact(uv->account, TCE_TAG_MIRROR, grow);
		return rc;
	}
	uv->charged += grow;
	return 0;
}

/*
 * After runs merged or went away: when at most a quarter of the array is
 * used, halve it (down to 8), releasing the charge of what is given back.
 */
static void runs_shrink(struct tce_userview *uv)
{
	size_t cap = uv->cap;
	uint64_t given;

	while (cap > 8 && uv->nruns <= cap / 4)
		cap /= 2;
	if (cap == uv->cap)
		return;
	given = (uint64_t)(uv->cap - cap) * sizeof(struct uv_run);
	tce_array_shrink((void **)&uv->runs, &uv->cap, cap, sizeof(struct uv_run));
	tce_uncharge_exact(uv->account, TCE_TAG_MIRROR, given);
	uv->charged -= given;
}

/* Remove entries [a, b) from the runs. Needs room for one more run. */
static void runs_cut(struct tce_userview *uv, uint64_t a, uint64_t b)
{
	size_t i = tce_userview_run_after(uv, a), j;

	if (uv->nruns == 0)
		return; /* nothing to cut (and possibly no array yet) */

	if (i < uv->nruns && uv->runs[i].index < a && run_end(&uv->runs[i]) > b) {
		/* The range is strictly inside one run: split it. */
		struct uv_run right = {b, run_end(&uv->runs[i]) - b,
				       uv->runs[i].ua + ((b - uv->runs[i].index) << uv->geo.page_shift)};

		uv->runs[i].count = a - uv->runs[i].index;
		memmove(&uv->runs[i + 2], &uv->runs[i + 1], (uv->nruns - i - 1) * sizeof(*uv->runs));
		uv->runs[i + 1] = right;
		uv->nruns++;
		return;
	}
	if (i < uv->nruns && uv->runs[i].index < a) {
		uv->runs[i].count = a - uv->runs[i].index;
		i++;
	}
	for (j = i; j < uv->nruns && run_end(&uv->runs[j]) <= b; j++)
		;
	if (j < uv->nruns && uv->runs[j].index < b) {
		uint64_t off = b - uv->runs[j].index;

		uv->runs[j].index = b;
		uv->runs[j].count -= off;
		uv->runs[j].ua += off << uv->geo.page_shift;
	}
	memmove(&uv->runs[i], &uv->runs[j], (uv->nruns - j) * sizeof(*uv->runs));
	uv->nruns -= j - i;
}

static bool runs_join(const struct tce_userview *uv, const struct uv_run *left,
		      const struct uv_run *right)
{
	return run_end(left) == right->index &&
	       left->ua + (left->count << uv->geo.page_shift) == right->ua;
}

/* Insert a run into a gap that holds none, merging with neighbours. Needs room for one. */
static void runs_insert(struct tce_userview *uv, struct uv_run run)
{
	size_t i = tce_userview_run_after(uv, run.index);

	if (i > 0 && runs_join(uv, &uv->runs[i - 1], &run)) {
		uv->runs[i - 1].count += run.count;
		if (i < uv->nruns && runs_join(uv, &uv->runs[i - 1], &uv->runs[i])) {
			uv->runs[i - 1].count += uv->runs[i].count;
			memmove(&uv->runs[i], &uv->runs[i + 1], (uv->nruns - i - 1) * sizeof(*uv->runs));
			uv->nruns--;
		}
		return;
	}
	if (i < uv->nruns && runs_join(uv, &run, &uv->runs[i])) {
		uv->runs[i].index = run.index;
		uv->runs[i].count += run.count;
		uv->runs[i].ua = run.ua;
		return;
	}
	memmove(&uv->runs[i + 1], &uv->runs[i], (uv->nruns - i) * sizeof(*uv->runs));
	uv->runs[i] = run;
	uv->nruns++;
}

/* Whether removing [a, b) would cut one run in two (the only cut that needs room). */
static bool clear_needs_split(const struct tce_userview *uv, uint64_t a, uint64_t b)
{
	size_t i;

	if (uv->kind != TCE_USERVIEW_EXTENTS)
		return false;
	i = tce_userview_run_after(uv, a);
	return i < uv->nruns && uv->runs[i].index < a && run_end(&uv->runs[i]) > b;
}

/* ---- common ---- */

int tce_userview_reserve(struct tce_userview *userview, uint64_t index, uint64_t npages,
			 uint64_t runs)
{
	int rc = check_range(userview, index, npages);

	if (rc)
		return rc;
	if (runs == 0) /* clearing only */
		return clear_needs_split(userview, index, index + npages)
			       ? runs_reserve(userview, userview->nruns + 1)
			       : 0;
	if (userview->kind == TCE_USERVIEW_MIRROR)
		return tce_table_reserve(userview->mirror, mirror_ioba(userview, index), npages);
	/* Each set or clear can add two runs (a split and a new run). */
	if (runs > (UINT64_MAX - userview->nruns - 1) / 2)
		return -ENOMEM;
	return runs_reserve(userview, userview->nruns + 2 * runs + 1);
}

int tce_userview_set_range(struct tce_userview *userview, uint64_t index, uint64_t npages,
			   uint64_t ua)
{
	uint64_t page = UINT64_C(1) << userview->geo.page_shift;
	uint64_t i;
	int rc = check_range(userview, index, npages);

	if (rc)
		return rc;
	if (ua == 0 || (ua & (page - 1)) || (npages - 1) > (UINT64_MAX - ua) >> userview->geo.page_shift)
		return -EINVAL;
	if (userview->kind == TCE_USERVIEW_MIRROR) {
		struct tce_leaf_cursor c = TCE_LEAF_CURSOR_INIT;

		rc = tce_table_reserve(userview->mirror, mirror_ioba(userview, index), npages);
		if (rc)
			return rc;
		/* Reserved: the walks (one per leaf node) allocate nothing and cannot fail. */
		for (i = 0; i < npages;) {
			uint64_t idx = index + i, mask = userview->mirror->index_mask;
			uint64_t cnt = mask - (idx & mask) + 1, k;
			tce_word *word = tce_cursor_word(userview->mirror, &c, idx, true);

			uint64_t value = (ua + (i << userview->geo.page_shift)) | TCE_MIRROR_PRESENT;

			if (cnt > npages - i)
				cnt = npages - i;
			for (k = 0; k < cnt; k++, value += UINT64_C(1) << userview->geo.page_shift)
				tce_word_replace(&word[k], value);
			i += cnt;
		}
		return 0;
	}
	rc = runs_reserve(userview, userview->nruns + 2);
	if (rc)
		return rc;
	runs_cut(userview, index, index + npages);
	runs_insert(userview, (struct uv_run){index, npages, ua});
	return 0;
}

int tce_userview_clear_range(struct tce_userview *userview, uint64_t index, uint64_t npages)
{
	int rc = check_range(userview, index, npages);

	if (rc)
		return rc;
	if (userview->kind == TCE_USERVIEW_MIRROR) {
		tce_table_clear(userview->mirror, mirror_ioba(userview, index), npages, NULL, NULL);
		return 0;
	}
	if (clear_needs_split(userview, index, index + npages)) {
		rc = runs_reserve(userview, userview->nruns + 1);
		if (rc)
			return rc;
	}
	runs_cut(userview, index, index + npages);
	return 0;
}

void tce_userview_compact(struct tce_userview *userview)
{
	if (userview->kind == TCE_USERVIEW_EXTENTS)
		runs_shrink(userview);
}

int tce_userview_get(const struct tce_userview *userview, uint64_t index, uint64_t *ua)
{
	struct tce_leaf_cursor c = TCE_LEAF_CURSOR_INIT;
	int rc = check_range(userview, index, 1);

	if (rc)
		return rc;
	/* The same lookup the map engine makes (userview_fast.h), so its tests test both. */
	*ua = tce_userview_get_fast(userview, &c, index);
	return 0;
}

uint64_t tce_userview_charged_bytes(const struct tce_userview *userview)
{
	return userview->charged;
}

uint64_t tce_userview_allocated_bytes(const struct tce_userview *userview)
{
	if (userview->kind == TCE_USERVIEW_MIRROR)
		return tce_table_allocated_bytes(userview->mirror);
	return (uint64_t)userview->cap * sizeof(struct uv_run);
}

uint64_t tce_userview_runs(const struct tce_userview *userview)
{
	return userview->kind == TCE_USERVIEW_EXTENTS ? userview->nruns : 0;
}
