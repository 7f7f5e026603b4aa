// SPDX-License-Identifier: MIT
/*
 * The platform (firmware) call hook with fault injection, and the OPAL status
 * to errno mapping. See include/tce/fault.h and src/platform_fault.h.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tce/fault.h"
#include "platform_fault.h"

static _Atomic uint64_t set_window_count;
static _Atomic uint64_t set_window_fail_at; /* absolute call number to fail, 0 = none */
static _Atomic long set_window_status;

int tce_opal_errno(long opal_status)
{
	switch (opal_status) {
	case TCE_OPAL_SUCCESS:
		return 0;
	case TCE_OPAL_PARAMETER:
		return -EINVAL;
	case TCE_OPAL_ASYNC_COMPLETION:
		return -EINPROGRESS;
	case TCE_OPAL_BUSY:
	case TCE_OPAL_BUSY_EVENT:
		return -EBUSY;
	case TCE_OPAL_NO_MEM:
		return -ENOMEM;
	case TCE_OPAL_PERMISSION:
		return -EPERM;
	case TCE_OPAL_TIMEOUT:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

void tce_fault_set_window_fail_nth(uint64_t nth, long opal_status)
{
	atomic_store(&set_window_status, opal_status);
	atomic_store(&set_window_fail_at, nth ? atomic_load(&set_window_count) + nth : 0);
}

uint64_t tce_fault_set_window_calls(void)
{
	return atomic_load(&set_window_count);
}

long tce_platform_set_window(void)
{
	uint64_t n = atomic_fetch_add(&set_window_count, 1) + 1;
	uint64_t target = atomic_load(&set_window_fail_at);

	if (target != 0 && n == target &&
	    atomic_compare_exchange_strong(&set_window_fail_at, &target, 0))
		return atomic_load(&set_window_status);
	return TCE_OPAL_SUCCESS;
}
