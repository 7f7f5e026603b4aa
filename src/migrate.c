// SPDX-License-Identifier: MIT
/*
 * Migration of a guest's IOMMU state: the pass stream, written and checked
 * and applied. See include/tce/migrate.h and docs/migration.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tce/migrate.h"
#include "alloc.h"
#include "crc32c.h"
#include "guest_migrate.h"
#include "u64map.h"

#define MAGIC "libtceM1"
#define HEADER_BYTES 24u
#define RECORD_HEADER 8u
#define RUN_BYTES 24u
#define MAX_PHBS 256u

enum record {
	REC_PROFILE = 1, /* u32 profile, u32 zero */
	REC_MEMSLOT = 2, /* u64 gpa, u64 size */
	REC_PHB = 3,     /* u32 index, u32 zero, then per slot: u32 liobn, u8 enabled, u8 def_win,
			    u8 page_shift, u8 zero, u64 bus_offset, u64 entries */
	REC_TABLE = 4,   /* u64 liobn, u64 generation, u32 page_shift, u32 zero, u64 offset, u64 size */
	REC_RUNS = 5,    /* u64 liobn, then runs: u64 index, u64 count, u64 tce */
	REC_END = 6,     /* u32 crc32c of every byte before this record, u32 records before it */
};
#define REC_OPTIONAL 0x80000000u /* records a reader may skip when it does not know them */
#define PHB_SLOT_BYTES 24u
#define PHB_BYTES (8u + PHB_SLOT_BYTES * TCE_PHB_WINDOWS)
#define TABLE_BYTES 40u
#define FLAG_FINAL 1u

struct tce_migration {
	bool source;
	bool finished;                /* the final pass is saved or loaded */
	struct tce_guest *guest;
	struct tce_phb *phbs[MAX_PHBS];
	unsigned nphbs;
	struct tce_migration_stats stats;
	struct tce_u64map applied;    /* destination: LIOBN -> source generation it holds */
	struct tce_u64map expected;   /* destination: LIOBNs of tables the VMM made to be filled */
};

/* ---- a growing little-endian byte buffer ---- */

struct out {
	uint8_t *data;
	size_t len, cap;
	int error;
	size_t runs_at;   /* the open RUNS record's header, or 0 */
	uint64_t runs_liobn;
	uint64_t nruns, nentries, records;
	unsigned page_shift;                 /* of the table whose runs come */
	bool pending;                        /* a run not written yet: the next may extend it */
	uint64_t run_index, run_count, run_tce;
};

static uint8_t *room(struct out *o, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		uint8_t *grown;

		if (o->error)
			return NULL;
		while (cap < o->len + n)
			cap *= 2;
		grown = tce_grow(o->data, cap);
		if (!grown) {
			o->error = -ENOMEM;
			return NULL;
		}
		o->data = grown;
		o->cap = cap;
	}
	o->len += n;
	return o->data + o->len - n;
}

static void put(uint8_t *at, uint64_t v, unsigned bytes)
{
	unsigned i;

	for (i = 0; i < bytes; i++)
		at[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t get(const uint8_t *at, unsigned bytes)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)at[i] << (8 * i);
	return v;
}

static void put_u32(struct out *o, uint32_t v)
{
	uint8_t *at = room(o, 4);

	if (at)
		put(at, v, 4);
}

/* A 64-bit little-endian word at @at (a plain store on a little-endian host). */
static inline void put_le64(uint8_t *at, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(at, &v, 8);
}

static void put_u64(struct out *o, uint64_t v)
{
	uint8_t *at = room(o, 8);

	if (at)
		put_le64(at, v);
}

/* Start a record; returns the offset of its length field. */
static size_t record(struct out *o, uint32_t type)
{
	size_t at = o->len;

	put_u32(o, type);
	put_u32(o, 0);
	o->records++;
	return at;
}

/* Close the record started at @at: its length is what was written since. */
static void record_end(struct out *o, size_t at)
{
	if (!o->error)
		put(o->data + at + 4, o->len - at - RECORD_HEADER, 4);
}

/* Write the pending run into the table's RUNS record. */
static void run_flush(struct out *o)
{
	uint8_t *at;

	if (!o->pending)
		return;
	if (!o->runs_at) {
		o->runs_at = record(o, REC_RUNS);
		put_u64(o, o->runs_liobn);
	}
	at = room(o, RUN_BYTES);
	if (at) {
		put_le64(at, o->run_index);
		put_le64(at + 8, o->run_count);
		put_le64(at + 16, o->run_tce);
	}
	o->nruns++;
	o->nentries += o->run_count;
	o->pending = false;
}

