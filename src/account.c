// SPDX-License-Identifier: MIT
/*
 * Locked-memory ledger. See include/tce/account.h.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>

#include "tce/account.h"
#include "alloc.h"

struct tce_account {
	pthread_mutex_t lock;
	struct tce_account_totals t;
};

static bool tag_valid(enum tce_account_tag tag)
{
	return (unsigned)tag < TCE_TAG_COUNT;
}

int tce_account_create(uint64_t limit_bytes, struct tce_account **accountp)
{
	struct tce_account *account = tce_zalloc(sizeof(*account));

	if (!account)
		return -ENOMEM;
	pthread_mutex_init(&account->lock, NULL); /* default attributes: cannot fail on Linux */
	account->t.limit = limit_bytes;
	*accountp = account;
	return 0;
}

int tce_account_create_rlimit(struct tce_account **accountp)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return -errno;
	return tce_account_create(rl.rlim_cur == RLIM_INFINITY ? TCE_ACCOUNT_UNLIMITED
							      : (uint64_t)rl.rlim_cur,
				  accountp);
}

void tce_account_destroy(struct tce_account *account)
{
	if (!account)
		return;
	pthread_mutex_destroy(&account->lock);
	tce_free(account);
}

int tce_account_charge(struct tce_account *account, enum tce_account_tag tag, uint64_t bytes)
{
	int rc = 0;

	if (!tag_valid(tag))
		return -EINVAL;
	if (bytes == 0)
		return 0;
	pthread_mutex_lock(&account->lock);
	if (bytes > account->t.limit || account->t.locked > account->t.limit - bytes) {
		account->t.failed_charges++;
		rc = -ENOMEM;
	} else {
		account->t.locked += bytes;
		account->t.locked_by_tag[tag] += bytes;
		account->t.charged_by_tag[tag] += bytes;
		if (account->t.locked > account->t.peak)
			account->t.peak = account->t.locked;
	}
	pthread_mutex_unlock(&account->lock);
	return rc;
}

int tce_account_uncharge(struct tce_account *account, enum tce_account_tag tag, uint64_t bytes)
{
	int rc = 0;

	if (!tag_valid(tag))
		return -EINVAL;
	if (bytes == 0)
		return 0;
	pthread_mutex_lock(&account->lock);
	if (account->t.locked_by_tag[tag] < bytes) {
		rc = -EINVAL;
	} else {
		account->t.locked -= bytes;
		account->t.locked_by_tag[tag] -= bytes;
		account->t.released_by_tag[tag] += bytes;
	}
	pthread_mutex_unlock(&account->lock);
	return rc;
}

void tce_account_totals(const struct tce_account *account, struct tce_account_totals *totals)
{
	struct tce_account *mutable = (struct tce_account *)account;

	pthread_mutex_lock(&mutable->lock);
	*totals = account->t;
	pthread_mutex_unlock(&mutable->lock);
}

uint64_t tce_account_locked(const struct tce_account *account, enum tce_account_tag tag)
{
	struct tce_account_totals t;

	if (tag != TCE_TAG_COUNT && !tag_valid(tag))
		return 0;
	tce_account_totals(account, &t);
	return tag == TCE_TAG_COUNT ? t.locked : t.locked_by_tag[tag];
}

uint64_t tce_account_limit(const struct tce_account *account)
{
	struct tce_account_totals t;

	tce_account_totals(account, &t);
	return t.limit;
}

bool tce_account_balanced(const struct tce_account *account)
{
	return tce_account_locked(account, TCE_TAG_COUNT) == 0;
}

uint64_t tce_account_bytes_to_pages(uint64_t bytes)
{
	uint64_t page = UINT64_C(1) << TCE_ACCOUNT_PAGE_SHIFT;

	return bytes / page + (bytes % page != 0);
}

const char *tce_account_tag_name(enum tce_account_tag tag)
{
	static const char *const names[TCE_TAG_COUNT] = {
		[TCE_TAG_TABLE] = "table",         [TCE_TAG_MIRROR] = "mirror",
		[TCE_TAG_REGION] = "region",       [TCE_TAG_GUEST_VIEW] = "guest_view",
		[TCE_TAG_V1_WINDOW] = "v1_window", [TCE_TAG_V1_PINNED] = "v1_pinned",
		[TCE_TAG_OTHER] = "other",
	};

	return tag_valid(tag) ? names[tag] : "unknown";
}
