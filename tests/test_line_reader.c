// SPDX-License-Identifier: MIT
/*
 * tcectl's line reader (tools/tcectl/line_reader.h), from its sources: the
 * same lines from plain, xz and zstd files, with and without the decoding
 * thread (and a thread only for compressed data); a last line without its
 * newline; lines longer than a chunk; an end or an error that stays (every
 * call after 0 returns 0, every call after -EILSEQ returns -EILSEQ); xz and
 * zstd cut short or damaged in the middle (-EILSEQ); a file that cannot be
 * read (-EIO). And every allocation the reader makes failing in turn (the
 * test links with --wrap for calloc, malloc and realloc): the open or a read
 * fails with -ENOMEM, or every line is read, and nothing leaks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* ---- allocation failures: the nth allocation after arming fails (0: none) ---- */
void *__real_calloc(size_t n, size_t size);
void *__real_malloc(size_t size);
void *__real_realloc(void *ptr, size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_realloc(void *ptr, size_t size);

static unsigned alloc_countdown; /* allocations left before the one to fail; 0: disarmed */
static unsigned alloc_failures;

static bool fail_this_allocation(void)
{
	if (alloc_countdown == 0 || --alloc_countdown != 0)
		return false;
	alloc_failures++;
	return true;
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_this_allocation() ? NULL : __real_calloc(n, size);
}

void *__wrap_malloc(size_t size)
{
	return fail_this_allocation() ? NULL : __real_malloc(size);
}

void *__wrap_realloc(void *ptr, size_t size)
{
	return fail_this_allocation() ? NULL : __real_realloc(ptr, size);
}

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

/*
 * Read every line of the file and compare with the text (when @compare: a
 * damaged stream may decode wrong bytes before its check fails); return what
 * the reader ended with.
 */
static int read_lines(bool no_thread, bool compare, size_t *lines_read)
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

		if (compare) {
			assert_int_equal(len, want);
			assert_memory_equal(line, text + at, len);
		}
		at += want + 1;
		if (at > text_len)
			at = text_len;
		(*lines_read)++;
	}
	/* The end, or the error, stays. */
	assert_int_equal(line_reader_next(r, &line, &len), rc);
	assert_int_equal(line_reader_next(r, &line, &len), rc);
	line_reader_close(r);
	return rc;
}

static int read_all(bool no_thread, size_t *lines_read)
{
	return read_lines(no_thread, true, lines_read);
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
	/* Damaged in the middle: the lines before it, then -EILSEQ. */
	buf[xz_len / 2] ^= 0x55;
	write_file(buf, xz_len);
	for (t = 0; t < 2; t++) {
		assert_int_equal(read_lines(t, false, &n), -EILSEQ);
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
	/* zstd cut inside its frame, and damaged in the middle: -EILSEQ after the lines before. */
	write_file(buf, zst_len - 40);
	for (t = 0; t < 2; t++) {
		assert_int_equal(read_all(t, &n), -EILSEQ);
		assert_true(n < NLINES);
	}
	unlink(path);
	memset(buf + zst_len / 2, 0xff, 64);
	write_file(buf, zst_len);
	for (t = 0; t < 2; t++) {
		assert_int_equal(read_lines(t, false, &n), -EILSEQ);
		assert_true(n < NLINES);
	}
	unlink(path);
	free(buf);
}

/* A file that cannot be read (reading /proc/self/mem at address 0 fails): -EIO from the open. */
static void test_read_error(void **state)
{
	struct line_reader *r = NULL;

	(void)state;
	assert_int_equal(line_reader_open("/proc/self/mem", NULL, &r), -EIO);
	assert_null(r);
	assert_int_equal(line_reader_open("/nonexistent/trace.log", NULL, &r), -ENOENT);
	assert_int_equal(line_reader_open("/tmp", NULL, &r), -EISDIR);
}

/*
 * Open and read the file with its nth allocation failing, for n = 1, 2, ...
 * until a run has no allocation left to fail: each failing run ends in
 * -ENOMEM, from the open or from a read, and the run with none reads every
 * line. ASan's leak check covers what the failed runs allocated.
 */
static void sweep_allocation_failures(bool no_thread)
{
	struct line_reader_opts opts = {.no_thread = no_thread};
	unsigned nth, failed_open = 0, failed_read = 0;

	for (nth = 1;; nth++) {
		struct line_reader *r = NULL;
		unsigned before = alloc_failures;
		const char *line;
		size_t len, lines = 0;
		int rc;

		alloc_countdown = nth;
		rc = line_reader_open(path, &opts, &r);
		if (rc == 0) {
			while ((rc = line_reader_next(r, &line, &len)) == 1)
				lines++;
			line_reader_close(r);
		}
		alloc_countdown = 0;
		if (alloc_failures == before) {
			/* Nothing left to fail: the whole file was read. */
			assert_int_equal(rc, 0);
			assert_int_equal(lines, NLINES);
			break;
		}
		assert_int_equal(rc, -ENOMEM);
		if (r)
			failed_read++;
		else
			failed_open++;
		assert_true(nth < 100);
	}
	/*
	 * The open allocates the reader, its source and one chunk (four when a
	 * thread decompresses ahead); a read, the buffer of the one line that
	 * crosses a chunk boundary.
	 */
	assert_int_equal(failed_open, no_thread ? 3 : 6);
	assert_int_equal(failed_read, 1);
}

static void test_allocation_failures(void **state)
{
	size_t xz_len = 0, cap = text_len + (1u << 20);
	uint8_t *buf = malloc(cap);

	(void)state;
	assert_non_null(buf);
	write_file(text, text_len);
	sweep_allocation_failures(true);
	unlink(path);
	assert_int_equal(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text, text_len,
						 buf, &xz_len, cap), LZMA_OK);
	write_file(buf, xz_len);
	sweep_allocation_failures(true);
	sweep_allocation_failures(false);
	unlink(path);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_allocation_failures),
		cmocka_unit_test(test_read_error),
	};
	int rc;

	make_text();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(text);
	return rc;
}
