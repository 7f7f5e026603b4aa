/* SPDX-License-Identifier: MIT */
/*
 * libtce — the userspace addresses behind one DMA window.
 *
 * Concepts
 * --------
 * When a TCE is cleared or replaced, the owner of the window must find the
 * registered region the old entry pointed into, to count one mapping less.
 * The hardware entry holds a host address, which does not lead back to the
 * region; the userspace address (ua) that was mapped does. A userview keeps,
 * per entry of one window, that ua (0: none). It belongs to the window's owner
 * (the container), never to the hardware table.
 *
 * Two kinds, chosen by the window's creator:
 *  - mirror: a second tree with the table's geometry, one 64-bit word per
 *    entry, levels allocated on first use. Its worst case (full_bytes) is
 *    charged up front, under TCE_TAG_MIRROR, as the kernel charges it.
 *  - extents: sorted runs of consecutive entries that map consecutive
 *    userspace pages. A guest that maps its RAM in order needs a handful of
 *    runs for the whole window. It is charged as its array grows, so a map
 *    can fail cleanly with -ENOMEM when the limit is reached, and gives
 *    memory and charge back when runs merge or go away (at compaction, which
 *    the window does after every update).
 *
 * Operations that can allocate have a reserve step: after
 * tce_userview_reserve() succeeds for a range, setting or clearing entries in
 * it cannot fail, so a caller can change a range all or nothing.
 * A userview is not thread-safe: its owner serializes calls.
 */
#ifndef TCE_USERVIEW_H
#define TCE_USERVIEW_H

#include <stdint.h>

#include "tce/account.h"
#include "tce/geometry.h"
#include "tce/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How a userview stores its addresses. */
enum tce_userview_kind {
	TCE_USERVIEW_MIRROR = 0,  /**< a tree shaped like the table (what the kernel does) */
	TCE_USERVIEW_EXTENTS = 1, /**< runs of consecutive entries and addresses */
};

struct tce_userview;

/**
 * tce_userview_create() - a userview for a window of geometry @geo.
 * @kind: mirror or extents.
 * @geo: the window's geometry (accepted by its profile).
 * @account: where the userview is charged; must outlive it.
 * @userviewp: receives the userview.
 *
 * Return: 0; -ENOMEM when the charge (mirror: full_bytes) is refused or
 * memory runs out (nothing stays charged); -EINVAL for a bad kind or a
 * geometry its profile rejects.
 */
TCE_EXPORT int tce_userview_create(enum tce_userview_kind kind, const struct tce_geometry *geo,
			struct tce_account *account, struct tce_userview **userviewp);

/**
 * tce_userview_destroy() - free the userview and release all it charged.
 * @userview: a userview, or NULL.
 */
TCE_EXPORT void tce_userview_destroy(struct tce_userview *userview);

/**
 * tce_userview_kind() - the kind of a userview.
 * @userview: a userview.
 *
 * Return: TCE_USERVIEW_MIRROR or TCE_USERVIEW_EXTENTS.
 */
TCE_EXPORT enum tce_userview_kind tce_userview_kind(const struct tce_userview *userview);

/**
 * tce_userview_reserve() - make the next changes to a range infallible.
 * @userview: a userview.
 * @index: first entry (window-relative).
 * @npages: entries in the range, at least 1, inside the window.
 * @runs: how many set_range/clear_range calls will follow in the range
 *        (1 for one contiguous set_range); 0 when only clearing: then a
 *        mirror reserves nothing and extents reserve room only if the range
 *        cuts a run in two, so clearing a whole window never allocates.
 *
 * Return: 0; -EINVAL for a bad range; -ENOMEM when the account refuses the
 * growth or memory runs out (no entry changes either way).
 */
TCE_EXPORT int tce_userview_reserve(struct tce_userview *userview, uint64_t index, uint64_t npages,
			 uint64_t runs);

/**
 * tce_userview_set_range() - entries index.. index + npages - 1 map ua, ua +
 * page, ...
 * @userview: a userview.
 * @index: first entry.
 * @npages: entries, at least 1, inside the window.
 * @ua: userspace address of the first entry, aligned to the window's page;
 *      must not be 0.
 *
 * Return: 0; -EINVAL for a bad range, a misaligned or zero @ua, or an
 * address range that wraps; -ENOMEM if not reserved and memory or the limit
 * runs out (then no entry changed).
 */
TCE_EXPORT int tce_userview_set_range(struct tce_userview *userview, uint64_t index, uint64_t npages,
			   uint64_t ua);

/**
 * tce_userview_clear_range() - forget the addresses of a range of entries.
 * @userview: a userview.
 * @index: first entry.
 * @npages: entries, at least 1, inside the window.
 *
 * Return: 0; -EINVAL for a bad range; -ENOMEM (extents only, when the
 * range is strictly inside a run and cutting it in two needs room that
 * was not reserved). A mirror never fails here.
 */
TCE_EXPORT int tce_userview_clear_range(struct tce_userview *userview, uint64_t index, uint64_t npages);

/**
 * tce_userview_get() - the address an entry maps.
 * @userview: a userview.
 * @index: an entry of the window.
 * @ua: receives the address, 0 when none.
 *
 * Return: 0, or -EINVAL for an index outside the window.
 */
TCE_EXPORT int tce_userview_get(const struct tce_userview *userview, uint64_t index, uint64_t *ua);

/**
 * tce_userview_compact() - give back storage no longer needed.
 * @userview: a userview.
 *
 * Extents: when at most a quarter of the run array is in use (runs merged as
 * gaps filled, or were cleared), halve it until that is no longer so (down to
 * 8 runs) and release the charge of what was given back. Mirror: nothing
 * (its levels stay allocated, as their charge was taken up front). Never
 * fails. Call it only when no reservation is outstanding: it can take back
 * room tce_userview_reserve() set aside.
 */
TCE_EXPORT void tce_userview_compact(struct tce_userview *userview);

/**
 * tce_userview_charged_bytes() - bytes this userview holds charged.
 * @userview: a userview.
 *
 * Return: mirror: full_bytes; extents: the bytes of its run array.
 */
TCE_EXPORT uint64_t tce_userview_charged_bytes(const struct tce_userview *userview);

/**
 * tce_userview_allocated_bytes() - bytes allocated to store addresses.
 * @userview: a userview.
 *
 * Return: mirror: the nodes allocated; extents: the run array. Never above
 * the charged bytes.
 */
TCE_EXPORT uint64_t tce_userview_allocated_bytes(const struct tce_userview *userview);

/**
 * tce_userview_runs() - runs of an extents userview.
 * @userview: a userview.
 *
 * Return: the number of runs (0 for a mirror).
 */
TCE_EXPORT uint64_t tce_userview_runs(const struct tce_userview *userview);

#ifdef __cplusplus
}
#endif

#endif /* TCE_USERVIEW_H */
