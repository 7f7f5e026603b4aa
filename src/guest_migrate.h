/* SPDX-License-Identifier: MIT */
/*
 * What migration needs from a guest (internal; the guest module's side of
 * src/migrate.c).
 *
 * Concepts: while tracking is on, every write to a table's storage marks its
 * 512-entry chunk dirty. A save walks the tables: the first time all valid
 * entries, later only the dirty chunks (whose bits it clears under the same
 * lock, so a write that comes after is marked again and sent next time). It
 * hands them out as runs: consecutive entries whose TCEs advance by one page
 * with the same permission (how Linux maps), or entries to clear. A load
 * writes runs back the way a hypercall writes, through any attached window.
 */
#ifndef TCE_GUEST_MIGRATE_H
#define TCE_GUEST_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tce/guest.h"

/* A table's shape and creation, as migration sends it. */
struct guest_table_desc {
	uint64_t liobn;
	unsigned page_shift;
	uint64_t offset, size;
	uint64_t generation;
};

/* A table, before its runs. */
typedef int (*guest_table_fn)(void *ctx, const struct guest_table_desc *table);

/* A run: count entries from index; TCE tce + i * page (tce 0: cleared). */
typedef int (*guest_run_fn)(void *ctx, uint64_t liobn, uint64_t index, uint64_t count,
			    uint64_t tce);

/* Start (or stop) recording writes in every table. Start: 0 or -ENOMEM. */
int guest_dirty_start(struct tce_guest *guest);
void guest_dirty_stop(struct tce_guest *guest);

/* The memslots: up to @max (gpa, size) pairs into @out; returns how many. */
size_t guest_memslots(struct tce_guest *guest, uint64_t (*out)[2], size_t max);

/*
 * Mark every chunk with storage written (a save that failed halfway cleared
 * marks it did not send: the next one sends those chunks again).
 */
void guest_dirty_mark_all(struct tce_guest *guest);

/*
 * Walk every table under the guest's lock (one consistent snapshot): @table_fn
 * with its shape, then @run_fn with its runs: @dirty_only false, all valid
 * entries; true, every entry of the chunks written since the last call
 * (their marks cleared). Stops at the first non-zero return and returns it.
 */
int guest_emit_runs(struct tce_guest *guest, bool dirty_only, guest_table_fn table_fn,
		    guest_run_fn run_fn, void *ctx);

/* The next run for guest_write_runs() into the arguments; false when there is none. */
typedef bool (*guest_next_run_fn)(void *ctx, uint64_t *index, uint64_t *count, uint64_t *tce);

/*
 * Write runs into table @liobn as hypercalls would (windows, checks), under
 * one hold of the lock. 0; -ENOENT (no such table); -EINVAL (a run outside
 * the table); -ENOMEM (storage) or -EFAULT (an entry the guest's profile or
 * an attached window refuses): what was written before stays.
 */
int guest_write_runs(struct tce_guest *guest, uint64_t liobn, guest_next_run_fn next, void *ctx);

/* The generation of table @liobn (0: none). */
uint64_t guest_table_generation(struct tce_guest *guest, uint64_t liobn);

#endif /* TCE_GUEST_MIGRATE_H */
