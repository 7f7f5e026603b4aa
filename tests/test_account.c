// SPDX-License-Identifier: MIT
/*
 * Account tests: limits, refusals that change nothing, per-tag totals, pages
 * as the kernel counts them, RLIMIT_MEMLOCK, and concurrent charging.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/account.h"
#include "tce/fault.h"


static void test_limit_and_refusal_change_nothing(void **state)
{
	struct tce_account *account;
	struct tce_account_totals before, after;

	(void)state;
	assert_int_equal(tce_account_create(1 * MiB, &account), 0);
	assert_int_equal(tce_account_limit(account), 1 * MiB);
	assert_int_equal(tce_account_charge(account, TCE_TAG_TABLE, 512 * KiB), 0);
	assert_int_equal(tce_account_charge(account, TCE_TAG_MIRROR, 512 * KiB), 0);
	tce_account_totals(account, &before);
	/* One byte over: refused, nothing changes but the refusal count. */
	assert_int_equal(tce_account_charge(account, TCE_TAG_REGION, 1), -ENOMEM);
	assert_int_equal(tce_account_charge(account, TCE_TAG_REGION, UINT64_MAX), -ENOMEM);
	tce_account_totals(account, &after);
	assert_int_equal(after.failed_charges, before.failed_charges + 2);
	after.failed_charges = before.failed_charges;
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(tce_account_locked(account, TCE_TAG_COUNT), 1 * MiB);
	assert_int_equal(after.peak, 1 * MiB);
	tce_account_destroy(account);
}

static void test_never_negative(void **state)
{
	struct tce_account *account;

	(void)state;
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &account), 0);
	assert_int_equal(tce_account_charge(account, TCE_TAG_TABLE, 64 * KiB), 0);
	/* Releasing more than the tag holds, or under another tag: refused. */
	assert_int_equal(tce_account_uncharge(account, TCE_TAG_TABLE, 128 * KiB), -EINVAL);
	assert_int_equal(tce_account_uncharge(account, TCE_TAG_MIRROR, 64 * KiB), -EINVAL);
	assert_int_equal(tce_account_locked(account, TCE_TAG_TABLE), 64 * KiB);
	assert_false(tce_account_balanced(account));
	assert_int_equal(tce_account_uncharge(account, TCE_TAG_TABLE, 64 * KiB), 0);
	assert_true(tce_account_balanced(account));
	/* Bad tags. */
	assert_int_equal(tce_account_charge(account, TCE_TAG_COUNT, 1), -EINVAL);
	assert_int_equal(tce_account_uncharge(account, (enum tce_account_tag)99, 1), -EINVAL);
	assert_int_equal(tce_account_locked(account, (enum tce_account_tag)99), 0);
	/* Zero is a no-op. */
	assert_int_equal(tce_account_charge(account, TCE_TAG_TABLE, 0), 0);
	assert_int_equal(tce_account_uncharge(account, TCE_TAG_TABLE, 0), 0);
	tce_account_destroy(account);
}

static void test_per_tag_totals_and_pages(void **state)
{
	struct tce_account *account;
	struct tce_account_totals t;

	(void)state;
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &account), 0);
	assert_int_equal(tce_account_charge(account, TCE_TAG_REGION, 16 * MiB), 0);
	assert_int_equal(tce_account_charge(account, TCE_TAG_TABLE, 4 * MiB), 0);
	assert_int_equal(tce_account_charge(account, TCE_TAG_GUEST_VIEW, 65 * 64 * KiB), 0);
	assert_int_equal(tce_account_uncharge(account, TCE_TAG_REGION, 8 * MiB), 0);
	tce_account_totals(account, &t);
	assert_int_equal(t.locked_by_tag[TCE_TAG_REGION], 8 * MiB);
	assert_int_equal(t.charged_by_tag[TCE_TAG_REGION], 16 * MiB);
	assert_int_equal(t.released_by_tag[TCE_TAG_REGION], 8 * MiB);
	assert_int_equal(t.locked, 8 * MiB + 4 * MiB + 65 * 64 * KiB);
	assert_int_equal(t.peak, 16 * MiB + 4 * MiB + 65 * 64 * KiB);
	assert_int_equal(tce_account_bytes_to_pages(t.locked_by_tag[TCE_TAG_GUEST_VIEW]), 65);
	assert_int_equal(tce_account_bytes_to_pages(16 * MiB), 256);
	assert_int_equal(tce_account_bytes_to_pages(1), 1);
	assert_int_equal(tce_account_bytes_to_pages(64 * KiB + 1), 2);
	assert_int_equal(tce_account_bytes_to_pages(0), 0);
	assert_string_equal(tce_account_tag_name(TCE_TAG_GUEST_VIEW), "guest_view");
	assert_string_equal(tce_account_tag_name(TCE_TAG_COUNT), "unknown");
	tce_account_destroy(account);
}

static void test_rlimit(void **state)
{
	struct tce_account *account;
	struct rlimit rl;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	assert_int_equal(tce_account_create_rlimit(&account), 0);
	if (rl.rlim_cur == RLIM_INFINITY)
		assert_int_equal(tce_account_limit(account), TCE_ACCOUNT_UNLIMITED);
	else
		assert_int_equal(tce_account_limit(account), (uint64_t)rl.rlim_cur);
	tce_account_destroy(account);

	/* Lower the soft limit for this process and read it back. */
	rl.rlim_cur = 3 * MiB;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur)
		rl.rlim_cur = rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	assert_int_equal(tce_account_create_rlimit(&account), 0);
	assert_int_equal(tce_account_limit(account), (uint64_t)rl.rlim_cur);
	assert_int_equal(tce_account_charge(account, TCE_TAG_OTHER, rl.rlim_cur + 1), -ENOMEM);
	tce_account_destroy(account);
}

static void test_create_fails_cleanly(void **state)
{
	struct tce_account *account = NULL;

	(void)state;
	tce_fault_fail_nth(1);
	assert_int_equal(tce_account_create(1, &account), -ENOMEM);
	assert_null(account);
}

enum { THREADS = 4, ROUNDS = 20000 };

static void *charger(void *arg)
{
	struct tce_account *account = arg;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		/* The limit admits at most 3 of 4 threads holding 1 MiB at once. */
		if (tce_account_charge(account, TCE_TAG_TABLE, 1 * MiB) == 0)
			tce_account_uncharge(account, TCE_TAG_TABLE, 1 * MiB);
	}
	return NULL;
}

static void test_concurrent_charges_stay_within_limit(void **state)
{
	struct tce_account *account;
	struct tce_account_totals t;
	pthread_t threads[THREADS];
	int i;

	(void)state;
	assert_int_equal(tce_account_create(3 * MiB, &account), 0);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, charger, account), 0);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	tce_account_totals(account, &t);
	assert_true(tce_account_balanced(account));
	assert_true(t.peak <= 3 * MiB);
	assert_int_equal(t.charged_by_tag[TCE_TAG_TABLE], t.released_by_tag[TCE_TAG_TABLE]);
	assert_int_equal(t.charged_by_tag[TCE_TAG_TABLE] / MiB + t.failed_charges,
			 (uint64_t)THREADS * ROUNDS);
	tce_account_destroy(account);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_and_refusal_change_nothing),
		cmocka_unit_test(test_never_negative),
		cmocka_unit_test(test_per_tag_totals_and_pages),
		cmocka_unit_test(test_rlimit),
		cmocka_unit_test(test_create_fails_cleanly),
		cmocka_unit_test(test_concurrent_charges_stay_within_limit),
	};

	return cmocka_run_group_tests_name("account", tests, NULL, NULL);
}
