// SPDX-License-Identifier: MIT
/*
 * tcectl — lines of a plain or compressed file, decompressed ahead by a
 * second thread. See line_reader.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "line_reader.h"
#include "line_source.h"

#define CHUNK_SIZE (1u << 20)
#define RING 4 /* chunks decompressed ahead */

struct chunk {
	uint8_t *data;
	size_t len;
	int status; /* after these bytes: 0 more follow, 1 the end, or a negative errno */
};

struct line_reader {
	FILE *file;
	struct line_source *src;
	/* The ring the decompression thread fills and the reader empties. */
	struct chunk ring[RING];
	unsigned nslots;          /* RING with a thread, 1 without */
	bool threaded;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t filled, emptied;
	unsigned head, tail, count; /* next to read, next to fill, filled (under lock) */
	bool stop;                  /* close asks the thread to finish */
	/* The reader's side. */
	struct chunk *cur;          /* the chunk lines come from, or NULL */
	size_t pos;                 /* next byte of cur */
	int final;                  /* 0, or what every later call returns */
	char *line;                 /* a line that spans two chunks, joined */
	size_t line_cap;
	uint64_t bytes;
};

static void *decompress_ahead(void *arg)
{
	struct line_reader *r = arg;
	int status = 0;

	while (status == 0) {
		struct chunk *c;

		pthread_mutex_lock(&r->lock);
		while (r->count == r->nslots && !r->stop)
			pthread_cond_wait(&r->emptied, &r->lock);
		if (r->stop) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		c = &r->ring[r->tail];
		pthread_mutex_unlock(&r->lock);

		status = line_source_fill(r->src, c->data, CHUNK_SIZE, &c->len);
		c->status = status;

		pthread_mutex_lock(&r->lock);
		r->tail = (r->tail + 1) % r->nslots;
		r->count++;
		pthread_cond_signal(&r->filled);
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

int line_reader_open(const char *path, const struct line_reader_opts *opts,
		     struct line_reader **readerp)
{
	struct line_reader *r = calloc(1, sizeof(*r));
	struct stat st;
	unsigned i;
	int rc;

	if (!r)
		return -ENOMEM;
	r->file = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!r->file) {
		rc = -errno;
		free(r);
		return rc;
	}
	if (fstat(fileno(r->file), &st) == 0 && S_ISDIR(st.st_mode)) {
		line_reader_close(r);
		return -EISDIR;
	}
	rc = line_source_open(r->file, &r->src);
	if (rc) {
		line_reader_close(r);
		return rc;
	}
	/* Plain text needs no helper: reading it costs less than handing it over. */
	r->nslots = (opts && opts->no_thread) || strcmp(line_source_ops(r->src)->name, "plain") == 0
			    ? 1 : RING;
	for (i = 0; i < r->nslots; i++) {
		r->ring[i].data = malloc(CHUNK_SIZE);
		if (!r->ring[i].data) {
			line_reader_close(r);
			return -ENOMEM;
		}
	}
	if (r->nslots > 1) {
		pthread_mutex_init(&r->lock, NULL);
		pthread_cond_init(&r->filled, NULL);
		pthread_cond_init(&r->emptied, NULL);
		/* Without a thread the reader decompresses itself, one chunk at a time. */
		r->threaded = pthread_create(&r->thread, NULL, decompress_ahead, r) == 0;
		if (!r->threaded) {
			pthread_mutex_destroy(&r->lock);
			pthread_cond_destroy(&r->filled);
			pthread_cond_destroy(&r->emptied);
			r->nslots = 1;
		}
	}
	*readerp = r;
	return 0;
}

bool line_reader_threaded(const struct line_reader *r)
{
	return r->threaded;
}

void line_reader_close(struct line_reader *r)
{
	unsigned i;

	if (!r)
		return;
	if (r->threaded) {
		pthread_mutex_lock(&r->lock);
		r->stop = true;
		pthread_cond_signal(&r->emptied);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->thread, NULL);
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->filled);
		pthread_cond_destroy(&r->emptied);
	}
	line_source_close(r->src);
	if (r->file && r->file != stdin)
		fclose(r->file);
	for (i = 0; i < RING; i++)
		free(r->ring[i].data);
	free(r->line);
	free(r);
}

const char *line_reader_format(const struct line_reader *r)
{
	return line_source_ops(r->src)->name;
}

uint64_t line_reader_bytes(const struct line_reader *r)
{
	return r->bytes;
}

/* Hand the current chunk back and take the next; its status if there is none. */
static int next_chunk(struct line_reader *r)
{
	if (r->cur && r->cur->status != 0)
		return r->cur->status; /* the end, or the damage after its bytes */
	if (!r->threaded) {
		r->cur = &r->ring[0];
		r->cur->status = line_source_fill(r->src, r->cur->data, CHUNK_SIZE, &r->cur->len);
		r->pos = 0;
		return 0;
	}
	pthread_mutex_lock(&r->lock);
	if (r->cur) {
		r->head = (r->head + 1) % r->nslots;
		r->count--;
		pthread_cond_signal(&r->emptied);
	}
	while (r->count == 0)
		pthread_cond_wait(&r->filled, &r->lock);
	r->cur = &r->ring[r->head];
	pthread_mutex_unlock(&r->lock);
	r->pos = 0;
	return 0;
}

/* Append @n bytes to the joined line. */
static int join(struct line_reader *r, size_t have, const uint8_t *data, size_t n)
{
	if (have + n > r->line_cap) {
		size_t cap = r->line_cap ? r->line_cap : 256;
		char *grown;

		while (cap < have + n)
			cap *= 2;
		grown = realloc(r->line, cap);
		if (!grown)
			return -ENOMEM;
		r->line = grown;
		r->line_cap = cap;
	}
	memcpy(r->line + have, data, n);
	return 0;
}

int line_reader_next(struct line_reader *r, const char **line, size_t *len)
{
	size_t have = 0; /* bytes of this line already joined */

	if (r->final)
		return r->final < 0 ? r->final : 0;
	for (;;) {
		const uint8_t *data, *nl;
		size_t avail, n;
		int rc;

		if (!r->cur || r->pos == r->cur->len) {
			rc = next_chunk(r);
			if (rc) {
				r->final = rc;
				if (rc < 0 || have == 0)
					return rc < 0 ? rc : 0;
				*line = r->line; /* the last line had no newline */
				*len = have;
				return 1;
			}
			continue;
		}
		data = r->cur->data + r->pos;
		avail = r->cur->len - r->pos;
		nl = memchr(data, '\n', avail);
		n = nl ? (size_t)(nl - data) : avail;
		r->pos += n + (nl ? 1 : 0);
		r->bytes += n + (nl ? 1 : 0);
		if (nl && have == 0) {
			*line = (const char *)data; /* the whole line inside this chunk */
			*len = n;
			return 1;
		}
		rc = join(r, have, data, n);
		if (rc)
			return rc;
		have += n;
		if (nl) {
			*line = r->line;
			*len = have;
			return 1;
		}
	}
}
