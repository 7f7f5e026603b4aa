/* SPDX-License-Identifier: MIT */
/*
 * A hash map from 64-bit keys to 64-bit values (internal).
 *
 * Concepts: what the library looks things up by number with, when there can
 * be many and they come and go in any order (a guest's tables by LIOBN, a
 * container's regions by address): open addressing with linear probing,
 * at most half full, deletion by shifting the following entries back (no
 * tombstones), so lookups, inserts and removes cost O(1) on average whatever
 * the order. tce_u64map_reserve() makes the next inserts unable to fail, for
 * all-or-nothing callers. Not thread-safe: its owner's lock covers it.
 */
#ifndef TCE_U64MAP_H
#define TCE_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tce_u64map_slot {
	uint64_t key;
	uint64_t value;
	bool used;
};

struct tce_u64map {
	struct tce_u64map_slot *slots;
	size_t cap; /* 0, or a power of two */
	size_t n;
};

#define TCE_U64MAP_INIT {NULL, 0, 0}

/* Free the slots (the values are the caller's). */
void tce_u64map_free(struct tce_u64map *map);

/* Room for @n entries in all: 0, or -ENOMEM (the map unchanged). */
int tce_u64map_reserve(struct tce_u64map *map, size_t n);

/* The value of @key into *@value (may be NULL): whether it is there. */
bool tce_u64map_get(const struct tce_u64map *map, uint64_t key, uint64_t *value);

/* Insert @key (or replace its value): 0, or -ENOMEM (the map unchanged). */
int tce_u64map_put(struct tce_u64map *map, uint64_t key, uint64_t value);

/* Remove @key, its value into *@value (may be NULL): whether it was there. */
bool tce_u64map_remove(struct tce_u64map *map, uint64_t key, uint64_t *value);

/*
 * Walk the entries in no particular order: start with *@pos = 0; each call
 * gives the next entry and returns true, false at the end. The map must not
 * change during a walk.
 */
bool tce_u64map_next(const struct tce_u64map *map, size_t *pos, uint64_t *key, uint64_t *value);

#endif /* TCE_U64MAP_H */