static void runs_close(struct out *o)
{
	run_flush(o);
	if (o->runs_at) {
		record_end(o, o->runs_at);
		o->runs_at = 0;
	}
}

/*
 * A run from the guest. The guest hands them out per storage page; one that
 * continues the pending one (the next index, the next page's TCE, or zeros
 * after zeros) extends it, so a window mapped 1:1 is one run.
 */
static int emit_run(void *ctx, uint64_t liobn, uint64_t index, uint64_t count, uint64_t tce)
{
	struct out *o = ctx;

	if (o->pending && index == o->run_index + o->run_count &&
	    (o->run_tce ? tce == o->run_tce + (o->run_count << o->page_shift) : tce == 0)) {
		o->run_count += count;
		return o->error;
	}
	run_flush(o);
	o->runs_liobn = liobn;
	o->pending = true;
	o->run_index = index;
	o->run_count = count;
	o->run_tce = tce;
	return o->error;
}

/* ---- the source ---- */

static int migration_new(struct tce_guest *guest, struct tce_phb *const *phbs, unsigned nphbs,
			 bool source, struct tce_migration **migp)
{
	struct tce_migration *m;

	if (migp)
		*migp = NULL;
	if (!guest || !migp || nphbs > MAX_PHBS || (nphbs && !phbs))
		return -EINVAL;
	m = tce_zalloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->source = source;
	m->guest = guest;
	m->nphbs = nphbs;
	if (nphbs)
		memcpy(m->phbs, phbs, nphbs * sizeof(*phbs));
	*migp = m;
	return 0;
}

int tce_migration_start(struct tce_guest *guest, struct tce_phb *const *phbs, unsigned nphbs,
			struct tce_migration **migp)
{
	int rc = migration_new(guest, phbs, nphbs, true, migp);

	if (rc == 0) {
		rc = guest_dirty_start(guest);
		if (rc) {
			tce_free(*migp);
			*migp = NULL;
		}
	}
	return rc;
}

/* The guest's memory slots: an array to free, and how many into @n. */
static uint64_t (*memslots(struct tce_guest *guest, size_t *n))[2]
{
	uint64_t(*slots)[2] = NULL;
	size_t want = guest_memslots(guest, NULL, 0);

	/* Slots are added by the VMM, not concurrently with a migration; retry if one was. */
	for (;;) {
		slots = tce_zalloc((want ? want : 1) * sizeof(*slots));
		if (!slots)
			return NULL;
		*n = guest_memslots(guest, slots, want);
		if (*n <= want)
			return slots;
		want = *n;
		tce_free(slots);
	}
}

static void save_state(struct tce_migration *m, struct out *o)
{
	uint64_t(*slots)[2];
	size_t n, i, at;
	unsigned p, w;

	at = record(o, REC_PROFILE);
	put_u32(o, (uint32_t)tce_guest_profile(m->guest));
	put_u32(o, 0);
	record_end(o, at);
	slots = memslots(m->guest, &n);
	if (!slots) {
		o->error = -ENOMEM;
		return;
	}
	for (i = 0; i < n; i++) {
		at = record(o, REC_MEMSLOT);
		put_u64(o, slots[i][0]);
		put_u64(o, slots[i][1]);
		record_end(o, at);
	}
	tce_free(slots);
	for (p = 0; p < m->nphbs; p++) {
		struct tce_phb_config cfg;

		if (!m->phbs[p])
			continue;
		tce_phb_config_get(m->phbs[p], &cfg);
		at = record(o, REC_PHB);
		put_u32(o, cfg.index);
		put_u32(o, 0);
		for (w = 0; w < TCE_PHB_WINDOWS; w++) {
			struct tce_phb_window win;
			uint8_t *b;

			tce_phb_window(m->phbs[p], w, &win);
			put_u32(o, win.liobn);
			b = room(o, 4);
			if (b) {
				b[0] = win.enabled;
				b[1] = win.def_win;
				b[2] = (uint8_t)win.page_shift;
				b[3] = 0;
			}
			put_u64(o, win.bus_offset);
			put_u64(o, win.entries);
		}
		record_end(o, at);
	}
}

