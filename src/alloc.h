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

#endif /* TCE_ALLOC_H */
