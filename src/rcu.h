/* SPDX-License-Identifier: MIT */
/*
 * Read-copy-update for lock-free readers (internal).
 *
 * Concepts: readers of a shared structure (prereg's region tree) run inside
 * tce_rcu_read_lock() / tce_rcu_read_unlock() and take no lock: each thread
 * announces "reading since grace period P" in a counter of its own. A writer
 * (serialised by its own mutex) publishes a new version with a release store,
 * then retires what it replaced to a tce_rcu_batch; tce_rcu_reclaim() waits
 * for a grace period (every reader that could still see the old version has
 * left its read section) and only then frees it. So a reader never touches
 * freed memory, and removed objects are freed at the next reclaim, not kept.
 *
 * The writer's wait makes readers cheap: on Linux the writer issues
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which orders every reader's
 * announcement against the writer's check, so a reader needs no fence and no
 * atomic read-modify-write, only two plain stores to its own counter. Where
 * membarrier is not available (or under ThreadSanitizer, which cannot see
 * it) readers use sequentially consistent fences instead: slower, equally
 * correct. The algorithm is the classic two-phase counter flip of userspace
 * RCU. Read sections nest. A thread registers itself on its first read lock
 * and is unregistered when it exits.
 */
#ifndef TCE_RCU_H
#define TCE_RCU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCE_RCU_NEST_MASK ((UINT64_C(1) << 32) - 1)
#define TCE_RCU_PHASE (UINT64_C(1) << 32)

struct tce_rcu_reader {
	_Atomic uint64_t ctr; /* 0: quiescent; else phase | nesting depth */
	struct tce_rcu_reader *next;
	bool registered;
};

/* The global grace-period counter: its phase bit, and 1 in the nesting field. */
extern _Atomic uint64_t tce_rcu_gp;
/* True when readers must fence (no membarrier, or ThreadSanitizer). */
extern bool tce_rcu_readers_fence;
/* The word fence mode orders readers and writers through (see tce_rcu_fence()). */
extern _Atomic unsigned long tce_rcu_fence_word;

/*
 * A full barrier between a reader and a writer in fence mode: a read-modify-
 * write of one shared word. Two of them are ordered, so whichever comes first
 * synchronizes with the other (sequentially consistent: a full barrier on
 * every architecture), which is what the
 * store-then-load pattern of both sides needs. (A standalone fence would do
 * on hardware, but ThreadSanitizer does not model fences; this it models.)
 */
static inline void tce_rcu_fence(void)
{
	atomic_fetch_add_explicit(&tce_rcu_fence_word, 0, memory_order_seq_cst);
}
extern __thread struct tce_rcu_reader tce_rcu_self __attribute__((tls_model("initial-exec")));

/* Register the calling thread as a reader (first read lock of a thread). */
void tce_rcu_register_self(void);

/*
 * The reader's own record is named directly, never through a pointer: GCC 12
 * with -fsanitize=null folds the null check of a TLS address into an
 * unrelated flag and reports a null pointer that is not there.
 */
static inline void tce_rcu_read_lock(void)
{
	uint64_t ctr;

	if (__builtin_expect(!tce_rcu_self.registered, 0))
		tce_rcu_register_self();
	ctr = atomic_load_explicit(&tce_rcu_self.ctr, memory_order_relaxed);
	if ((ctr & TCE_RCU_NEST_MASK) == 0) {
		if (tce_rcu_readers_fence) {
			atomic_store_explicit(&tce_rcu_self.ctr,
					      atomic_load_explicit(&tce_rcu_gp, memory_order_seq_cst),
					      memory_order_seq_cst);
			tce_rcu_fence();
		} else {
			atomic_store_explicit(&tce_rcu_self.ctr,
					      atomic_load_explicit(&tce_rcu_gp, memory_order_relaxed),
					      memory_order_relaxed);
			/* The writer's membarrier provides the fence. */
			atomic_signal_fence(memory_order_seq_cst);
		}
	} else {
		atomic_store_explicit(&tce_rcu_self.ctr, ctr + 1, memory_order_relaxed);
	}
}

static inline void tce_rcu_read_unlock(void)
{
	uint64_t ctr = atomic_load_explicit(&tce_rcu_self.ctr, memory_order_relaxed);

	if (tce_rcu_readers_fence)
		tce_rcu_fence();
	else
		atomic_signal_fence(memory_order_seq_cst);
	/* Release: everything read in the section is done before the writer sees us leave. */
	atomic_store_explicit(&tce_rcu_self.ctr, ctr - 1, memory_order_release);
}

/* Wait until every read section that began before the call has ended. */
void tce_rcu_synchronize(void);

/* Something to free after a grace period. Embed it; @free gets it back. */
struct tce_rcu_head {
	struct tce_rcu_head *next;
	void (*free)(struct tce_rcu_head *head);
};

/* Retired objects of one owner, waiting for a grace period. */
struct tce_rcu_batch {
	struct tce_rcu_head *first;
	size_t count;
};

/* Retire @head: it is freed by a later tce_rcu_reclaim() of @batch. */
static inline void tce_rcu_retire(struct tce_rcu_batch *batch, struct tce_rcu_head *head,
				  void (*free_fn)(struct tce_rcu_head *))
{
	head->free = free_fn;
	head->next = batch->first;
	batch->first = head;
	batch->count++;
}

/* Wait for a grace period, then free everything retired to @batch. */
void tce_rcu_reclaim(struct tce_rcu_batch *batch);

/* Reclaim when @batch holds @threshold objects or more (amortises the grace period). */
static inline void tce_rcu_reclaim_above(struct tce_rcu_batch *batch, size_t threshold)
{
	if (batch->count >= threshold)
		tce_rcu_reclaim(batch);
}

#endif /* TCE_RCU_H */
