/* SPDX-License-Identifier: MIT */
/*
 * One QEMU trace line in, one typed record out (internal). See
 * include/tce/trace.h for the events and their fields.
 *
 * Concepts: a line is "<thread>@<seconds.micro>:<event> <arguments>". Each
 * event QEMU prints has a fixed list of fields in a fixed order, so the
 * parser walks the line once from left to right, matching each field's key and
 * reading its number with its own hex or decimal reader (QEMU's older format
 * prints some hex fields without 0x: both are accepted). A line of a checked
 * event with a byte its format cannot contain (a NUL, a control character), a
 * missing field, a number out of range or anything left over after the last
 * field is unparsable, and the record says why. Lines of other events are
 * checked only up to their name: their arguments are QEMU's business. The
 * parser never allocates.
 */
#ifndef TCE_TRACE_PARSE_H
#define TCE_TRACE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tce/trace.h"

/* The fields of one line; which are set depends on the event. */
struct tce_trace_rec {
	enum tce_trace_event event;
	uint64_t liobn;
	uint64_t ioba;       /* put, get, indirect, stuff (stuff: just past the last page) */
	uint64_t tce;        /* put, get */
	uint64_t tcelist;    /* indirect */
	uint64_t ioba_n;     /* indirect: index of the last entry processed */
	uint64_t tce_n;      /* indirect: the last TCE */
	uint64_t value;      /* stuff */
	int64_t npages;      /* stuff */
	int64_t ret;         /* put, get, indirect, stuff */
	uint64_t addr;       /* xlate: window-relative address */
	uint64_t target;     /* xlate: translated page */
	bool new_format;     /* xlate: 0x before the liobn (QEMU since 2017: target is a gpa) */
	uint64_t perm;       /* xlate */
	uint64_t mask;       /* xlate */
	uint64_t buid, cfg_addr; /* ddw query, create, reset */
	uint64_t windows;    /* ddw query: windows available */
	uint64_t max_size;   /* ddw query */
	uint64_t pgmask;     /* ddw query */
	uint64_t page_size, requested, start; /* ddw create (liobn too) */
	const char *why;     /* unparsable: the reason (a static string) */
};

/*
 * Parse @len bytes of @line (no newline needed; a trailing \r or \n is
 * ignored). Returns 0 with @rec filled (event TCE_TRACE_OTHER for events the
 * replay ignores, after checking only the prefix), 1 for an empty line, or
 * -EINVAL with @rec->why set.
 */
int tce_trace_parse(const char *line, size_t len, struct tce_trace_rec *rec);

#endif /* TCE_TRACE_PARSE_H */
