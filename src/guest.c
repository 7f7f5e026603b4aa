// SPDX-License-Identifier: MIT
/*
 * Guest-visible TCE tables and the TCE hypercalls. See include/tce/guest.h.
 *
 * Every hypercall that writes goes through write_range(): it decides how many
 * pages it may write (all, none, or QEMU's "up to the first bad page"),
 * validates the TCEs the profile validates, updates every attached hardware
 * window after checking all of them, and only then stores the guest TCEs.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tce/guest.h"
#include "alloc.h"
#include "charge.h"
#include "range.h"

#define ENTRIES_PER_PAGE (TCE_GUEST_PAGE_BYTES / 8u)
#define ENTRIES_PER_PAGE_SHIFT 13u

/* ---- the profiles: every difference in one place ---- */

static const struct tce_hcall_rules rules_table[] = {
	[TCE_HCALL_QEMU] = {
		.name = "qemu",
		.unknown_liobn = TCE_H_PARAMETER,
		.mask_misaligned_ioba = true,
		.zero_count_is_error = true,
		.validate_before_write = false,
		.stuff_allows_perm = true,
		.stuff_count_capped = false,
		.stuff_count_over_table = true,
		.stuff_count_error = TCE_H_PARAMETER,
		.check_tce_address = false,
		.bad_tce_address = TCE_H_PARAMETER,
		.accel_failure = TCE_H_HARDWARE,
	},
	[TCE_HCALL_KVM] = {
		.name = "kvm",
		.unknown_liobn = TCE_H_TOO_HARD,
		.mask_misaligned_ioba = false,
		.zero_count_is_error = false,
		.validate_before_write = true,
		.stuff_allows_perm = false,
		.stuff_count_capped = false,
		.stuff_count_error = TCE_H_PARAMETER,
		.check_tce_address = true,
		.bad_tce_address = TCE_H_TOO_HARD,
		.accel_failure = TCE_H_TOO_HARD,
	},
	[TCE_HCALL_PAPR] = {
		.name = "papr",
		.unknown_liobn = TCE_H_PARAMETER,
		.mask_misaligned_ioba = false,
		.zero_count_is_error = false,
		.validate_before_write = true,
		.stuff_allows_perm = true,
		.stuff_count_capped = true,
		.stuff_count_error = TCE_H_P4,
		.check_tce_address = true,
		.bad_tce_address = TCE_H_PARAMETER,
		.accel_failure = TCE_H_HARDWARE,
	},
};

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

/* ---- state ---- */

struct memslot {
	uint64_t gpa, size, ua;
};

struct gtable {
	uint64_t liobn;
	unsigned page_shift;
	uint64_t offset, size;
	uint64_t tce_pages;
	uint64_t **pages;
	uint64_t allocated_pages;
	uint64_t charged;
	uint64_t valid;
	struct tce_window *windows[TCE_GUEST_MAX_WINDOWS];
	unsigned nwindows;
};

struct tce_guest {
	pthread_mutex_t lock;
	struct tce_guest_config cfg;
	const struct tce_hcall_rules *rules;
	struct memslot *slots;
	size_t nslots, slots_cap;
	struct gtable **tables;
	size_t ntables, tables_cap;
	tce_guest_notify_fn notify;
	void *notify_opaque;
};

int tce_guest_create(const struct tce_guest_config *config, struct tce_guest **guestp)
{
	struct tce_guest *g;

	if (!tce_hcall_rules_get(config->profile) || !config->account)
		return -EINVAL;
	g = tce_zalloc(sizeof(*g));
	if (!g)
		return -ENOMEM;
	if (pthread_mutex_init(&g->lock, NULL) != 0) {
		tce_free(g);
		return -ENOMEM;
	}
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
	tce_uncharge_exact(g->cfg.account, TCE_TAG_GUEST_VIEW, t->charged);
	tce_free(t);
}

void tce_guest_destroy(struct tce_guest *guest)
{
	size_t i;

	if (!guest)
		return;
	for (i = 0; i < guest->ntables; i++)
		table_free(guest, guest->tables[i]);
	tce_free(guest->tables);
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
	}
	pthread_mutex_unlock(&guest->lock);
	return rc;
}

