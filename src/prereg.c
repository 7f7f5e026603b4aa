// SPDX-License-Identifier: MIT
/*
 * Preregistered regions of one address space. See include/tce/prereg.h and,
 * for the map engine's view, src/prereg_fast.h.
 *
 * The regions are a copy-on-write B+tree keyed by start address. Nodes are
 * never changed once published: a writer (under the prereg's mutex) copies
 * the path from the root to the leaf it changes, splits a node that overflows,
 * drops a node that empties, publishes the new root with a release store and
 * retires the replaced nodes to an RCU batch. Readers walk the tree inside an
 * RCU read section without any lock. Regions never overlap, so the only
 * candidate for an address is the region with the largest start <= it; every
 * separator key is the exact smallest key below it, so that search never
 * backtracks. Up to 16 regions fit one leaf: a lookup is then a scan of two
 * cache lines.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "charge.h"
#include "prereg_fast.h"

#define FANOUT 16
#define MAX_DEPTH 32
/* Retired nodes and regions freed together, after one grace period. */
#define RECLAIM_THRESHOLD 256

struct node {
	struct tce_rcu_head rcu;
	bool leaf;
	unsigned n;
	uint64_t key[FANOUT];  /* leaf: region start; inner: smallest key below the child */
	uint64_t size[FANOUT]; /* leaf: region size, so a lookup needs no second cache miss */
	void *ptr[FANOUT];     /* leaf: struct tce_region *; inner: struct node * */
};

struct tce_prereg {
	struct tce_hostmem *hostmem;
	struct tce_account *account;
	pthread_mutex_t lock; /* writers */
	struct node *_Atomic root;
	_Atomic size_t count;
	uint64_t gen; /* the removal generation at the last removal, for hints */
	struct tce_rcu_batch retired;
};

/*
 * Hints: the last region a thread found, valid while no region was removed
 * anywhere since (a global generation). A removed region is therefore never
 * reached through a stale hint, whenever it is freed.
 */
static _Atomic uint64_t removal_gen = 1;
static __thread struct {
	const struct tce_prereg *owner;
	uint64_t gen;
	uint64_t ua, size; /* the region's range: checking the hint reads no region */
	struct tce_region *region;
} hint __attribute__((tls_model("initial-exec")));

int tce_prereg_create(struct tce_hostmem *hostmem, struct tce_account *account,
		      struct tce_prereg **preregp)
{
	struct tce_prereg *prereg = tce_zalloc(sizeof(*prereg));

	if (!prereg)
		return -ENOMEM;
	if (pthread_mutex_init(&prereg->lock, NULL) != 0) {
		tce_free(prereg);
		return -ENOMEM;
	}
	prereg->hostmem = hostmem;
	prereg->account = account;
	*preregp = prereg;
	return 0;
}

/* ---- the tree ---- */

/* The index of the last key <= @key in @node, or -1 (a binary search the compiler makes branch-free). */
static int node_floor(const struct node *node, uint64_t key)
{
	unsigned i, below = 0;

	for (i = 0; i < node->n; i++)
		below += node->key[i] <= key;
	return (int)below - 1;
}

/* The region with the largest start <= @key, or NULL. Readers: inside an RCU section. */
static struct tce_region *tree_floor(const struct node *node, uint64_t key)
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
static int root_leaf_floor(const struct node *node, uint64_t key)
{
	unsigned i, below = 0;

	for (i = 0; i < node->n; i++)
		below += node->key[i] <= key;
	return (int)below - 1;
}

/* The leaf entry whose region holds [ua, ua + size), reading only the tree's nodes; NULL if none. */
static const struct node *tree_find(const struct node *node, uint64_t ua, uint64_t size, int *at)
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

static void node_free_rcu(struct tce_rcu_head *head)
{
	tce_free((struct node *)((char *)head - offsetof(struct node, rcu)));
}