/* A table's record; its runs follow. */
static int emit_table(void *ctx, const struct guest_table_desc *t)
{
	struct out *o = ctx;
	size_t at;

	runs_close(o);
	o->page_shift = t->page_shift;
	o->runs_liobn = t->liobn;
	at = record(o, REC_TABLE);
	put_u64(o, t->liobn);
	put_u64(o, t->generation);
	put_u32(o, t->page_shift);
	put_u32(o, 0);
	put_u64(o, t->offset);
	put_u64(o, t->size);
	record_end(o, at);
	return o->error;
}

int tce_migration_save(struct tce_migration *m, bool final, void **stream, size_t *len)
{
	struct out o = {0};
	uint8_t *h;
	size_t at;
	int rc;

	if (!m || !m->source || m->finished || !stream || !len)
		return -EINVAL;
	h = room(&o, HEADER_BYTES);
	if (h) {
		memcpy(h, MAGIC, 8);
		put(h + 8, TCE_MIGRATION_VERSION, 4);
		put(h + 12, final ? FLAG_FINAL : 0, 4);
		put(h + 16, m->stats.passes, 8);
	}
	save_state(m, &o);
	/* Tables and their runs in one walk under the guest's lock: each run has its table. */
	rc = o.error ? o.error
		     : guest_emit_runs(m->guest, m->stats.passes > 0, emit_table, emit_run, &o);
	runs_close(&o);
	if (rc == 0 && !o.error) {
		uint32_t crc = tce_crc32c(o.data, o.len);
		uint64_t records = o.records;

		at = record(&o, REC_END);
		put_u32(&o, crc);
		put_u32(&o, (uint32_t)records);
		record_end(&o, at);
	}
	rc = rc ? rc : o.error;
	if (rc) {
		/* The walk may have cleared marks of chunks this pass will never carry. */
		guest_dirty_mark_all(m->guest);
		tce_free(o.data);
		return rc;
	}
	m->stats.passes++;
	m->stats.bytes += o.len;
	m->stats.last_bytes = o.len;
	m->stats.last_runs = o.nruns;
	m->stats.last_entries = o.nentries;
	m->finished = final;
	*stream = o.data;
	*len = o.len;
	return 0;
}

void tce_migration_free_stream(void *stream)
{
	tce_free(stream);
}

/* ---- the destination: parse and check ---- */

struct pass {
	const uint8_t *data;
	size_t len;
	bool final;
	uint32_t profile;
	bool have_profile;
	size_t nslots, nphbs, ntables, nruns;
	const uint8_t *phb[MAX_PHBS];
	const uint8_t **slots;  /* MEMSLOT record payloads */
	const uint8_t **tables; /* TABLE record payloads */
	struct {
		const uint8_t *payload;
		size_t len;
	} *runs;                /* RUNS records */
	size_t slots_cap, tables_cap, runs_cap;
	struct tce_u64map by_liobn; /* LIOBN -> index in tables (check() fills it) */
};

static const uint8_t *table_of(const struct pass *ps, uint64_t liobn)
{
	uint64_t i;

	return tce_u64map_get(&ps->by_liobn, liobn, &i) ? ps->tables[i] : NULL;
}

/* The PHB window of the pass that owns @liobn, or NULL. */
static const uint8_t *phb_window_of(const struct pass *ps, uint64_t liobn)
{
	size_t i;
	unsigned w;

	for (i = 0; i < ps->nphbs; i++)
		for (w = 0; w < TCE_PHB_WINDOWS; w++) {
			const uint8_t *s = ps->phb[i] + 8 + w * PHB_SLOT_BYTES;

			if (s[4] && get(s, 4) == liobn)
				return s;
		}
	return NULL;
}

/* The windows of a PHB record. */
static void phb_windows(const uint8_t *rec, struct tce_phb_window win[TCE_PHB_WINDOWS])
{
	unsigned w;

	for (w = 0; w < TCE_PHB_WINDOWS; w++) {
		const uint8_t *s = rec + 8 + w * PHB_SLOT_BYTES;

		win[w] = (struct tce_phb_window){.enabled = s[4] != 0,
						 .liobn = (uint32_t)get(s, 4),
						 .bus_offset = get(s + 8, 8),
						 .page_shift = s[6],
						 .entries = get(s + 16, 8),
						 .def_win = s[5] != 0};
	}
}

static void pass_free(struct pass *ps)
{
	tce_free(ps->slots);
	tce_free(ps->tables);
	tce_free(ps->runs);
	tce_u64map_free(&ps->by_liobn);
}

