// SPDX-License-Identifier: MIT
/*
 * A hash map from 64-bit keys to 64-bit values. See src/u64map.h.
 */
#include <errno.h>

#include "alloc.h"
#include "u64map.h"

/* A 64-bit mix (splitmix64's finaliser): neighbouring keys land far apart. */
static size_t slot_of(const struct tce_u64map *map, uint64_t key)
{
	key ^= key >> 30;
	key *= UINT64_C(0xbf58476d1ce4e5b9);
	key ^= key >> 27;
	key *= UINT64_C(0x94d049bb133111eb);
	key ^= key >> 31;
	return (size_t)key & (map->cap - 1);
}

void tce_u64map_free(struct tce_u64map *map)
{
	tce_free(map->slots);
	*map = (struct tce_u64map)TCE_U64MAP_INIT;
}

/* Move every entry into a table of @cap slots (a power of two). */
static int rehash(struct tce_u64map *map, size_t cap)
{
	struct tce_u64map old = *map;
	size_t i;

	map->slots = tce_zalloc(cap * sizeof(*map->slots));
	if (!map->slots) {
		*map = old;
		return -ENOMEM;
	}
	map->cap = cap;
	for (i = 0; i < old.cap; i++) {
		size_t s;

		if (!old.slots[i].used)
			continue;
		for (s = slot_of(map, old.slots[i].key); map->slots[s].used; s = (s + 1) & (cap - 1))
			;
		map->slots[s] = old.slots[i];
	}
	tce_free(old.slots);
	return 0;
}

int tce_u64map_reserve(struct tce_u64map *map, size_t n)
{
	size_t cap = map->cap ? map->cap : 8;

	while (cap / 2 < n) {
		if (cap > SIZE_MAX / 2 / sizeof(*map->slots))
			return -ENOMEM;
		cap *= 2;
	}
	return cap == map->cap ? 0 : rehash(map, cap);
}

/* The slot holding @key, or the empty slot where it would go. */
static size_t probe(const struct tce_u64map *map, uint64_t key)
{
	size_t s = slot_of(map, key);

	while (map->slots[s].used && map->slots[s].key != key)
		s = (s + 1) & (map->cap - 1);
	return s;
}

bool tce_u64map_get(const struct tce_u64map *map, uint64_t key, uint64_t *value)
{
	size_t s;

	if (map->n == 0)
		return false;
	s = probe(map, key);
	if (!map->slots[s].used)
		return false;
	if (value)
		*value = map->slots[s].value;
	return true;
}

int tce_u64map_put(struct tce_u64map *map, uint64_t key, uint64_t value)
{
	size_t s;
	int rc = tce_u64map_reserve(map, map->n + 1);

	if (rc)
		return rc;
	s = probe(map, key);
	if (!map->slots[s].used) {
		map->slots[s].used = true;
		map->slots[s].key = key;
		map->n++;
	}
	map->slots[s].value = value;
	return 0;
}

bool tce_u64map_remove(struct tce_u64map *map, uint64_t key, uint64_t *value)
{
	size_t hole, s, mask = map->cap - 1;

	if (map->n == 0)
		return false;
	hole = probe(map, key);
	if (!map->slots[hole].used)
		return false;
	if (value)
		*value = map->slots[hole].value;
	/* Shift back every following entry whose home slot the hole now precedes. */
	for (s = (hole + 1) & mask; map->slots[s].used; s = (s + 1) & mask) {
		size_t home = slot_of(map, map->slots[s].key);

		if (((s - home) & mask) >= ((s - hole) & mask)) {
			map->slots[hole] = map->slots[s];
			hole = s;
		}
	}
	map->slots[hole].used = false;
	map->n--;
	return true;
}

bool tce_u64map_next(const struct tce_u64map *map, size_t *pos, uint64_t *key, uint64_t *value)
{
	for (; *pos < map->cap; (*pos)++) {
		if (map->slots[*pos].used) {
			if (key)
				*key = map->slots[*pos].key;
			if (value)
				*value = map->slots[*pos].value;
			(*pos)++;
			return true;
		}
	}
	return false;
}