static void region_free_rcu(struct tce_rcu_head *head)
{
	tce_free((struct tce_region *)((char *)head - offsetof(struct tce_region, rcu)));
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

	if (depth >= MAX_DEPTH)
		return -ENOMEM;
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
static void update_commit(struct tce_prereg *prereg, struct update *u, struct node *root)
{
	unsigned i;

	atomic_store_explicit(&prereg->root, root, memory_order_release);
	for (i = 0; i < u->nold; i++)
		tce_rcu_retire(&prereg->retired, &u->old[i]->rcu, node_free_rcu);
	u->nfresh = 0;
	u->nold = 0;
}

static int tree_insert(struct tce_prereg *prereg, struct tce_region *region)
{
	struct node *root = atomic_load_explicit(&prereg->root, memory_order_relaxed);
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
	update_commit(prereg, &u, a);
	return 0;
}

static int tree_remove(struct tce_prereg *prereg, uint64_t key)
{
	struct node *root = atomic_load_explicit(&prereg->root, memory_order_relaxed);
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
	update_commit(prereg, &u, a);
	return 0;
}

/* Call @fn for every region, in address order (writer side, under the lock). */
static int tree_walk(const struct node *node, int (*fn)(void *ctx, struct tce_region *r), void *ctx)
{
	unsigned i;
	int rc = 0;

	for (i = 0; node && i < node->n && rc == 0; i++)
		rc = node->leaf ? fn(ctx, node->ptr[i]) : tree_walk(node->ptr[i], fn, ctx);
	return rc;
}

static void tree_free(struct node *node)
{
	unsigned i;

	if (!node)
		return;
	for (i = 0; !node->leaf && i < node->n; i++)
		tree_free(node->ptr[i]);
	tce_free(node);
}

/* ---- regions ---- */

/* Largest shift s such that every 2^s-aligned page of the region translates. */
static unsigned region_max_page_shift(const struct tce_region *region)
{
	size_t n = tce_hostmem_pin_extents(region->pin), i;
	unsigned granule = tce_hostmem_pin_granule_shift(region->pin);
	unsigned shift;

	for (shift = 62; shift > 12; shift--) {
		uint64_t mask = (UINT64_C(1) << shift) - 1;
		bool ok = shift <= granule && (region->ua & mask) == 0 && (region->size & mask) == 0;

		for (i = 0; ok && i < n; i++) {
			struct tce_extent e;

			tce_hostmem_pin_extent(region->pin, i, &e);
			ok = (e.ua & mask) == 0 && (e.bytes & mask) == 0 && (e.hpa & mask) == 0;
		}
		if (ok)
			return shift;
	}
	return 12;
}

/* Release what a region holds now (its pin, its charge); its memory goes after a grace period. */
static void region_release(struct tce_prereg *prereg, struct tce_region *region)
{
	tce_hostmem_unpin(prereg->hostmem, region->pin);
	tce_uncharge_exact(prereg->account, TCE_TAG_REGION, region->size);
	region->pin = NULL;
}

static int region_busy(void *ctx, struct tce_region *region)
{
	(void)ctx;
	return atomic_load_explicit(&region->mapped, memory_order_relaxed) != 1 ? -EBUSY : 0;
}

static int region_destroy_now(void *ctx, struct tce_region *region)
{
	region_release(ctx, region);
	tce_free(region);
	return 0;
}

int tce_prereg_destroy(struct tce_prereg *prereg)
{
	struct node *root;

	if (!prereg)
		return 0;
	pthread_mutex_lock(&prereg->lock);
	root = atomic_load_explicit(&prereg->root, memory_order_relaxed);
	if (tree_walk(root, region_busy, NULL)) {
		pthread_mutex_unlock(&prereg->lock);
		return -EBUSY;
	}
	/* No reader may use a prereg that is being destroyed: free at once. */
	tree_walk(root, region_destroy_now, prereg);
	tree_free(root);
	atomic_fetch_add(&removal_gen, 1);
	pthread_mutex_unlock(&prereg->lock);
	tce_rcu_reclaim(&prereg->retired);
	pthread_mutex_destroy(&prereg->lock);
	tce_free(prereg);
	return 0;
}

/* Writer side (under the lock): the region exactly [ua, ua + size), or NULL. */
static struct tce_region *find_exact(struct tce_prereg *prereg, uint64_t ua, uint64_t size)
{
	struct tce_region *r =
		tree_floor(atomic_load_explicit(&prereg->root, memory_order_relaxed), ua);

	return r && r->ua == ua && r->size == size ? r : NULL;
}

int tce_prereg_register(struct tce_prereg *prereg, uint64_t ua, uint64_t size,
			struct tce_region **regionp)
{
	unsigned page_shift = tce_hostmem_page_shift(prereg->hostmem);
	struct tce_region *region, *before;
	int rc;

	if (!tce_range_valid(ua, size, page_shift))
		return -EINVAL;
	pthread_mutex_lock(&prereg->lock);
	region = find_exact(prereg, ua, size);
	if (region) {
		atomic_fetch_add_explicit(&region->refs, 1, memory_order_relaxed);
		rc = 0;
		goto out;
	}
	/* The region starting last at or before our end is the only one that could overlap. */
	before = tree_floor(atomic_load_explicit(&prereg->root, memory_order_relaxed),
			    tce_range_last(ua, size));
	if (before && tce_range_overlap(before->ua, before->size, ua, size)) {
		rc = -EINVAL; /* overlaps a region without matching it */
		goto out;
	}
	region = tce_zalloc(sizeof(*region));
	if (!region) {
		rc = -ENOMEM;
		goto out;
	}
	/* Charge first, then pin. */
	rc = tce_account_charge(prereg->account, TCE_TAG_REGION, size);
	if (rc) {
		tce_free(region);
		goto out;
	}
	rc = tce_hostmem_pin(prereg->hostmem, ua, size, &region->pin);
	if (rc) {
		tce_uncharge_exact(prereg->account, TCE_TAG_REGION, size);
		tce_free(region);
		goto out;
	}
	region->ua = ua;
	region->size = size;
	atomic_init(&region->refs, 1);
	atomic_init(&region->mapped, 1);
	region->max_page_shift = region_max_page_shift(region);
	rc = tree_insert(prereg, region);
	if (rc) {
		region_release(prereg, region);
		tce_free(region);
		goto out;
	}
	atomic_fetch_add_explicit(&prereg->count, 1, memory_order_relaxed);
out:
	pthread_mutex_unlock(&prereg->lock);
	if (rc == 0 && regionp)
		*regionp = region;
	return rc;
}

int tce_prereg_unregister(struct tce_prereg *prereg, uint64_t ua, uint64_t size)
{
	struct tce_region *region;
	uint64_t expected = 1;
	int rc = 0;

	pthread_mutex_lock(&prereg->lock);
	region = find_exact(prereg, ua, size);
	if (!region) {
		rc = -ENOENT;
	} else if (atomic_load_explicit(&region->refs, memory_order_relaxed) > 1) {
		atomic_fetch_sub_explicit(&region->refs, 1, memory_order_relaxed);
	} else if (!atomic_compare_exchange_strong(&region->mapped, &expected, 0)) {
		/* Taking the bias away failed: mappings still point into it. */
		rc = -EBUSY;
	} else {
		rc = tree_remove(prereg, ua);
		if (rc) {
			atomic_store(&region->mapped, 1); /* still registered, unchanged */
		} else {
			atomic_fetch_sub_explicit(&prereg->count, 1, memory_order_relaxed);
			atomic_fetch_add(&removal_gen, 1);
			region_release(prereg, region);
			tce_rcu_retire(&prereg->retired, &region->rcu, region_free_rcu);
			tce_rcu_reclaim_above(&prereg->retired, RECLAIM_THRESHOLD);
		}
	}
	pthread_mutex_unlock(&prereg->lock);
	return rc;
}

struct tce_region *tce_prereg_find(struct tce_prereg *prereg, uint64_t ua, uint64_t size)
{
	uint64_t gen = atomic_load_explicit(&removal_gen, memory_order_acquire);
	const struct node *leaf;
	int at = 0;

	if (hint.owner == prereg && hint.gen == gen && tce_range_inside(hint.ua, hint.size, ua, size))
		return hint.region;
	leaf = tree_find(atomic_load_explicit(&prereg->root, memory_order_acquire), ua, size, &at);
	if (!leaf)
		return NULL;
	hint.owner = prereg;
	hint.gen = gen;
	hint.ua = leaf->key[at];
	hint.size = leaf->size[at];
	hint.region = leaf->ptr[at];
	return hint.region;
}

struct tce_region *tce_prereg_lookup(struct tce_prereg *prereg, uint64_t ua, uint64_t size)
{
	struct tce_region *region;

	tce_rcu_read_lock();
	region = tce_prereg_find(prereg, ua, size ? size : 1);
	tce_rcu_read_unlock();
	return region;
}

int tce_prereg_lookup_get(struct tce_prereg *prereg, uint64_t ua, uint64_t size,
			  struct tce_region **regionp)
{
	struct tce_region *region;
	int rc;

	tce_rcu_read_lock();
	region = tce_prereg_find(prereg, ua, size ? size : 1);
	rc = region ? tce_region_mapped_add(region, 1) : -EFAULT;
	tce_rcu_read_unlock();
	if (rc == 0)
		*regionp = region;
	return rc;
}

size_t tce_prereg_count(struct tce_prereg *prereg)
{
	return atomic_load_explicit(&prereg->count, memory_order_relaxed);
}

struct verify_ctx {
	struct tce_prereg *prereg;
	tce_prereg_stale_fn fn;
	void *opaque;
	int stale;
};

static int verify_one(void *opaque, struct tce_region *region)
{
	struct verify_ctx *v = opaque;
	uint64_t first = 0;
	int rc = tce_hostmem_pin_check(v->prereg->hostmem, region->pin, &first);

	if (rc < 0)
		return rc;
	if (rc == 1) {
		v->stale++;
		if (v->fn)
			v->fn(v->opaque, region, first);
	}
	return 0;
}

int tce_prereg_verify(struct tce_prereg *prereg, tce_prereg_stale_fn fn, void *opaque)
{
	struct verify_ctx v = {prereg, fn, opaque, 0};
	int rc;

	pthread_mutex_lock(&prereg->lock);
	rc = tree_walk(atomic_load_explicit(&prereg->root, memory_order_relaxed), verify_one, &v);
	pthread_mutex_unlock(&prereg->lock);
	return rc < 0 ? rc : v.stale;
}

int tce_region_translate(const struct tce_region *region, uint64_t ua, uint64_t bytes,
			 unsigned page_shift, uint64_t *hpa)
{
	uint64_t found;
	int rc;

	if (!tce_region_holds(region, ua, bytes))
		return -EFAULT;
	rc = tce_hostmem_pin_translate(region->pin, ua, bytes, &found);
	if (rc)
		return rc;
	if (found & ((UINT64_C(1) << page_shift) - 1))
		return -EPERM;
	*hpa = found;
	return 0;
}

int tce_region_ua_to_hpa(const struct tce_region *region, uint64_t ua, unsigned page_shift,
			 uint64_t *hpa)
{
	uint64_t page;

	if (page_shift < 12 || page_shift > 62)
		return -EINVAL;
	page = UINT64_C(1) << page_shift;
	if (ua & (page - 1))
		return -EINVAL;
	return tce_region_translate(region, ua, page, page_shift, hpa);
}

int tce_region_mapped_inc(struct tce_region *region)
{
	return tce_region_mapped_add(region, 1);
}

void tce_region_mapped_dec(struct tce_region *region)
{
	uint64_t old = atomic_fetch_sub(&region->mapped, 1);

	assert(old > 1); /* never drops the registration bias */
	(void)old;
}

void tce_region_info(const struct tce_region *region, struct tce_region_info *info)
{
	uint64_t mapped = atomic_load_explicit(&region->mapped, memory_order_relaxed);

	info->ua = region->ua;
	info->size = region->size;
	info->refs = atomic_load_explicit(&region->refs, memory_order_relaxed);
	info->mapped = mapped ? mapped - 1 : 0;
	info->extents = tce_hostmem_pin_extents(region->pin);
	info->granule_shift = tce_hostmem_pin_granule_shift(region->pin);
	info->metadata_bytes = sizeof(*region) + tce_hostmem_pin_metadata_bytes(region->pin);
	info->max_page_shift = region->max_page_shift;
}
