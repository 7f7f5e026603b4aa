// SPDX-License-Identifier: MIT
/*
 * The map engine every window change goes through. See src/window_update.h.
 *
 * An update runs in four steps, under the windows' locks and one RCU read
 * section (so the regions it finds stay readable):
 *  1. plan: every list page is resolved once into runs of consecutive
 *     entries whose user and host addresses advance together (v2: pages whose
 *     addresses continue form a segment, found in one region lookup and
 *     checked for contiguity at once, page by page only when that fails; v1:
 *     each page pinned);
 *  2. count: each region's new mappings are counted once per run, refused
 *     (and undone) when a region is being destroyed;
 *  3. reserve: table nodes and userview room for the range;
 *  4. write: entries through leaf chunks (one walk per leaf node), the old
 *     entries' regions uncounted in batches, the userview updated per run.
 * Steps 1-3 change nothing visible and undo themselves on failure; step 4
 * cannot fail. A one-entry form (H_PUT_TCE) does the same without plans.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "alloc.h"
#include "prereg_fast.h"
#include "rcu.h"
#include "table_walk.h"
#include "userview_fast.h"
#include "window_update.h"

/* ---- uncounting old entries ---- */

/* Mappings to uncount, batched per region (the old entries of a range usually share one). */
struct uncount {
	struct tce_region *region;
	uint64_t lo, span; /* the region's first address and size - page: a one-compare check */
	uint64_t n;
	struct tce_leaf_cursor uv; /* over the userview, for the old addresses */
};

#define UNCOUNT_INIT {NULL, 0, 0, 0, TCE_LEAF_CURSOR_INIT}

static void uncount_flush(struct uncount *u)
{
	if (u->n)
		tce_region_mapped_sub(u->region, u->n);
	u->n = 0;
}

/* Uncount one mapping of the region that holds @ua (v2; in an RCU read section). */
static inline void uncount_ua(struct tce_window *w, struct uncount *u, uint64_t ua)
{
	uint64_t page = UINT64_C(1) << w->geo.page_shift;

	if (!u->region || ua - u->lo > u->span) {
		uncount_flush(u);
		u->region = tce_prereg_find(w->prereg, ua, page);
		assert(u->region); /* a counted region cannot have gone away */
		u->lo = u->region->ua;
		u->span = u->region->size - page;
	}
	u->n++;
	w->mapped--;
}

/* Uncount what the old (mapped) entry at @index counted; in an RCU read section. */
static void uncount_entry(struct tce_window *w, struct uncount *u, uint64_t index)
{
	if (w->v2) {
		uncount_ua(w, u, tce_userview_get_fast(w->uv, &u->uv, index));
	} else {
		w->pinned_bytes -= tce_hostmem_pin_bytes(w->v1_pins[index]);
		tce_hostmem_unpin(w->hostmem, w->v1_pins[index]);
		w->v1_pins[index] = NULL;
		w->mapped--;
	}
}

struct clear_ctx {
	struct tce_window *w;
	struct uncount u;
	int64_t cleared;
};

static void clear_one(void *opaque, uint64_t ioba, uint64_t old_tce)
{
	struct clear_ctx *c = opaque;

	if (!(old_tce & TCE_PERM_MASK))
		return;
	c->cleared++;
	uncount_entry(c->w, &c->u, (ioba - c->w->start) >> c->w->geo.page_shift);
}

/* Clear a range; see window_update.h. */
int64_t tce_window_clear_locked(struct tce_window *w, uint64_t index, uint64_t n)
{
	struct clear_ctx c = {w, UNCOUNT_INIT, 0};
	int64_t rc;

	if (w->mapped == 0)
		return 0; /* nothing is mapped, so nothing to visit (a fresh window) */
	rc = tce_table_clear(w->table, w->start + (index << w->geo.page_shift), n, clear_one, &c);
	assert(rc >= 0);
	(void)rc;
	uncount_flush(&c.u);
	tce_userview_clear_range(w->uv, index, n);
	return c.cleared;
}

/* ---- plans ---- */

/*
 * Consecutive entries written alike: entry i maps ua + i * page -> hpa + i *
 * page. A repeated list page (H_STUFF_TCE) starts a new run each time, since
 * its addresses do not continue the previous page's.
 */
