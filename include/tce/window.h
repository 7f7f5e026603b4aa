/* SPDX-License-Identifier: MIT */
/*
 * libtce — one DMA window: a hardware table, the userspace address behind
 * each entry, and the all-or-nothing map engine.
 *
 * Concepts
 * --------
 * A window translates the bus addresses [start, start + 2^window_shift) of
 * the devices it is programmed into. It is a hardware table (table.h) plus a
 * userview (userview.h) remembering which userspace address each entry maps,
 * so that clearing an entry can find what it counted. Creating a window
 * charges the table's worst case (TCE_TAG_TABLE) and the userview's to the
 * account before allocating; destroying it releases exactly that.
 *
 * A window maps user memory in one of two ways, chosen when it is created:
 *  - v2 (registered memory): each page must lie in a region registered with
 *    the address space (prereg.h); mapping a page counts one mapping of its
 *    region, clearing it uncounts it. Nothing is pinned per page.
 *  - v1 (pinning): each page is pinned when mapped and unpinned when cleared.
 * Either way, a page must be host-contiguous for the IOMMU page size.
 *
 * Every map and unmap is all or nothing: the whole range must lie in the
 * window, every page is resolved (region found, containment checked) and the
 * table nodes and userview room are reserved before any entry changes, so a
 * failure returns a negative errno with the table, the userview, the counters
 * and the pins exactly as they were. Only entries with a permission bit are
 * ever counted; an entry written without one clears.
 *
 * Windows are reference counted: the creator (a container) holds one
 * reference, and a guest accelerating hypercalls into the window (guest.h)
 * holds another, so the window outlives its removal from the container until
 * the last holder lets go. The last tce_window_put() clears the window,
 * releases its charge and frees it.
 *
 * Locking: one lock per window serialises every change of its entries, so
 * the table's single-writer rule (table.h) holds. Translation reads the table
 * without the lock. All functions are thread-safe.
 */
#ifndef TCE_WINDOW_H
#define TCE_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "tce/account.h"
#include "tce/geometry.h"
#include "tce/hostmem.h"
#include "tce/prereg.h"
#include "tce/table.h"
#include "tce/userview.h"
#include "tce/version.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tce_window;

/** How a window is made. */
struct tce_window_config {
	struct tce_geometry geo;         /**< its shape; accepted by its profile */
	uint64_t start;                  /**< bus address of the first entry */
	bool v2;                         /**< map through registered regions (else pin per page) */
	bool add_read_for_write;         /**< store a write permission with read added (PowerNV) */
	enum tce_userview_kind userview; /**< how the userspace addresses are kept */
	struct tce_hostmem *hostmem;     /**< the address space; must outlive the window */
	struct tce_account *account;     /**< charged for the table and userview; must outlive it */
	struct tce_prereg *prereg;       /**< v2: the address space's regions; must outlive it */
};

/** One page of a list mapping: its userspace address and permission (0 unmaps). */
struct tce_window_page {
	uint64_t ua;
	unsigned perm; /**< TCE_PERM_READ | TCE_PERM_WRITE bits */
};

/** Bytes a window holds, for reports and invariant checks. */
struct tce_window_usage {
	uint64_t table_charged;      /**< charged for the hardware table (TCE_TAG_TABLE) */
	uint64_t table_allocated;    /**< nodes allocated so far */
	uint64_t userview_charged;   /**< charged for the userview (TCE_TAG_MIRROR) */
	uint64_t userview_allocated; /**< bytes the userview allocated */
	uint64_t mapped;             /**< entries holding a mapping */
	uint64_t pinned_bytes;       /**< v1: bytes pinned by its entries; v2: 0 */
};

/**
 * tce_window_create() - charge and create a window (one reference).
 * @config: geometry, start, mapping kind, address space, account.
 * @windowp: receives the window.
 *
 * Return: 0; -EINVAL for a geometry its profile refuses, a misaligned start,
 * a window past 2^64, a v2 window without prereg or a missing hostmem or
 * account; -ENOMEM when the account refuses the charge or memory runs out.
 * Nothing stays charged or allocated on failure.
 */
TCE_EXPORT int tce_window_create(const struct tce_window_config *config,
				 struct tce_window **windowp);

/**
 * tce_window_get() - take a reference on a window.
 * @window: a window.
 */
TCE_EXPORT void tce_window_get(struct tce_window *window);

/**
 * tce_window_put() - drop a reference; the last one clears the window
 * (uncounting its mappings), releases its charge and frees it.
 * @window: a window, or NULL.
 */
TCE_EXPORT void tce_window_put(struct tce_window *window);

/**
 * tce_window_geometry() - the geometry of a window.
 * @window: a window.
 *
 * Return: a pointer valid while the window is held.
 */
TCE_EXPORT const struct tce_geometry *tce_window_geometry(const struct tce_window *window);

