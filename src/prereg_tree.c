// SPDX-License-Identifier: MIT
/*
 * The region tree of a prereg: a copy-on-write B+tree keyed by start address.
 * See src/prereg_tree.h.
 *
 * Nodes are never changed once published: a writer (serialised by the
 * prereg's mutex) copies the path from the root to the leaf it changes,
 * splits a node that overflows, drops a node that empties, publishes the new
 * root with a release store and retires the replaced nodes to an RCU batch.
 * Readers walk it inside an RCU read section without any lock. Regions never
 * overlap, so the only candidate for an address is the region with the
 * largest start <= it; every separator key is the exact smallest key below
 * it, so that search never backtracks. Up to 16 regions fit one leaf: a
 * lookup is then a scan of two cache lines.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "alloc.h"
#include "prereg_tree.h"

#define MAX_DEPTH 32

static void node_free_rcu(struct tce_rcu_head *head)
{
	tce_free((struct node *)((char *)head - offsetof(struct node, rcu)));
}

/* The nodes one update creates and the ones it replaces (retired only if it succeeds). */
struct update {
	struct node *fresh[2 * MAX_DEPTH + 2];
	unsigned nfresh;
	struct node *old[2 * MAX_DEPTH + 2];
	unsigned nold;
};

static struct node *fresh_node(struct update *u, bool leaf)
{
	struct node *node;
	unsigned i;

	if (u->nfresh == sizeof(u->fresh) / sizeof(u->fresh[0]))
		return NULL;
	node = tce_zalloc(sizeof(*node));
	if (node) {
		node->leaf = leaf;
		for (i = 0; i < FANOUT; i++)
			node->key[i] = UINT64_MAX; /* unused keys sort last (node_floor) */
		u->fresh[u->nfresh++] = node;
	}
	return node;
}

static void update_abort(struct update *u)
{
	while (u->nfresh)
		tce_free(u->fresh[--u->nfresh]);
}

/* One entry of a node under construction (size: leaves only). */
struct item {
	uint64_t key, size;
	void *ptr;
};

/*
 * Build one node from @n items, or two when they do not fit: *@a always,
 * *@b (or NULL) for the rest. Items added at the end (@appending: ascending
 * inserts, the common order) leave the first node full; others split evenly.
 */
static int build(struct update *u, bool leaf, const struct item *items, unsigned n, bool appending,
		 struct node **a, struct node **b)
{
	unsigned split = n <= FANOUT ? n : appending ? FANOUT : n / 2, i;
	struct node *first = fresh_node(u, leaf), *second = NULL;

	if (!first)
		return -ENOMEM;
	if (n > FANOUT) {
		second = fresh_node(u, leaf);
		if (!second)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct node *to = i < split ? first : second;

		to->key[to->n] = items[i].key;
		to->size[to->n] = items[i].size;
		to->ptr[to->n] = items[i].ptr;
		to->n++;
	}
	*a = first;
	*b = second;
	return 0;
}

/* The items of @node, with its entry @at replaced by up to two children (or removed). */
static unsigned items_of(const struct node *node, struct item *items, int at, struct node *c1,
			 struct node *c2)
{
	unsigned i, n = 0;

	for (i = 0; i < node->n; i++) {
		if ((int)i != at) {
			items[n++] = (struct item){node->key[i], node->size[i], node->ptr[i]};
			continue;
		}
		if (c1)
			items[n++] = (struct item){c1->key[0], 0, c1};
		if (c2)
			items[n++] = (struct item){c2->key[0], 0, c2};
	}
	return n;
}

/* Insert (key, region) below @node: its copy in *@a, and *@b when it split. */
static int insert_below(struct update *u, struct node *node, uint64_t key, struct tce_region *region,
			unsigned depth, struct node **a, struct node **b)
{
	struct item items[FANOUT + 1];
	unsigned n;
	int i = node_floor(node, key), rc;

	/* Nodes split at half, so 32 levels hold far more than 2^64 keys. */
	assert(depth < MAX_DEPTH);
	u->old[u->nold++] = node;
	if (node->leaf) {
		unsigned at = (unsigned)(i + 1), k;

		for (k = 0, n = 0; k < node->n; k++) {
			if (k == at)
				items[n++] = (struct item){key, region->size, region};
			items[n++] = (struct item){node->key[k], node->size[k], node->ptr[k]};
		}
		if (at == node->n)
			items[n++] = (struct item){key, region->size, region};
	} else {
		struct node *c1, *c2;

		if (i < 0)
			i = 0; /* a new smallest key goes to the first child */
		rc = insert_below(u, node->ptr[i], key, region, depth + 1, &c1, &c2);
		if (rc)
			return rc;
		n = items_of(node, items, i, c1, c2);
	}
	return build(u, node->leaf, items, n, i + 1 == (int)node->n, a, b);
}

