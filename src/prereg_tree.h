/* SPDX-License-Identifier: MIT */
/*
 * The region tree of a prereg (internal). See src/prereg_tree.c.
 *
 * Concepts: the registered regions of one address space, keyed by start
 * address, readable without a lock. Readers call the find functions inside
 * an RCU read section (rcu.h); writers are serialised by their owner and pass
 * the RCU batch that receives the nodes an update replaces. An update that
 * cannot allocate returns -ENOMEM with the tree unchanged.
 */
#ifndef TCE_PREREG_TREE_H
#define TCE_PREREG_TREE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "prereg_fast.h"
#include "rcu.h"

#define FANOUT 16

/* A node: published once, never changed after. */
struct node {
	struct tce_rcu_head rcu;
	bool leaf;
	unsigned n;
	uint64_t key[FANOUT];  /* leaf: region start; inner: smallest key below the child */
	uint64_t size[FANOUT]; /* leaf: region size, so a lookup needs no second cache miss */
	void *ptr[FANOUT];     /* leaf: struct tce_region *; inner: struct node * */
};

struct tce_region_tree {
	struct node *_Atomic root;
};

/* ---- readers (inline: the lookup is a hot path) ---- */

/* The index of the last key <= @key in @node, or -1 (a binary search the compiler makes branch-free). */
static inline int node_floor(const struct node *node, uint64_t key)
{
	unsigned i, below = 0;

	for (i = 0; i < node->n; i++)
		below += node->key[i] <= key;
	return (int)below - 1;
}

/* The region with the largest start <= @key in the subtree of @node, or NULL. */
static inline struct tce_region *node_tree_floor(const struct node *node, uint64_t key)
{
	while (node) {
		int i = node_floor(node, key);

		if (i < 0)
			return NULL;
		if (node->leaf)
			return node->ptr[i];
		node = node->ptr[i];
	}
	return NULL;
}

/*
 * node_floor() for a tree that is one leaf (up to 16 regions, the common VM):
 * the loop's bound is the same every time, so its exits predict well.
 */
static inline int root_leaf_floor(const struct node *node, uint64_t key)
{
	unsigned i, below = 0;

	for (i = 0; i < node->n; i++)
		below += node->key[i] <= key;
	return (int)below - 1;
}

/* The leaf entry whose region holds [ua, ua + size), reading only the tree's nodes; NULL if none. */
static inline const struct node *node_tree_find(const struct node *node, uint64_t ua, uint64_t size, int *at)
{
	if (node && node->leaf) {
		int i = root_leaf_floor(node, ua);

		*at = i;
		return i >= 0 && tce_range_inside(node->key[i], node->size[i], ua, size) ? node : NULL;
	}
	while (node) {
		int i = node_floor(node, ua);

		if (i < 0)
			return NULL;
		if (node->leaf) {
			*at = i;
			return tce_range_inside(node->key[i], node->size[i], ua, size) ? node : NULL;
		}
		node = node->ptr[i];
	}
	return NULL;
}

/* The region with the largest start <= @key, or NULL. */
static inline struct tce_region *tce_region_tree_floor(const struct tce_region_tree *tree,
						       uint64_t key)
{
	return node_tree_floor(atomic_load_explicit(&tree->root, memory_order_acquire), key);
}

/* The region holding [ua, ua + size) and its range (read from the tree), or NULL. */
static inline struct tce_region *tce_region_tree_find(const struct tce_region_tree *tree,
						      uint64_t ua, uint64_t size,
						      uint64_t *region_ua, uint64_t *region_size)
{
	int at = 0;
	const struct node *leaf =
		node_tree_find(atomic_load_explicit(&tree->root, memory_order_acquire), ua, size, &at);

	if (!leaf)
		return NULL;
	*region_ua = leaf->key[at];
	*region_size = leaf->size[at];
	return leaf->ptr[at];
}

/* ---- writers ---- */

/* Add @region (which overlaps none): 0 or -ENOMEM. */
int tce_region_tree_insert(struct tce_region_tree *tree, struct tce_region *region,
			   struct tce_rcu_batch *retired);

/* Remove the region starting at @key (it is there): 0 or -ENOMEM. */
int tce_region_tree_remove(struct tce_region_tree *tree, uint64_t key, struct tce_rcu_batch *retired);

/* Call @fn for every region in address order until it returns non-zero; returns that. */
int tce_region_tree_walk(const struct tce_region_tree *tree,
			 int (*fn)(void *ctx, struct tce_region *region), void *ctx);

/* Free every node at once (no reader may be left). */
void tce_region_tree_free(struct tce_region_tree *tree);

#endif /* TCE_PREREG_TREE_H */
