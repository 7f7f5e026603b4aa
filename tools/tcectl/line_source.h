/* SPDX-License-Identifier: MIT */
/*
 * tcectl — where a line reader's bytes come from: plain, xz or zstd.
 *
 * Concepts: a source turns an open file into a stream of decompressed bytes,
 * one buffer at a time, behind a small ops table (like a transport back end):
 * each format knows its magic number, how to start, how to fill a buffer and
 * how to end. A fill reports a damaged stream only after handing out the
 * bytes decoded before the damage, so a reader can use them first.
 */
#ifndef TCECTL_LINE_SOURCE_H
#define TCECTL_LINE_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct line_source;

struct line_source_ops {
	const char *name;            /* "plain", "xz", "zstd" */
	const uint8_t *magic;        /* the first bytes of such a file (NULL: anything) */
	size_t magic_len;
	/* Start decoding; @head holds the @head_len bytes already read from the file. */
	int (*open)(struct line_source *src, const uint8_t *head, size_t head_len);
	/*
	 * Decode up to @cap bytes into @buf; *@got says how many. Returns 0 (more
	 * may follow), 1 at the end of the stream, -EIO for a read error or -EILSEQ
	 * for corrupt or truncated data; *@got may be non-zero with any of them.
	 */
	int (*fill)(struct line_source *src, uint8_t *buf, size_t cap, size_t *got);
	void (*close)(struct line_source *src);
};

/*
 * Open the source for @file, choosing the format by its first bytes. 0, or
 * -ENOMEM, -EIO.
 */
int line_source_open(FILE *file, struct line_source **srcp);

/* The format's ops (its name). */
const struct line_source_ops *line_source_ops(const struct line_source *src);

/* See line_source_ops.fill. */
int line_source_fill(struct line_source *src, uint8_t *buf, size_t cap, size_t *got);

/* End decoding and free (the file stays open); NULL is ignored. */
void line_source_close(struct line_source *src);

#endif /* TCECTL_LINE_SOURCE_H */