/* Split the stream into records and check its framing and checksum. */
static int parse(struct tce_migration *m, const uint8_t *data, size_t len, struct pass *ps)
{
	size_t at = HEADER_BYTES, records = 0;
	uint32_t version;

	memset(ps, 0, sizeof(*ps));
	ps->data = data;
	ps->len = len;
	if (!data || len < HEADER_BYTES || memcmp(data, MAGIC, 8) != 0)
		return -EINVAL;
	version = (uint32_t)get(data + 8, 4);
	if (version == 0)
		return -EINVAL;
	if (version > TCE_MIGRATION_VERSION)
		return -EPROTO;
	if ((get(data + 12, 4) & ~(uint64_t)FLAG_FINAL) || get(data + 16, 8) != m->stats.passes)
		return -EINVAL; /* unknown flags, or a pass out of order */
	ps->final = get(data + 12, 4) & FLAG_FINAL;
	for (;;) {
		uint32_t type, rlen;
		const uint8_t *p;
		int rc = 0;

		if (len - at < RECORD_HEADER)
			return -EINVAL;
		type = (uint32_t)get(data + at, 4);
		rlen = (uint32_t)get(data + at + 4, 4);
		p = data + at + RECORD_HEADER;
		if (rlen > len - at - RECORD_HEADER)
			return -EINVAL;
		switch (type) {
		case REC_END:
			if (rlen != 8 || at + RECORD_HEADER + rlen != len ||
			    get(p, 4) != tce_crc32c(data, at) || get(p + 4, 4) != records)
				return -EINVAL;
			return 0;
		case REC_PROFILE:
			if (rlen != 8 || ps->have_profile)
				return -EINVAL;
			ps->profile = (uint32_t)get(p, 4);
			ps->have_profile = true;
			break;
		case REC_MEMSLOT:
			if (rlen != 16)
				return -EINVAL;
			rc = tce_array_reserve((void **)&ps->slots, &ps->slots_cap, ps->nslots + 1,
					       sizeof(*ps->slots));
			if (rc == 0)
				ps->slots[ps->nslots++] = p;
			break;
		case REC_PHB:
			if (rlen != PHB_BYTES || ps->nphbs == MAX_PHBS)
				return -EINVAL;
			ps->phb[ps->nphbs++] = p;
			break;
		case REC_TABLE:
			if (rlen != TABLE_BYTES)
				return -EINVAL;
			rc = tce_array_reserve((void **)&ps->tables, &ps->tables_cap, ps->ntables + 1,
					       sizeof(*ps->tables));
			if (rc == 0)
				ps->tables[ps->ntables++] = p;
			break;
		case REC_RUNS:
			if (rlen < 8 || (rlen - 8) % RUN_BYTES)
				return -EINVAL;
			rc = tce_array_reserve((void **)&ps->runs, &ps->runs_cap, ps->nruns + 1,
					       sizeof(*ps->runs));
			if (rc == 0) {
				ps->runs[ps->nruns].payload = p;
				ps->runs[ps->nruns++].len = rlen;
			}
			break;
		default:
			if (!(type & REC_OPTIONAL))
				return -EINVAL; /* a record this version must understand */
			break;
		}
		if (rc)
			return rc;
		at += RECORD_HEADER + rlen;
		records++;
	}
}

/* Whether @slots (sorted by address) cover [gpa, gpa + size), one or several together. */
static bool slot_covered(uint64_t (*slots)[2], size_t n, uint64_t gpa, uint64_t size)
{
	uint64_t at = gpa, end = gpa + size; /* gpa + size fits: the source had that slot */
	size_t i;

	if (size > UINT64_MAX - gpa)
		return false;
	for (i = 0; i < n && at < end; i++)
		if (slots[i][0] <= at && at - slots[i][0] < slots[i][1])
			at = slots[i][0] + slots[i][1];
	return at >= end;
}

