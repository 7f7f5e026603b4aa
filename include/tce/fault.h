/* SPDX-License-Identifier: MIT */
/*
 * libtce — allocation fault injection.
 *
 * Concepts
 * --------
 * Every allocation libtce makes (table nodes, bookkeeping) goes through one
 * internal hook. The hook counts allocations process-wide and can be told to
 * fail the Nth one from now, so a test can walk N = 1, 2, ... through an
 * operation and check that each failure returns -ENOMEM and leaves every table,
 * counter and account exactly as it was. With no failure armed the hook costs
 * one atomic increment.
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

#ifdef __cplusplus
}
#endif

#endif /* TCE_FAULT_H */
