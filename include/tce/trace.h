/* SPDX-License-Identifier: MIT */
/*
 * libtce — replaying QEMU sPAPR IOMMU trace logs.
 *
 * Concepts
 * --------
 * QEMU's "log" trace backend writes one line per event:
 *   <thread id>@<seconds.microseconds>:<event> <arguments>
 * A replay builds the PHBs and windows the trace implies (a PHB per LIOBN or
 * BUID it names, with QEMU's defaults; windows from new_table and ddw_create),
 * applies every hypercall and RTAS call to a guest (guest.h, phb.h) and checks
 * every recorded result against libtce's: the return code of each hypercall,
 * the outputs of each RTAS call, and the page and permission of every device
 * translation.
 *
 * Some arguments are not what their names say (see the traces' README):
 *  - indirect: `iobaN` is the index of the last entry processed and `tceN` the
 *    last TCE; the list itself is not logged. Linux fills a list with
 *    physically contiguous pages, so entry i = tceN - (iobaN - i) * page size,
 *    and the replay serves that list as guest memory at `tcelist`;
 *  - stuff: `ioba` is the address just past the last page written, so the
 *    call covered [ioba - npages * page size, ioba);
 *  - xlate: the address is relative to the window start.
 * Calls that failed in the trace cannot be rebuilt this way; they are
 * counted as unverified, not as mismatches.
 *
 * Both the current field format and QEMU's older one (hex without 0x) are
 * accepted. Lines of other events (spapr_pci_*) are counted and ignored; a line
 * that is not a trace line at all is unparsable.
 */
#ifndef TCE_TRACE_H
#define TCE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "tce/guest.h"
#include "tce/migrate.h"
#include "tce/phb.h"
#include "tce/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The events a replay knows. */
enum tce_trace_event {
	TCE_TRACE_PUT = 0,
	TCE_TRACE_GET,
	TCE_TRACE_INDIRECT,
	TCE_TRACE_STUFF,
	TCE_TRACE_XLATE,
	TCE_TRACE_NEW_TABLE,
	TCE_TRACE_DDW_QUERY,
	TCE_TRACE_DDW_CREATE,
	TCE_TRACE_DDW_REMOVE,
	TCE_TRACE_DDW_RESET,
	TCE_TRACE_OTHER, /**< other events: counted, ignored */
	TCE_TRACE_EVENT_COUNT
};

/** Counts for one event type. */
struct tce_trace_counts {
	uint64_t seen;       /**< lines of this event */
	uint64_t checked;    /**< results compared */
	uint64_t matched;    /**< ...and equal */
	uint64_t unverified; /**< failed calls the trace does not describe fully */
};

/** Totals of a replay. */
struct tce_replay_stats {
	struct tce_trace_counts events[TCE_TRACE_EVENT_COUNT];
	uint64_t lines;
	uint64_t unparsable;
	uint64_t mismatches;
};

/** A mismatch or an unparsable line. */
struct tce_replay_problem {
	uint64_t line_no;
	char line[256];   /**< the line (truncated; bytes outside printable ASCII become '?') */
	char what[256];   /**< what differed, or why it does not parse */
};

/** How a replay is set up. */
struct tce_replay_config {
	enum tce_hcall_profile profile; /**< TCE_HCALL_QEMU to reproduce QEMU */
	unsigned keep_problems;         /**< problems kept in full (0: 10) */
	uint64_t memlock_limit;         /**< the ledger's limit in bytes (0: unlimited): a trace
	                                     that creates more windows than fit is refused them */
	const struct tce_phb_config *phbs; /**< PHB i is built from phbs[i] (index, page sizes,
	                                        DDW, windows), as the VM was started; NULL or
	                                        past nphbs: QEMU's defaults */
	unsigned nphbs;
};

struct tce_replay;

/**
 * tce_replay_create() - an empty replay (no guest tables yet).
 * @config: profile and how many problems to keep.
 * @replayp: receives it.
 *
 * Return: 0, -EINVAL for an unknown profile, -ENOMEM.
 */
TCE_EXPORT int tce_replay_create(const struct tce_replay_config *config, struct tce_replay **replayp);

/**
 * tce_replay_destroy() - free a replay, its guest and its PHBs.
 * @replay: a replay, or NULL.
 */
TCE_EXPORT void tce_replay_destroy(struct tce_replay *replay);

/**
 * tce_replay_line() - apply one line.
 * @replay: a replay.
 * @line: the line, without its newline (need not be NUL-terminated).
 * @len: its length.
 * @line_no: its number, for reports.
 *
 * Return: 0 when it matched, was ignored or could not be verified; 1 on a
 * mismatch; -EINVAL when unparsable; -ENOMEM. Mismatches and unparsable lines
 * are counted and the first ones kept.
 */
TCE_EXPORT int tce_replay_line(struct tce_replay *replay, const char *line, size_t len, uint64_t line_no);

/**
 * tce_replay_stats() - the counts so far.
 * @replay: a replay.
 * @stats: receives them.
 */
TCE_EXPORT void tce_replay_stats(const struct tce_replay *replay, struct tce_replay_stats *stats);

/**
 * tce_replay_problems() - the problems kept, in line order.
 * @replay: a replay.
 * @problems: receives a pointer to them (valid until the next call on @replay).
 *
 * Return: how many.
 */
TCE_EXPORT size_t tce_replay_problems(const struct tce_replay *replay,
			   const struct tce_replay_problem **problems);

/**
 * tce_replay_guest() - the guest the replay drives (for the final state).
 * @replay: a replay.
 *
 * Return: the guest.
 */
TCE_EXPORT struct tce_guest *tce_replay_guest(struct tce_replay *replay);

/**
 * tce_replay_account() - the ledger the replay's guest tables are charged to.
 * @replay: a replay.
 *
 * Return: the account (limited by the config's memlock_limit).
 */
TCE_EXPORT struct tce_account *tce_replay_account(struct tce_replay *replay);

/**
 * tce_replay_phb() - the PHB of index @index, if the trace named it.
 * @replay: a replay.
 * @index: PHB index 0..255.
 *
 * Return: the PHB or NULL.
 */
TCE_EXPORT struct tce_phb *tce_replay_phb(struct tce_replay *replay, unsigned index);

/**
 * tce_replay_migrate() - move the replay's guest to fresh objects, as a live
 * migration would.
 * @replay: a replay.
 * @stats: receives the stream's size and runs (may be NULL).
 *
 * The guest's IOMMU state is saved to a stream (one final pass, migrate.h);
 * a new ledger, guest and PHBs (the same configurations) are built and the
 * stream loaded into them; then the old ones are destroyed and the replay
 * goes on with the new. Lines replayed after it must match as before.
 *
 * Return: 0; -ENOMEM, or what the save or load returns: the replay is then
 * left on its old objects, unchanged.
 */
TCE_EXPORT int tce_replay_migrate(struct tce_replay *replay, struct tce_migration_stats *stats);

/**
 * tce_trace_event_name() - the QEMU event name of an event type.
 * @event: an event type.
 *
 * Return: e.g. "spapr_iommu_pci_put" (PCI form), "other", or "unknown".
 */
TCE_EXPORT const char *tce_trace_event_name(enum tce_trace_event event);

#ifdef __cplusplus
}
#endif

#endif /* TCE_TRACE_H */