/* Whether the pass fits the destination; nothing is changed. */
static int check(struct tce_migration *m, struct pass *ps)
{
	size_t i;
	unsigned w;
	int rc;

	uint64_t(*slots)[2];
	size_t nslots;
	bool covered = true;

	if (!ps->have_profile || ps->profile != (uint32_t)tce_guest_profile(m->guest))
		return -EINVAL;
	slots = memslots(m->guest, &nslots);
	if (!slots)
		return -ENOMEM;
	for (i = 0; covered && i < ps->nslots; i++)
		covered = slot_covered(slots, nslots, get(ps->slots[i], 8), get(ps->slots[i] + 8, 8));
	tce_free(slots);
	if (!covered)
		return -EINVAL; /* guest memory the destination does not have */
	for (i = 0; i < ps->nphbs; i++) {
		uint64_t index = get(ps->phb[i], 4);
		struct tce_phb_window win[TCE_PHB_WINDOWS];

		if (index >= m->nphbs || !m->phbs[index])
			return -EINVAL;
		for (w = 0; w < i; w++)
			if (get(ps->phb[w], 4) == index)
				return -EINVAL; /* the same PHB twice */
		phb_windows(ps->phb[i], win);
		for (w = 0; w < TCE_PHB_WINDOWS; w++) {
			struct tce_phb_window have;

			if (win[w].liobn != tce_liobn_pci((unsigned)index, w) ||
			    ps->phb[i][8 + w * PHB_SLOT_BYTES + 4] > 1 ||
			    ps->phb[i][8 + w * PHB_SLOT_BYTES + 5] > 1)
				return -EINVAL;
			/* A window to enable whose LIOBN is a table of the destination's own. */
			tce_phb_window(m->phbs[index], w, &have);
			if (win[w].enabled && !have.enabled &&
			    !tce_u64map_get(&m->applied, win[w].liobn, NULL) &&
			    guest_table_generation(m->guest, win[w].liobn))
				return -EINVAL;
		}
		if (tce_phb_check_windows(m->phbs[index], win))
			return -EINVAL; /* a window this PHB cannot have */
	}
	for (i = 0; i < ps->ntables; i++) {
		const uint8_t *t = ps->tables[i], *win;
		uint64_t liobn = get(t, 8), shift = get(t + 16, 4), offset = get(t + 24, 8),
			 size = get(t + 32, 8);

		if (liobn >> 32 || shift < 12 || shift > 34 || size == 0 ||
		    offset > (UINT64_MAX >> shift) || size - 1 > (UINT64_MAX >> shift) - offset)
			return -EINVAL;
		if (tce_u64map_get(&ps->by_liobn, liobn, NULL))
			return -EINVAL; /* twice in one pass */
		rc = tce_u64map_put(&ps->by_liobn, liobn, i);
		if (rc)
			return rc;
		/* A PHB window's table has the window's shape. */
		win = phb_window_of(ps, liobn);
		if (win && (shift != win[6] || offset != get(win + 8, 8) >> shift ||
			    size != get(win + 16, 8)))
			return -EINVAL;
		/* A table the VMM made to receive this one: the same shape, every pass. */
		if (tce_u64map_get(&m->expected, liobn, NULL)) {
			struct tce_guest_table_info have;

			if (tce_guest_table_info(m->guest, liobn, &have) || have.page_shift != shift ||
			    have.offset != offset || have.size != size)
				return -EINVAL;
			continue;
		}
		/* A table of the destination's own, not from an earlier pass nor a PHB window: a clash. */
		if (!phb_window_of(ps, liobn) && !tce_u64map_get(&m->applied, liobn, NULL) &&
		    guest_table_generation(m->guest, liobn))
			return -EINVAL;
	}
	for (i = 0; i < ps->nruns; i++) {
		const uint8_t *t = table_of(ps, get(ps->runs[i].payload, 8));
		size_t k, n = (ps->runs[i].len - 8) / RUN_BYTES;

		if (!t)
			return -EINVAL;
		for (k = 0; k < n; k++) {
			const uint8_t *r = ps->runs[i].payload + 8 + k * RUN_BYTES;
			uint64_t index = get(r, 8), count = get(r + 8, 8), size = get(t + 32, 8);

			if (count == 0 || index >= size || count > size - index)
				return -EINVAL;
		}
	}
	return 0;
}

/* ---- the destination: apply ---- */

/* The runs of one RUNS record, handed to guest_write_runs() one by one. */
struct run_reader {
	const uint8_t *runs;
	size_t n, next;
	struct tce_migration *m;
};

static bool next_run(void *ctx, uint64_t *index, uint64_t *count, uint64_t *tce)
{
	struct run_reader *rd = ctx;
	const uint8_t *r;

	if (rd->next == rd->n)
		return false;
	r = rd->runs + rd->next++ * RUN_BYTES;
	*index = get(r, 8);
	*count = get(r + 8, 8);
	*tce = get(r + 16, 8);
	rd->m->stats.last_runs++;
	rd->m->stats.last_entries += *count;
	return true;
}

