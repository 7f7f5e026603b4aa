/* SPDX-License-Identifier: MIT */
/*
 * libtce — live migration of a guest's IOMMU state.
 *
 * Concepts
 * --------
 * What a guest sees of its IOMMU moves with it: every guest TCE table (its
 * LIOBN, page size, window and valid entries), each PHB's windows (which are
 * enabled, which is the default one), the guest's memory slots (as ranges: the
 * destination has its own host addresses) and the hypercall profile. The host
 * side (containers, host windows, registered memory) is the destination
 * VMM's to rebuild; windows it attaches to the destination's tables before
 * loading are written as hypercalls write them.
 *
 * A migration is a sequence of passes. The source starts one
 * (tce_migration_start()): from then on every write to a table is recorded.
 * Each tce_migration_save() produces a pass: the first holds every valid
 * entry, each later one only the entries of the 512-entry chunks written
 * since the pass before (hypercalls may go on from other threads meanwhile;
 * an entry written after its chunk was collected is sent again next time).
 * The last pass is taken with the guest stopped. Every pass also carries the
 * whole table list and PHB state, so tables created, reset or removed
 * between passes arrive too. The destination applies the passes in order
 * (tce_migration_load()); after the last one it equals the source entry by
 * entry.
 *
 * A pass is a byte stream: a header (magic, format version, pass number),
 * typed records, and a final record with a CRC-32C of everything before it
 * (docs/migration.md describes it field by field). A load checks the whole
 * stream and that it fits the destination before changing anything: a
 * truncated or corrupted stream, an unknown version, a pass out of order, a
 * table that already exists, or a window the destination's PHB cannot have
 * is refused with -EINVAL (-EPROTO for a version it does not know) and the
 * destination left as it was. A table the destination's VMM creates itself
 * (a VIO device's) is named with tce_migration_expect_table() to be filled
 * instead of refused.
 */
#ifndef TCE_MIGRATE_H
#define TCE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tce/guest.h"
#include "tce/phb.h"
#include "tce/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The stream format version this library writes (and the newest it reads). */
#define TCE_MIGRATION_VERSION 1u

struct tce_migration;

/** What the passes so far have produced. */
struct tce_migration_stats {
	uint64_t passes;       /**< passes saved (source) or loaded (destination) */
	uint64_t bytes;        /**< bytes of all of them */
	uint64_t last_bytes;   /**< bytes of the last one */
	uint64_t last_runs;    /**< runs of entries in the last one */
	uint64_t last_entries; /**< entries those runs cover */
};

/**
 * tce_migration_start() - begin migrating a guest out (the source side).
 * @guest: the guest; its tables record writes from now on.
 * @phbs: its PHBs (may contain NULL slots), by index.
 * @nphbs: entries of @phbs (at most 256).
 * @migp: receives the migration; NULL on failure.
 *
 * Return: 0; -EINVAL for bad arguments; -ENOMEM.
 */
TCE_EXPORT int tce_migration_start(struct tce_guest *guest, struct tce_phb *const *phbs,
				   unsigned nphbs, struct tce_migration **migp);

/**
 * tce_migration_save() - produce the next pass.
 * @mig: a source migration.
 * @final: the last pass (the caller has stopped the guest's hypercalls).
 * @stream: receives the pass, to free with tce_migration_free_stream().
 * @len: receives its length in bytes.
 *
 * Thread-safe against hypercalls on the same guest (not against another save).
 *
 * Return: 0; -EINVAL after the final pass; -ENOMEM.
 */
TCE_EXPORT int tce_migration_save(struct tce_migration *mig, bool final, void **stream,
				  size_t *len);

/**
 * tce_migration_free_stream() - free a pass from tce_migration_save().
 * @stream: the pass, or NULL.
 */
TCE_EXPORT void tce_migration_free_stream(void *stream);

/**
 * tce_migration_accept() - begin migrating a guest in (the destination side).
 * @guest: the destination guest, with its memory slots already added and the
 *         same hypercall profile as the source.
 * @phbs: its PHBs, created with the source's configuration, by index.
 * @nphbs: entries of @phbs.
 * @migp: receives the migration; NULL on failure.
 *
 * Return: 0; -EINVAL for bad arguments; -ENOMEM.
 */
TCE_EXPORT int tce_migration_accept(struct tce_guest *guest, struct tce_phb *const *phbs,
				    unsigned nphbs, struct tce_migration **migp);

/**
 * tce_migration_expect_table() - let the passes fill a table the destination made itself.
 * @mig: a destination migration, before its first pass is loaded.
 * @liobn: a table of the destination guest that its VMM created as the
 *         source's was (a VIO device's table, made when the device was).
 *
 * Without this, a table of the destination's own that a pass also carries
 * is a clash and the pass is refused. With it, each pass checks that the two
 * have the same page size, offset and size (else -EINVAL, nothing changed),
 * then empties the table and writes the source's entries into it: the table
 * stays the VMM's (its views stay valid); if the source's table disappears,
 * it is emptied, never removed.
 *
 * Return: 0; -EINVAL for a source migration or after a pass was loaded;
 * -ENOENT when the guest has no such table; -ENOMEM.
 */
TCE_EXPORT int tce_migration_expect_table(struct tce_migration *mig, uint64_t liobn);

/**
 * tce_migration_load() - apply the next pass on the destination.
 * @mig: a destination migration.
 * @stream: the pass.
 * @len: its length.
 *
 * The whole pass is checked first (format, checksum, order, fit); then the
 * PHB windows and tables are made to match and the runs written.
 *
 * Return: 0; -EINVAL for a stream that is truncated, corrupted, out of order,
 * or does not fit the destination, and -EPROTO for an unknown format
 * version: nothing changed. After part of the pass was applied: -ENOMEM
 * (memory, or the ledger refuses a table's charge), or -EFAULT
 * when an entry cannot be written (the guest's profile or an attached window
 * refuses its address). A pass that failed after part was applied can be
 * loaded again: what it applied is applied once.
 */
TCE_EXPORT int tce_migration_load(struct tce_migration *mig, const void *stream, size_t len);

/**
 * tce_migration_stats() - the passes so far.
 * @mig: a migration.
 * @stats: receives the counts.
 */
TCE_EXPORT void tce_migration_stats(const struct tce_migration *mig,
				    struct tce_migration_stats *stats);

/**
 * tce_migration_done() - finish: the source stops recording writes.
 * @mig: a migration, or NULL.
 */
TCE_EXPORT void tce_migration_done(struct tce_migration *mig);

#ifdef __cplusplus
}
#endif

#endif /* TCE_MIGRATE_H */
