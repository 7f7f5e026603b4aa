/* SPDX-License-Identifier: MIT */
/*
 * The platform call hook (internal). See include/tce/fault.h.
 *
 * Concepts: the model has no firmware, but the calls a real platform makes
 * can fail, so each goes through a hook that a test can arm. The container
 * calls tce_platform_set_window() once per group each time it programs a
 * window into a group, and maps a failure with tce_opal_errno().
 */
#ifndef TCE_PLATFORM_FAULT_H
#define TCE_PLATFORM_FAULT_H

/* One set_window call: TCE_OPAL_SUCCESS, or the status an armed fault injects. */
long tce_platform_set_window(void);

#endif /* TCE_PLATFORM_FAULT_H */