static int apply(struct tce_migration *m, const struct pass *ps)
{
	uint64_t liobn, gen;
	size_t i, pos;
	int rc;

	/* 1. PHB windows (they create and remove their own tables). */
	for (i = 0; i < ps->nphbs; i++) {
		struct tce_phb_window win[TCE_PHB_WINDOWS];

		phb_windows(ps->phb[i], win);
		rc = tce_phb_set_windows(m->phbs[get(ps->phb[i], 4)], win);
		if (rc)
			return rc;
	}
	/* 2. Tables an earlier pass created that are gone now. */
	pos = 0;
	while (tce_u64map_next(&m->applied, &pos, &liobn, NULL)) {
		if (table_of(ps, liobn))
			continue;
		if (tce_u64map_get(&m->expected, liobn, NULL))
			tce_guest_reset_table(m->guest, liobn); /* the VMM's own: emptied, kept */
		else if (!phb_window_of(ps, liobn))
			tce_guest_remove_table(m->guest, liobn);
		tce_u64map_remove(&m->applied, liobn, NULL);
		pos = 0; /* the map changed: walk again */
	}
	/*
	 * 3. Tables: created, or emptied when the source created them anew. A
	 * table is in the map exactly when it exists here with that generation,
	 * so a pass that failed (-ENOMEM) can be loaded again.
	 */
	for (i = 0; i < ps->ntables; i++) {
		const uint8_t *t = ps->tables[i];
		uint64_t applied_gen;
		bool have, expected;

		liobn = get(t, 8);
		gen = get(t + 8, 8);
		have = tce_u64map_get(&m->applied, liobn, &applied_gen);
		if (have && applied_gen == gen)
			continue;
		expected = tce_u64map_get(&m->expected, liobn, NULL);
		if (expected || phb_window_of(ps, liobn)) {
			/* Kept as it is, emptied when the source made it anew (or first, when the VMM made it). */
			if (have || expected)
				tce_guest_reset_table(m->guest, liobn);
			rc = tce_u64map_put(&m->applied, liobn, gen);
			if (rc)
				return rc;
			continue;
		}
		if (have) {
			tce_guest_remove_table(m->guest, liobn);
			tce_u64map_remove(&m->applied, liobn, NULL);
		}
		rc = tce_u64map_put(&m->applied, liobn, gen);
		if (rc)
			return rc;
		rc = tce_guest_create_table(m->guest, liobn, (unsigned)get(t + 16, 4),
					    get(t + 24, 8), get(t + 32, 8));
		if (rc) {
			tce_u64map_remove(&m->applied, liobn, NULL);
			return rc;
		}
	}
	/* 4. Entries, a RUNS record at a time. */
	for (i = 0; i < ps->nruns; i++) {
		struct run_reader rd = {ps->runs[i].payload + 8, (ps->runs[i].len - 8) / RUN_BYTES, 0, m};

		rc = guest_write_runs(m->guest, get(ps->runs[i].payload, 8), next_run, &rd);
		if (rc)
			return rc;
	}
	return 0;
}

int tce_migration_accept(struct tce_guest *guest, struct tce_phb *const *phbs, unsigned nphbs,
			 struct tce_migration **migp)
{
	return migration_new(guest, phbs, nphbs, false, migp);
}

int tce_migration_expect_table(struct tce_migration *m, uint64_t liobn)
{
	struct tce_guest_table_info info;

	if (!m || m->source || m->stats.passes || m->finished)
		return -EINVAL;
	if (tce_guest_table_info(m->guest, liobn, &info))
		return -ENOENT;
	return tce_u64map_put(&m->expected, liobn, 1);
}

int tce_migration_load(struct tce_migration *m, const void *stream, size_t len)
{
	struct pass ps;
	int rc;

	if (!m || m->source || m->finished)
		return -EINVAL;
	rc = parse(m, stream, len, &ps);
	if (rc == 0)
		rc = check(m, &ps);
	if (rc == 0) {
		m->stats.last_runs = 0;
		m->stats.last_entries = 0;
		rc = apply(m, &ps);
	}
	if (rc == 0) {
		m->stats.passes++;
		m->stats.bytes += len;
		m->stats.last_bytes = len;
		m->finished = ps.final;
	}
	pass_free(&ps);
	return rc;
}

void tce_migration_stats(const struct tce_migration *m, struct tce_migration_stats *stats)
{
	*stats = m->stats;
}

void tce_migration_done(struct tce_migration *m)
{
	if (!m)
		return;
	if (m->source)
		guest_dirty_stop(m->guest);
	tce_u64map_free(&m->applied);
	tce_u64map_free(&m->expected);
	tce_free(m);
}
