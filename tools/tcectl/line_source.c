// SPDX-License-Identifier: MIT
/*
 * tcectl — plain, xz and zstd byte sources. See line_source.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>
#include <zstd.h>

#include "line_source.h"

#define IN_SIZE (1u << 16)
#define HEAD_MAX 8

struct line_source {
	const struct line_source_ops *ops;
	FILE *file;
	uint8_t head[HEAD_MAX]; /* plain: bytes read to find the format, not yet handed out */
	size_t head_len, head_pos;
	bool ended;
	lzma_stream xz;
	ZSTD_DStream *zstd;
	ZSTD_inBuffer zin;
	bool in_eof;          /* the file has no more compressed bytes */
	bool zstd_frame_open; /* inside a zstd frame (its end not decoded yet) */
	uint8_t in[IN_SIZE];
};

/* Read more compressed input into src->in; false on a read error. */
static bool read_in(struct line_source *src, size_t *len)
{
	*len = feof(src->file) ? 0 : fread(src->in, 1, sizeof(src->in), src->file);
	return !ferror(src->file);
}

/* ---- plain ---- */

static int plain_open(struct line_source *src, const uint8_t *head, size_t head_len)
{
	memcpy(src->head, head, head_len);
	src->head_len = head_len;
	return 0;
}

static int plain_fill(struct line_source *src, uint8_t *buf, size_t cap, size_t *got)
{
	size_t n = 0;

	if (src->head_pos < src->head_len) {
		n = src->head_len - src->head_pos < cap ? src->head_len - src->head_pos : cap;
		memcpy(buf, src->head + src->head_pos, n);
		src->head_pos += n;
	}
	n += fread(buf + n, 1, cap - n, src->file);
	*got = n;
	if (ferror(src->file))
		return -EIO;
	return n == 0 ? 1 : 0;
}

static void plain_close(struct line_source *src)
{
	(void)src;
}

/* ---- xz ---- */

static int xz_open(struct line_source *src, const uint8_t *head, size_t head_len)
{
	lzma_stream init = LZMA_STREAM_INIT;

	src->xz = init;
	if (lzma_stream_decoder(&src->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return -ENOMEM;
	memcpy(src->in, head, head_len);
	src->xz.next_in = src->in;
	src->xz.avail_in = head_len;
	return 0;
}

static int xz_fill(struct line_source *src, uint8_t *buf, size_t cap, size_t *got)
{
	src->xz.next_out = buf;
	src->xz.avail_out = cap;
	while (src->xz.avail_out > 0 && !src->ended) {
		lzma_ret ret;

		if (src->xz.avail_in == 0) {
			if (!read_in(src, &src->xz.avail_in))
				break;
			src->xz.next_in = src->in;
		}
		ret = lzma_code(&src->xz, src->xz.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
		if (ret == LZMA_STREAM_END)
			src->ended = true;
		else if (ret != LZMA_OK)
			break; /* corrupt or truncated (LZMA_BUF_ERROR at a short end) */
	}
	*got = cap - src->xz.avail_out;
	if (ferror(src->file))
		return -EIO;
	if (src->ended)
		return *got ? 0 : 1;
	return src->xz.avail_out > 0 ? -EILSEQ : 0;
}

static void xz_close(struct line_source *src)
{
	lzma_end(&src->xz);
}

/* ---- zstd ---- */

static int zstd_open(struct line_source *src, const uint8_t *head, size_t head_len)
{
	src->zstd = ZSTD_createDStream();
	if (!src->zstd)
		return -ENOMEM;
	memcpy(src->in, head, head_len);
	src->zin = (ZSTD_inBuffer){src->in, head_len, 0};
	src->zstd_frame_open = true;
	return 0;
}

static int zstd_fill(struct line_source *src, uint8_t *buf, size_t cap, size_t *got)
{
	ZSTD_outBuffer out = {buf, cap, 0};
	int rc = 0;

	while (out.pos < out.size && !src->ended) {
		size_t ret, before = out.pos, in_before;

		if (src->zin.pos == src->zin.size && !src->in_eof) {
			size_t len;

			if (!read_in(src, &len))
				break;
			src->in_eof = len == 0;
			src->zin = (ZSTD_inBuffer){src->in, len, 0};
		}
		in_before = src->zin.pos;
		ret = ZSTD_decompressStream(src->zstd, &out, &src->zin);
		if (ZSTD_isError(ret)) {
			rc = -EILSEQ;
			break;
		}
		if (out.pos != before || src->zin.pos != in_before)
			src->zstd_frame_open = ret != 0; /* 0: a frame just ended */
		else if (src->in_eof) {
			/* Nothing more will come: fine between frames, truncation inside one. */
			src->ended = true;
			if (src->zstd_frame_open)
				rc = -EILSEQ;
		}
	}
	*got = out.pos;
	if (ferror(src->file))
		return -EIO;
	if (rc)
		return rc;
	return src->ended && out.pos == 0 ? 1 : 0;
}

static void zstd_close(struct line_source *src)
{
	ZSTD_freeDStream(src->zstd);
}

/* ---- choosing ---- */

static const uint8_t xz_magic[] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
static const uint8_t zstd_magic[] = {0x28, 0xB5, 0x2F, 0xFD};

static const struct line_source_ops formats[] = {
	{"xz", xz_magic, sizeof(xz_magic), xz_open, xz_fill, xz_close},
	{"zstd", zstd_magic, sizeof(zstd_magic), zstd_open, zstd_fill, zstd_close},
	{"plain", NULL, 0, plain_open, plain_fill, plain_close}, /* last: matches anything */
};

int line_source_open(FILE *file, struct line_source **srcp)
{
	struct line_source *src = calloc(1, sizeof(*src));
	uint8_t head[HEAD_MAX];
	size_t got, i;
	int rc;

	if (!src)
		return -ENOMEM;
	src->file = file;
	got = fread(head, 1, sizeof(head), file);
	if (ferror(file)) {
		free(src);
		return -EIO;
	}
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		const struct line_source_ops *ops = &formats[i];

		if (got >= ops->magic_len && (!ops->magic || memcmp(head, ops->magic, ops->magic_len) == 0)) {
			src->ops = ops;
			break;
		}
	}
	rc = src->ops->open(src, head, got);
	if (rc) {
		free(src);
		return rc;
	}
	*srcp = src;
	return 0;
}

const struct line_source_ops *line_source_ops(const struct line_source *src)
{
	return src->ops;
}

int line_source_fill(struct line_source *src, uint8_t *buf, size_t cap, size_t *got)
{
	return src->ops->fill(src, buf, cap, got);
}

void line_source_close(struct line_source *src)
{
	if (!src)
		return;
	src->ops->close(src);
	free(src);
}
