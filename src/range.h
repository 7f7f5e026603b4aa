/* SPDX-License-Identifier: MIT */
/*
 * Address ranges and sorted-interval search (internal).
 *
 * Concepts: every module keeps ranges of some address space (user addresses,
 * guest physical addresses, table indexes) as a start and a size, and many
 * keep sorted arrays of non-overlapping ranges. A range [start, start + size)
 * is valid when it is not empty, both ends are aligned and it does not wrap;
 * its last address, start + size - 1, then always fits in 64 bits, so every
 * comparison here is written with last addresses and cannot overflow, even
 * for a range that ends exactly at 2^64.
 *
 * tce_sorted_last_le() is the one binary search over such arrays: arrays of
 * structs whose 64-bit start lies at a fixed offset, sorted by it.
 */
#ifndef TCE_RANGE_H
#define TCE_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The last address of a non-empty range. */
static inline uint64_t tce_range_last(uint64_t start, uint64_t size)
{
	return start + (size - 1);
}

/*
 * True when [start, start + size) is non-empty, start and size are multiples
 * of 2^align_shift (align_shift < 64) and the range does not pass 2^64.
 */
static inline bool tce_range_valid(uint64_t start, uint64_t size, unsigned align_shift)
{
	uint64_t mask = (UINT64_C(1) << align_shift) - 1;

	return size != 0 && ((start | size) & mask) == 0 && size - 1 <= UINT64_MAX - start;
}

/* True when non-empty ranges a and b share an address. */
static inline bool tce_range_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
	return a <= tce_range_last(b, b_size) && b <= tce_range_last(a, a_size);
}

/* True when the non-empty range [start, start + size) lies inside [outer, outer + outer_size). */
static inline bool tce_range_inside(uint64_t outer, uint64_t outer_size, uint64_t start,
				    uint64_t size)
{
	return start >= outer && start - outer < outer_size && size <= outer_size - (start - outer);
}

/* The 64-bit start of element @i of an array of @stride-byte structs, at byte @key_off. */
static inline uint64_t tce_sorted_key(const void *base, size_t stride, size_t key_off, size_t i)
{
	uint64_t key;

	memcpy(&key, (const char *)base + i * stride + key_off, sizeof(key));
	return key;
}

/*
 * The index of the last of @n elements whose start is <= @key, or @n when
 * every start is above it. The elements are sorted by start. For
 * non-overlapping ranges this is the only one that can contain @key.
 */
static inline size_t tce_sorted_last_le(const void *base, size_t n, size_t stride, size_t key_off,
					uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tce_sorted_key(base, stride, key_off, mid) <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? n : lo - 1;
}

/*
 * The index of the first of @n sorted, non-overlapping ranges that ends after
 * @key (contains it or lies above it), or @n. @size_off is the byte offset of
 * each element's 64-bit size.
 */
static inline size_t tce_sorted_first_ending_after(const void *base, size_t n, size_t stride,
						   size_t key_off, size_t size_off, uint64_t key)
{
	size_t i = tce_sorted_last_le(base, n, stride, key_off, key);

	if (i == n)
		return 0;
	if (key - tce_sorted_key(base, stride, key_off, i) <
	    tce_sorted_key(base, stride, size_off, i))
		return i;
	return i + 1;
}

/* The sorted-search arguments for an array @arr of structs with fields @start and @size. */
#define TCE_SORTED(arr, n, start) (arr), (n), sizeof(*(arr)), offsetof(__typeof__(*(arr)), start)
#define TCE_SORTED_RANGES(arr, n, start, size)                                                     \
	TCE_SORTED(arr, n, start), offsetof(__typeof__(*(arr)), size)

#endif /* TCE_RANGE_H */
