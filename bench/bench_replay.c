// SPDX-License-Identifier: MIT
/*
 * bench_replay — replaying a real guest trace: lines per second, and what
 * compressed input costs over decompressing alone.
 *
 * Every figure is the best of interleaved rounds in one process:
 *  - from memory: splitting the text into lines alone (the floor) and the
 *    full replay (parse, hypercalls, checks);
 *  - from a plain file through tcectl's line reader: the full replay, the
 *    figure the ">= 5 M lines/s" target is about;
 *  - from the .xz file and from a .zst copy made here: decompressing alone
 *    (the source's fill loop, no lines) against replaying the same file, with
 *    the decompression thread and without it. The target is a replay of at
 *    most 1.2x the decompression alone; where decompressing is faster than
 *    replaying (zstd), the floor is the plain-file replay instead, so the
 *    ratio is taken to the slower of the two.
 *  - many tables: a synthetic trace that creates N VIO tables by LIOBN in a
 *    shuffled order and then reads one entry of each, N from 1,000 to 50,000:
 *    the time per line must stay flat as N grows.
 *
 * Usage: bench_replay [--rounds N] [--trace FILE.xz]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "bench_common.h"
#include "line_reader.h"
#include "line_source.h"
#include "tce/trace.h"

#ifndef BENCH_TRACE
#define BENCH_TRACE "tests/data/D_2G_virtioblk_e1000_ddw_on_multitce_off.trace.log.xz"
#endif

struct text {
	char *data;
	size_t len;
	uint64_t lines;
};

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_replay: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	exit(1);
}

/* Decompress a whole file with its source; returns the nanoseconds it took. */
static double decompress_all(const char *path, struct text *out)
{
	static uint8_t buf[1 << 20];
	struct line_source *src;
	double t0 = bench_now_ns();
	FILE *f = fopen(path, "rb");
	size_t got, total = 0;
	int rc;

	if (!f)
		die(path, errno);
	rc = line_source_open(f, &src);
	if (rc)
		die(path, rc);
	do {
		rc = line_source_fill(src, buf, sizeof(buf), &got);
		if (out) {
			char *grown = realloc(out->data, total + got + 1);

			if (!grown)
				die("realloc", ENOMEM);
			out->data = grown;
			memcpy(out->data + total, buf, got);
		}
		total += got;
	} while (rc == 0);
	if (rc < 0)
		die(path, rc);
	line_source_close(src);
	fclose(f);
	bench_sink += total;
	if (out)
		out->len = total;
	return bench_now_ns() - t0;
}

static double split_lines(const struct text *t)
{
	double t0 = bench_now_ns();
	const char *p = t->data, *end = t->data + t->len, *nl;
	uint64_t sum = 0;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		sum += (uint64_t)(nl - p);
		p = nl + 1;
	}
	bench_sink += sum;
	return bench_now_ns() - t0;
}

static struct tce_replay *new_replay(void)
{
	struct tce_replay_config cfg = {.profile = TCE_HCALL_QEMU};
	struct tce_replay *r;
	int rc = tce_replay_create(&cfg, &r);

	if (rc)
		die("tce_replay_create", rc);
	return r;
}

static void check_replay(struct tce_replay *r, uint64_t lines)
{
	struct tce_replay_stats st;

	tce_replay_stats(r, &st);
	if (st.lines != lines || st.mismatches || st.unparsable) {
		fprintf(stderr, "bench_replay: replay went wrong: %" PRIu64 " of %" PRIu64
			" lines, %" PRIu64 " mismatches, %" PRIu64 " unparsable\n",
			st.lines, lines, st.mismatches, st.unparsable);
		exit(1);
	}
	tce_replay_destroy(r);
}

static double replay_memory(const struct text *t)
{
	struct tce_replay *r = new_replay();
	double t0 = bench_now_ns(), ns;
	const char *p = t->data, *end = t->data + t->len, *nl;
	uint64_t no = 0;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		tce_replay_line(r, p, (size_t)(nl - p), ++no);
		p = nl + 1;
	}
	ns = bench_now_ns() - t0;
	check_replay(r, t->lines);
	return ns;
}

static double replay_file(const char *path, bool no_thread, uint64_t lines)
{
	struct line_reader_opts opts = {.no_thread = no_thread};
	struct tce_replay *r = new_replay();
	struct line_reader *rd;
	const char *line;
	size_t len;
	uint64_t no = 0;
	double t0 = bench_now_ns(), ns;
	int rc = line_reader_open(path, &opts, &rd);

	if (rc)
		die(path, rc);
	while ((rc = line_reader_next(rd, &line, &len)) == 1)
		tce_replay_line(r, line, len, ++no);
	if (rc < 0)
		die(path, rc);
	line_reader_close(rd);
	ns = bench_now_ns() - t0;
	check_replay(r, lines);
	return ns;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die(path, errno ? errno : EIO);
}

