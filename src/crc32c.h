/* SPDX-License-Identifier: MIT */
/*
 * CRC-32C (Castagnoli; reflected polynomial 0x82F63B78, initial value and
 * final XOR all ones), the checksum of the migration stream (internal).
 *
 * Concepts: computed eight bytes at a time from eight 256-entry tables
 * ("slicing by 8"), built once on first use; the check value of "123456789"
 * is 0xE3069283.
 */
#ifndef TCE_CRC32C_H
#define TCE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of @len bytes at @data. */
uint32_t tce_crc32c(const void *data, size_t len);

#endif /* TCE_CRC32C_H */
