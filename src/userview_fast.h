/* SPDX-License-Identifier: MIT */
/*
 * The userview for the map engine's hot path (internal). See
 * include/tce/userview.h.
 *
 * Concepts: while the window writes a range of entries it reads the address
 * each old entry mapped (to uncount its region). A mirror is read through a
 * leaf cursor (table_walk.h): one walk per leaf node. Extents are searched.
 * The window's lock is held, so nothing changes underneath.
 */
#ifndef TCE_USERVIEW_FAST_H
#define TCE_USERVIEW_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "tce/userview.h"
#include "table_walk.h"

/* Mirror words carry a present bit so that ua is the only payload. */
#define TCE_MIRROR_PRESENT TCE_PERM_READ

struct uv_run {
	uint64_t index; /* first entry */
	uint64_t count; /* entries */
	uint64_t ua;    /* address of the first entry */
};

struct tce_userview {
	enum tce_userview_kind kind;
	struct tce_geometry geo;
	struct tce_account *account;
	uint64_t charged;
	/* mirror */
	struct tce_table *mirror;
	/* extents */
	struct uv_run *runs;
	size_t nruns, cap;
};

/* Index of the first run ending after @index (containing it or above it). */
size_t tce_userview_run_after(const struct tce_userview *uv, uint64_t index);

/* The address entry @index maps (0: none); @c is a cursor over the mirror. */
static inline uint64_t tce_userview_get_fast(const struct tce_userview *uv,
					     struct tce_leaf_cursor *c, uint64_t index)
{
	if (uv->kind == TCE_USERVIEW_MIRROR) {
		tce_word *w = tce_cursor_word(uv->mirror, c, index, false);

		return w ? tce_word_get(w) & ~TCE_MIRROR_PRESENT : 0;
	} else {
		size_t i = tce_userview_run_after(uv, index);

		if (i < uv->nruns && uv->runs[i].index <= index)
			return uv->runs[i].ua + ((index - uv->runs[i].index) << uv->geo.page_shift);
		return 0;
	}
}

#endif /* TCE_USERVIEW_FAST_H */
