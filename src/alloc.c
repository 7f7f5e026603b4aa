// SPDX-License-Identifier: MIT
/*
 * The allocation hook with fault injection. See include/tce/fault.h.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tce/fault.h"
#include "alloc.h"

static _Atomic uint64_t alloc_count;
static _Atomic uint64_t fail_at; /* absolute allocation number to fail, 0 = none */
static _Atomic uint64_t fail_count;

void tce_fault_fail_nth(uint64_t nth)
{
	atomic_store(&fail_at, nth ? atomic_load(&alloc_count) + nth : 0);
}

uint64_t tce_fault_allocations(void)
{
	return atomic_load(&alloc_count);
}

uint64_t tce_fault_failures(void)
{
	return atomic_load(&fail_count);
}

/* Count an allocation; true when it is the one to fail. */
static bool injected_failure(void)
{
	uint64_t n = atomic_fetch_add(&alloc_count, 1) + 1;
	uint64_t target = atomic_load(&fail_at);

	if (target != 0 && n == target &&
	    atomic_compare_exchange_strong(&fail_at, &target, 0)) {
		atomic_fetch_add(&fail_count, 1);
		return true;
	}
	return false;
}

void *tce_zalloc(size_t bytes)
{
	return injected_failure() ? NULL : calloc(1, bytes ? bytes : 1);
}

void *tce_grow(void *ptr, size_t bytes)
{
	return injected_failure() ? NULL : realloc(ptr, bytes ? bytes : 1);
}

void tce_free(void *ptr)
{
	free(ptr);
}

int tce_array_reserve(void **array, size_t *capacity, size_t need, size_t elem_size)
{
	size_t cap = *capacity ? *capacity : 8;
	void *grown;

	if (need <= *capacity)
		return 0;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	if (cap > PTRDIFF_MAX / elem_size) /* no C object is larger */
		return -ENOMEM;
	grown = tce_zalloc(cap * elem_size);
	if (!grown)
		return -ENOMEM;
	if (*array)
		memcpy(grown, *array, *capacity * elem_size);
	tce_free(*array);
	*array = grown;
	*capacity = cap;
	return 0;
}

void tce_array_shrink(void **array, size_t *capacity, size_t keep, size_t elem_size)
{
	void *smaller;

	if (keep >= *capacity || !*array)
		return;
	smaller = realloc(*array, (keep ? keep : 1) * elem_size);
	if (smaller)
		*array = smaller;
	*capacity = keep; /* the bytes past keep are no longer used either way */
}
