// SPDX-License-Identifier: MIT
/*
 * Read-copy-update: reader registry, grace periods, deferred freeing. See rcu.h.
 */
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rcu.h"

#if defined(__SANITIZE_THREAD__)
#define TCE_RCU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TCE_RCU_TSAN 1
#endif
#endif

_Atomic uint64_t tce_rcu_gp = 1; /* phase 0, one level of nesting */
bool tce_rcu_readers_fence; /* set by rcu_init(), which every reader runs before it reads this */
_Atomic unsigned long tce_rcu_fence_word;
__thread struct tce_rcu_reader tce_rcu_self __attribute__((tls_model("initial-exec")));

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tce_rcu_reader *registry;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static bool use_membarrier;

/* A thread that read leaves the registry when it exits. */
static void unregister_self(void *arg)
{
	struct tce_rcu_reader *self = arg, **p;

	pthread_mutex_lock(&registry_lock);
	for (p = &registry; *p; p = &(*p)->next) {
		if (*p == self) {
			*p = self->next;
			break;
		}
	}
	self->registered = false;
	pthread_mutex_unlock(&registry_lock);
}

/* Decided once, before any thread reads: membarrier for the writer, or fences for readers. */
static void rcu_init(void)
{
#ifndef TCE_RCU_TSAN
	use_membarrier = syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#endif
	tce_rcu_readers_fence = !use_membarrier;
	pthread_key_create(&exit_key, unregister_self);
}

void tce_rcu_register_self(void)
{
	struct tce_rcu_reader *self = &tce_rcu_self;

	pthread_once(&init_once, rcu_init);
	pthread_mutex_lock(&registry_lock);
	self->next = registry;
	registry = self;
	self->registered = true;
	pthread_mutex_unlock(&registry_lock);
	pthread_setspecific(exit_key, self);
}

/* Order this thread's memory accesses against every reader's. */
static void master_barrier(void)
{
	if (use_membarrier)
		syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	else
		tce_rcu_fence();
}

/* Flip the phase, then wait until no reader is still in a section of the old phase. */
static void flip_and_wait(void)
{
	uint64_t gp = atomic_load_explicit(&tce_rcu_gp, memory_order_relaxed) ^ TCE_RCU_PHASE;
	struct tce_rcu_reader *r;

	atomic_store_explicit(&tce_rcu_gp, gp, memory_order_seq_cst);
	tce_rcu_fence(); /* the new phase is visible before any reader's counter is read */
	for (r = registry; r; r = r->next) {
		unsigned spins = 0;

		for (;;) {
			uint64_t ctr = atomic_load_explicit(&r->ctr, memory_order_seq_cst);

			if ((ctr & TCE_RCU_NEST_MASK) == 0 || ((ctr ^ gp) & TCE_RCU_PHASE) == 0)
				break;
			if (++spins < 64) {
				sched_yield();
			} else {
				struct timespec ts = {0, 100000};

				nanosleep(&ts, NULL);
			}
		}
	}
}

void tce_rcu_synchronize(void)
{
	pthread_once(&init_once, rcu_init);
	pthread_mutex_lock(&registry_lock);
	master_barrier();
	flip_and_wait();
	flip_and_wait();
	master_barrier();
	pthread_mutex_unlock(&registry_lock);
}

void tce_rcu_reclaim(struct tce_rcu_batch *batch)
{
	struct tce_rcu_head *head = batch->first;

	if (!head)
		return;
	batch->first = NULL;
	batch->count = 0;
	tce_rcu_synchronize();
	while (head) {
		struct tce_rcu_head *next = head->next;

		head->free(head);
		head = next;
	}
}
