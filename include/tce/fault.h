/* SPDX-License-Identifier: MIT */
/*
 * libtce — fault injection: allocations and platform (firmware) calls.
 *
 * Concepts
 * --------
 * Every allocation libtce makes (table nodes, bookkeeping) goes through one
 * internal hook. The hook counts allocations process-wide and can be told to
 * fail the Nth one from now, so a test can walk N = 1, 2, ... through an
 * operation and check that each failure returns -ENOMEM and leaves every table,
 * counter and account exactly as it was. With no failure armed the hook costs
 * one atomic increment.
 *
 * The platform is modelled the same way. Programming a window into a PE
 * (PowerNV's OPAL call behind set_window) can fail with an OPAL status; a test
 * arms the Nth such call to fail with a given status and checks that the
 * operation returns the errno the status maps to (tce_opal_errno()) and rolls
 * everything back: no window half-programmed, the ledger and pins unchanged.
 */
#ifndef TCE_FAULT_H
#define TCE_FAULT_H

#include <stdint.h>

#include "tce/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * tce_fault_fail_nth() - arm the hook to fail one future allocation.
 * @nth: 1 fails the next allocation, 2 the one after, ...; 0 disarms.
 *
 * Exactly one allocation fails; later ones succeed again. Thread-safe.
 */
TCE_EXPORT void tce_fault_fail_nth(uint64_t nth);

/**
 * tce_fault_allocations() - allocations attempted since the process started.
 *
 * Return: the count of calls into the hook (failed ones included).
 */
TCE_EXPORT uint64_t tce_fault_allocations(void);

/**
 * tce_fault_failures() - allocations the hook has failed on purpose.
 *
 * Return: the count of injected failures so far.
 */
TCE_EXPORT uint64_t tce_fault_failures(void);

/* OPAL status codes a platform call can return (skiboot's numbering). */
#define TCE_OPAL_SUCCESS 0
#define TCE_OPAL_PARAMETER (-1)
#define TCE_OPAL_BUSY (-2)
#define TCE_OPAL_HARDWARE (-6)
#define TCE_OPAL_UNSUPPORTED (-7)
#define TCE_OPAL_PERMISSION (-8)
#define TCE_OPAL_NO_MEM (-9)
#define TCE_OPAL_RESOURCE (-10)
#define TCE_OPAL_INTERNAL_ERROR (-11)
#define TCE_OPAL_BUSY_EVENT (-12)
#define TCE_OPAL_ASYNC_COMPLETION (-15)
#define TCE_OPAL_TIMEOUT (-33)

/**
 * tce_opal_errno() - the errno the kernel reports for an OPAL status.
 * @opal_status: 0 or a negative TCE_OPAL_* code.
 *
 * The kernel's opal_error_code() mapping: PARAMETER -EINVAL, BUSY and
 * BUSY_EVENT -EBUSY, NO_MEM -ENOMEM, PERMISSION -EPERM, ASYNC_COMPLETION
 * -EINPROGRESS, TIMEOUT -ETIMEDOUT, anything else -EIO. (VFIO's TCE_CREATE
 * passes the raw status instead, B-O1; libtce always maps it.)
 *
 * Return: 0 for success, else a negative errno.
 */
TCE_EXPORT int tce_opal_errno(long opal_status);

/**
 * tce_fault_set_window_fail_nth() - arm one future window programming to fail.
 * @nth: 1 fails the next call of set_window (into any group), 2 the one
 *       after, ...; 0 disarms.
 * @opal_status: the negative TCE_OPAL_* status the call returns.
 *
 * Exactly one call fails. Thread-safe.
 */
TCE_EXPORT void tce_fault_set_window_fail_nth(uint64_t nth, long opal_status);

/**
 * tce_fault_set_window_calls() - set_window calls made since the process started.
 *
 * Return: the count (failed ones included).
 */
TCE_EXPORT uint64_t tce_fault_set_window_calls(void);

#ifdef __cplusplus
}
#endif

#endif /* TCE_FAULT_H */
