// SPDX-License-Identifier: MIT
/*
 * One hardware TCE tree with on-demand levels. See include/tce/table.h and,
 * for the walk and the leaf cursor every writer uses, src/table_walk.h.
 *
 * Index decomposition: for a window-relative index idx and level_bits b, the
 * digit used at level k (leaf = 0, top = levels - 1) is (idx >> (k * b)) &
 * (2^b - 1). The geometry guarantees window_entries <= 2^(b * levels), so the
 * top digit never exceeds its node.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "table_walk.h"

static tce_word *node_alloc(struct tce_table *table)
{
	tce_word *node;

	if (table->geo.node_bytes > SIZE_MAX)
		return NULL;
	node = tce_zalloc((size_t)table->geo.node_bytes);
	if (node)
		atomic_fetch_add_explicit(&table->allocated_nodes, 1, memory_order_relaxed);
	return node;
}

static void node_free_unpublished(struct tce_table *table, tce_word *node)
{
	atomic_fetch_sub_explicit(&table->allocated_nodes, 1, memory_order_relaxed);
	tce_free(node);
}

/* An upper-level entry for @node: its address with both permission bits as "present". */
static uint64_t node_entry(tce_word *node)
{
	return tce_be64((uint64_t)(uintptr_t)node | TCE_PERM_MASK);
}

tce_word *tce_walk_alloc_slow(struct tce_table *t, uint64_t idx)
{
	tce_word *node = t->top;
	unsigned level;

	for (level = t->geo.levels - 1; level > 0; level--) {
		tce_word *slot = &node[(idx >> (level * t->geo.level_bits)) & t->index_mask];
		uint64_t be = atomic_load_explicit(slot, memory_order_acquire);

		if (be == 0) {
			tce_word *fresh = node_alloc(t);
			uint64_t expected = 0;

			if (!fresh)
				return NULL;
			if (atomic_compare_exchange_strong_explicit(slot, &expected, node_entry(fresh),
								    memory_order_acq_rel,
								    memory_order_acquire)) {
				be = node_entry(fresh);
			} else {
				/* Another writer published first: use its node. */
				node_free_unpublished(t, fresh);
				be = expected;
			}
		}
		node = tce_entry_node(be);
	}
	return &node[idx & t->index_mask];
}

int tce_table_create(const struct tce_geometry *geo, uint64_t ioba_start,
		     struct tce_table **tablep)
{
	struct tce_table *table;
	uint64_t window_bytes;

	if (geo->create_errno)
		return geo->create_errno;
	if (geo->levels < 1 || geo->levels > TCE_LEVELS_MAX || geo->node_bytes == 0)
		return -EINVAL;
	if (ioba_start & ((UINT64_C(1) << geo->page_shift) - 1))
		return -EINVAL;
	window_bytes = UINT64_C(1) << geo->window_shift;
	if (ioba_start > UINT64_MAX - (window_bytes - 1))
		return -EINVAL;

	table = tce_zalloc(sizeof(*table));
	if (!table)
		return -ENOMEM;
	table->geo = *geo;
	table->ioba_start = ioba_start;
	table->index_mask = geo->entries_per_node - 1;
	atomic_init(&table->allocated_nodes, 0);
	table->top = node_alloc(table);
	if (!table->top) {
		tce_free(table);
		return -ENOMEM;
	}
	*tablep = table;
	return 0;
}

static void free_subtree(struct tce_table *table, tce_word *node, unsigned level)
{
	uint64_t i;

	if (level > 0) {
		for (i = 0; i < table->geo.entries_per_node; i++) {
			uint64_t be = atomic_load_explicit(&node[i], memory_order_relaxed);

			if (be)
				free_subtree(table, tce_entry_node(be), level - 1);
		}
	}
	tce_free(node);
}

void tce_table_destroy(struct tce_table *table)
{
	if (!table)
		return;
	free_subtree(table, table->top, table->geo.levels - 1);
	tce_free(table);
}

const struct tce_geometry *tce_table_geometry(const struct tce_table *table)
{
	return &table->geo;
}

uint64_t tce_table_ioba_start(const struct tce_table *table)
{
	return table->ioba_start;
}

uint64_t tce_table_allocated_bytes(const struct tce_table *table)
{
	uint64_t nodes = atomic_load_explicit(&table->allocated_nodes, memory_order_relaxed);

	assert(nodes <= table->geo.total_nodes);
	return nodes * table->geo.node_bytes;
}

void tce_table_get_view(const struct tce_table *table, struct tce_table_view *view)
{
	view->top = (const uint64_t *)table->top;
	view->ioba_start = table->ioba_start;
	view->window_entries = table->geo.window_entries;
	view->index_mask = table->index_mask;
	view->page_shift = table->geo.page_shift;
	view->level_bits = table->geo.level_bits;
	view->levels = table->geo.levels;
	view->top_shift = (table->geo.levels - 1) * table->geo.level_bits;
}

int tce_table_check_range(const struct tce_table *table, uint64_t ioba, uint64_t npages,
			  uint64_t *index)
{
	uint64_t page_mask = (UINT64_C(1) << table->geo.page_shift) - 1;
	uint64_t offset = ioba - table->ioba_start, idx = offset >> table->geo.page_shift;

	/* Below the start wraps to at least the window size (table.h). */
	if ((offset & page_mask) || npages == 0 || idx >= table->geo.window_entries ||
	    npages > table->geo.window_entries - idx)
		return -EINVAL;
	if (index)
		*index = idx;
	return 0;
}

