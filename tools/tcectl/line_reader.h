/* SPDX-License-Identifier: MIT */
/*
 * tcectl — lines of a plain or compressed text file.
 *
 * Concepts: trace logs come plain or compressed; the format is told by the
 * file's first bytes (the xz magic), not its name, so standard input works
 * too. A reader hands out one line at a time without its newline, in a
 * buffer it owns that stays valid until the next call.
 */
#ifndef TCECTL_LINE_READER_H
#define TCECTL_LINE_READER_H

#include <stddef.h>
#include <stdint.h>

struct line_reader;

/* Open @path ("-": standard input). 0, or a negative errno (-EISDIR for a directory). */
int line_reader_open(const char *path, struct line_reader **readerp);

/*
 * The next line, without its newline. 1 with a line, 0 at the end, or a
 * negative errno: -EIO for a read error, -EILSEQ for corrupt or truncated
 * compressed data, -ENOMEM.
 */
int line_reader_next(struct line_reader *reader, const char **line, size_t *len);

/* Decompressed bytes handed out so far (lines and their newlines). */
uint64_t line_reader_bytes(const struct line_reader *reader);

/* "plain" or "xz". */
const char *line_reader_format(const struct line_reader *reader);

/* Close and free; NULL is ignored. */
void line_reader_close(struct line_reader *reader);

#endif /* TCECTL_LINE_READER_H */
