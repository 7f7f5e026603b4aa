/* SPDX-License-Identifier: MIT */
/*
 * The table's walk, for the modules above it (internal). See include/tce/table.h.
 *
 * Concepts: a window-relative index idx is decomposed into one digit per
 * level, (idx >> (level * level_bits)) & index_mask, leaf level 0. A leaf
 * cursor remembers the leaf node it last reached, so consecutive entries cost
 * one walk per leaf node, not one per entry: table.c (get, exchange, clear,
 * reserve), userview.c (the mirror) and window.c (the map engine) all write
 * ranges through it. Writers hold the table's single-writer rule (table.h):
 * an entry is read and then stored, not exchanged.
 */
#ifndef TCE_TABLE_WALK_H
#define TCE_TABLE_WALK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tce/table.h"

typedef _Atomic uint64_t tce_word;

struct tce_table {
	struct tce_geometry geo;
	uint64_t ioba_start;
	uint64_t index_mask; /* entries_per_node - 1 */
	tce_word *top;
	_Atomic uint64_t allocated_nodes;
};

/* Upper-level entry -> node. */
static inline tce_word *tce_entry_node(uint64_t be_entry)
{
	return (tce_word *)(uintptr_t)(tce_be64(be_entry) & ~TCE_PERM_MASK);
}

/*
 * The leaf word of @idx without allocating, or NULL when a node on the way is
 * missing; then *@missing_level (if not NULL) is the level whose entry was
 * empty, so the 2^(missing_level * level_bits) entries around @idx are unmapped.
 */
static inline tce_word *tce_walk_ro(const struct tce_table *t, uint64_t idx, unsigned *missing_level)
{
	tce_word *node = t->top;
	unsigned level;

	if (t->geo.levels == 1)
		return &node[idx];
	for (level = t->geo.levels - 1; level > 0; level--) {
		uint64_t be = atomic_load_explicit(
			&node[(idx >> (level * t->geo.level_bits)) & t->index_mask], memory_order_acquire);

		if (be == 0) {
			if (missing_level)
				*missing_level = level;
			return NULL;
		}
		node = tce_entry_node(be);
	}
	return &node[idx & t->index_mask];
}

/* The leaf word of @idx, allocating missing nodes (published by compare-and-swap); NULL: -ENOMEM. */
tce_word *tce_walk_alloc_slow(struct tce_table *t, uint64_t idx);

static inline tce_word *tce_walk_alloc(struct tce_table *t, uint64_t idx)
{
	return t->geo.levels == 1 ? &t->top[idx] : tce_walk_alloc_slow(t, idx);
}

/* Consecutive entries of one table: the leaf node last reached and its first index. */
struct tce_leaf_cursor {
	tce_word *node;
	uint64_t base;
};

#define TCE_LEAF_CURSOR_INIT {NULL, 0}

/*
 * The word of @idx through the cursor: a walk only when @idx leaves the
 * cursor's leaf node. With @alloc, missing nodes are allocated (NULL: -ENOMEM);
 * without, NULL means the entry's node is missing (the entry is 0).
 */
static inline tce_word *tce_cursor_word(struct tce_table *t, struct tce_leaf_cursor *c, uint64_t idx,
					bool alloc)
{
	tce_word *leaf;

	if (c->node && idx - c->base <= t->index_mask)
		return &c->node[idx - c->base];
	leaf = alloc ? tce_walk_alloc(t, idx) : tce_walk_ro(t, idx, NULL);
	if (!leaf) {
		c->node = NULL;
		return NULL;
	}
	c->base = idx & ~t->index_mask;
	c->node = leaf - (idx & t->index_mask);
	return leaf;
}

/* Read an entry (host order). */
static inline uint64_t tce_word_get(const tce_word *word)
{
	return tce_be64(atomic_load_explicit(word, memory_order_relaxed));
}

/*
 * Replace an entry and return the old one (host order). The single-writer rule
 * makes this a load and a release store: concurrent readers see the old or the
 * new entry, never a torn one.
 */
static inline uint64_t tce_word_replace(tce_word *word, uint64_t tce)
{
	uint64_t old = atomic_load_explicit(word, memory_order_relaxed);

	atomic_store_explicit(word, tce_be64(tce), memory_order_release);
	return tce_be64(old);
}

#endif /* TCE_TABLE_WALK_H */