/* Under the lock. @len bytes from @gpa must lie in one memslot. */
static int gpa_to_ua_locked(const struct tce_guest *g, uint64_t gpa, uint64_t len, uint64_t *ua)
{
	size_t i = tce_sorted_last_le(TCE_SORTED(g->slots, g->nslots, gpa), gpa);

	if (i == g->nslots || !tce_range_inside(g->slots[i].gpa, g->slots[i].size, gpa, len))
		return -EFAULT;
	*ua = g->slots[i].ua + (gpa - g->slots[i].gpa);
	return 0;
}

int tce_guest_gpa_to_ua(struct tce_guest *guest, uint64_t gpa, uint64_t *ua)
{
	int rc;

	pthread_mutex_lock(&guest->lock);
	rc = gpa_to_ua_locked(guest, gpa, 1, ua);
	pthread_mutex_unlock(&guest->lock);
	return rc;
}

/* ---- tables ---- */

static struct gtable *find_table(const struct tce_guest *g, uint64_t liobn)
{
	size_t i;

	if (liobn >> 32)
		return NULL;
	for (i = 0; i < g->ntables; i++)
		if (g->tables[i]->liobn == liobn)
			return g->tables[i];
	return NULL;
}

int tce_guest_create_table(struct tce_guest *guest, uint64_t liobn, unsigned page_shift,
			   uint64_t offset, uint64_t size)
{
	struct gtable *t;
	uint64_t tce_pages, stt_pages;
	int rc;

	if (liobn >> 32 || size == 0 || page_shift < 12 || page_shift > 34 ||
	    offset > (UINT64_MAX >> page_shift) || size > (UINT64_MAX >> page_shift) - offset)
		return -EINVAL;
	/* KVM's charge: the pages of TCEs, plus the descriptor with one pointer per page. */
	tce_pages = size / ENTRIES_PER_PAGE + (size % ENTRIES_PER_PAGE != 0);
	stt_pages = tce_pages + (TCE_GUEST_STT_BYTES + tce_pages * 8 + TCE_GUEST_PAGE_BYTES - 1) /
					TCE_GUEST_PAGE_BYTES;
	if (tce_pages > SIZE_MAX / sizeof(uint64_t *))
		return -ENOMEM;
	pthread_mutex_lock(&guest->lock);
	if (find_table(guest, liobn)) {
		rc = -EBUSY;
		goto out;
	}
	rc = tce_array_reserve((void **)&guest->tables, &guest->tables_cap, guest->ntables + 1,
			       sizeof(*guest->tables));
	if (rc)
		goto out;
	rc = tce_account_charge(guest->cfg.account, TCE_TAG_GUEST_VIEW,
				stt_pages * TCE_GUEST_PAGE_BYTES);
	if (rc)
		goto out;
	t = tce_zalloc(sizeof(*t));
	if (t)
		t->pages = tce_zalloc((size_t)tce_pages * sizeof(*t->pages));
	if (!t || !t->pages) {
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
	guest->tables[guest->ntables++] = t;
out:
	pthread_mutex_unlock(&guest->lock);
	return rc;
}

int tce_guest_remove_table(struct tce_guest *guest, uint64_t liobn)
{
	size_t i;

	pthread_mutex_lock(&guest->lock);
	for (i = 0; i < guest->ntables; i++) {
		if (guest->tables[i]->liobn == liobn) {
			table_free(guest, guest->tables[i]);
			memmove(&guest->tables[i], &guest->tables[i + 1],
				(guest->ntables - i - 1) * sizeof(*guest->tables));
			guest->ntables--;
			pthread_mutex_unlock(&guest->lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&guest->lock);
	return -ENOENT;
}

static uint64_t entry_get(const struct gtable *t, uint64_t idx)
{
	const uint64_t *page = t->pages[idx >> ENTRIES_PER_PAGE_SHIFT];

	return page ? page[idx & (ENTRIES_PER_PAGE - 1)] : 0;
}

/* Allocate the storage pages that the non-zero values of [idx, idx + n) will need. */
static int entries_reserve(struct gtable *t, uint64_t idx, uint64_t n, const uint64_t *tces,
			   uint64_t value)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint64_t p = (idx + i) >> ENTRIES_PER_PAGE_SHIFT;

		if (t->pages[p] || (tces ? tces[i] : value) == 0)
			continue;
		t->pages[p] = tce_zalloc(TCE_GUEST_PAGE_BYTES);
		if (!t->pages[p])
			return -ENOMEM;
		t->allocated_pages++;
	}
	return 0;
}

/* Store a value; its page exists when the value is non-zero (reserved). */
static void entry_set(struct gtable *t, uint64_t idx, uint64_t tce)
{
	uint64_t *page = t->pages[idx >> ENTRIES_PER_PAGE_SHIFT];
	uint64_t old;

	if (!page) {
		assert(tce == 0);
		return;
	}
	old = page[idx & (ENTRIES_PER_PAGE - 1)];
	page[idx & (ENTRIES_PER_PAGE - 1)] = tce;
	t->valid += (tce & TCE_PERM_MASK) != 0;
	t->valid -= (old & TCE_PERM_MASK) != 0;
}

static uint64_t page_mask_of(const struct gtable *t)
{
	return (UINT64_C(1) << t->page_shift) - 1;
}

int tce_guest_table_info(struct tce_guest *guest, uint64_t liobn, struct tce_guest_table_info *info)
{
	struct gtable *t;

	pthread_mutex_lock(&guest->lock);
	t = find_table(guest, liobn);
	if (t) {
		info->liobn = t->liobn;
		info->page_shift = t->page_shift;
		info->offset = t->offset;
		info->size = t->size;
		info->charged_bytes = t->charged;
		info->allocated_bytes = t->allocated_pages * TCE_GUEST_PAGE_BYTES;
		info->valid_entries = t->valid;
		info->windows = t->nwindows;
	}
	pthread_mutex_unlock(&guest->lock);
	return t ? 0 : -ENOENT;
}

/* ---- acceleration ---- */

/* The hardware view of one guest TCE: where its memory is, and its permission. */
static int tce_to_page(const struct tce_guest *g, const struct gtable *t, uint64_t tce,
		       struct tce_window_page *page)
{
	unsigned perm = (unsigned)(tce & TCE_PERM_MASK);
	uint64_t gpa = tce & ~page_mask_of(t) & ~TCE_PERM_MASK;

	page->perm = perm;
	page->ua = 0;
	if (!perm)
		return 0;
	if ((tce & ~TCE_PERM_MASK) & page_mask_of(t))
		return -EINVAL; /* not page-aligned: cannot be mapped by hardware */
	return gpa_to_ua_locked(g, gpa, UINT64_C(1) << t->page_shift, &page->ua);
}

/* Write [idx, idx + n) of every attached window, checking all first. */
static int accel_write(struct tce_guest *g, struct gtable *t, uint64_t idx, uint64_t n,
		       const struct tce_window_page *pages)
{
	uint64_t ioba = (t->offset + idx) << t->page_shift;
	unsigned w, done;
	int rc = 0;

	for (w = 0; w < t->nwindows && rc == 0; w++)
		rc = tce_window_check_list(t->windows[w], ioba, t->page_shift, n, pages);
	for (done = 0; done < t->nwindows && rc == 0; done++)
		rc = tce_window_map_list(t->windows[done], ioba, t->page_shift, n, pages);
	if (rc && done > 0) {
		/* Put back what the windows written so far held: the old guest TCEs. */
		struct tce_window_page *old = tce_zalloc((size_t)n * sizeof(*old));
		uint64_t i;

		for (i = 0; old && i < n; i++)
			tce_to_page(g, t, entry_get(t, idx + i), &old[i]);
		for (w = 0; old && w + 1 < done; w++)
			tce_window_map_list(t->windows[w], ioba, t->page_shift, n, old);
		tce_free(old);
	}
	return rc;
}

/* Check (@check_only) or write every valid TCE of @t into @window. */
static int mirror_table(const struct tce_guest *g, const struct gtable *t, struct tce_window *window,
			bool check_only)
{
	uint64_t idx;
	int rc = 0;

	for (idx = 0; rc == 0 && idx < t->size; idx++) {
		uint64_t tce = entry_get(t, idx);
		struct tce_window_page page;

		if (!(tce & TCE_PERM_MASK)) {
			if (!t->pages[idx >> ENTRIES_PER_PAGE_SHIFT])
				idx |= ENTRIES_PER_PAGE - 1; /* skip an unallocated page */
			continue;
		}
		rc = tce_to_page(g, t, tce, &page);
		if (rc == 0)
			rc = (check_only ? tce_window_check_list : tce_window_map_list)(
				window, (t->offset + idx) << t->page_shift, t->page_shift, 1, &page);
	}
	return rc;
}

int tce_guest_attach_window(struct tce_guest *guest, uint64_t liobn, struct tce_window *window)
{
	const struct tce_geometry *hw = tce_window_geometry(window);
	struct gtable *t;
	int64_t cleared;
	unsigned w;
	int rc = 0;

	pthread_mutex_lock(&guest->lock);
	t = find_table(guest, liobn);
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
	cleared = tce_window_unmap(window, tce_window_start(window),
				   t->size << (t->page_shift - hw->page_shift));
	rc = cleared < 0 ? (int)cleared : mirror_table(guest, t, window, false);
	if (rc) {
		/* Only memory can fail here: leave the window empty rather than half filled. */
		tce_window_unmap(window, tce_window_start(window),
				 t->size << (t->page_shift - hw->page_shift));
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
	t = find_table(guest, liobn);
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
	uint64_t p;
	unsigned w;

	pthread_mutex_lock(&guest->lock);
	t = find_table(guest, liobn);
	if (t) {
		for (p = 0; p < t->tce_pages; p++)
			if (t->pages[p])
				memset(t->pages[p], 0, TCE_GUEST_PAGE_BYTES);
		t->valid = 0;
		for (w = 0; w < t->nwindows; w++) {
			const struct tce_geometry *hw = tce_window_geometry(t->windows[w]);

			tce_window_unmap(t->windows[w], tce_window_start(t->windows[w]),
					 t->size << (t->page_shift - hw->page_shift));
		}
	}
	pthread_mutex_unlock(&guest->lock);
	return t ? 0 : -ENOENT;
}

/* ---- hypercalls ---- */

/* The IOBA as the profile takes it: masked, or H_PARAMETER when misaligned. */
static long take_ioba(const struct tce_guest *g, const struct gtable *t, uint64_t *ioba)
{
	if (*ioba & page_mask_of(t)) {
		if (!g->rules->mask_misaligned_ioba)
			return TCE_H_PARAMETER;
		*ioba &= ~page_mask_of(t);
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
		uint64_t tce = entry_get(t, idx + i);
		struct tce_guest_event ev = {
			.liobn = t->liobn,
			.map = (tce & TCE_PERM_MASK) != 0,
			.iova = (idx + i) << t->page_shift,
			.gpa = tce & ~page_mask_of(t),
			.addr_mask = page_mask_of(t),
			.perm = (unsigned)(tce & TCE_PERM_MASK),
		};

		g->notify(g->notify_opaque, &ev);
	}
}

/* Whether the profile accepts a TCE's address. */
static bool tce_address_ok(const struct tce_guest *g, const struct gtable *t, uint64_t tce)
{
	uint64_t ua;

	if (!g->rules->check_tce_address || !(tce & TCE_PERM_MASK))
		return true;
	if ((tce & ~TCE_PERM_MASK) & page_mask_of(t))
		return false;
	return gpa_to_ua_locked(g, tce & ~TCE_PERM_MASK, UINT64_C(1) << t->page_shift, &ua) == 0;
}

/*
 * Write n TCEs from idx (tces[i], or @value for all when tces is NULL): check
 * addresses, reserve storage, update the windows, store, notify.
 */
static long write_range(struct tce_guest *g, struct gtable *t, uint64_t idx, uint64_t n,
			const uint64_t *tces, uint64_t value)
{
	struct tce_window_page local[TCE_HCALL_MAX_COUNT], *pages = NULL;
	uint64_t i;
	long ret = TCE_H_SUCCESS;

	if (n == 0)
		return TCE_H_SUCCESS;
	for (i = 0; i < n; i++)
		if (!tce_address_ok(g, t, tces ? tces[i] : value))
			return g->rules->bad_tce_address;
	if (entries_reserve(t, idx, n, tces, value))
		return g->rules->accel_failure;
	if (t->nwindows) {
		/* Hypercalls write at most 512 entries (but for a long STUFF): no allocation then. */
		pages = n <= TCE_HCALL_MAX_COUNT ? local : tce_zalloc((size_t)n * sizeof(*pages));
		if (!pages)
			return g->rules->accel_failure;
		for (i = 0; i < n; i++) {
			if (tce_to_page(g, t, tces ? tces[i] : value, &pages[i])) {
				ret = g->rules->accel_failure;
				break;
			}
		}
		if (ret == TCE_H_SUCCESS && accel_write(g, t, idx, n, pages))
			ret = g->rules->accel_failure;
		if (pages != local)
			tce_free(pages);
		if (ret != TCE_H_SUCCESS)
			return ret;
	}
	for (i = 0; i < n; i++)
		entry_set(t, idx + i, tces ? tces[i] : value);
	notify_range(g, t, idx, n);
	return TCE_H_SUCCESS;
}

/* The table and entry of a single-page call (PUT, GET), or the code to return. */
static long single_page(const struct tce_guest *g, uint64_t liobn, uint64_t ioba, struct gtable **t,
			uint64_t *idx)
{
	long ret;

	*t = find_table(g, liobn);
	if (!*t)
		return g->rules->unknown_liobn;
	ret = take_ioba(g, *t, &ioba);
	if (ret == TCE_H_SUCCESS && pages_in_window(*t, ioba, 1, idx) != 1)
		ret = TCE_H_PARAMETER;
	return ret;
}

long tce_h_put_tce(struct tce_guest *guest, uint64_t liobn, uint64_t ioba, uint64_t tce)
{
	struct gtable *t;
	uint64_t idx = 0;
	long ret;

	pthread_mutex_lock(&guest->lock);
	ret = single_page(guest, liobn, ioba, &t, &idx);
	if (ret == TCE_H_SUCCESS)
		ret = write_range(guest, t, idx, 1, NULL, tce);
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
		*tce = entry_get(t, idx);
	pthread_mutex_unlock(&guest->lock);
	return ret;
}

static int read_guest(struct tce_guest *g, uint64_t gpa, void *buf, uint64_t len)
{
	uint64_t ua;

	if (g->cfg.read)
		return g->cfg.read(g->cfg.read_opaque, gpa, buf, len);
	if (gpa_to_ua_locked(g, gpa, len, &ua))
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
	t = find_table(guest, liobn);
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
	ret = write_range(guest, t, idx, n, list, 0);
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
	t = find_table(guest, liobn);
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
	ret = write_range(guest, t, idx, n, NULL, tce_value);
	if (ret == TCE_H_SUCCESS && n < npages)
		ret = TCE_H_PARAMETER;
out:
	pthread_mutex_unlock(&guest->lock);
	return ret;
}

int tce_guest_translate(struct tce_guest *guest, uint64_t liobn, uint64_t ioba, unsigned access,
			struct tce_guest_xlate *xlate)
{
	struct gtable *t;
	uint64_t idx = 0, tce;
	int rc = 0;

	pthread_mutex_lock(&guest->lock);
	t = find_table(guest, liobn);
	if (!t) {
		rc = -ENOENT;
	} else if (pages_in_window(t, ioba & ~page_mask_of(t), 1, &idx) != 1) {
		rc = -EFAULT;
	} else {
		tce = entry_get(t, idx);
		xlate->iova = idx << t->page_shift;
		xlate->gpa = tce & ~page_mask_of(t);
		xlate->addr_mask = page_mask_of(t);
		xlate->perm = (unsigned)(tce & TCE_PERM_MASK);
		if ((access & (unsigned)TCE_PERM_MASK) & ~xlate->perm)
			rc = -EACCES;
	}
	pthread_mutex_unlock(&guest->lock);
	return rc;
}