/* Remove @key below @node: its copy in *@a, or NULL when it empties. */
static int remove_below(struct update *u, struct node *node, uint64_t key, struct node **a)
{
	struct item items[FANOUT];
	struct node *b, *child = NULL;
	unsigned n;
	int i = node_floor(node, key), rc;

	assert(i >= 0);
	u->old[u->nold++] = node;
	if (node->leaf) {
		assert(node->key[i] == key);
		n = items_of(node, items, i, NULL, NULL);
	} else {
		rc = remove_below(u, node->ptr[i], key, &child);
		if (rc)
			return rc;
		n = items_of(node, items, i, child, NULL);
	}
	if (n == 0) {
		*a = NULL;
		return 0;
	}
	return build(u, node->leaf, items, n, false, a, &b); /* fewer items: never splits */
}

/* Publish a new root and retire what the update replaced. */
static void update_commit(struct tce_region_tree *tree, struct update *u, struct node *root,
			  struct tce_rcu_batch *retired)
{
	unsigned i;

	atomic_store_explicit(&tree->root, root, memory_order_release);
	for (i = 0; i < u->nold; i++)
		tce_rcu_retire(retired, &u->old[i]->rcu, node_free_rcu);
	u->nfresh = 0;
	u->nold = 0;
}

int tce_region_tree_insert(struct tce_region_tree *tree, struct tce_region *region,
			   struct tce_rcu_batch *retired)
{
	struct node *root = atomic_load_explicit(&tree->root, memory_order_relaxed);
	struct update u = {.nfresh = 0};
	struct node *a, *b;
	int rc;

	if (!root) {
		struct item item = {region->ua, region->size, region};

		rc = build(&u, true, &item, 1, false, &a, &b);
	} else {
		rc = insert_below(&u, root, region->ua, region, 0, &a, &b);
		if (rc == 0 && b) {
			struct item items[2] = {{a->key[0], 0, a}, {b->key[0], 0, b}};
			struct node *c;

			rc = build(&u, false, items, 2, false, &a, &c);
		}
	}
	if (rc) {
		update_abort(&u);
		return rc;
	}
	update_commit(tree, &u, a, retired);
	return 0;
}

int tce_region_tree_remove(struct tce_region_tree *tree, uint64_t key, struct tce_rcu_batch *retired)
{
	struct node *root = atomic_load_explicit(&tree->root, memory_order_relaxed);
	struct update u = {.nfresh = 0};
	struct node *a;
	int rc = remove_below(&u, root, key, &a);

	if (rc) {
		update_abort(&u);
		return rc;
	}
	/*
	 * A root with one child is that child. A copy made by this update is
	 * freed at once; a node of the published tree is retired with the rest.
	 */
	while (a && !a->leaf && a->n == 1) {
		struct node *child = a->ptr[0];

		if (u.nfresh && u.fresh[u.nfresh - 1] == a) {
			u.nfresh--;
			tce_free(a);
		} else {
			u.old[u.nold++] = a;
		}
		a = child;
	}
	update_commit(tree, &u, a, retired);
	return 0;
}

static int node_walk(const struct node *node, int (*fn)(void *ctx, struct tce_region *r), void *ctx)
{
	unsigned i;
	int rc = 0;

	for (i = 0; node && i < node->n && rc == 0; i++)
		rc = node->leaf ? fn(ctx, node->ptr[i]) : node_walk(node->ptr[i], fn, ctx);
	return rc;
}

int tce_region_tree_walk(const struct tce_region_tree *tree,
			 int (*fn)(void *ctx, struct tce_region *region), void *ctx)
{
	return node_walk(atomic_load_explicit(&tree->root, memory_order_acquire), fn, ctx);
}

static void node_free_all(struct node *node)
{
	unsigned i;

	if (!node)
		return;
	for (i = 0; !node->leaf && i < node->n; i++)
		node_free_all(node->ptr[i]);
	tce_free(node);
}

void tce_region_tree_free(struct tce_region_tree *tree)
{
	node_free_all(atomic_load_explicit(&tree->root, memory_order_relaxed));
	atomic_store_explicit(&tree->root, NULL, memory_order_relaxed);
}
