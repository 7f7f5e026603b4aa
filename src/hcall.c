// SPDX-License-Identifier: MIT
/*
 * The TCE hypercalls and their profiles. See include/tce/guest.h; the guest's
 * state is in src/guest_internal.h.
 *
 * Every hypercall that writes goes through guest_write_range(): it decides how many
 * pages it may write (all, none, or QEMU's "up to the first bad page"),
 * validates the TCEs the profile validates, updates every attached hardware
 * window, all or nothing, and only then stores the guest TCEs and notifies.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "guest_internal.h"
#include "window_update.h"

/* ---- the profiles: every difference in one place ---- */

/*
 * One row per profile, one column per rule, in struct tce_hcall_rules' order
 * (docs/guest.md has the same table in words).
 */
#define Y true
#define N false
static const struct tce_hcall_rules rules_table[] = {
	/*                 unknown LIOBN    mask  zero  valid stuff stuff stuff  stuff count      check bad TCE address  accel failure */
	/*                                  ioba  err   first perm  cap   >table error            addr                                 */
	[TCE_HCALL_QEMU] = {"qemu", TCE_H_PARAMETER, Y, Y, N, Y, N, Y, TCE_H_PARAMETER, N, TCE_H_PARAMETER, TCE_H_HARDWARE},
	[TCE_HCALL_KVM] = {"kvm", TCE_H_TOO_HARD, N, N, Y, N, N, N, TCE_H_PARAMETER, Y, TCE_H_TOO_HARD, TCE_H_TOO_HARD},
	[TCE_HCALL_PAPR] = {"papr", TCE_H_PARAMETER, N, N, Y, Y, Y, N, TCE_H_P4, Y, TCE_H_PARAMETER, TCE_H_HARDWARE},
};
#undef Y
#undef N

const struct tce_hcall_rules *tce_hcall_rules_get(enum tce_hcall_profile profile)
{
	if ((unsigned)profile >= sizeof(rules_table) / sizeof(rules_table[0]))
		return NULL;
	return &rules_table[profile];
}

