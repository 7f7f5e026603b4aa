/* SPDX-License-Identifier: MIT */
/*
 * The one allocation hook every module uses (internal). See tce/fault.h.
 */
#ifndef TCE_ALLOC_H
#define TCE_ALLOC_H

#include <stddef.h>

/* Zeroed memory of @bytes, or NULL (real failure or an injected one). */
void *tce_zalloc(size_t bytes);

/* Release memory from tce_zalloc(); NULL is ignored. */
void tce_free(void *ptr);

/*
 * Resize a block from tce_zalloc() (or NULL) to @bytes, keeping its contents;
 * bytes past the old size are not zeroed. Large blocks grow without a copy
 * where the C library can (mremap). NULL on failure (real or injected): the
 * block is untouched.
 */
void *tce_grow(void *ptr, size_t bytes);


/*
 * Make room for @need elements of @elem_size bytes in *@array (capacity
 * *@capacity), doubling through tce_zalloc(). A block past PTRDIFF_MAX
 * bytes is refused without asking the allocator. On failure the array is
 * untouched. Returns 0 or -ENOMEM.
 */
int tce_array_reserve(void **array, size_t *capacity, size_t need, size_t elem_size);

/*
 * Give back the tail of *@array beyond @keep elements (keep <= *@capacity),
 * in place. Shrinking never needs new memory, so it cannot fail and no fault
 * is injected; if the C library keeps the block as it is, so does this.
 * Sets *@capacity to @keep.
 */
void tce_array_shrink(void **array, size_t *capacity, size_t keep, size_t elem_size);

#endif /* TCE_ALLOC_H */
