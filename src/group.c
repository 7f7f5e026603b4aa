// SPDX-License-Identifier: MIT
/*
 * Groups (PEs): their description, translation as their devices see it, and
 * programming windows into them through the platform hook. See
 * include/tce/container.h and src/group_internal.h.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "tce/container.h"
#include "tce/fault.h"
#include "alloc.h"
#include "group_internal.h"
#include "platform_fault.h"

void tce_group_desc_powernv_ioda2(struct tce_group_desc *desc)
{
	memset(desc, 0, sizeof(*desc));
	desc->pgsizes = (UINT64_C(1) << 12) | (UINT64_C(1) << 16) | (UINT64_C(1) << 24) |
			(UINT64_C(1) << 28);
	desc->max_windows = 2;
	desc->max_levels = TCE_LEVELS_MAX;
	desc->window_start[0] = 0;
	desc->window_start[1] = UINT64_C(1) << 59;
	desc->dma32_start = 0;
	desc->dma32_size = UINT64_C(2) << 30;
	desc->ddw = true;
	desc->profile = TCE_PROFILE_LINUX;
	desc->platform = 1;
}

int tce_group_create(const struct tce_group_desc *desc, unsigned id, struct tce_group **groupp)
{
	struct tce_group *group;

	if (desc->max_windows > TCE_MAX_WINDOWS)
		return -EINVAL;
	group = tce_zalloc(sizeof(*group));
	if (!group)
		return -ENOMEM;
	pthread_mutex_init(&group->lock, NULL); /* default attributes: cannot fail on Linux */
	group->desc = *desc;
	group->id = id;
	*groupp = group;
	return 0;
}

int tce_group_destroy(struct tce_group *group)
{
	if (!group)
		return 0;
	if (group->container)
		return -EBUSY;
	pthread_mutex_destroy(&group->lock);
	tce_free(group);
	return 0;
}

int tce_group_translate(struct tce_group *group, uint64_t iova, struct tce_translation *xlate)
{
	struct tce_window *w = NULL;
	unsigned slot;
	int rc;

	pthread_mutex_lock(&group->lock);
	for (slot = 0; slot < TCE_MAX_WINDOWS; slot++) {
		if (group->programmed[slot] && tce_window_contains(group->programmed[slot], iova)) {
			w = group->programmed[slot];
			tce_window_get(w);
			break;
		}
	}
	pthread_mutex_unlock(&group->lock);
	if (!w)
		return -ENXIO;
	rc = tce_window_translate(w, iova, xlate);
	tce_window_put(w);
	return rc;
}

int tce_group_set_window(struct tce_group *group, unsigned slot, struct tce_window *w)
{
	int rc = tce_opal_errno(tce_platform_set_window());

	if (rc)
		return rc;
	pthread_mutex_lock(&group->lock);
	group->programmed[slot] = w;
	pthread_mutex_unlock(&group->lock);
	return 0;
}

void tce_group_unset_window(struct tce_group *group, unsigned slot)
{
	pthread_mutex_lock(&group->lock);
	group->programmed[slot] = NULL;
	pthread_mutex_unlock(&group->lock);
}

