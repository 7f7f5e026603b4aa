// SPDX-License-Identifier: MIT
/*
 * One hardware TCE tree with on-demand levels. See include/tce/table.h.
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

#include "tce/table.h"
#include "alloc.h"

typedef _Atomic uint64_t tce_word;

struct tce_table {
	struct tce_geometry geo;
	uint64_t ioba_start;
	uint64_t index_mask; /* entries_per_node - 1 */
	tce_word *top;
	_Atomic uint64_t allocated_nodes;
};

/* The hardware reads TCEs big-endian whatever the CPU. */
static inline uint64_t tce_to_be(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

static inline uint64_t tce_from_be(uint64_t v)
{
	return tce_to_be(v);
}

/* Upper-level entry <-> node pointer. */
static inline uint64_t node_entry(tce_word *node)
{
	return tce_to_be((uint64_t)(uintptr_t)node | TCE_PERM_MASK);
}

static inline tce_word *entry_node(uint64_t be_entry)
{
	return (tce_word *)(uintptr_t)(tce_from_be(be_entry) & ~TCE_PERM_MASK);
}

static tce_word *node_alloc(struct tce_table *table)
{
	tce_word *node;

	if (table->geo.node_bytes > SIZE_MAX)
		return NULL;
	node = tce_zalloc((size_t)table->geo.node_bytes);
	if (node)
		atomic_fetch_add(&table->allocated_nodes, 1);
	return node;
}

static void node_free_unpublished(struct tce_table *table, tce_word *node)
{
	atomic_fetch_sub(&table->allocated_nodes, 1);
	tce_free(node);
}

static inline unsigned digit_shift(const struct tce_table *table, unsigned level)
{
	return level * table->geo.level_bits;
}

/*
 * Walk to the leaf word of @idx. With @alloc, missing nodes are allocated and
 * published by compare-and-swap; NULL then means -ENOMEM. Without @alloc, NULL
 * means a node is missing and *@missing_level receives the level whose entry
 * was empty: the whole span of 2^(missing_level * level_bits) entries around
 * @idx is unmapped.
 */
static tce_word *walk(struct tce_table *table, uint64_t idx, bool alloc, unsigned *missing_level)
{
	tce_word *node = table->top;
	unsigned level;

	for (level = table->geo.levels - 1; level > 0; level--) {
		uint64_t digit = (idx >> digit_shift(table, level)) & table->index_mask;
		tce_word *slot = &node[digit];
		uint64_t be_entry = atomic_load_explicit(slot, memory_order_acquire);

		if (be_entry == 0) {
			tce_word *fresh;
			uint64_t expected = 0;

			if (!alloc) {
				if (missing_level)
					*missing_level = level;
				return NULL;
			}
			fresh = node_alloc(table);
			if (!fresh)
				return NULL;
			if (atomic_compare_exchange_strong_explicit(slot, &expected, node_entry(fresh),
								    memory_order_acq_rel,
								    memory_order_acquire)) {
				be_entry = node_entry(fresh);
			} else {
				/* Another thread published first: use its node. */
				node_free_unpublished(table, fresh);
				be_entry = expected;
			}
		}
		node = entry_node(be_entry);
	}
	return &node[idx & table->index_mask];
}

/* Read-only walk for const callers: never allocates, never writes. */
static tce_word *walk_ro(const struct tce_table *table, uint64_t idx, unsigned *missing_level)
{
	return walk((struct tce_table *)table, idx, false, missing_level);
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
			uint64_t be_entry = atomic_load_explicit(&node[i], memory_order_relaxed);

			if (be_entry)
				free_subtree(table, entry_node(be_entry), level - 1);
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
	uint64_t nodes = atomic_load(&table->allocated_nodes);

	assert(nodes <= table->geo.total_nodes);
	return nodes * table->geo.node_bytes;
}

int tce_table_check_range(const struct tce_table *table, uint64_t ioba, uint64_t npages,
			  uint64_t *index)
{
	uint64_t page_mask = (UINT64_C(1) << table->geo.page_shift) - 1;
	uint64_t offset, idx;

	if (ioba < table->ioba_start)
		return -EINVAL;
	offset = ioba - table->ioba_start;
	if (offset & page_mask)
		return -EINVAL;
	idx = offset >> table->geo.page_shift;
	if (npages == 0 || idx >= table->geo.window_entries ||
	    npages > table->geo.window_entries - idx)
		return -EINVAL;
	if (index)
		*index = idx;
	return 0;
}

int tce_table_get(const struct tce_table *table, uint64_t ioba, uint64_t *tce)
{
	uint64_t idx;
	tce_word *leaf;
	int rc = tce_table_check_range(table, ioba, 1, &idx);

	if (rc)
		return rc;
	leaf = walk_ro(table, idx, NULL);
	*tce = leaf ? tce_from_be(atomic_load_explicit(leaf, memory_order_acquire)) : 0;
	return 0;
}

int tce_table_read_hw(const struct tce_table *table, uint64_t ioba, uint8_t bytes[8])
{
	uint64_t idx, stored = 0;
	tce_word *leaf;
	int rc = tce_table_check_range(table, ioba, 1, &idx);

	if (rc)
		return rc;
	leaf = walk_ro(table, idx, NULL);
	if (leaf)
		stored = atomic_load_explicit(leaf, memory_order_acquire);
	memcpy(bytes, &stored, sizeof(stored));
	return 0;
}

int tce_table_xchg(struct tce_table *table, uint64_t ioba, uint64_t tce, uint64_t *old_tce)
{
	uint64_t page_mask = (UINT64_C(1) << table->geo.page_shift) - 1;
	uint64_t idx, old = 0;
	tce_word *leaf;
	int rc = tce_table_check_range(table, ioba, 1, &idx);

	if (rc)
		return rc;
	if ((tce & ~TCE_PERM_MASK) & page_mask)
		return -EINVAL;
	leaf = walk(table, idx, tce != 0, NULL);
	if (leaf)
		old = tce_from_be(atomic_exchange_explicit(leaf, tce_to_be(tce),
							   memory_order_acq_rel));
	else if (tce != 0)
		return -ENOMEM;
	if (old_tce)
		*old_tce = old;
	return 0;
}

int tce_table_reserve(struct tce_table *table, uint64_t ioba, uint64_t npages)
{
	uint64_t idx, end;
	int rc = tce_table_check_range(table, ioba, npages, &idx);

	if (rc)
		return rc;
	end = idx + npages;
	/* One walk per leaf node is enough: it allocates the whole path. */
	while (idx < end) {
		if (!walk(table, idx, true, NULL))
			return -ENOMEM;
		idx = (idx | table->index_mask) + 1;
	}
	return 0;
}

int64_t tce_table_clear(struct tce_table *table, uint64_t ioba, uint64_t npages,
			tce_table_clear_fn fn, void *opaque)
{
	uint64_t idx, end;
	int64_t cleared = 0;
	int rc = tce_table_check_range(table, ioba, npages, &idx);

	if (rc)
		return rc;
	end = idx + npages;
	while (idx < end) {
		unsigned missing_level = 0;
		tce_word *leaf = walk(table, idx, false, &missing_level);
		uint64_t old;

		if (!leaf) {
			/* Skip every entry below the missing node. */
			uint64_t span_mask = (UINT64_C(1) << digit_shift(table, missing_level)) - 1;

			idx = (idx | span_mask) + 1;
			continue;
		}
		/* Most entries of a sparse window are 0: read before paying for an exchange. */
		if (atomic_load_explicit(leaf, memory_order_relaxed) == 0) {
			idx++;
			continue;
		}
		old = tce_from_be(atomic_exchange_explicit(leaf, 0, memory_order_acq_rel));
		if (old) {
			cleared++;
			if (fn)
				fn(opaque, table->ioba_start + (idx << table->geo.page_shift), old);
		}
		idx++;
	}
	return cleared;
}

int tce_table_translate(const struct tce_table *table, uint64_t ioba,
			struct tce_translation *xlate)
{
	uint64_t page_mask = (UINT64_C(1) << table->geo.page_shift) - 1;
	uint64_t page_ioba = ioba & ~page_mask;
	uint64_t tce;
	int rc;

	/* The window start is page-aligned, so the aligned-down ioba is in it iff ioba is. */
	rc = tce_table_get(table, page_ioba, &tce);
	if (rc)
		return rc;
	xlate->ioba_page = page_ioba;
	xlate->tce = tce;
	xlate->page_mask = page_mask;
	xlate->perm = (unsigned)(tce & TCE_PERM_MASK);
	xlate->page_hpa = tce & ~TCE_PERM_MASK;
	xlate->hpa = tce ? xlate->page_hpa + (ioba & page_mask) : 0;
	return 0;
}
