/* SPDX-License-Identifier: MIT */
/*
 * tcectl — lines of a plain or compressed text file.
 *
 * Concepts: trace logs come plain, xz- or zstd-compressed; the format is told
 * by the file's first bytes (its magic number), not its name, so standard
 * input works too. Bytes arrive in chunks from a back end (plain reads, an
 * xz decoder or a zstd decoder, see line_source.h). A compressed file is
 * decompressed by a second thread a few chunks ahead of the reader, so
 * replaying a compressed trace costs about what decompressing it alone does
 * on a machine with two cores. A reader hands out one line at a time without
 * its newline, pointing into the chunk when the line lies inside one (no
 * copy); the line stays valid until the next call.
 */
#ifndef TCECTL_LINE_READER_H
#define TCECTL_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct line_reader;

/* How a reader works (0 fields: the defaults). */
struct line_reader_opts {
	bool no_thread; /* decompress in the reading thread (for measurements) */
};

/*
 * Open @path ("-": standard input); @opts may be NULL. 0, or a negative errno
 * (-EISDIR for a directory, -ENOMEM, or what opening the file or starting the
 * decompression thread failed with).
 */
int line_reader_open(const char *path, const struct line_reader_opts *opts,
		     struct line_reader **readerp);

/*
 * The next line, without its newline (and not NUL-terminated). 1 with a
 * line, 0 at the end, or a negative errno: -EIO for a read error, -EILSEQ for
 * corrupt or truncated compressed data (after every complete line before the
 * damage), -ENOMEM.
 */
int line_reader_next(struct line_reader *reader, const char **line, size_t *len);

/* Decompressed bytes handed out so far (lines and their newlines). */
uint64_t line_reader_bytes(const struct line_reader *reader);

/* "plain", "xz" or "zstd". */
const char *line_reader_format(const struct line_reader *reader);

/*
 * Whether a second thread decompresses ahead: true for a compressed file
 * unless no_thread was asked or the thread could not start; never for plain
 * text (reading it costs less than handing it over).
 */
bool line_reader_threaded(const struct line_reader *reader);

/* Close and free (stopping the decompression thread); NULL is ignored. */
void line_reader_close(struct line_reader *reader);

#endif /* TCECTL_LINE_READER_H */