/* ns per line of a trace creating @n tables (shuffled LIOBNs) and reading one entry of each. */
static double many_tables(unsigned n)
{
	struct tce_replay_config cfg = {.profile = TCE_HCALL_QEMU};
	uint32_t *liobns = malloc(n * sizeof(*liobns));
	struct tce_replay *r;
	uint64_t rng = 7, no = 0;
	char line[160];
	double t0, ns;
	unsigned i;
	int len;

	if (!liobns)
		die("malloc", ENOMEM);
	for (i = 0; i < n; i++)
		liobns[i] = 0x1000 + i;
	for (i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(bench_rng(&rng) % (i + 1)), t = liobns[i];

		liobns[i] = liobns[j];
		liobns[j] = t;
	}
	if (tce_replay_create(&cfg, &r))
		die("tce_replay_create", ENOMEM);
	t0 = bench_now_ns();
	for (i = 0; i < 2 * n; i++) {
		uint32_t liobn = liobns[(i * 7919u) % n];

		len = i < n ? snprintf(line, sizeof(line),
				       "1@1.0:spapr_iommu_new_table liobn=0x%x table=0x1 fd=-1",
				       liobns[i])
			    : snprintf(line, sizeof(line),
				       "1@1.0:spapr_iommu_get liobn=0x%x ioba=0x1000 ret=0 tce=0x0", liobn);
		tce_replay_line(r, line, (size_t)len, ++no);
	}
	ns = (bench_now_ns() - t0) / (2.0 * n);
	check_replay(r, 2 * (uint64_t)n);
	free(liobns);
	return ns;
}

int main(int argc, char **argv)
{
	unsigned rounds = (unsigned)bench_arg(argc, argv, "--rounds", 7), r, i;
	const char *xz_path = BENCH_TRACE;
	char plain_path[] = "/tmp/bench_replay_XXXXXX", zst_path[64];
	struct text t = {0};
	double split = 1e30, mem = 1e30, plain = 1e30;
	double dec[2] = {1e30, 1e30}, rep[2] = {1e30, 1e30}, rep1[2] = {1e30, 1e30};
	const char *paths[2], *names[2] = {"xz", "zstd"};
	void *zbuf;
	size_t zlen;
	int fd;

	for (i = 1; i + 1 < (unsigned)argc; i++)
		if (strcmp(argv[i], "--trace") == 0)
			xz_path = argv[i + 1];
	/* Not pinned: the decompression thread needs the second core. */
	decompress_all(xz_path, &t);
	for (i = 0; i < t.len; i++)
		t.lines += t.data[i] == '\n';
	/* The plain and .zst copies the file rows read. */
	fd = mkstemp(plain_path);
	if (fd < 0)
		die("mkstemp", errno);
	close(fd);
	write_file(plain_path, t.data, t.len);
	snprintf(zst_path, sizeof(zst_path), "%s.zst", plain_path);
	zbuf = malloc(ZSTD_compressBound(t.len));
	zlen = zbuf ? ZSTD_compress(zbuf, ZSTD_compressBound(t.len), t.data, t.len, 9) : 0;
	if (!zbuf || ZSTD_isError(zlen))
		die("ZSTD_compress", ENOMEM);
	write_file(zst_path, zbuf, zlen);
	free(zbuf);
	paths[0] = xz_path;
	paths[1] = zst_path;

	printf("trace %s: %" PRIu64 " lines, %.1f MiB (xz, and zstd level 9 %.1f MiB)\n", xz_path,
	       t.lines, (double)t.len / MiB, (double)zlen / MiB);
	for (r = 0; r < rounds; r++) {
		split = bench_best(split, split_lines(&t));
		mem = bench_best(mem, replay_memory(&t));
		plain = bench_best(plain, replay_file(plain_path, false, t.lines));
		for (i = 0; i < 2; i++) {
			dec[i] = bench_best(dec[i], decompress_all(paths[i], NULL));
			rep[i] = bench_best(rep[i], replay_file(paths[i], false, t.lines));
			rep1[i] = bench_best(rep1[i], replay_file(paths[i], true, t.lines));
		}
	}
	printf("best of %u interleaved rounds\n", rounds);
	printf("  %-36s %10.2f M lines/s\n", "split lines (memory, the floor)", t.lines / split * 1e3);
	printf("  %-36s %10.2f M lines/s\n", "replay (memory)", t.lines / mem * 1e3);
	printf("  %-36s %10.2f M lines/s   target >= 5\n", "replay (plain file)", t.lines / plain * 1e3);
	for (i = 0; i < 2; i++) {
		double floor = dec[i] > plain ? dec[i] : plain;

		printf("  %-5s decompress alone %6.1f ms, plain replay %6.1f ms; replay %6.1f ms = "
		       "%.2fx the slower (target <= 1.2x); without the thread %.2fx\n",
		       names[i], dec[i] / 1e6, plain / 1e6, rep[i] / 1e6, rep[i] / floor,
		       rep1[i] / floor);
	}
	printf("  many tables (shuffled LIOBNs), ns per line:");
	for (i = 0; i < 4; i++) {
		static const unsigned sizes[4] = {1000, 5000, 20000, 50000};
		double best = 1e30;

		for (r = 0; r < 3; r++)
			best = bench_best(best, many_tables(sizes[i]));
		printf("  %u: %.0f", sizes[i], best);
	}
	printf("\n");
	unlink(plain_path);
	unlink(zst_path);
	free(t.data);
	return 0;
}