struct run {
	uint64_t index; /* first entry, window-relative */
	uint64_t n;
	uint64_t ua, hpa;
	unsigned perm;  /* 0: the entries are cleared */
	struct tce_region *region;   /* v2 */
	struct tce_hostmem_pin *pin; /* v1 (one entry) */
};

#define PLAN_INLINE_RUNS 16

struct plan {
	struct tce_window *w;
	struct run *runs;
	size_t nruns, cap;
	struct run inline_runs[PLAN_INLINE_RUNS];
	size_t counted; /* runs whose regions are counted */
};

static void plan_init(struct plan *p, struct tce_window *w)
{
	p->w = w;
	p->runs = p->inline_runs;
	p->nruns = 0;
	p->cap = PLAN_INLINE_RUNS;
	p->counted = 0;
}

/* Undo what the plan holds (counts, pins) and free its runs. */
static void plan_release(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->counted; i++)
		if (p->runs[i].perm && p->runs[i].region)
			tce_region_mapped_sub(p->runs[i].region, p->runs[i].n);
	for (i = 0; i < p->nruns; i++)
		if (p->runs[i].pin)
			tce_hostmem_unpin(p->w->hostmem, p->runs[i].pin);
	if (p->runs != p->inline_runs)
		tce_free(p->runs);
	plan_init(p, p->w);
}

