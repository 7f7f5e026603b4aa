/* SPDX-License-Identifier: MIT */
/*
 * Small power-of-two helpers shared by the modules (internal).
 *
 * Concepts: every size in a TCE tree is a power of two, so geometry and table
 * walks are built from a few log2 steps instead of divisions.
 */
#ifndef TCE_LOG2_H
#define TCE_LOG2_H

#include <stdbool.h>
#include <stdint.h>

/* True when @v is a non-zero power of two. */
static inline bool tce_is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* floor(log2(@v)); @v must be non-zero. */
static inline unsigned tce_ilog2(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

/* ceil(@a / @b) for @b > 0, without overflow. */
static inline uint64_t tce_div_round_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* The larger of two shifts. */
static inline unsigned tce_max_shift(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

/* @a - @b, or 0 when @b >= @a. */
static inline unsigned tce_sub_floor0(unsigned a, unsigned b)
{
	return a > b ? a - b : 0;
}

#endif /* TCE_LOG2_H */