/**
 * tce_window_start() - bus address of the window's first entry.
 * @window: a window.
 *
 * Return: the start.
 */
TCE_EXPORT uint64_t tce_window_start(const struct tce_window *window);

/**
 * tce_window_contains() - whether a bus address lies in the window.
 * @window: a window.
 * @iova: a bus address.
 *
 * Return: true when start <= @iova < start + 2^window_shift.
 */
TCE_EXPORT bool tce_window_contains(const struct tce_window *window, uint64_t iova);

/**
 * tce_window_is_v2() - whether the window translates through registered regions.
 * @window: a window.
 *
 * Return: true for v2 windows, false for v1 (pinning) windows.
 */
TCE_EXPORT bool tce_window_is_v2(const struct tce_window *window);

/**
 * tce_window_table() - the window's hardware table, for lock-free translation.
 * @window: a window.
 *
 * Return: the table, valid while the window is held. Do not write it: every
 * change goes through the window so that its counts stay exact.
 */
TCE_EXPORT const struct tce_table *tce_window_table(const struct tce_window *window);

/**
 * tce_window_translate() - translate @iova through the window's table.
 * @window: a window.
 * @iova: a bus address in the window.
 * @xlate: receives the translation.
 *
 * Return: 0, or -EINVAL outside the window.
 */
TCE_EXPORT int tce_window_translate(const struct tce_window *window, uint64_t iova,
				    struct tce_translation *xlate);

/**
 * tce_window_map_list() - map a list of pages, all or nothing.
 * @window: a window.
 * @ioba: bus address of the first page, aligned to 2^@list_page_shift.
 * @list_page_shift: size of each list page; at least the window's page
 *        shift. A list page bigger than a window page covers 2^(difference)
 *        window entries, its userspace address advancing page by page.
 * @count: list pages, at least 1.
 * @pages: each page's userspace address (aligned to the window's page) and
 *        permission; permission 0 clears the entries.
 *
 * Return: 0; -EINVAL for a bad range, shift or alignment; v2: -EFAULT when
 * a page is in no registered region, -ENXIO when its region is being
 * destroyed, -EPERM when it is not host-contiguous; v1: -EFAULT when a page
 * is not mapped, -EPERM when not contiguous; -ENOMEM. Nothing changes on
 * failure.
 */
TCE_EXPORT int tce_window_map_list(struct tce_window *window, uint64_t ioba,
				   unsigned list_page_shift, uint64_t count,
				   const struct tce_window_page *pages);

/**
 * tce_window_check_list() - whether tce_window_map_list() would succeed.
 * @window: a window.
 * @ioba: as for tce_window_map_list().
 * @list_page_shift: as for tce_window_map_list().
 * @count: as for tce_window_map_list().
 * @pages: as for tce_window_map_list().
 *
 * Runs the map's checks and resolution (regions found, containment checked)
 * and undoes them; changes nothing.
 *
 * Return: 0, or the error tce_window_map_list() would return (other than
 * -ENOMEM for nodes).
 */
TCE_EXPORT int tce_window_check_list(struct tce_window *window, uint64_t ioba,
				     unsigned list_page_shift, uint64_t count,
				     const struct tce_window_page *pages);

/**
 * tce_window_map() - map npages consecutive pages of consecutive memory.
 * @window: a window.
 * @ioba: bus address of the first page.
 * @npages: pages, at least 1.
 * @ua: userspace address of the first page.
 * @perm: TCE_PERM_READ and/or TCE_PERM_WRITE (not 0).
 *
 * Return: as tce_window_map_list(); -EINVAL for a @perm of 0 or other bits.
 */
TCE_EXPORT int tce_window_map(struct tce_window *window, uint64_t ioba, uint64_t npages,
			      uint64_t ua, unsigned perm);

/**
 * tce_window_unmap() - clear a range of entries, uncounting their mappings.
 * @window: a window.
 * @ioba: bus address of the first page.
 * @npages: pages, at least 1, all in the window.
 *
 * Return: the number of entries that held a mapping (>= 0, up to the
 * window's entry count); -EINVAL for a bad range; -ENOMEM when an extents
 * userview cannot split a run (nothing changed).
 */
TCE_EXPORT int64_t tce_window_unmap(struct tce_window *window, uint64_t ioba, uint64_t npages);

/**
 * tce_window_mapped() - entries of the window that hold a mapping.
 * @window: a window.
 *
 * Return: the number of entries with a permission bit.
 */
TCE_EXPORT uint64_t tce_window_mapped(struct tce_window *window);

/**
 * tce_window_usage() - what a window has charged, allocated, mapped and pinned.
 * @window: a window.
 * @usage: receives the figures.
 */
TCE_EXPORT void tce_window_usage(struct tce_window *window, struct tce_window_usage *usage);

#ifdef __cplusplus
}
#endif

#endif /* TCE_WINDOW_H */
