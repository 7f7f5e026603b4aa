// SPDX-License-Identifier: MIT
/*
 * The RCU the region tree's lock-free readers use (src/rcu.h, internal): a
 * grace period waits for every read section that began before it, nested
 * sections included, and for nothing else; retired objects are freed only
 * after one. A synchronize that wrongly returns early is seen within the
 * 100 ms the test waits; a correct one never returns before the reader
 * leaves, so the test cannot fail on a slow machine.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "helpers.h"

#include "rcu.h"

static atomic_bool synced;

static void *synchronizer(void *arg)
{
	(void)arg;
	tce_rcu_synchronize();
	atomic_store(&synced, true);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Start a synchronize on another thread; it must still be waiting 100 ms later. */
static void start_and_expect_wait(pthread_t *thread)
{
	atomic_store(&synced, false);
	assert_int_equal(pthread_create(thread, NULL, synchronizer, NULL), 0);
	sleep_ms(100);
	assert_false(atomic_load(&synced));
}

static void test_grace_period_waits_for_nested_readers(void **state)
{
	pthread_t thread;

	(void)state;
	/* No reader: a grace period ends at once. */
	tce_rcu_synchronize();
	/* One reader: the synchronize waits for its unlock. */
	tce_rcu_read_lock();
	start_and_expect_wait(&thread);
	tce_rcu_read_unlock();
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_true(atomic_load(&synced));
	/* Nested: leaving the inner section does not end the outer one. */
	tce_rcu_read_lock();
	tce_rcu_read_lock();
	tce_rcu_read_lock();
	tce_rcu_read_unlock();
	tce_rcu_read_unlock();
	start_and_expect_wait(&thread);
	tce_rcu_read_unlock();
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_true(atomic_load(&synced));
	/* A section begun after the synchronize started does not hold it up forever. */
	tce_rcu_synchronize();
}

static void *read_once_and_exit(void *arg)
{
	(void)arg;
	tce_rcu_read_lock();
	tce_rcu_read_unlock();
	return NULL;
}

/* A reader thread that exits leaves the registry, and takes no other reader with it. */
static void test_exiting_reader_leaves_only_itself(void **state)
{
	pthread_t reader, thread;
	int i;

	(void)state;
	tce_rcu_read_lock(); /* this thread is registered and in a section */
	for (i = 0; i < 3; i++) {
		assert_int_equal(pthread_create(&reader, NULL, read_once_and_exit, NULL), 0);
		assert_int_equal(pthread_join(reader, NULL), 0);
	}
	start_and_expect_wait(&thread); /* still waits for this thread's section */
	tce_rcu_read_unlock();
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_true(atomic_load(&synced));
}

/*
 * A thread's last reads can come from a thread-specific destructor that runs
 * after the registry's own (one of a later key): that reader registers again,
 * and a grace period waits for it like for any other.
 */
static pthread_key_t late_key;
static atomic_int late_state; /* 1: the destructor is in its section, 2: it may leave */

static void late_reader(void *arg)
{
	(void)arg;
	tce_rcu_read_lock();
	atomic_store(&late_state, 1);
	while (atomic_load(&late_state) != 2)
		sleep_ms(1);
	tce_rcu_read_unlock();
}

static void *register_then_exit(void *arg)
{
	(void)arg;
	tce_rcu_read_lock();
	tce_rcu_read_unlock();
	assert_int_equal(pthread_setspecific(late_key, &late_state), 0);
	return NULL;
}

static void test_reader_in_a_late_destructor(void **state)
{
	pthread_t reader, thread;

	(void)state;
	tce_rcu_read_lock(); /* the registry's key exists before the test's: its destructor runs first */
	tce_rcu_read_unlock();
	assert_int_equal(pthread_key_create(&late_key, late_reader), 0);
	atomic_store(&late_state, 0);
	assert_int_equal(pthread_create(&reader, NULL, register_then_exit, NULL), 0);
	while (atomic_load(&late_state) != 1)
		sleep_ms(1);
	start_and_expect_wait(&thread);
	atomic_store(&late_state, 2);
	assert_int_equal(pthread_join(reader, NULL), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_true(atomic_load(&synced));
	assert_int_equal(pthread_key_delete(late_key), 0);
}

struct counted {
	struct tce_rcu_head head;
	int *frees;
};

static void free_counted(struct tce_rcu_head *head)
{
	struct counted *c = (struct counted *)head;

	(*c->frees)++;
}

/* Retired objects are freed by the reclaim, after the grace period, all of them. */
static void test_reclaim_frees_after_the_grace_period(void **state)
{
	struct tce_rcu_batch batch = {0};
	struct counted objs[3];
	int frees = 0, i;

	(void)state;
	for (i = 0; i < 3; i++) {
		objs[i].frees = &frees;
		tce_rcu_retire(&batch, &objs[i].head, free_counted);
	}
	assert_int_equal(frees, 0);
	tce_rcu_reclaim(&batch);
	assert_int_equal(frees, 3);
	tce_rcu_reclaim(&batch); /* an empty batch */
	assert_int_equal(frees, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grace_period_waits_for_nested_readers),
		cmocka_unit_test(test_reclaim_frees_after_the_grace_period),
		cmocka_unit_test(test_exiting_reader_leaves_only_itself),
		cmocka_unit_test(test_reader_in_a_late_destructor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