int tce_hcall_profile_parse(const char *name, enum tce_hcall_profile *profile)
{
	unsigned i;

	for (i = 0; name && i < sizeof(rules_table) / sizeof(rules_table[0]); i++) {
		if (strcmp(name, rules_table[i].name) == 0) {
			*profile = (enum tce_hcall_profile)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- hypercalls ---- */

/* The IOBA as the profile takes it: masked, or H_PARAMETER when misaligned. */
static long take_ioba(const struct tce_guest *g, const struct gtable *t, uint64_t *ioba)
{
	if (*ioba & guest_page_mask(t)) {
		if (!g->rules->mask_misaligned_ioba)
			return TCE_H_PARAMETER;
		*ioba &= ~guest_page_mask(t);
	}
	return TCE_H_SUCCESS;
}

/* Pages of [ioba, +npages) inside the table: the index of the first, and how many from it. */
static uint64_t pages_in_window(const struct gtable *t, uint64_t ioba, uint64_t npages,
				uint64_t *idx)
{
	uint64_t page = ioba >> t->page_shift;

	if (page < t->offset || page - t->offset >= t->size)
		return 0;
	*idx = page - t->offset;
	return npages < t->size - *idx ? npages : t->size - *idx;
}

/*
 * The range a multi-page call may write, as its profile decides: the IOBA
 * taken (masked or refused), a count of 0, and a range running past the
 * window (refused whole, or written up to the window's end as QEMU does).
 * Returns H_SUCCESS with *@idx and *@n (pages to write; *@n == 0 with
 * @npages == 0 is a no-op), or the code to return.
 */
static long call_range(const struct tce_guest *g, const struct gtable *t, uint64_t ioba,
		       uint64_t npages, uint64_t *idx, uint64_t *n)
{
	long ret = take_ioba(g, t, &ioba);

	*n = 0;
	if (ret != TCE_H_SUCCESS)
		return ret;
	if (npages == 0)
		return g->rules->zero_count_is_error || !pages_in_window(t, ioba, 1, idx) ? TCE_H_PARAMETER
											    : TCE_H_SUCCESS;
	*n = pages_in_window(t, ioba, npages, idx);
	if (*n < npages && g->rules->validate_before_write)
		return TCE_H_PARAMETER; /* the whole range, before anything is written */
	return TCE_H_SUCCESS;
}

static void notify_range(struct tce_guest *g, const struct gtable *t, uint64_t idx, uint64_t n)
{
	uint64_t i;

	if (!g->notify)
		return;
	for (i = 0; i < n; i++) {
		uint64_t tce;

		/*
		 * A storage page that does not exist was all zeros and stays so (only
		 * zeros are written to one): nothing changed there, so nothing to tell.
		 * This keeps clearing a huge, mostly empty window from costing an
		 * event per entry.
		 */
		if (!t->pages[(idx + i) >> ENTRIES_PER_PAGE_SHIFT]) {
			i = ((idx + i) | (ENTRIES_PER_PAGE - 1)) - idx; /* the page's last entry */
			continue;
		}
		tce = guest_entry_get(t, idx + i);
		struct tce_guest_event ev = {
			.liobn = t->liobn,
			.map = (tce & TCE_PERM_MASK) != 0,
			.iova = (idx + i) << t->page_shift,
			.gpa = tce & ~guest_page_mask(t),
			.addr_mask = guest_page_mask(t),
			.perm = (unsigned)(tce & TCE_PERM_MASK),
		};

		g->notify(g->notify_opaque, &ev);
	}
}

/*
 * The window segments of @n TCEs (@tces, or @value for all): runs of TCEs
 * whose guest pages continue each other (the next page, the same permission,
 * the same memslot: Linux fills its lists so), each with the user address of
 * its first page; one memslot lookup per run. Returns whether every TCE with
 * a permission had a page-aligned address in guest memory; *@nsegs is valid
 * only then.
 */
static bool tces_to_segments(struct tce_guest *g, const struct gtable *t, const uint64_t *tces,
			     uint64_t n, uint64_t value, struct tce_window_seg *segs, uint64_t *nsegs)
{
	uint64_t page = UINT64_C(1) << t->page_shift, next_gpa = 1, limit = 0, i, k = 0;

	for (i = 0; i < n; i++) {
		uint64_t tce = tces ? tces[i] : value, gpa = tce & ~TCE_PERM_MASK;
		unsigned perm = (unsigned)(tce & TCE_PERM_MASK);

		/* Continues the last segment: the next page, the same permission, the same memslot. */
		if (k && perm == segs[k - 1].perm && (!perm || (gpa == next_gpa && gpa <= limit))) {
			segs[k - 1].pages++;
			next_gpa = gpa + page;
			continue;
		}
		if (!perm) {
			segs[k++] = (struct tce_window_seg){0, 1, 0};
			continue;
		}
		if ((gpa & (page - 1)) || guest_gpa_to_ua(g, gpa, page, &segs[k].ua))
			return false;
		/* The last page start that stays in this memslot. */
		limit = g->slots[g->slot_hint].gpa + (g->slots[g->slot_hint].size - page);
		segs[k].pages = 1;
		segs[k].perm = perm;
		k++;
		next_gpa = gpa + page;
	}
	*nsegs = k;
	return true;
}

/* Store n TCEs from idx, a storage page at a time; the pages of non-zero values exist. */
static void store_range(struct gtable *t, uint64_t idx, uint64_t n, const uint64_t *tces,
			uint64_t value)
{
	uint64_t i = 0;

	while (i < n) {
		uint64_t at = idx + i, in_page = ENTRIES_PER_PAGE - (at & (ENTRIES_PER_PAGE - 1));
		uint64_t cnt = in_page < n - i ? in_page : n - i, k;
		uint64_t *page = t->pages[at >> ENTRIES_PER_PAGE_SHIFT];

		if (page) { /* only zeros go to a missing page: nothing to store then */
			page += at & (ENTRIES_PER_PAGE - 1);
			for (k = 0; k < cnt; k++)
				__atomic_store_n(&page[k], tces ? tces[i + k] : value, __ATOMIC_RELAXED);
			guest_mark_dirty(t, at, cnt);
		}
		i += cnt;
	}
}

/*
 * Write n TCEs from idx (tces[i], or @value for all when tces is NULL): check
 * addresses, reserve storage, update every attached window (all or nothing,
 * tce_window_update()), store, notify.
 */
long guest_write_range(struct tce_guest *g, struct gtable *t, uint64_t idx, uint64_t n,
		       const uint64_t *tces, uint64_t value)
{
	/* At most 512 segments, or one value repeated: no allocation either way. */
	struct tce_window_seg segs[TCE_HCALL_MAX_COUNT];
	bool need = g->rules->check_tce_address || t->nwindows, good = true;
	uint64_t nsegs = 0;

	if (n == 0)
		return TCE_H_SUCCESS;
	assert(!tces || n <= TCE_HCALL_MAX_COUNT);
	if (need)
		good = tces_to_segments(g, t, tces, tces ? n : 1, value, segs, &nsegs);
	if (!good && g->rules->check_tce_address)
		return g->rules->bad_tce_address;
	if (guest_entries_reserve(t, idx, n, tces, value))
		return g->rules->accel_failure;
	if (t->nwindows) {
		struct tce_window_req req = {.ioba = (t->offset + idx) << t->page_shift,
					     .list_shift = t->page_shift, .count = n};
		int rc = -EAGAIN;

		if (!good)
			return g->rules->accel_failure; /* a TCE hardware cannot map */
		if (n == 1) {
			rc = tce_window_update_one(t->windows, t->nwindows, req.ioba, t->page_shift,
						   segs[0].ua, segs[0].perm);
			if (rc != -EAGAIN)
				goto written;
		}
		if (tces) {
			req.kind = TCE_REQ_SEGMENTS;
			req.segs = segs;
			req.nsegs = nsegs;
		} else {
			req.kind = TCE_REQ_REPEAT;
			req.ua = segs[0].ua;
			req.perm = segs[0].perm;
		}
		rc = tce_window_update(t->windows, t->nwindows, &req, false);
written:
		if (rc)
			return g->rules->accel_failure;
	}
	store_range(t, idx, n, tces, value);
	notify_range(g, t, idx, n);
	return TCE_H_SUCCESS;
}

/* The table and entry of a single-page call (PUT, GET), or the code to return. */
static long single_page(struct tce_guest *g, uint64_t liobn, uint64_t ioba, struct gtable **t,
			uint64_t *idx)
{
	long ret;

	*t = guest_find_table(g, liobn);
	if (!*t)
		return g->rules->unknown_liobn;
	ret = take_ioba(g, *t, &ioba);
	if (ret == TCE_H_SUCCESS && pages_in_window(*t, ioba, 1, idx) != 1)
		ret = TCE_H_PARAMETER;
	return ret;
}

/*
 * guest_write_range() for one TCE, without segments or plans: the hottest
 * hypercall. The same checks, in the same order, with the same results.
 */
static long write_one(struct tce_guest *g, struct gtable *t, uint64_t idx, uint64_t tce)
{
	uint64_t page = UINT64_C(1) << t->page_shift, gpa = tce & ~TCE_PERM_MASK, ua = 0;
	unsigned perm = (unsigned)(tce & TCE_PERM_MASK);
	bool good = true;
	int rc = 0;

	if (perm && (g->rules->check_tce_address || t->nwindows))
		good = !(gpa & (page - 1)) && guest_gpa_to_ua(g, gpa, page, &ua) == 0;
	if (!good && g->rules->check_tce_address)
		return g->rules->bad_tce_address;
	if (guest_entries_reserve(t, idx, 1, NULL, tce))
		return g->rules->accel_failure;
	if (t->nwindows) {
		uint64_t ioba = (t->offset + idx) << t->page_shift;

		if (!good)
			return g->rules->accel_failure; /* a TCE hardware cannot map */
		rc = tce_window_update_one(t->windows, t->nwindows, ioba, t->page_shift, ua, perm);
		if (rc == -EAGAIN) {
			struct tce_window_req req = {.ioba = ioba, .list_shift = t->page_shift,
						     .count = 1, .kind = TCE_REQ_REPEAT, .ua = ua,
						     .perm = perm};

			rc = tce_window_update(t->windows, t->nwindows, &req, false);
		}
		if (rc)
			return g->rules->accel_failure;
	}
	guest_entry_set(t, idx, tce);
	notify_range(g, t, idx, 1);
	return TCE_H_SUCCESS;
}

long tce_h_put_tce(struct tce_guest *guest, uint64_t liobn, uint64_t ioba, uint64_t tce)
{
	struct gtable *t;
	uint64_t idx = 0;
	long ret;

	pthread_mutex_lock(&guest->lock);
	ret = single_page(guest, liobn, ioba, &t, &idx);
	if (ret == TCE_H_SUCCESS)
		ret = write_one(guest, t, idx, tce);
	pthread_mutex_unlock(&guest->lock);
	return ret;
}

long tce_h_get_tce(struct tce_guest *guest, uint64_t liobn, uint64_t ioba, uint64_t *tce)
{
	struct gtable *t;
	uint64_t idx = 0;
	long ret;

	pthread_mutex_lock(&guest->lock);
	ret = single_page(guest, liobn, ioba, &t, &idx);
	if (ret == TCE_H_SUCCESS)
		*tce = guest_entry_get(t, idx);
	pthread_mutex_unlock(&guest->lock);
	return ret;
}

static int read_guest(struct tce_guest *g, uint64_t gpa, void *buf, uint64_t len)
{
	uint64_t ua;

	if (g->cfg.read)
		return g->cfg.read(g->cfg.read_opaque, gpa, buf, len);
	if (guest_gpa_to_ua(g, gpa, len, &ua))
		return -EFAULT;
	memcpy(buf, (const void *)(uintptr_t)ua, (size_t)len);
	return 0;
}

static uint64_t be64_to_host(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

long tce_h_put_tce_indirect(struct tce_guest *guest, uint64_t liobn, uint64_t ioba,
			    uint64_t tce_list, uint64_t npages)
{
	uint64_t list[TCE_HCALL_MAX_COUNT];
	struct gtable *t;
	uint64_t idx = 0, n, i;
	long ret;

	pthread_mutex_lock(&guest->lock);
	t = guest_find_table(guest, liobn);
	if (!t) {
		ret = guest->rules->unknown_liobn;
		goto out;
	}
	if (npages > TCE_HCALL_MAX_COUNT || (tce_list & 4095)) {
		ret = TCE_H_PARAMETER;
		goto out;
	}
	ret = call_range(guest, t, ioba, npages, &idx, &n);
	if (ret != TCE_H_SUCCESS || npages == 0)
		goto out;
	if (read_guest(guest, tce_list, list, npages * 8) != 0) {
		ret = guest->rules->check_tce_address ? guest->rules->bad_tce_address : TCE_H_PARAMETER;
		goto out;
	}
	for (i = 0; i < npages; i++)
		list[i] = be64_to_host(list[i]);
	/* QEMU writes up to the first page outside the window, then fails. */
	ret = guest_write_range(guest, t, idx, n, list, 0);
	if (ret == TCE_H_SUCCESS && n < npages)
		ret = TCE_H_PARAMETER;
out:
	pthread_mutex_unlock(&guest->lock);
	return ret;
}

long tce_h_stuff_tce(struct tce_guest *guest, uint64_t liobn, uint64_t ioba, uint64_t tce_value,
		     uint64_t npages)
{
	struct gtable *t;
	uint64_t idx = 0, n;
	long ret;

	pthread_mutex_lock(&guest->lock);
	t = guest_find_table(guest, liobn);
	if (!t) {
		ret = guest->rules->unknown_liobn;
		goto out;
	}
	if (guest->rules->stuff_count_capped && npages > TCE_HCALL_MAX_COUNT) {
		ret = guest->rules->stuff_count_error;
		goto out;
	}
	if (guest->rules->stuff_count_over_table && npages > t->size) {
		ret = TCE_H_PARAMETER;
		goto out;
	}
	ret = call_range(guest, t, ioba, npages, &idx, &n);
	if (ret != TCE_H_SUCCESS || npages == 0)
		goto out;
	if (!guest->rules->stuff_allows_perm && (tce_value & TCE_PERM_MASK)) {
		ret = TCE_H_PARAMETER;
		goto out;
	}
	ret = guest_write_range(guest, t, idx, n, NULL, tce_value);
	if (ret == TCE_H_SUCCESS && n < npages)
		ret = TCE_H_PARAMETER;
out:
	pthread_mutex_unlock(&guest->lock);
	return ret;
}

