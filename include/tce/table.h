/* SPDX-License-Identifier: MIT */
/*
 * libtce — one hardware TCE table (a multi-level tree).
 *
 * Concepts
 * --------
 * A table translates one DMA window: bus addresses [ioba_start, ioba_start +
 * 2^window_shift) in IOMMU pages of 2^page_shift bytes. Its shape comes from a
 * struct tce_geometry (see geometry.h): `levels` levels of equal-sized nodes,
 * the leaf level holding the TCEs. Each TCE is a 64-bit big-endian word, as the
 * hardware reads it: bit 0 lets the device read host memory (TCE_PERM_READ),
 * bit 1 lets it write (TCE_PERM_WRITE), the upper bits hold the host address
 * of the page, aligned to the IOMMU page. 0 means "not mapped". An entry of an
 * upper level holds the address of the node below with both permission bits
 * set as its "present" flag, or 0 when that node does not exist yet.
 *
 * Creating a table allocates only the top node. A lower node is allocated the
 * first time an entry below it is written with a non-zero value, and published
 * with compare-and-swap: when two threads race, the loser frees its node and
 * uses the winner's. Nodes are never freed before the table is destroyed, so
 * the bytes allocated only grow, up to the geometry's full_bytes. Writing 0
 * where no node exists allocates nothing.
 *
 * Every call checks the whole range it touches — first and last entry — against
 * the window, and fails with -EINVAL before touching anything. The window is the
 * requested one (window_entries), not the kernel's rounded-up it_size: the extra
 * entries a 64 KiB minimum node holds are memory, not mappable bus addresses.
 *
 * A table knows nothing about who owns it, accounts, or user addresses.
 *
 * Concurrency: any number of readers (get, read_hw, translate, the view
 * below) run lock-free alongside one writer. Writers (xchg, reserve, clear)
 * must be serialised by the caller: a window holds its lock around them
 * (window.h). A reader sees every entry either before or after a write, never
 * torn; an upper-level entry is published with compare-and-swap after the
 * node below it is zeroed, so a reader that reaches a node sees it whole.
 * Nodes are freed only by tce_table_destroy(), which must not run
 * concurrently with anything.
 *
 * Fast path: tce_table_get_view() returns the table's shape and top node,
 * and tce_table_view_lookup() / tce_table_view_translate() walk it inline in
 * the caller, with no call and no lock, for a device model that translates
 * every DMA access. This commits the ABI (libtce.so.TCE_SOVERSION) to the
 * layout of struct tce_table_view and to the node format described above:
 * equal-sized nodes of big-endian words, an upper-level entry being the
 * address of the node below OR'ed with TCE_PERM_MASK. A view stays valid for
 * the table's lifetime; keep a copy in a local variable of the translating
 * loop so that the compiler holds it in registers.
 */
#ifndef TCE_TABLE_H
#define TCE_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "tce/geometry.h"
#include "tce/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The device may read host memory through this TCE. */
#define TCE_PERM_READ UINT64_C(1)
/** The device may write host memory through this TCE. */
#define TCE_PERM_WRITE UINT64_C(2)
/** Both permission bits. */
#define TCE_PERM_MASK UINT64_C(3)

/**
 * tce_be64() - a 64-bit word from or to the hardware's big-endian order.
 * @v: the word.
 *
 * Return: @v with its bytes swapped on a little-endian CPU, @v otherwise.
 */
