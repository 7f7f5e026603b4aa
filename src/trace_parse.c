// SPDX-License-Identifier: MIT
/*
 * Parse one QEMU sPAPR IOMMU trace line. See src/trace_parse.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "trace_parse.h"

struct cursor {
	const char *p, *end;
};

static bool at_end(const struct cursor *c)
{
	return c->p == c->end;
}

/* The literal @s (of @n bytes) next (then skipped). */
static inline bool lit_n(struct cursor *c, const char *s, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* A string literal next. */
#define lit(c, s) lit_n(c, "" s "", sizeof(s) - 1)

/* Character classes: the low four bits hold a hex digit's value. */
enum { C_HEX = 0x10, C_DEC = 0x20, C_NAME = 0x40 };

static const uint8_t char_class[256] = {
	['0'] = C_NAME | C_DEC | C_HEX | 0, ['1'] = C_NAME | C_DEC | C_HEX | 1,
	['2'] = C_NAME | C_DEC | C_HEX | 2, ['3'] = C_NAME | C_DEC | C_HEX | 3,
	['4'] = C_NAME | C_DEC | C_HEX | 4, ['5'] = C_NAME | C_DEC | C_HEX | 5,
	['6'] = C_NAME | C_DEC | C_HEX | 6, ['7'] = C_NAME | C_DEC | C_HEX | 7,
	['8'] = C_NAME | C_DEC | C_HEX | 8, ['9'] = C_NAME | C_DEC | C_HEX | 9,
	['a'] = C_NAME | C_HEX | 10, ['b'] = C_NAME | C_HEX | 11, ['c'] = C_NAME | C_HEX | 12,
	['d'] = C_NAME | C_HEX | 13, ['e'] = C_NAME | C_HEX | 14, ['f'] = C_NAME | C_HEX | 15,
	['A'] = C_NAME | C_HEX | 10, ['B'] = C_NAME | C_HEX | 11, ['C'] = C_NAME | C_HEX | 12,
	['D'] = C_NAME | C_HEX | 13, ['E'] = C_NAME | C_HEX | 14, ['F'] = C_NAME | C_HEX | 15,
	['g'] = C_NAME, ['h'] = C_NAME, ['i'] = C_NAME, ['j'] = C_NAME, ['k'] = C_NAME,
	['l'] = C_NAME, ['m'] = C_NAME, ['n'] = C_NAME, ['o'] = C_NAME, ['p'] = C_NAME,
	['q'] = C_NAME, ['r'] = C_NAME, ['s'] = C_NAME, ['t'] = C_NAME, ['u'] = C_NAME,
	['v'] = C_NAME, ['w'] = C_NAME, ['x'] = C_NAME, ['y'] = C_NAME, ['z'] = C_NAME,
	['G'] = C_NAME, ['H'] = C_NAME, ['I'] = C_NAME, ['J'] = C_NAME, ['K'] = C_NAME,
	['L'] = C_NAME, ['M'] = C_NAME, ['N'] = C_NAME, ['O'] = C_NAME, ['P'] = C_NAME,
	['Q'] = C_NAME, ['R'] = C_NAME, ['S'] = C_NAME, ['T'] = C_NAME, ['U'] = C_NAME,
	['V'] = C_NAME, ['W'] = C_NAME, ['X'] = C_NAME, ['Y'] = C_NAME, ['Z'] = C_NAME,
	['_'] = C_NAME,
};

static unsigned cls(char ch)
{
	return char_class[(unsigned char)ch];
}

/* A 64-bit hex number with or without 0x; *@prefix says which (may be NULL). */
static inline bool hex(struct cursor *c, uint64_t *v, bool *prefix)
{
	bool pre = c->end - c->p >= 2 && c->p[0] == '0' && (c->p[1] == 'x' || c->p[1] == 'X');
	const char *s = c->p + (pre ? 2 : 0);
	const char *first = s;
	uint64_t x = 0;
	unsigned k;

	while (s < c->end && ((k = cls(*s)) & C_HEX)) {
		if (x >> 60)
			return false; /* more than 64 bits */
		x = (x << 4) | (k & 0xf);
		s++;
	}
	if (s == first)
		return false;
	c->p = s;
	*v = x;
	if (prefix)
		*prefix = pre;
	return true;
}

/* A signed decimal that fits in 64 bits. */
static bool dec(struct cursor *c, int64_t *v)
{
	const char *s = c->p;
	bool neg = s < c->end && *s == '-';
	uint64_t x = 0, limit;
	int digits = 0;

	s += neg;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	while (s < c->end && *s >= '0' && *s <= '9') {
		uint64_t d = (uint64_t)(*s - '0');

		if (x > (limit - d) / 10)
			return false;
		x = x * 10 + d;
		s++;
		digits++;
	}
	if (digits == 0)
		return false;
	c->p = s;
	*v = neg ? (int64_t)(0 - x) : (int64_t)x;
	return true;
}

/* An unsigned decimal. */
static bool udec(struct cursor *c, uint64_t *v)
{
	int64_t x;

	if (c->p < c->end && *c->p == '-')
		return false;
	if (!dec(c, &x))
		return false;
	*v = (uint64_t)x;
	return true;
}

/* "key" then a hex number. */
#define khex(c, key, v) (lit(c, key) && hex(c, v, NULL))

/* "key" then a signed decimal. */
#define kdec(c, key, v) (lit(c, key) && dec(c, v))

#define PREFIX "spapr_iommu_"
#define PREFIX_LEN (sizeof(PREFIX) - 1)

/* The events the replay checks, named without their common prefix. */
static const struct {
	const char *name;
	size_t len;
	enum tce_trace_event event;
} events[] = {
#define EV(name, event) {name, sizeof(name) - 1, event}
	EV("pci_put", TCE_TRACE_PUT),
	EV("put", TCE_TRACE_PUT),
	EV("pci_get", TCE_TRACE_GET),
	EV("get", TCE_TRACE_GET),
	EV("pci_indirect", TCE_TRACE_INDIRECT),
	EV("indirect", TCE_TRACE_INDIRECT),
	EV("pci_stuff", TCE_TRACE_STUFF),
	EV("stuff", TCE_TRACE_STUFF),
	EV("xlate", TCE_TRACE_XLATE),
	EV("new_table", TCE_TRACE_NEW_TABLE),
	EV("ddw_query", TCE_TRACE_DDW_QUERY),
	EV("ddw_create", TCE_TRACE_DDW_CREATE),
	EV("ddw_remove", TCE_TRACE_DDW_REMOVE),
	EV("ddw_reset", TCE_TRACE_DDW_RESET),
#undef EV
};

/* Which checked event @name (of @n bytes) is; false for any other. */
static bool event_of(const char *name, size_t n, struct tce_trace_rec *rec)
{
	size_t i;

	if (n <= PREFIX_LEN || memcmp(name, PREFIX, PREFIX_LEN) != 0)
		return false;
	name += PREFIX_LEN;
	n -= PREFIX_LEN;
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (events[i].len == n && memcmp(events[i].name, name, n) == 0) {
			rec->event = events[i].event;
			return true;
		}
	}
	return false;
}

