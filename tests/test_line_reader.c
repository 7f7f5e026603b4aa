// SPDX-License-Identifier: MIT
/*
 * tcectl's line reader (tools/tcectl/line_reader.h), from its sources: the
 * same lines from plain, xz and zstd files, with and without the decoding
 * thread (and a thread only for compressed data); a last line without its newline; lines longer than a chunk; and an
 * end or an error that stays: every call after 0 returns 0, every call after
 * -EILSEQ returns -EILSEQ.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <lzma.h>
#include <zstd.h>

#include "line_reader.h"

#define NLINES 20000

static char path[64];
static char *text;
static size_t text_len;

/* Lines of varied length, one of 300 KiB (longer than any chunk), the last without a newline. */
static void make_text(void)
{
	size_t cap = (size_t)NLINES * 32 + (300u << 10), i;

	text = malloc(cap);
	assert_non_null(text);
	text_len = 0;
	for (i = 0; i < NLINES; i++) {
		if (i == 777) {
			memset(text + text_len, 'x', 300u << 10);
			text_len += 300u << 10;
		} else {
			text_len += (size_t)sprintf(text + text_len, "line %zu %.*s", i, (int)(i % 13), "abcdefghijklm");
		}
		if (i + 1 < NLINES)
			text[text_len++] = '\n';
	}
}

static void write_file(const void *data, size_t len)
{
	FILE *f;

	strcpy(path, "/tmp/tce-line-reader-XXXXXX");
	assert_int_not_equal(mkstemp(path), -1);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Read every line of the file and compare with the text; return what the reader ended with. */
static int read_all(bool no_thread, size_t *lines_read)
{
	struct line_reader_opts opts = {.no_thread = no_thread};
	struct line_reader *r;
	const char *line;
	size_t len, at = 0;
	int rc;

	assert_int_equal(line_reader_open(path, &opts, &r), 0);
	/* A helper thread only for compressed data, and only when not told otherwise. */
	assert_int_equal(line_reader_threaded(r), !no_thread && strcmp(line_reader_format(r), "plain") != 0);
	*lines_read = 0;
	while ((rc = line_reader_next(r, &line, &len)) == 1) {
		const char *nl = memchr(text + at, '\n', text_len - at);
		size_t want = nl ? (size_t)(nl - (text + at)) : text_len - at;

		assert_int_equal(len, want);
		assert_memory_equal(line, text + at, len);
		at += want + 1;
		(*lines_read)++;
	}
	/* The end, or the error, stays. */
	assert_int_equal(line_reader_next(r, &line, &len), rc);
	assert_int_equal(line_reader_next(r, &line, &len), rc);
	line_reader_close(r);
	return rc;
}

static void test_formats(void **state)
{
	size_t xz_len = 0, zst_len, n, cap = text_len + (1u << 20);
	uint8_t *buf = malloc(cap);
	int t;

	(void)state;
	assert_non_null(buf);
	write_file(text, text_len);
	for (t = 0; t < 2; t++) {
		assert_int_equal(read_all(t, &n), 0);
		assert_int_equal(n, NLINES);
	}
	unlink(path);
	assert_int_equal(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text, text_len,
						 buf, &xz_len, cap), LZMA_OK);
	write_file(buf, xz_len);
	for (t = 0; t < 2; t++) {
		assert_int_equal(read_all(t, &n), 0);
		assert_int_equal(n, NLINES);
	}
	unlink(path);
	/* Truncated: every complete line before the damage, then -EILSEQ, and again -EILSEQ. */
	write_file(buf, xz_len - 40);
	for (t = 0; t < 2; t++) {
		assert_int_equal(read_all(t, &n), -EILSEQ);
		assert_true(n < NLINES);
	}
	unlink(path);
	zst_len = ZSTD_compress(buf, cap, text, text_len, 1);
	assert_false(ZSTD_isError(zst_len));
	write_file(buf, zst_len);
	for (t = 0; t < 2; t++) {
		assert_int_equal(read_all(t, &n), 0);
		assert_int_equal(n, NLINES);
	}
	unlink(path);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
	};
	int rc;

	make_text();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(text);
	return rc;
}
