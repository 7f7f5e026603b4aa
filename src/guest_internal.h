/* SPDX-License-Identifier: MIT */
/*
 * The guest's state, shared by guest.c (tables, memslots, windows,
 * translation) and hcall.c (the hypercalls and their profiles). Internal.
 *
 * Concepts: a guest table stores its TCEs in host order, in 64 KiB pages of
 * 8192 entries allocated on the first non-zero write. Entries and page
 * pointers are written under the guest's lock with atomic stores (pages
 * published with release), so a device model may read them without the lock
 * through a view (guest.h). Tables are kept in a hash map by LIOBN, behind a hint
 * for the last one used; memslots sorted by guest address, behind a hint too.
 */
#ifndef TCE_GUEST_INTERNAL_H
#define TCE_GUEST_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tce/guest.h"
#include "u64map.h"

#define ENTRIES_PER_PAGE (TCE_GUEST_PAGE_BYTES / 8u)
#define ENTRIES_PER_PAGE_SHIFT 13u

struct memslot {
	uint64_t gpa, size, ua;
};

struct gtable {
	uint64_t liobn;
	unsigned page_shift;
	uint64_t offset, size;
	uint64_t tce_pages;
	uint64_t **pages;       /* published with release: readers of a view load them acquire */
	uint64_t allocated_pages;
	uint64_t charged;
	struct tce_window *windows[TCE_GUEST_MAX_WINDOWS];
	unsigned nwindows;
	uint64_t generation;    /* which creation of this LIOBN (migration tells them apart) */
	uint16_t *dirty;        /* migration: per storage page, bit c = its 512-entry chunk c was
	                           written since the last save; NULL when not tracking */
};

struct tce_guest {
	pthread_mutex_t lock;
	struct tce_guest_config cfg;
	const struct tce_hcall_rules *rules;
	struct memslot *slots;
	size_t nslots, slots_cap, slot_hint;
	struct tce_u64map tables; /* LIOBN -> struct gtable * */
	struct gtable *table_hint;
	tce_guest_notify_fn notify;
	void *notify_opaque;
	bool tracking;            /* migration: tables record what is written */
	uint64_t next_generation; /* the generation of the next table created */
};

/* Entries of one dirty bit: a storage page holds 16 of these chunks. */
#define DIRTY_CHUNK 512u

/* Migration: note that [idx, idx + n) of a storage page that exists was written. */
static inline void guest_mark_dirty(struct gtable *t, uint64_t idx, uint64_t n)
{
	uint64_t c, last;

	if (!t->dirty || n == 0)
		return;
	last = (idx + n - 1) / DIRTY_CHUNK;
	for (c = idx / DIRTY_CHUNK; c <= last; c++)
		t->dirty[c / (ENTRIES_PER_PAGE / DIRTY_CHUNK)] |=
			(uint16_t)(1u << (c % (ENTRIES_PER_PAGE / DIRTY_CHUNK)));
}

/* The table of @liobn, or NULL (upper bits set, or unknown). Under the lock. */
struct gtable *guest_find_table(struct tce_guest *g, uint64_t liobn);

/* The ua of [gpa, gpa + len) when it lies in one memslot: 0, else -EFAULT. Under the lock. */
int guest_gpa_to_ua(struct tce_guest *g, uint64_t gpa, uint64_t len, uint64_t *ua);

static inline uint64_t guest_page_mask(const struct gtable *t)
{
	return (UINT64_C(1) << t->page_shift) - 1;
}

static inline uint64_t guest_entry_get(const struct gtable *t, uint64_t idx)
{
	const uint64_t *page = __atomic_load_n(&t->pages[idx >> ENTRIES_PER_PAGE_SHIFT], __ATOMIC_ACQUIRE);

	return page ? __atomic_load_n(&page[idx & (ENTRIES_PER_PAGE - 1)], __ATOMIC_RELAXED) : 0;
}

/* Allocate the storage pages the non-zero values of [idx, idx + n) need: 0 or -ENOMEM. */
int guest_entries_reserve(struct gtable *t, uint64_t idx, uint64_t n, const uint64_t *tces,
			  uint64_t value);

/* Store a value; its page exists when the value is non-zero (reserved). */
void guest_entry_set(struct gtable *t, uint64_t idx, uint64_t tce);

/*
 * Write n TCEs from idx (tces[i], or @value for all when tces is NULL) as a
 * hypercall does: checks by the guest's profile, storage, every attached
 * window (all or nothing), notifiers. Returns a PAPR code. Under the lock.
 */
long guest_write_range(struct tce_guest *g, struct gtable *t, uint64_t idx, uint64_t n,
		       const uint64_t *tces, uint64_t value);

/* The window page of a guest TCE: its ua and permission (perm 0: none). 0, -EINVAL, -EFAULT. */
int guest_tce_to_page(struct tce_guest *g, const struct gtable *t, uint64_t tce,
		      struct tce_window_page *page);

#endif /* TCE_GUEST_INTERNAL_H */