/* The fields of each event, in QEMU's order; false when one is missing or malformed. */
static bool fields(struct cursor *c, struct tce_trace_rec *r)
{
	switch (r->event) {
	case TCE_TRACE_PUT:
		return khex(c, "liobn=", &r->liobn) && khex(c, " ioba=", &r->ioba) &&
		       khex(c, " tce=", &r->tce) && kdec(c, " ret=", &r->ret);
	case TCE_TRACE_GET:
		return khex(c, "liobn=", &r->liobn) && khex(c, " ioba=", &r->ioba) &&
		       kdec(c, " ret=", &r->ret) && khex(c, " tce=", &r->tce);
	case TCE_TRACE_INDIRECT:
		return khex(c, "liobn=", &r->liobn) && khex(c, " ioba=", &r->ioba) &&
		       khex(c, " tcelist=", &r->tcelist) && khex(c, " iobaN=", &r->ioba_n) &&
		       khex(c, " tceN=", &r->tce_n) && kdec(c, " ret=", &r->ret);
	case TCE_TRACE_STUFF:
		return khex(c, "liobn=", &r->liobn) && khex(c, " ioba=", &r->ioba) &&
		       khex(c, " tcevalue=", &r->value) && kdec(c, " npages=", &r->npages) &&
		       kdec(c, " ret=", &r->ret);
	case TCE_TRACE_XLATE:
		return lit(c, "liobn=") && hex(c, &r->liobn, &r->new_format) && lit(c, " ") &&
		       hex(c, &r->addr, NULL) && lit(c, " -> ") && hex(c, &r->target, NULL) &&
		       lit(c, " perm=") && udec(c, &r->perm) && khex(c, " mask=", &r->mask);
	case TCE_TRACE_NEW_TABLE: {
		uint64_t table; /* QEMU's pointer, printed with %p */
		int64_t fd;

		return khex(c, "liobn=", &r->liobn) && lit(c, " table=") &&
		       (lit(c, "(nil)") || hex(c, &table, NULL)) && kdec(c, " fd=", &fd);
	}
	case TCE_TRACE_DDW_QUERY:
		return khex(c, "buid=", &r->buid) && khex(c, " addr=", &r->cfg_addr) && lit(c, ", ") &&
		       udec(c, &r->windows) && lit(c, " windows available, max window size=") &&
		       hex(c, &r->max_size, NULL) && khex(c, ", mask=", &r->pgmask);
	case TCE_TRACE_DDW_CREATE:
		return khex(c, "buid=", &r->buid) && khex(c, " addr=", &r->cfg_addr) &&
		       khex(c, ", page size=", &r->page_size) &&
		       khex(c, ", requested=", &r->requested) && khex(c, ", start addr=", &r->start) &&
		       khex(c, ", liobn=", &r->liobn);
	case TCE_TRACE_DDW_REMOVE:
		return khex(c, "liobn=", &r->liobn);
	case TCE_TRACE_DDW_RESET:
		return khex(c, "buid=", &r->buid) && khex(c, " addr=", &r->cfg_addr);
	default:
		return false;
	}
}