/* Add a run, merging it into the last one when they continue each other. */
static int plan_add(struct plan *p, struct run r)
{
	uint64_t page = UINT64_C(1) << p->w->geo.page_shift;
	struct run *last = p->nruns ? &p->runs[p->nruns - 1] : NULL;

	if (last && last->index + last->n == r.index && last->perm == r.perm && !last->pin &&
	    !r.pin && last->region == r.region &&
	    (r.perm == 0 || (last->ua + last->n * page == r.ua && last->hpa + last->n * page == r.hpa))) {
		last->n += r.n;
		return 0;
	}
	if (p->nruns == p->cap) {
		struct run *grown;

		if (p->cap > SIZE_MAX / 2 / sizeof(*grown))
			return -ENOMEM;
		grown = tce_zalloc(2 * p->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		memcpy(grown, p->runs, p->nruns * sizeof(*grown));
		if (p->runs != p->inline_runs)
			tce_free(p->runs);
		p->runs = grown;
		p->cap *= 2;
	}
	p->runs[p->nruns++] = r;
	return 0;
}

/* The address and permission of list page @k of a request. */
static void req_page(const struct tce_window_req *req, uint64_t k, uint64_t *ua, unsigned *perm)
{
	switch (req->kind) {
	case TCE_REQ_LIST:
	case TCE_REQ_SEGMENTS: /* planned by segment, never page by page */
		*ua = req->pages[k].ua;
		*perm = req->pages[k].perm & (unsigned)TCE_PERM_MASK;
		break;
	case TCE_REQ_CONTIGUOUS:
		*ua = req->ua + (k << req->list_shift);
		*perm = req->perm;
		break;
	default:
		*ua = req->ua;
		*perm = req->perm;
		break;
	}
}

/* v2: one list page of 2^sub entries from @index mapped at @ua. */
static int plan_page_v2(struct plan *p, struct tce_region **region, uint64_t index, unsigned sub,
			uint64_t ua, unsigned perm)
{
	struct tce_window *w = p->w;
	unsigned ps = w->geo.page_shift;
	uint64_t bytes = UINT64_C(1) << (ps + sub), hpa, j;
	int rc;

	if (!*region || !tce_region_holds(*region, ua, bytes)) {
		*region = tce_prereg_find(w->prereg, ua, bytes);
		if (!*region)
			return -EFAULT;
	}
	rc = tce_region_translate(*region, ua, bytes, ps, w->geo.profile, &hpa);
	if (rc == 0)
		return plan_add(p, (struct run){index, UINT64_C(1) << sub, ua, hpa, perm, *region, NULL});
	if (rc != -EPERM || sub == 0)
		return rc;
	/* Not contiguous as a whole: each window page must be. */
	for (j = 0; j < (UINT64_C(1) << sub); j++) {
		rc = tce_region_translate(*region, ua + (j << ps), UINT64_C(1) << ps, ps, w->geo.profile,
					  &hpa);
		if (rc == 0)
			rc = plan_add(p, (struct run){index + j, 1, ua + (j << ps), hpa, perm, *region,
						      NULL});
		if (rc)
			return rc;
	}
	return 0;
}

/* v1: pin each window page of one list page. */
static int plan_page_v1(struct plan *p, uint64_t index, unsigned sub, uint64_t ua, unsigned perm)
{
	struct tce_window *w = p->w;
	unsigned ps = w->geo.page_shift;
	uint64_t host_mask = (UINT64_C(1) << tce_hostmem_page_shift(w->hostmem)) - 1, j, hpa;
	unsigned backing;
	int rc;

	for (j = 0; j < (UINT64_C(1) << sub); j++) {
		uint64_t page_ua = ua + (j << ps), first = page_ua & ~host_mask;
		uint64_t last = (page_ua + (UINT64_C(1) << ps) - 1) | host_mask;
		struct tce_hostmem_pin *pin;

		rc = tce_hostmem_pin(w->hostmem, first, last - first + 1, &pin);
		if (rc)
			return rc;
		rc = tce_hostmem_pin_translate(pin, page_ua, UINT64_C(1) << ps, &hpa, &backing);
		/* The kernel refuses an IOMMU page larger than the compound page behind it. */
		if (rc == 0 && w->geo.profile == TCE_PROFILE_LINUX && backing < ps)
			rc = -EPERM;
		if (rc == 0)
			rc = plan_add(p, (struct run){index + j, 1, page_ua, hpa, perm, NULL, pin});
		if (rc) {
			tce_hostmem_unpin(w->hostmem, pin);
			return rc;
		}
	}
	return 0;
}

/* Consecutive list pages whose addresses continue each other, resolved together. */
struct segment {
	uint64_t index; /* first window entry */
	uint64_t pages; /* list pages */
	uint64_t ua;
	unsigned perm;
};

/* Plan one segment: one region lookup and one contiguity check when it is all in one place. */
static int plan_segment(struct plan *p, struct tce_region **region, const struct segment *s,
			unsigned sub)
{
	struct tce_window *w = p->w;
	unsigned ps = w->geo.page_shift;
	uint64_t list_bytes = UINT64_C(1) << (ps + sub), bytes = s->pages * list_bytes, hpa, k;
	int rc;

	if (!s->perm)
		return plan_add(p, (struct run){s->index, s->pages << sub, 0, 0, 0, NULL, NULL});
	if (w->v2) {
		if (!*region || !tce_region_holds(*region, s->ua, bytes)) {
			struct tce_region *found = tce_prereg_find(w->prereg, s->ua, bytes);

			*region = found ? found : *region;
		}
		if (*region && tce_region_holds(*region, s->ua, bytes) &&
		    tce_region_translate(*region, s->ua, bytes, ps, w->geo.profile, &hpa) == 0)
			return plan_add(p, (struct run){s->index, s->pages << sub, s->ua, hpa, s->perm,
							*region, NULL});
	}
	/* Not all in one place: page by page. */
	for (k = 0, rc = 0; k < s->pages && rc == 0; k++) {
		uint64_t index = s->index + (k << sub), ua = s->ua + k * list_bytes;

		rc = w->v2 ? plan_page_v2(p, region, index, sub, ua, s->perm)
			   : plan_page_v1(p, index, sub, ua, s->perm);
	}
	return rc;
}

/* Step 1 for one window. */
static int plan_build(struct plan *p, const struct tce_window_req *req)
{
	struct tce_window *w = p->w;
	unsigned ps = w->geo.page_shift, sub;
	struct tce_region *region = NULL;
	struct segment seg = {0, 0, 0, 0};
	uint64_t index, k, ua;
	unsigned perm;
	int rc;

	if (req->list_shift < ps || req->list_shift > 62 || req->count == 0 ||
	    (req->ioba & ((UINT64_C(1) << req->list_shift) - 1)))
		return -EINVAL;
	sub = req->list_shift - ps;
	if (req->count > (UINT64_MAX >> sub) ||
	    tce_table_check_range(w->table, req->ioba, req->count << sub, &index))
		return -EINVAL;
	if (req->kind == TCE_REQ_REPEAT && req->perm == 0)
		return plan_add(p, (struct run){index, req->count << sub, 0, 0, 0, NULL, NULL});
	if (req->kind == TCE_REQ_SEGMENTS) {
		for (k = 0; k < req->nsegs; k++) {
			seg = (struct segment){index, req->segs[k].pages, req->segs[k].ua,
					       req->segs[k].perm & (unsigned)TCE_PERM_MASK};
			if (seg.perm && (seg.ua & ((UINT64_C(1) << ps) - 1)))
				return -EINVAL;
			if (w->add_read_for_write && (seg.perm & TCE_PERM_WRITE))
				seg.perm |= TCE_PERM_READ;
			rc = plan_segment(p, &region, &seg, sub);
			if (rc)
				return rc;
			index += seg.pages << sub;
		}
		return 0;
	}
	for (k = 0; k < req->count; k++, index += UINT64_C(1) << sub) {
		req_page(req, k, &ua, &perm);
		if (perm && (ua & ((UINT64_C(1) << ps) - 1)))
			return -EINVAL;
		if (w->add_read_for_write && (perm & TCE_PERM_WRITE))
			perm |= TCE_PERM_READ;
		if (seg.pages && perm == seg.perm &&
		    (perm == 0 || ua == seg.ua + (seg.pages << req->list_shift))) {
			seg.pages++;
			continue;
		}
		if (seg.pages && (rc = plan_segment(p, &region, &seg, sub)) != 0)
			return rc;
		seg = (struct segment){index, 1, ua, perm};
	}
	return plan_segment(p, &region, &seg, sub);
}

/* Step 2: count the mappings, one atomic per run. -ENXIO for a region being destroyed. */
static int plan_count(struct plan *p)
{
	for (; p->counted < p->nruns; p->counted++) {
		const struct run *r = &p->runs[p->counted];

		if (r->perm && r->region && tce_region_mapped_add(r->region, r->n))
			return -ENXIO;
	}
	return 0;
}

/* Step 3: nodes and userview room, so that step 4 cannot fail. */
static int plan_reserve(struct plan *p)
{
	struct tce_window *w = p->w;
	size_t i, userview_calls = 0;
	int rc;

	for (i = 0; i < p->nruns; i++) {
		const struct run *r = &p->runs[i];

		/* One userview call per run: each may add two runs. */
		userview_calls++;
		if (!r->perm)
			continue;
		rc = tce_table_reserve(w->table, w->start + (r->index << w->geo.page_shift), r->n);
		if (rc)
			return rc;
		if (w->uv->kind == TCE_USERVIEW_MIRROR) {
			rc = tce_userview_reserve(w->uv, r->index, r->n, 1);
			if (rc)
				return rc;
		}
	}
	if (w->uv->kind == TCE_USERVIEW_EXTENTS) {
		const struct run *first = &p->runs[0], *last = &p->runs[p->nruns - 1];
		uint64_t span = last->index + last->n - first->index;

		rc = tce_userview_reserve(w->uv, first->index, span, userview_calls);
		if (rc)
			return rc;
	}
	if (!w->v2 && !w->v1_pins) {
		w->v1_pins = tce_zalloc((size_t)w->geo.window_entries * sizeof(*w->v1_pins));
		if (!w->v1_pins)
			return -ENOMEM;
	}
	return 0;
}

/* Step 4: write; nothing here can fail. Returns the entries that were mapped before. */
static int64_t plan_write(struct plan *p)
{
	struct tce_window *w = p->w;
	struct uncount u = UNCOUNT_INIT;
	struct tce_leaf_cursor hw = TCE_LEAF_CURSOR_INIT, mirror = TCE_LEAF_CURSOR_INIT;
	bool by_mirror = w->v2 && w->uv->kind == TCE_USERVIEW_MIRROR;
	unsigned ps = w->geo.page_shift;
	int64_t was_mapped = 0;
	size_t i;
	int rc;

	for (i = 0; i < p->nruns; i++) {
		struct run *r = &p->runs[i];
		uint64_t e;

		if (!r->perm) {
			uncount_flush(&u);
			was_mapped += tce_window_clear_locked(w, r->index, r->n);
			continue;
		}
		/* One walk per leaf node; the entries of a node are written in one loop. */
		for (e = 0; e < r->n;) {
			uint64_t idx = r->index + e, in_node = w->table->index_mask - (idx & w->table->index_mask) + 1;
			uint64_t cnt = in_node < r->n - e ? in_node : r->n - e, k, tce = (r->hpa + (e << ps)) | r->perm;
			tce_word *word = tce_cursor_word(w->table, &hw, idx, true);
			/* The mirror has the table's shape: the same node holds the old addresses. */
			tce_word *old_ua = by_mirror ? tce_cursor_word(w->uv->mirror, &mirror, idx, false) : NULL;

			for (k = 0; k < cnt; k++, tce += UINT64_C(1) << ps) {
				uint64_t old = tce_word_replace(&word[k], tce);

				if (!(old & TCE_PERM_MASK))
					continue;
				was_mapped++;
				if (old_ua)
					uncount_ua(w, &u, tce_word_get(&old_ua[k]) & ~TCE_MIRROR_PRESENT);
				else
					uncount_entry(w, &u, idx + k);
			}
			w->mapped += cnt;
			e += cnt;
		}
		if (r->pin) {
			w->v1_pins[r->index] = r->pin;
			w->pinned_bytes += tce_hostmem_pin_bytes(r->pin);
			r->pin = NULL;
		}
		rc = tce_userview_set_range(w->uv, r->index, r->n, r->ua);
		assert(rc == 0);
		(void)rc;
	}
	uncount_flush(&u);
	/* The counts now belong to the entries; the reservation is used up. */
	p->counted = 0;
	tce_userview_compact(w->uv);
	return was_mapped;
}

/* ---- updating windows ---- */

void tce_window_lock_all(struct tce_window *const *w, unsigned n, bool lock)
{
	/* Two windows are locked in address order, so two callers never deadlock. */
	unsigned first = n == 2 && (uintptr_t)w[1] < (uintptr_t)w[0] ? 1 : 0, i;

	for (i = 0; i < n; i++) {
		struct tce_window *x = w[(first + (lock ? i : n - 1 - i)) % n];

		if (lock)
			pthread_mutex_lock(&x->lock);
		else
			pthread_mutex_unlock(&x->lock);
	}
}

/* Plan, count and reserve every window, then write them all (or undo). */
static int update_locked(struct tce_window *const *windows, unsigned n,
			 const struct tce_window_req *req, bool check_only, struct plan *plans)
{
	unsigned i;
	int rc = 0;

	for (i = 0; i < n; i++)
		plan_init(&plans[i], windows[i]);
	for (i = 0; i < n && rc == 0; i++)
		rc = plan_build(&plans[i], req);
	for (i = 0; i < n && rc == 0; i++)
		rc = plan_count(&plans[i]);
	for (i = 0; i < n && rc == 0 && !check_only; i++)
		rc = plan_reserve(&plans[i]);
	if (rc == 0 && !check_only)
		for (i = 0; i < n; i++)
			plan_write(&plans[i]);
	for (i = 0; i < n; i++)
		plan_release(&plans[i]);
	return rc;
}

int tce_window_update(struct tce_window *const *windows, unsigned nwindows,
		      const struct tce_window_req *req, bool check_only)
{
	struct plan plans[2];
	int rc;

	if (nwindows == 0 || nwindows > 2)
		return -EINVAL;
	tce_window_lock_all(windows, nwindows, true);
	tce_rcu_read_lock();
	rc = update_locked(windows, nwindows, req, check_only, plans);
	tce_rcu_read_unlock();
	tce_window_lock_all(windows, nwindows, false);
	return rc;
}

/* ---- one entry ---- */

struct one {
	uint64_t idx;
	uint64_t tce;                 /* the new entry */
	struct tce_region *region;    /* of the new entry (perm != 0) */
	tce_word *hw, *mirror;        /* the words to write (reserved) */
	uint64_t old;                 /* the old entry */
	struct tce_region *old_region; /* of the old entry, when it was mapped */
	bool counted;                 /* the new mapping was counted */
	bool same_region;             /* old and new map the same region: no count changes */
};

/* Resolve and count one window's entry; nothing visible changes. */
static int one_resolve(struct tce_window *w, uint64_t ioba, uint64_t ua, unsigned perm,
		       struct one *o)
{
	unsigned ps = w->geo.page_shift;
	uint64_t page = UINT64_C(1) << ps, hpa = 0, old_ua;
	tce_word *hw;
	int rc;

	o->tce = 0;
	o->region = o->old_region = NULL;
	o->hw = o->mirror = NULL;
	o->counted = o->same_region = false;
	if (tce_table_check_range(w->table, ioba, 1, &o->idx) || (ua & (page - 1)))
		return -EINVAL;
	if (perm) {
		if (w->add_read_for_write && (perm & TCE_PERM_WRITE))
			perm |= TCE_PERM_READ;
		o->region = tce_prereg_find(w->prereg, ua, page);
		if (!o->region)
			return -EFAULT;
		rc = tce_region_translate(o->region, ua, page, ps, w->geo.profile, &hpa);
		if (rc)
			return rc;
		o->tce = hpa | perm;
	}
	hw = tce_walk_ro(w->table, o->idx, NULL);
	o->old = hw ? tce_word_get(hw) : 0;
	if (o->old & TCE_PERM_MASK) {
		struct tce_leaf_cursor c = TCE_LEAF_CURSOR_INIT;

		old_ua = tce_userview_get_fast(w->uv, &c, o->idx);
		o->old_region = o->region && tce_region_holds(o->region, old_ua, page)
					? o->region
					: tce_prereg_find(w->prereg, old_ua, page);
		assert(o->old_region);
		/* The old mapping keeps the region alive: the count moves from one to the other. */
		o->same_region = o->region && o->old_region == o->region;
	}
	if (o->region && !o->same_region) {
		if (tce_region_mapped_add(o->region, 1))
			return -ENXIO;
		o->counted = true;
	}
	return 0;
}

/* The words one window will write; only memory can fail. */
static int one_reserve(struct tce_window *w, struct one *o)
{
	if (!o->tce) {
		o->hw = tce_walk_ro(w->table, o->idx, NULL);
		return 0;
	}
	o->hw = tce_walk_alloc(w->table, o->idx);
	if (!o->hw)
		return -ENOMEM;
	if (w->uv->kind == TCE_USERVIEW_MIRROR) {
		o->mirror = tce_walk_alloc(w->uv->mirror, o->idx);
		return o->mirror ? 0 : -ENOMEM;
	}
	return tce_userview_reserve(w->uv, o->idx, 1, 1);
}

static void one_write(struct tce_window *w, struct one *o, uint64_t ua)
{
	bool was = o->old & TCE_PERM_MASK, now = o->tce != 0;
	int rc;

	if (o->hw)
		tce_word_replace(o->hw, o->tce);
	if (now && o->mirror)
		tce_word_replace(o->mirror, ua | TCE_MIRROR_PRESENT);
	else if (now)
		rc = tce_userview_set_range(w->uv, o->idx, 1, ua);
	else if (was)
		rc = tce_userview_clear_range(w->uv, o->idx, 1);
	(void)rc;
	if (was && !o->same_region)
		tce_region_mapped_sub(o->old_region, 1);
	w->mapped += (uint64_t)now - (uint64_t)was;
	o->counted = false;
	if (w->uv->kind == TCE_USERVIEW_EXTENTS)
		tce_userview_compact(w->uv);
}

int tce_window_update_one(struct tce_window *const *windows, unsigned nwindows, uint64_t ioba,
			  unsigned list_shift, uint64_t ua, unsigned perm)
{
	struct one ones[2];
	unsigned i;
	int rc = 0;

	if (nwindows == 0 || nwindows > 2)
		return -EINVAL;
	for (i = 0; i < nwindows; i++)
		if (!windows[i]->v2 || windows[i]->geo.page_shift != list_shift)
			return -EAGAIN;
	tce_window_lock_all(windows, nwindows, true);
	tce_rcu_read_lock();
	for (i = 0; i < nwindows && rc == 0; i++)
		rc = one_resolve(windows[i], ioba, ua, perm, &ones[i]);
	for (i = 0; i < nwindows && rc == 0; i++)
		rc = one_reserve(windows[i], &ones[i]);
	if (rc == 0)
		for (i = 0; i < nwindows; i++)
			one_write(windows[i], &ones[i], ua);
	for (i = 0; rc && i < nwindows; i++)
		if (ones[i].counted)
			tce_region_mapped_sub(ones[i].region, 1);
	tce_rcu_read_unlock();
	tce_window_lock_all(windows, nwindows, false);
	return rc;
}