/* get and xchg below the top node: out of line, so the one-level path needs no stack frame. */
__attribute__((noinline)) static int get_walk(const struct tce_table *table, uint64_t idx,
					       uint64_t *tce)
{
	tce_word *leaf = tce_walk_ro(table, idx, NULL);

	*tce = leaf ? tce_word_get(leaf) : 0;
	return 0;
}

int tce_table_get(const struct tce_table *table, uint64_t ioba, uint64_t *tce)
{
	uint64_t idx;

	if (tce_table_check_range(table, ioba, 1, &idx))
		return -EINVAL;
	if (table->geo.levels != 1)
		return get_walk(table, idx, tce);
	*tce = tce_word_get(&table->top[idx]);
	return 0;
}

int tce_table_read_hw(const struct tce_table *table, uint64_t ioba, uint8_t bytes[8])
{
	uint64_t idx, stored = 0;
	tce_word *leaf;

	if (tce_table_check_range(table, ioba, 1, &idx))
		return -EINVAL;
	leaf = tce_walk_ro(table, idx, NULL);
	if (leaf)
		stored = atomic_load_explicit(leaf, memory_order_relaxed);
	memcpy(bytes, &stored, sizeof(stored));
	return 0;
}

__attribute__((noinline)) static int xchg_walk(struct tce_table *table, uint64_t idx, uint64_t tce,
						uint64_t *old_tce)
{
	tce_word *leaf;
	uint64_t old = 0;

	if (tce) {
		leaf = tce_walk_alloc_slow(table, idx);
		if (!leaf)
			return -ENOMEM;
		old = tce_word_replace(leaf, tce);
	} else {
		leaf = tce_walk_ro(table, idx, NULL);
		if (leaf)
			old = tce_word_replace(leaf, 0);
	}
	if (old_tce)
		*old_tce = old;
	return 0;
}

int tce_table_xchg(struct tce_table *table, uint64_t ioba, uint64_t tce, uint64_t *old_tce)
{
	uint64_t page_mask = (UINT64_C(1) << table->geo.page_shift) - 1;
	uint64_t idx, old;

	if (tce_table_check_range(table, ioba, 1, &idx) || ((tce & ~TCE_PERM_MASK) & page_mask))
		return -EINVAL;
	if (table->geo.levels != 1)
		return xchg_walk(table, idx, tce, old_tce);
	old = tce_word_replace(&table->top[idx], tce);
	if (old_tce)
		*old_tce = old;
	return 0;
}

int tce_table_reserve(struct tce_table *table, uint64_t ioba, uint64_t npages)
{
	uint64_t idx, last;

	if (tce_table_check_range(table, ioba, npages, &idx))
		return -EINVAL;
	last = idx + (npages - 1);
	/* One walk per leaf node is enough: it allocates the whole path. */
	for (;;) {
		if (!tce_walk_alloc(table, idx))
			return -ENOMEM;
		if ((idx | table->index_mask) >= last)
			return 0;
		idx = (idx | table->index_mask) + 1;
	}
}

/* True when the @n words from @w are all zero (a scan the compiler can vectorise). */
static bool words_zero(const tce_word *w, uint64_t n)
{
	const uint64_t *plain = (const uint64_t *)w;
	uint64_t acc = 0, i;

	for (i = 0; i < n; i++)
		acc |= plain[i];
	return acc == 0;
}

int64_t tce_table_clear(struct tce_table *table, uint64_t ioba, uint64_t npages,
			tce_table_clear_fn fn, void *opaque)
{
	uint64_t idx, end;
	int64_t cleared = 0;

	if (tce_table_check_range(table, ioba, npages, &idx))
		return -EINVAL;
	end = idx + npages;
	while (idx < end) {
		unsigned missing_level = 0;
		tce_word *leaf = tce_walk_ro(table, idx, &missing_level);
		uint64_t in_node, k;

		if (!leaf) {
			/* Skip every entry below the missing node. */
			uint64_t span_mask = (UINT64_C(1) << (missing_level * table->geo.level_bits)) - 1;

			if ((idx | span_mask) >= end - 1)
				break;
			idx = (idx | span_mask) + 1;
			continue;
		}
		/* The rest of this leaf node inside the range. */
		in_node = (idx | table->index_mask) - idx + 1;
		if (in_node > end - idx)
			in_node = end - idx;
		/* Most of a sparse window is 0: scan before paying for writes. */
		if (!words_zero(leaf, in_node)) {
			for (k = 0; k < in_node; k++) {
				uint64_t old;

				if (atomic_load_explicit(&leaf[k], memory_order_relaxed) == 0)
					continue;
				old = tce_word_replace(&leaf[k], 0);
				cleared++;
				if (fn)
					fn(opaque, table->ioba_start + ((idx + k) << table->geo.page_shift),
					   old);
			}
		}
		idx += in_node;
	}
	return cleared;
}

int tce_table_translate(const struct tce_table *table, uint64_t ioba,
			struct tce_translation *xlate)
{
	struct tce_table_view view;

	tce_table_get_view(table, &view);
	return tce_table_view_translate(&view, ioba, xlate) ? 0 : -EINVAL;
}
