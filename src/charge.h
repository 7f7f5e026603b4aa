/* SPDX-License-Identifier: MIT */
/*
 * Releasing a charge exactly (internal).
 *
 * Concepts: every object records what it charged and releases exactly that
 * once. A release the ledger refuses means the bookkeeping is wrong somewhere,
 * so it is a bug to catch at once, not an error to pass on.
 */
#ifndef TCE_CHARGE_H
#define TCE_CHARGE_H

#include <assert.h>

#include "tce/account.h"

/* Release @bytes charged under @tag; the ledger must hold them. */
static inline void tce_uncharge_exact(struct tce_account *account, enum tce_account_tag tag,
				      uint64_t bytes)
{
	int rc = tce_account_uncharge(account, tag, bytes);

	assert(rc == 0);
	(void)rc;
}

#endif /* TCE_CHARGE_H */
