/* SPDX-License-Identifier: MIT */
/*
 * libtce — locked-memory accounting.
 *
 * Concepts
 * --------
 * An account is a ledger of locked bytes against a limit, the user-space
 * counterpart of a process's locked_vm checked against RLIMIT_MEMLOCK. The
 * limit is an explicit byte count, the calling process's RLIMIT_MEMLOCK read
 * once with getrlimit(), or unlimited.
 *
 * Every object that will lock memory (a TCE table, its mirror, a registered
 * region, a guest view, ...) charges its worst case under an owner tag before
 * allocating anything and uncharges exactly the same amount, once, when it goes
 * away. A charge that would pass the limit fails with -ENOMEM and changes
 * nothing; an uncharge larger than what the tag holds fails with -EINVAL and
 * changes nothing, so the ledger never goes negative. The account keeps, per
 * tag, what is locked now and what was ever charged and released, so a test
 * can assert that charged == released at the end of any life cycle.
 *
 * The kernel counts locked memory in system pages (64 KiB on a PowerNV host);
 * the account counts bytes and reports pages as ceil(bytes / 64 KiB) too.
 * All functions are thread-safe.
 */
#ifndef TCE_ACCOUNT_H
#define TCE_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "tce/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** No limit. */
#define TCE_ACCOUNT_UNLIMITED UINT64_MAX
/** The page size the kernel counts locked memory in on a PowerNV host. */
#define TCE_ACCOUNT_PAGE_SHIFT 16u

/** What a charge is for. */
enum tce_account_tag {
	TCE_TAG_TABLE = 0,    /**< a hardware TCE table */
	TCE_TAG_MIRROR,       /**< the userspace-address view of a window */
	TCE_TAG_REGION,       /**< preregistered (pinned) guest memory */
	TCE_TAG_GUEST_VIEW,   /**< a guest-visible (KVM) TCE table */
	TCE_TAG_V1_WINDOW,    /**< the VFIO v1 ENABLE charge of the 32-bit window */
	TCE_TAG_V1_PINNED,    /**< pages pinned one by one by VFIO v1 mappings */
	TCE_TAG_OTHER,        /**< anything else */
	TCE_TAG_COUNT
};

struct tce_account;

/** A consistent copy of an account's state. */
struct tce_account_totals {
	uint64_t limit;                       /**< bytes, TCE_ACCOUNT_UNLIMITED for none */
	uint64_t locked;                      /**< bytes locked now, all tags */
	uint64_t peak;                        /**< the highest `locked` ever reached */
	uint64_t locked_by_tag[TCE_TAG_COUNT];   /**< bytes locked now, per tag */
	uint64_t charged_by_tag[TCE_TAG_COUNT];  /**< bytes ever charged, per tag */
	uint64_t released_by_tag[TCE_TAG_COUNT]; /**< bytes ever released, per tag */
	uint64_t failed_charges;              /**< charges refused for the limit */
};

/**
 * tce_account_create() - a ledger with an explicit limit.
 * @limit_bytes: the limit, or TCE_ACCOUNT_UNLIMITED.
 * @accountp: receives the account.
 *
 * Return: 0, or -ENOMEM.
 */
TCE_EXPORT int tce_account_create(uint64_t limit_bytes, struct tce_account **accountp);

/**
 * tce_account_create_rlimit() - a ledger limited by this process's RLIMIT_MEMLOCK.
 * @accountp: receives the account.
 *
 * Reads the soft limit once; RLIM_INFINITY becomes TCE_ACCOUNT_UNLIMITED.
 * Memory the process has already locked by other means is not counted.
 *
 * Return: 0, -ENOMEM, or the negative errno of getrlimit().
 */
TCE_EXPORT int tce_account_create_rlimit(struct tce_account **accountp);

/**
 * tce_account_destroy() - free an account.
 * @account: an account, or NULL. It need not be balanced (see
 *           tce_account_balanced() to check first).
 */
TCE_EXPORT void tce_account_destroy(struct tce_account *account);

/**
 * tce_account_charge() - lock @bytes more under @tag.
 * @account: the account.
 * @tag: the owner tag.
 * @bytes: bytes to charge; 0 is a no-op.
 *
 * Return: 0; -ENOMEM if locked + @bytes would pass the limit (nothing
 * changes; the refusal is counted in failed_charges); -EINVAL for a bad tag.
 */
TCE_EXPORT int tce_account_charge(struct tce_account *account, enum tce_account_tag tag, uint64_t bytes);

/**
 * tce_account_uncharge() - release @bytes charged earlier under @tag.
 * @account: the account.
 * @tag: the owner tag the bytes were charged under.
 * @bytes: bytes to release; 0 is a no-op.
 *
 * Return: 0; -EINVAL for a bad tag or if @tag holds fewer than @bytes
 * (nothing changes: the ledger never goes negative).
 */
TCE_EXPORT int tce_account_uncharge(struct tce_account *account, enum tce_account_tag tag, uint64_t bytes);

/**
 * tce_account_totals() - copy the account's state.
 * @account: the account.
 * @totals: receives a consistent snapshot.
 */
TCE_EXPORT void tce_account_totals(const struct tce_account *account, struct tce_account_totals *totals);

/**
 * tce_account_locked() - bytes locked now.
 * @account: the account.
 * @tag: one tag, or TCE_TAG_COUNT for the total.
 *
 * Return: the bytes (0 for a bad tag).
 */
TCE_EXPORT uint64_t tce_account_locked(const struct tce_account *account, enum tce_account_tag tag);

/**
 * tce_account_limit() - the limit in bytes.
 * @account: the account.
 *
 * Return: the limit, TCE_ACCOUNT_UNLIMITED for none.
 */
TCE_EXPORT uint64_t tce_account_limit(const struct tce_account *account);

/**
 * tce_account_balanced() - whether everything charged has been released.
 * @account: the account.
 *
 * Return: true when nothing is locked under any tag (then charged ==
 * released for every tag).
 */
TCE_EXPORT bool tce_account_balanced(const struct tce_account *account);

/**
 * tce_account_bytes_to_pages() - bytes as the kernel counts them.
 * @bytes: a byte count.
 *
 * Return: ceil(@bytes / 64 KiB).
 */
TCE_EXPORT uint64_t tce_account_bytes_to_pages(uint64_t bytes);

/**
 * tce_account_tag_name() - a short name for a tag ("table", "mirror", ...).
 * @tag: a tag.
 *
 * Return: a static string, "unknown" for a bad tag.
 */
TCE_EXPORT const char *tce_account_tag_name(enum tce_account_tag tag);

#ifdef __cplusplus
}
#endif

#endif /* TCE_ACCOUNT_H */
