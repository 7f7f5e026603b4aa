/* SPDX-License-Identifier: MIT */
/*
 * The window's insides and its update engine (internal). See
 * include/tce/window.h; window.c and window_update.c share this.
 *
 * Concepts: a guest table accelerated into hardware windows (guest.c) writes
 * the same bus range of every window on each hypercall. tce_window_update()
 * takes the windows' locks (in address order), resolves the request for each
 * window, counts the mappings, reserves table nodes and userview room, and
 * only then writes them all, so a failure leaves every window as it was. The
 * request describes list pages of 2^list_shift bytes: one per page given, one
 * address repeated (H_STUFF_TCE), or one contiguous range (MAP_DMA).
 */
#ifndef TCE_WINDOW_UPDATE_H
#define TCE_WINDOW_UPDATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tce/window.h"

struct tce_window {
	pthread_mutex_t lock;
	_Atomic unsigned refs;
	bool v2;
	bool add_read_for_write;
	struct tce_geometry geo;
	uint64_t start;
	struct tce_table *table;
	struct tce_userview *uv;
	struct tce_hostmem_pin **v1_pins; /* one per entry, allocated on first v1 map */
	struct tce_hostmem *hostmem;
	struct tce_account *account;
	struct tce_prereg *prereg;
	uint64_t table_charged;
	uint64_t mapped;
	uint64_t pinned_bytes;
};

/* Lock (or unlock) one or two windows, in address order so that two callers never deadlock. */
void tce_window_lock_all(struct tce_window *const *windows, unsigned n, bool lock);

/*
 * Clear [index, index + n) of a window, skipping whole missing nodes and
 * uncounting what the entries mapped; under its lock and in an RCU read
 * section. The userview must have room for the cut (tce_userview_reserve()
 * with no runs). Returns the entries that were mapped.
 */
int64_t tce_window_clear_locked(struct tce_window *w, uint64_t index, uint64_t n);

/* How the list pages of a request get their address and permission. */
enum tce_req_kind {
	TCE_REQ_LIST,       /* pages[k] */
	TCE_REQ_SEGMENTS,   /* segs[]: runs of pages whose addresses continue each other */
	TCE_REQ_CONTIGUOUS, /* page k: ua + k * list page, perm */
	TCE_REQ_REPEAT,     /* every page: ua, perm (perm 0 clears) */
};

/* @pages list pages from ua, the address advancing a list page each (perm 0: cleared). */
struct tce_window_seg {
	uint64_t ua;
	uint64_t pages;
	unsigned perm;
};

struct tce_window_req {
	uint64_t ioba;          /* bus address of the first list page, aligned to it */
	unsigned list_shift;    /* list page size, at least every window's page size */
	uint64_t count;         /* list pages, at least 1 */
	enum tce_req_kind kind;
	const struct tce_window_page *pages; /* TCE_REQ_LIST */
	const struct tce_window_seg *segs;   /* TCE_REQ_SEGMENTS (their pages add up to count) */
	uint64_t nsegs;
	uint64_t ua;            /* TCE_REQ_CONTIGUOUS, TCE_REQ_REPEAT */
	unsigned perm;          /* TCE_REQ_CONTIGUOUS, TCE_REQ_REPEAT */
};

/*
 * Apply @req to @nwindows windows (1 or 2), all or nothing. Errors as
 * tce_window_map_list(); with @check_only nothing is written (the resolution
 * and counting are undone). The caller must not be inside an RCU read section
 * of its own that could wait for this one.
 */
int tce_window_update(struct tce_window *const *windows, unsigned nwindows,
		      const struct tce_window_req *req, bool check_only);

/*
 * The one-entry form (H_PUT_TCE when every window's page is the guest's):
 * the page at @ioba of each window maps @ua with @perm (0 clears). The same
 * rules and the same all-or-nothing as tce_window_update(), without plans.
 * Returns -EAGAIN when a window needs the general path (v1, or a page split).
 */
int tce_window_update_one(struct tce_window *const *windows, unsigned nwindows, uint64_t ioba,
			  unsigned list_shift, uint64_t ua, unsigned perm);

#endif /* TCE_WINDOW_UPDATE_H */
