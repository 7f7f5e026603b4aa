/* SPDX-License-Identifier: MIT */
/*
 * Groups as the container sees them (internal). See include/tce/container.h.
 *
 * Concepts: a group is one PE of the platform. The container attaches groups
 * and programs each of its windows into every attached group, as the kernel
 * calls the platform's set_window and unset_window. Programming goes through
 * the platform hook (platform_fault.h), so it can fail the way firmware does;
 * unprogramming cannot fail, but a platform may not support it at all
 * (desc.no_unset_window).
 */
#ifndef TCE_GROUP_INTERNAL_H
#define TCE_GROUP_INTERNAL_H

#include <pthread.h>

#include "tce/container.h"

struct tce_group {
	pthread_mutex_t lock; /* guards programmed[] */
	struct tce_group_desc desc;
	unsigned id;
	struct tce_container *container; /* attached to, under the container's lock */
	struct tce_window *programmed[TCE_MAX_WINDOWS];
};

/*
 * Program window @w into @slot of @group (set_window): 0, or the errno of the
 * platform's failure (nothing programmed then).
 */
int tce_group_set_window(struct tce_group *group, unsigned slot, struct tce_window *w);

/* Unprogram @slot of @group (unset_window); the caller checked desc.no_unset_window. */
void tce_group_unset_window(struct tce_group *group, unsigned slot);

#endif /* TCE_GROUP_INTERNAL_H */