static inline uint64_t tce_be64(uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

struct tce_table;

/** The result of translating one bus address. */
struct tce_translation {
	uint64_t ioba_page; /**< bus address of the IOMMU page containing the ioba */
	uint64_t tce;       /**< the raw entry (host order), 0 when not mapped */
	uint64_t page_hpa;  /**< host address of the page: tce without permission bits */
	uint64_t hpa;       /**< host address of the ioba itself: page_hpa + offset in page */
	uint64_t page_mask; /**< offset bits within the page: 2^page_shift - 1 */
	unsigned perm;      /**< TCE_PERM_READ | TCE_PERM_WRITE bits; 0 = the device may not access */
};

/** What the inline fast path needs of a table (see the Concepts above). */
struct tce_table_view {
	const uint64_t *top;     /**< the top node: big-endian words */
	uint64_t ioba_start;     /**< bus address of entry 0 */
	uint64_t window_entries; /**< entries of the window (the requested size) */
	uint64_t index_mask;     /**< entries per node - 1 */
	unsigned page_shift;     /**< IOMMU page shift */
	unsigned level_bits;     /**< index bits per level */
	unsigned levels;         /**< levels, 1..5 */
	unsigned top_shift;      /**< (levels - 1) * level_bits: the top level's digit shift */
};

/**
 * tce_table_create() - create a table with only its top node allocated.
 * @geo: the shape; must have create_errno == 0 for its profile.
 * @ioba_start: bus address of the window start, aligned to the IOMMU page.
 * @tablep: receives the table.
 *
 * Return: 0; -EINVAL if @geo is rejected by its profile (-EINVAL reasons) or
 * @ioba_start is misaligned or the window would pass 2^64; geo->create_errno
 * (-ENOMEM) for a node the profile cannot allocate; -ENOMEM when the top node
 * (or the table) cannot be allocated. Nothing is allocated on failure.
 */
TCE_EXPORT int tce_table_create(const struct tce_geometry *geo, uint64_t ioba_start,
		     struct tce_table **tablep);

/**
 * tce_table_destroy() - free every node and the table.
 * @table: a table, or NULL (ignored).
 */
TCE_EXPORT void tce_table_destroy(struct tce_table *table);

/**
 * tce_table_geometry() - the geometry the table was created with.
 * @table: a table.
 *
 * Return: a pointer valid as long as the table.
 */
TCE_EXPORT const struct tce_geometry *tce_table_geometry(const struct tce_table *table);

/**
 * tce_table_ioba_start() - bus address of the first entry.
 * @table: a table.
 *
 * Return: the ioba_start given at creation.
 */
TCE_EXPORT uint64_t tce_table_ioba_start(const struct tce_table *table);

/**
 * tce_table_allocated_bytes() - bytes of nodes allocated so far.
 * @table: a table.
 *
 * Return: node_bytes times the nodes that exist; at most geo->full_bytes.
 */
TCE_EXPORT uint64_t tce_table_allocated_bytes(const struct tce_table *table);

/**
 * tce_table_check_range() - check that npages entries from ioba lie in the window.
 * @table: a table.
 * @ioba: bus address of the first page, aligned to the IOMMU page.
 * @npages: number of pages, at least 1.
 * @index: if not NULL, receives the window-relative index of @ioba.
 *
 * Return: 0, or -EINVAL when @ioba is misaligned or below the window,
 * @npages is 0, or the last page lies past the window.
 */
TCE_EXPORT int tce_table_check_range(const struct tce_table *table, uint64_t ioba, uint64_t npages,
			  uint64_t *index);

/**
 * tce_table_get() - read one entry.
 * @table: a table.
 * @ioba: page-aligned bus address in the window.
 * @tce: receives the entry in host order (0 when its node does not exist).
 *
 * Return: 0, or -EINVAL (see tce_table_check_range()); @tce untouched then.
 */
TCE_EXPORT int tce_table_get(const struct tce_table *table, uint64_t ioba, uint64_t *tce);

/**
 * tce_table_read_hw() - copy the 8 bytes of one entry exactly as stored.
 * @table: a table.
 * @ioba: page-aligned bus address in the window.
 * @bytes: receives the entry as the hardware reads it (big-endian: bytes[7]
 *         holds the permission bits); all zero when its node does not exist.
 *
 * Return: 0, or -EINVAL (see tce_table_check_range()).
 */
TCE_EXPORT int tce_table_read_hw(const struct tce_table *table, uint64_t ioba, uint8_t bytes[8]);

/**
 * tce_table_xchg() - replace one entry and return the old one (one writer at a time).
 * @table: a table.
 * @ioba: page-aligned bus address in the window.
 * @tce: the new entry in host order: host address aligned to the IOMMU page,
 *       OR'ed with TCE_PERM_* bits; 0 unmaps.
 * @old_tce: if not NULL, receives the previous entry in host order.
 *
 * Allocates missing nodes on the way down unless @tce is 0.
 *
 * Return: 0; -EINVAL for a bad range or a host address not aligned to the
 * IOMMU page; -ENOMEM when a node cannot be allocated (the entry and the old
 * value are then untouched; nodes published before the failure stay).
 */
TCE_EXPORT int tce_table_xchg(struct tce_table *table, uint64_t ioba, uint64_t tce, uint64_t *old_tce);

/**
 * tce_table_reserve() - allocate every missing node below a range of entries.
 * @table: a table.
 * @ioba: page-aligned bus address of the first entry.
 * @npages: number of entries, at least 1, all in the window.
 *
 * After success, tce_table_xchg() on any entry of the range cannot fail with
 * -ENOMEM: callers that must write a range all or nothing reserve it first.
 * Entries are not changed.
 *
 * Return: 0; -EINVAL for a bad range; -ENOMEM (nodes published before the
 * failure stay, which changes no entry).
 */
TCE_EXPORT int tce_table_reserve(struct tce_table *table, uint64_t ioba, uint64_t npages);

/**
 * typedef tce_table_clear_fn - called for each non-zero entry a clear removed.
 * @opaque: the caller's pointer.
 * @ioba: bus address of the entry.
 * @old_tce: the value it held, in host order.
 */
typedef void (*tce_table_clear_fn)(void *opaque, uint64_t ioba, uint64_t old_tce);

/**
 * tce_table_clear() - set a range of entries to 0.
 * @table: a table.
 * @ioba: page-aligned bus address of the first entry.
 * @npages: number of entries, at least 1; the whole range must be in the window.
 * @fn: if not NULL, called for every entry that was non-zero, in ioba order.
 * @opaque: passed to @fn.
 *
 * Skips whole missing nodes (at any level) without visiting their entries and
 * never allocates.
 *
 * Return: the number of entries that were non-zero (>= 0), or -EINVAL for a
 * bad range (nothing cleared).
 */
TCE_EXPORT int64_t tce_table_clear(struct tce_table *table, uint64_t ioba, uint64_t npages,
			tce_table_clear_fn fn, void *opaque);

/**
 * tce_table_translate() - translate a bus address for device DMA.
 * @table: a table.
 * @ioba: any bus address in the window (need not be aligned).
 * @xlate: receives the page, host address, mask and permission.
 *
 * Return: 0 (an unmapped page gives perm 0 and tce 0), or -EINVAL when @ioba
 * is outside the window (@xlate untouched).
 */
TCE_EXPORT int tce_table_translate(const struct tce_table *table, uint64_t ioba,
			struct tce_translation *xlate);

/**
 * tce_table_get_view() - the table's view for the inline fast path.
 * @table: a table.
 * @view: receives its shape and top node, valid for the table's lifetime.
 */
TCE_EXPORT void tce_table_get_view(const struct tce_table *table, struct tce_table_view *view);

/**
 * tce_table_view_lookup() - read the entry of a bus address, inline and lock-free.
 * @view: a view from tce_table_get_view().
 * @ioba: any bus address (need not be aligned).
 * @tce: receives the entry of its page in host order (0 when not mapped).
 *
 * Return: true, or false when @ioba is outside the window (@tce untouched).
 */
static inline bool tce_table_view_lookup(const struct tce_table_view *view, uint64_t ioba,
					 uint64_t *tce)
{
	uint64_t idx = (ioba - view->ioba_start) >> view->page_shift;
	const uint64_t *node = view->top;
	unsigned shift = view->top_shift;

	/* Below the start wraps to at least the window size: one comparison covers both ends. */
	if (idx >= view->window_entries)
		return false;
	/* A one-level table's node holds the whole window: no digits to take. */
	if (__builtin_expect(shift == 0, 1)) {
		*tce = tce_be64(__atomic_load_n(&node[idx], __ATOMIC_RELAXED));
		return true;
	}
	/* One digit per level; the leaf is the level whose shift is 0. */
	for (;;) {
		uint64_t be = __atomic_load_n(&node[(idx >> shift) & view->index_mask], __ATOMIC_ACQUIRE);

		if (shift == 0 || be == 0) {
			*tce = shift == 0 ? tce_be64(be) : 0;
			return true;
		}
		node = (const uint64_t *)(uintptr_t)(tce_be64(be) & ~TCE_PERM_MASK);
		shift -= view->level_bits;
	}
}

/**
 * tce_table_view_translate() - tce_table_translate(), inline and lock-free.
 * @view: a view from tce_table_get_view().
 * @ioba: any bus address.
 * @xlate: receives the page, host address, mask and permission.
 *
 * Return: true, or false when @ioba is outside the window (@xlate untouched).
 */
static inline bool tce_table_view_translate(const struct tce_table_view *view, uint64_t ioba,
					    struct tce_translation *xlate)
{
	uint64_t page_mask = (UINT64_C(1) << view->page_shift) - 1, tce;

	if (!tce_table_view_lookup(view, ioba, &tce))
		return false;
	xlate->ioba_page = ioba & ~page_mask;
	xlate->tce = tce;
	xlate->page_mask = page_mask;
	xlate->perm = (unsigned)(tce & TCE_PERM_MASK);
	xlate->page_hpa = tce & ~TCE_PERM_MASK;
	xlate->hpa = tce ? xlate->page_hpa + (ioba & page_mask) : 0;
	return true;
}

#ifdef __cplusplus
}
#endif

#endif /* TCE_TABLE_H */
