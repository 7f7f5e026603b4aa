/* SPDX-License-Identifier: MIT */
/*
 * Host memory back ends (internal). See include/tce/hostmem.h.
 *
 * Concepts: hostmem.c owns what every back end shares: the lock, the list of
 * live pins, their extents, translation through them and the pinned-bytes
 * total. A back end (hostmem_sim.c, hostmem_process.c) supplies the address
 * space behind an ops table: how to pin a range (fill the extents), how to
 * release what a pin holds, whether a pin is still current, and, for the
 * simulator, what backs an address now. A third back end is a new file with
 * its own ops table and create function.
 */
#ifndef TCE_HOSTMEM_BACKEND_H
#define TCE_HOSTMEM_BACKEND_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tce/hostmem.h"

/*
 * One extent inside a pin: its length runs to the next extent (or the pin's
 * end). An extent is backed by pages of one size: a change of page size
 * starts a new extent even where the host addresses continue.
 */
struct pin_ext {
	uint64_t ua_off;
	uint64_t hpa;
	unsigned page_shift; /* the backing page: the base page or a huge page */
};

struct tce_hostmem_pin {
	struct tce_hostmem_pin *prev, *next;
	uint64_t ua;
	uint64_t bytes;
	unsigned granule_shift;
	void *cookie; /* the back end's own state of this pin (process: its mapping) */
	size_t n;
	struct pin_ext ext[];
};

/* What a back end does; every hook is called with the hostmem's lock held. */
struct hostmem_ops {
	const char *name;
	/* Pin [ua, ua + size) (aligned, non-empty, no wrap): a pin from pin_alloc(), filled. */
	int (*pin)(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
		   struct tce_hostmem_pin **pinp);
	/* Release what the pin holds besides its memory (NULL: nothing). */
	void (*unpin)(struct tce_hostmem *hostmem, struct tce_hostmem_pin *pin);
	/* 0 current, 1 stale (*first_stale_ua set), or a negative errno. */
	int (*pin_check)(struct tce_hostmem *hostmem, const struct tce_hostmem_pin *pin,
			 uint64_t *first_stale_ua);
	/* What backs @ua now (NULL: -EOPNOTSUPP). pin_count is filled by the caller. */
	int (*query)(struct tce_hostmem *hostmem, uint64_t ua, struct tce_host_page *page);
	/* Free the back end's state (pins are already released). */
	void (*destroy)(struct tce_hostmem *hostmem);
};

struct tce_hostmem {
	const struct hostmem_ops *ops;
	pthread_mutex_t lock;
	unsigned page_shift;
	void *backend;
	struct tce_hostmem_pin *pins;
	uint64_t pinned_bytes;
};

/* A hostmem with back end @ops and its state @backend (owned from now on). */
int hostmem_new(const struct hostmem_ops *ops, unsigned page_shift, void *backend,
		struct tce_hostmem **hostmemp);

/* A pin of [ua, ua + bytes) with room for @n extents, or NULL. */
struct tce_hostmem_pin *pin_alloc(uint64_t ua, uint64_t bytes, size_t n);

/* Free a pin that was never linked into the hostmem (a back end's failure path). */
void pin_free_unlinked(struct tce_hostmem_pin *pin);

/* The length of extent @i of @pin. */
uint64_t pin_ext_bytes(const struct tce_hostmem_pin *pin, size_t i);

#endif /* TCE_HOSTMEM_BACKEND_H */