/*
 * Eight bytes at a time: does any byte lie below 0x20 (NUL, tab, control) or
 * equal 0x7f? Only asked to explain a line that does not parse: the fields'
 * own readers already refuse such bytes.
 */
static bool has_control(const char *p, const char *end)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones << 7;
	uint64_t w;

	for (; end - p >= 8; p += 8) {
		memcpy(&w, p, 8);
		/* A byte below 0x20 borrows in w - 0x20..; a byte of 0x7f becomes 0 in w ^ 0x7f.. */
		if ((((w - 0x20 * ones) & ~w) | (((w ^ 0x7f * ones) - ones) & ~(w ^ 0x7f * ones))) &
		    highs)
			return true;
	}
	for (; p < end; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

int tce_trace_parse(const char *line, size_t len, struct tce_trace_rec *rec)
{
	struct cursor c = {line, line + len};
	const char *name;
	size_t i;

	memset(rec, 0, sizeof(*rec));
	rec->event = TCE_TRACE_EVENT_COUNT; /* not known yet */
	while (c.end > c.p && (c.end[-1] == '\n' || c.end[-1] == '\r'))
		c.end--;
	if (at_end(&c))
		return 1;
	/* <thread>@<seconds.micro>:<event> */
	for (i = 0; c.p < c.end && (cls(*c.p) & C_DEC); c.p++)
		i++;
	if (i == 0 || !lit(&c, "@")) {
		rec->why = "no '<thread>@' prefix";
		return -EINVAL;
	}
	while (c.p < c.end && ((cls(*c.p) & C_DEC) || *c.p == '.'))
		c.p++;
	if (!lit(&c, ":")) {
		rec->why = "no ':' after the timestamp";
		return -EINVAL;
	}
	name = c.p;
	while (c.p < c.end && (cls(*c.p) & C_NAME))
		c.p++;
	if (c.p == name || (c.p < c.end && *c.p != ' ')) {
		rec->why = "no event name";
		return -EINVAL;
	}
	if (!event_of(name, (size_t)(c.p - name), rec)) {
		rec->event = TCE_TRACE_OTHER;
		return 0; /* another event: counted and ignored */
	}
	if (!lit(&c, " ") || !fields(&c, rec)) {
		rec->why = has_control(line, c.end) ? "a NUL or control character in the line"
						    : "a field is missing or malformed";
		return -EINVAL;
	}
	if (!at_end(&c)) {
		rec->why = "unexpected text after the last field";
		return -EINVAL;
	}
	return 0;
}
