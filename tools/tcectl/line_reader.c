// SPDX-License-Identifier: MIT
/*
 * tcectl — lines of a plain or xz-compressed file. See line_reader.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lzma.h>

#include "line_reader.h"

struct line_reader {
	FILE *file;
	bool xz;
	lzma_stream strm;
	uint8_t in[1 << 16];
	uint8_t out[1 << 16];
	size_t out_pos, out_len;
	bool eof;
	char *line;
	size_t line_cap;
	uint64_t bytes; /* decompressed bytes handed out */
};

int line_reader_open(const char *path, struct line_reader **readerp)
{
	static const uint8_t xz_magic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
	struct line_reader *r = calloc(1, sizeof(*r));
	uint8_t head[6];
	struct stat st;
	size_t got;

	if (!r)
		return -ENOMEM;
	r->file = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!r->file) {
		int rc = -errno;

		free(r);
		return rc;
	}
	if (fstat(fileno(r->file), &st) == 0 && S_ISDIR(st.st_mode)) {
		line_reader_close(r);
		return -EISDIR;
	}
	got = fread(head, 1, sizeof(head), r->file);
	r->xz = got == sizeof(head) && memcmp(head, xz_magic, sizeof(head)) == 0;
	if (r->xz) {
		lzma_stream init = LZMA_STREAM_INIT;

		r->strm = init;
		if (lzma_stream_decoder(&r->strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
			r->xz = false;
			line_reader_close(r);
			return -ENOMEM;
		}
		memcpy(r->in, head, got);
		r->strm.next_in = r->in;
		r->strm.avail_in = got;
	} else {
		memcpy(r->out, head, got);
		r->out_len = got;
	}
	*readerp = r;
	return 0;
}

void line_reader_close(struct line_reader *r)
{
	if (!r)
		return;
	if (r->xz)
		lzma_end(&r->strm);
	if (r->file && r->file != stdin)
		fclose(r->file);
	free(r->line);
	free(r);
}

const char *line_reader_format(const struct line_reader *r)
{
	return r->xz ? "xz" : "plain";
}

uint64_t line_reader_bytes(const struct line_reader *r)
{
	return r->bytes;
}

/* Refill r->out; returns 0, 1 at the end, or a negative errno. */
static int reader_fill(struct line_reader *r)
{
	r->out_pos = 0;
	r->out_len = 0;
	if (!r->xz) {
		r->out_len = fread(r->out, 1, sizeof(r->out), r->file);
		if (r->out_len == 0)
			return ferror(r->file) ? -EIO : 1;
		return 0;
	}
	while (r->out_len == 0 && !r->eof) {
		lzma_ret ret;

		if (r->strm.avail_in == 0 && !feof(r->file)) {
			r->strm.next_in = r->in;
			r->strm.avail_in = fread(r->in, 1, sizeof(r->in), r->file);
			if (ferror(r->file))
				return -EIO;
		}
		r->strm.next_out = r->out;
		r->strm.avail_out = sizeof(r->out);
		ret = lzma_code(&r->strm, feof(r->file) && r->strm.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
		r->out_len = sizeof(r->out) - r->strm.avail_out;
		if (ret == LZMA_STREAM_END)
			r->eof = true;
		else if (ret != LZMA_OK)
			return r->out_len ? 0 : -EILSEQ;
	}
	return r->out_len ? 0 : 1;
}

int line_reader_next(struct line_reader *r, const char **line, size_t *len)
{
	size_t n = 0;

	for (;;) {
		uint8_t *nl;
		size_t chunk;
		int rc;

		if (r->out_pos == r->out_len) {
			rc = reader_fill(r);
			if (rc < 0)
				return rc;
			if (rc == 1) {
				if (n == 0)
					return 0;
				break;
			}
		}
		nl = memchr(r->out + r->out_pos, '\n', r->out_len - r->out_pos);
		chunk = (nl ? (size_t)(nl - (r->out + r->out_pos)) : r->out_len - r->out_pos);
		if (n + chunk + 1 > r->line_cap) {
			size_t cap = r->line_cap ? r->line_cap * 2 : 256;
			char *grown;

			while (cap < n + chunk + 1)
				cap *= 2;
			grown = realloc(r->line, cap);
			if (!grown)
				return -ENOMEM;
			r->line = grown;
			r->line_cap = cap;
		}
		memcpy(r->line + n, r->out + r->out_pos, chunk);
		n += chunk;
		r->out_pos += chunk + (nl ? 1 : 0);
		r->bytes += chunk + (nl ? 1 : 0);
		if (nl)
			break;
	}
	r->line[n] = '\0';
	*line = r->line;
	*len = n;
	return 1;
}
