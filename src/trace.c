// SPDX-License-Identifier: MIT
/*
 * Replay of QEMU sPAPR IOMMU trace logs. See include/tce/trace.h.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tce/trace.h"
#include "alloc.h"

#define MAX_LINE 1024
#define MAX_PHBS 256
/* A VIO table seen only through new_table: 4 GiB of 4 KiB pages from bus 0 (an assumption). */
#define VIO_TABLE_ENTRIES (UINT64_C(1) << 20)

struct tce_replay {
	struct tce_replay_config cfg;
	struct tce_account *account;
	struct tce_guest *guest;
	struct tce_phb *phbs[MAX_PHBS];
	struct tce_replay_stats stats;
	struct tce_replay_problem *problems;
	size_t nproblems;
	/* The H_PUT_TCE_INDIRECT list being served as guest memory, host order. */
	uint64_t list_gpa;
	uint64_t list_n;
	uint64_t list[TCE_HCALL_MAX_COUNT];
};

static const char *const event_names[TCE_TRACE_EVENT_COUNT] = {
	[TCE_TRACE_PUT] = "spapr_iommu_pci_put",
	[TCE_TRACE_GET] = "spapr_iommu_pci_get",
	[TCE_TRACE_INDIRECT] = "spapr_iommu_pci_indirect",
	[TCE_TRACE_STUFF] = "spapr_iommu_pci_stuff",
	[TCE_TRACE_XLATE] = "spapr_iommu_xlate",
	[TCE_TRACE_NEW_TABLE] = "spapr_iommu_new_table",
	[TCE_TRACE_DDW_QUERY] = "spapr_iommu_ddw_query",
	[TCE_TRACE_DDW_CREATE] = "spapr_iommu_ddw_create",
	[TCE_TRACE_DDW_REMOVE] = "spapr_iommu_ddw_remove",
	[TCE_TRACE_DDW_RESET] = "spapr_iommu_ddw_reset",
	[TCE_TRACE_OTHER] = "other",
};

const char *tce_trace_event_name(enum tce_trace_event event)
{
	return (unsigned)event < TCE_TRACE_EVENT_COUNT ? event_names[event] : "unknown";
}

static enum tce_trace_event event_of(const char *name)
{
	static const struct {
		const char *name;
		enum tce_trace_event event;
	} names[] = {
		{"spapr_iommu_pci_put", TCE_TRACE_PUT},
		{"spapr_iommu_put", TCE_TRACE_PUT},
		{"spapr_iommu_pci_get", TCE_TRACE_GET},
		{"spapr_iommu_get", TCE_TRACE_GET},
		{"spapr_iommu_pci_indirect", TCE_TRACE_INDIRECT},
		{"spapr_iommu_indirect", TCE_TRACE_INDIRECT},
		{"spapr_iommu_pci_stuff", TCE_TRACE_STUFF},
		{"spapr_iommu_stuff", TCE_TRACE_STUFF},
		{"spapr_iommu_xlate", TCE_TRACE_XLATE},
		{"spapr_iommu_new_table", TCE_TRACE_NEW_TABLE},
		{"spapr_iommu_ddw_query", TCE_TRACE_DDW_QUERY},
		{"spapr_iommu_ddw_create", TCE_TRACE_DDW_CREATE},
		{"spapr_iommu_ddw_remove", TCE_TRACE_DDW_REMOVE},
		{"spapr_iommu_ddw_reset", TCE_TRACE_DDW_RESET},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0)
			return names[i].event;
	return TCE_TRACE_OTHER;
}

static int read_list(void *opaque, uint64_t gpa, void *buf, uint64_t len)
{
	struct tce_replay *r = opaque;
	uint8_t *out = buf;
	uint64_t i;

	if (gpa < r->list_gpa || gpa - r->list_gpa + len > r->list_n * 8)
		return -EFAULT;
	for (i = 0; i < len; i++) {
		uint64_t byte = gpa - r->list_gpa + i;
		uint64_t v = r->list[byte / 8];

		out[i] = (uint8_t)(v >> (56 - 8 * (byte % 8))); /* big-endian, as in guest memory */
	}
	return 0;
}

int tce_replay_create(const struct tce_replay_config *config, struct tce_replay **replayp)
{
	struct tce_guest_config gcfg;
	struct tce_replay *r;
	int rc;

	if (!tce_hcall_rules_get(config->profile))
		return -EINVAL;
	r = tce_zalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *config;
	if (r->cfg.keep_problems == 0)
		r->cfg.keep_problems = 10;
	r->problems = tce_zalloc(r->cfg.keep_problems * sizeof(*r->problems));
	rc = r->problems ? tce_account_create(TCE_ACCOUNT_UNLIMITED, &r->account) : -ENOMEM;
	if (rc == 0) {
		gcfg = (struct tce_guest_config){config->profile, r->account, read_list, r};
		rc = tce_guest_create(&gcfg, &r->guest);
	}
	if (rc) {
		tce_account_destroy(r->account);
		tce_free(r->problems);
		tce_free(r);
		return rc;
	}
	*replayp = r;
	return 0;
}

void tce_replay_destroy(struct tce_replay *replay)
{
	unsigned i;

	if (!replay)
		return;
	for (i = 0; i < MAX_PHBS; i++)
		tce_phb_destroy(replay->phbs[i]);
	tce_guest_destroy(replay->guest);
	tce_account_destroy(replay->account);
	tce_free(replay->problems);
	tce_free(replay);
}

void tce_replay_stats(const struct tce_replay *replay, struct tce_replay_stats *stats)
{
	*stats = replay->stats;
}

size_t tce_replay_problems(const struct tce_replay *replay,
			   const struct tce_replay_problem **problems)
{
	*problems = replay->problems;
	return replay->nproblems;
}

struct tce_guest *tce_replay_guest(struct tce_replay *replay)
{
	return replay->guest;
}

struct tce_account *tce_replay_account(struct tce_replay *replay)
{
	return replay->account;
}

struct tce_phb *tce_replay_phb(struct tce_replay *replay, unsigned index)
{
	return index < MAX_PHBS ? replay->phbs[index] : NULL;
}

/* ---- recording ---- */

/* Copy a NUL-terminated string into dst, cutting it to fit. */
static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void keep_problem(struct tce_replay *r, const char *line, uint64_t line_no,
			 const char *fmt, va_list ap)
{
	struct tce_replay_problem *p;

	if (r->nproblems == r->cfg.keep_problems)
		return;
	p = &r->problems[r->nproblems++];
	p->line_no = line_no;
	copy_cut(p->line, sizeof(p->line), line);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
}

/* Count a comparison; on a mismatch keep it. Returns 0 matched, 1 mismatched. */
static int verdict(struct tce_replay *r, enum tce_trace_event ev, const char *line, uint64_t line_no,
		   bool ok, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int verdict(struct tce_replay *r, enum tce_trace_event ev, const char *line, uint64_t line_no,
		   bool ok, const char *fmt, ...)
{
	va_list ap;

	r->stats.events[ev].checked++;
	if (ok) {
		r->stats.events[ev].matched++;
		return 0;
	}
	r->stats.mismatches++;
	va_start(ap, fmt);
	keep_problem(r, line, line_no, fmt, ap);
	va_end(ap);
	return 1;
}

static int unparsable(struct tce_replay *r, const char *line, uint64_t line_no, const char *why)
{
	struct tce_replay_problem *p;

	r->stats.unparsable++;
	if (r->nproblems < r->cfg.keep_problems) {
		p = &r->problems[r->nproblems++];
		p->line_no = line_no;
		copy_cut(p->line, sizeof(p->line), line);
		snprintf(p->what, sizeof(p->what), "unparsable: %s", why);
	}
	return -EINVAL;
}

/* ---- fields ---- */

/* The value after "key" (which includes its '=' or ' '), at the start or after a space/comma. */
static const char *find_key(const char *args, const char *key)
{
	const char *p = args;
	size_t klen = strlen(key);

	while ((p = strstr(p, key)) != NULL) {
		if (p == args || p[-1] == ' ' || p[-1] == ',')
			return p + klen;
		p += klen;
	}
	return NULL;
}

/* Hex with or without 0x (QEMU's older format). */
static bool parse_hex(const char *s, uint64_t *v, bool *had_prefix)
{
	char *end;

	if (!s)
		return false;
	if (had_prefix)
		*had_prefix = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!isxdigit((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtoull(s, &end, 16);
	return errno == 0 && (*end == '\0' || *end == ' ' || *end == ',');
}

static bool parse_dec(const char *s, int64_t *v)
{
	char *end;

	if (!s || !(isdigit((unsigned char)*s) || *s == '-'))
		return false;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno == 0 && (*end == '\0' || *end == ' ' || *end == ',');
}

static bool field_hex(const char *args, const char *key, uint64_t *v)
{
	return parse_hex(find_key(args, key), v, NULL);
}

static bool field_dec(const char *args, const char *key, int64_t *v)
{
	return parse_dec(find_key(args, key), v);
}

/* ---- model helpers ---- */

static struct tce_phb *phb_for_index(struct tce_replay *r, unsigned index)
{
	struct tce_phb_config cfg;

	if (index >= MAX_PHBS)
		return NULL;
	if (!r->phbs[index]) {
		tce_phb_config_default(&cfg, index);
		if (tce_phb_create(r->guest, &cfg, &r->phbs[index]) != 0)
			r->phbs[index] = NULL;
	}
	return r->phbs[index];
}

/* Make sure the PHB a PCI LIOBN belongs to exists. */
static void touch_liobn(struct tce_replay *r, uint64_t liobn)
{
	if (tce_liobn_is_pci(liobn))
		phb_for_index(r, tce_liobn_phb(liobn));
}

static bool table_of(struct tce_replay *r, uint64_t liobn, struct tce_guest_table_info *info)
{
	return tce_guest_table_info(r->guest, liobn, info) == 0;
}

static unsigned log2_exact(uint64_t v)
{
	return (v && !(v & (v - 1))) ? 63u - (unsigned)__builtin_clzll(v) : 64u;
}

/* ---- events ---- */

static int replay_put(struct tce_replay *r, const char *args, const char *line, uint64_t no)
{
	uint64_t liobn, ioba, tce;
	int64_t ret;
	long rc;

	if (!field_hex(args, "liobn=", &liobn) || !field_hex(args, "ioba=", &ioba) ||
	    !field_hex(args, "tce=", &tce) || !field_dec(args, "ret=", &ret))
		return unparsable(r, line, no, "put needs liobn, ioba, tce, ret");
	touch_liobn(r, liobn);
	rc = tce_h_put_tce(r->guest, liobn, ioba, tce);
	return verdict(r, TCE_TRACE_PUT, line, no, rc == ret, "H_PUT_TCE returned %ld, trace says %" PRId64,
		       rc, ret);
}

static int replay_get(struct tce_replay *r, const char *args, const char *line, uint64_t no)
{
	uint64_t liobn, ioba, tce, got = 0;
	int64_t ret;
	long rc;

	if (!field_hex(args, "liobn=", &liobn) || !field_hex(args, "ioba=", &ioba) ||
	    !field_dec(args, "ret=", &ret) || !field_hex(args, "tce=", &tce))
		return unparsable(r, line, no, "get needs liobn, ioba, ret, tce");
	touch_liobn(r, liobn);
	rc = tce_h_get_tce(r->guest, liobn, ioba, &got);
	return verdict(r, TCE_TRACE_GET, line, no, rc == ret && (rc != TCE_H_SUCCESS || got == tce),
		       "H_GET_TCE returned %ld tce=0x%" PRIx64 ", trace says %" PRId64 " tce=0x%" PRIx64,
		       rc, got, ret, tce);
}

static int replay_indirect(struct tce_replay *r, const char *args, const char *line, uint64_t no)
{
	uint64_t liobn, ioba, list, last, tce_last, i, page;
	struct tce_guest_table_info info;
	int64_t ret;
	long rc;

	if (!field_hex(args, "liobn=", &liobn) || !field_hex(args, "ioba=", &ioba) ||
	    !field_hex(args, "tcelist=", &list) || !field_hex(args, "iobaN=", &last) ||
	    !field_hex(args, "tceN=", &tce_last) || !field_dec(args, "ret=", &ret))
		return unparsable(r, line, no, "indirect needs liobn, ioba, tcelist, iobaN, tceN, ret");
	touch_liobn(r, liobn);
	if (ret != TCE_H_SUCCESS) {
		r->stats.events[TCE_TRACE_INDIRECT].unverified++;
		return 0;
	}
	if (!table_of(r, liobn, &info))
		return verdict(r, TCE_TRACE_INDIRECT, line, no, false,
			       "no table for liobn 0x%" PRIx64, liobn);
	if (last >= TCE_HCALL_MAX_COUNT)
		return verdict(r, TCE_TRACE_INDIRECT, line, no, false,
			       "iobaN=%" PRIu64 " means more than 512 entries", last);
	/* Rebuild the list: physically contiguous pages ending at tceN. */
	page = UINT64_C(1) << info.page_shift;
	for (i = 0; i <= last; i++)
		r->list[i] = tce_last - (last - i) * page;
	r->list_gpa = list;
	r->list_n = last + 1;
	rc = tce_h_put_tce_indirect(r->guest, liobn, ioba, list, last + 1);
	r->list_n = 0;
	return verdict(r, TCE_TRACE_INDIRECT, line, no, rc == ret,
		       "H_PUT_TCE_INDIRECT of %" PRIu64 " entries returned %ld, trace says %" PRId64,
		       last + 1, rc, ret);
}

static int replay_stuff(struct tce_replay *r, const char *args, const char *line, uint64_t no)
{
	uint64_t liobn, end, value;
	struct tce_guest_table_info info;
	int64_t npages, ret;
	long rc;

	if (!field_hex(args, "liobn=", &liobn) || !field_hex(args, "ioba=", &end) ||
	    !field_hex(args, "tcevalue=", &value) || !field_dec(args, "npages=", &npages) ||
	    !field_dec(args, "ret=", &ret))
		return unparsable(r, line, no, "stuff needs liobn, ioba, tcevalue, npages, ret");
	touch_liobn(r, liobn);
	if (ret != TCE_H_SUCCESS || npages <= 0) {
		r->stats.events[TCE_TRACE_STUFF].unverified++;
		return 0;
	}
	if (!table_of(r, liobn, &info))
		return verdict(r, TCE_TRACE_STUFF, line, no, false, "no table for liobn 0x%" PRIx64,
			       liobn);
	/* The logged ioba is just past the last page written. */
	rc = tce_h_stuff_tce(r->guest, liobn, end - ((uint64_t)npages << info.page_shift), value,
			     (uint64_t)npages);
	return verdict(r, TCE_TRACE_STUFF, line, no, rc == ret,
		       "H_STUFF_TCE of %" PRId64 " pages returned %ld, trace says %" PRId64, npages, rc,
		       ret);
}

static int replay_xlate(struct tce_replay *r, const char *args, const char *line, uint64_t no)
{
	uint64_t liobn, rel, target, mask;
	int64_t perm;
	struct tce_guest_table_info info;
	struct tce_guest_xlate x;
	const char *p = find_key(args, "liobn="), *arrow;
	bool new_format = false;
	int rc;

	if (!parse_hex(p, &liobn, &new_format) || !(p = strchr(p, ' ')) ||
	    !parse_hex(p + 1, &rel, NULL) || !(arrow = strstr(p, " -> ")) ||
	    !parse_hex(arrow + 4, &target, NULL) || !field_dec(args, "perm=", &perm) ||
	    !field_hex(args, "mask=", &mask))
		return unparsable(r, line, no, "xlate needs liobn, address -> address, perm, mask");
	touch_liobn(r, liobn);
	if (!table_of(r, liobn, &info))
		return verdict(r, TCE_TRACE_XLATE, line, no, false, "no table for liobn 0x%" PRIx64,
			       liobn);
	rc = tce_guest_translate(r->guest, liobn, (info.offset << info.page_shift) + rel, 0, &x);
	if (rc)
		return verdict(r, TCE_TRACE_XLATE, line, no, false, "translate failed: %s",
			       strerror(-rc));
	/* Current QEMU logs the translated page; older QEMU logged the window-relative page. */
	return verdict(r, TCE_TRACE_XLATE, line, no,
		       (new_format ? x.gpa : x.iova) == target && x.perm == (unsigned)perm &&
			       (uint32_t)x.addr_mask == (uint32_t)mask,
		       "translated to 0x%" PRIx64 " perm=%u mask=0x%" PRIx32 ", trace says 0x%" PRIx64
		       " perm=%" PRId64 " mask=0x%" PRIx64,
		       new_format ? x.gpa : x.iova, x.perm, (uint32_t)x.addr_mask, target, perm, mask);
}

static int replay_new_table(struct tce_replay *r, const char *args, const char *line, uint64_t no)
{
	struct tce_guest_table_info info;
	uint64_t liobn;

	if (!field_hex(args, "liobn=", &liobn))
		return unparsable(r, line, no, "new_table needs liobn");
	if (tce_liobn_is_pci(liobn)) {
		struct tce_phb *phb = phb_for_index(r, tce_liobn_phb(liobn));

		/* Window 0 is enabled by the PHB's reset; window 1 appears with ddw_create. */
		if (tce_liobn_window(liobn) == 0)
			return verdict(r, TCE_TRACE_NEW_TABLE, line, no,
				       phb && table_of(r, liobn, &info),
				       "the default window 0x%" PRIx64 " is not enabled", liobn);
		return 0;
	}
	if (!table_of(r, liobn, &info) &&
	    tce_guest_create_table(r->guest, liobn, 12, 0, VIO_TABLE_ENTRIES) != 0)
		return verdict(r, TCE_TRACE_NEW_TABLE, line, no, false,
			       "cannot create VIO table 0x%" PRIx64, liobn);
	return 0;
}

static void buid_args(uint64_t buid, uint64_t cfg_addr, uint32_t args[3])
{
	args[0] = (uint32_t)cfg_addr;
	args[1] = (uint32_t)(buid >> 32);
	args[2] = (uint32_t)buid;
}

static struct tce_phb *phb_for_buid(struct tce_replay *r, uint64_t buid)
{
	if (buid < TCE_PHB_BUID_BASE || buid - TCE_PHB_BUID_BASE >= MAX_PHBS)
		return NULL;
	return phb_for_index(r, (unsigned)(buid - TCE_PHB_BUID_BASE));
}

static int replay_ddw(struct tce_replay *r, enum tce_trace_event ev, const char *args,
		      const char *line, uint64_t no)
{
	uint32_t in[5] = {0}, out[6] = {0};
	uint64_t buid = 0, cfg_addr = 0, liobn;
	struct tce_phb *phb;
	int status;

	if (ev == TCE_TRACE_DDW_REMOVE) {
		if (!field_hex(args, "liobn=", &liobn))
			return unparsable(r, line, no, "ddw_remove needs liobn");
		phb = tce_liobn_is_pci(liobn) ? phb_for_index(r, tce_liobn_phb(liobn)) : NULL;
		in[0] = (uint32_t)liobn;
		status = phb ? tce_phb_rtas(phb, TCE_RTAS_REMOVE_PE_DMA_WINDOW, 1, in, 1, out)
			     : TCE_RTAS_PARAM_ERROR;
		return verdict(r, ev, line, no, status == TCE_RTAS_SUCCESS,
			       "ibm,remove-pe-dma-window returned %d", status);
	}
	if (!field_hex(args, "buid=", &buid) || !field_hex(args, "addr=", &cfg_addr))
		return unparsable(r, line, no, "ddw event needs buid and addr");
	phb = phb_for_buid(r, buid);
	if (!phb)
		return verdict(r, ev, line, no, false, "no PHB for buid 0x%" PRIx64, buid);
	buid_args(buid, cfg_addr, in);
	switch (ev) {
	case TCE_TRACE_DDW_QUERY: {
		uint64_t max_size, mask;
		const char *avail_end = strstr(args, " windows available");
		const char *avail = avail_end;
		int64_t windows;

		while (avail && avail > args && isdigit((unsigned char)avail[-1]))
			avail--;
		if (!avail || !parse_dec(avail, &windows) ||
		    !field_hex(args, "max window size=", &max_size) || !field_hex(args, "mask=", &mask))
			return unparsable(r, line, no, "ddw_query needs windows, max window size, mask");
		status = tce_phb_rtas(phb, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, in, 5, out);
		return verdict(r, ev, line, no,
			       status == TCE_RTAS_SUCCESS && out[1] == (uint64_t)windows &&
				       out[2] == max_size && out[3] == mask,
			       "query returned %d, %" PRIu32 " windows, block 0x%" PRIx32
			       ", mask 0x%" PRIx32,
			       status, out[1], out[2], out[3]);
	}
	case TCE_TRACE_DDW_CREATE: {
		uint64_t page, requested, start;
		unsigned page_shift, window_shift;

		if (!field_hex(args, "page size=", &page) || !field_hex(args, "requested=", &requested) ||
		    !field_hex(args, "start addr=", &start) || !field_hex(args, "liobn=", &liobn))
			return unparsable(r, line, no, "ddw_create needs page size, requested, start, liobn");
		page_shift = log2_exact(page);
		window_shift = log2_exact(requested);
		if (page_shift > 63 || window_shift > 63)
			return verdict(r, ev, line, no, false, "page or window size not a power of two");
		in[3] = page_shift;
		in[4] = window_shift;
		status = tce_phb_rtas(phb, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, in, 4, out);
		return verdict(r, ev, line, no,
			       status == TCE_RTAS_SUCCESS && out[1] == liobn &&
				       (((uint64_t)out[2] << 32) | out[3]) == start,
			       "create returned %d, liobn 0x%" PRIx32 " at 0x%" PRIx64, status, out[1],
			       ((uint64_t)out[2] << 32) | out[3]);
	}
	default: /* reset */
		status = tce_phb_rtas(phb, TCE_RTAS_RESET_PE_DMA_WINDOW, 3, in, 1, out);
		return verdict(r, ev, line, no, status == TCE_RTAS_SUCCESS,
			       "ibm,reset-pe-dma-window returned %d", status);
	}
}

int tce_replay_line(struct tce_replay *replay, const char *line, size_t len, uint64_t line_no)
{
	char buf[MAX_LINE], name[64];
	const char *p, *args;
	enum tce_trace_event ev;
	size_t n;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	replay->stats.lines++;
	if (len == 0)
		return 0;
	if (len >= sizeof(buf)) {
		memcpy(buf, line, sizeof(buf) - 1);
		buf[sizeof(buf) - 1] = '\0';
		return unparsable(replay, buf, line_no, "line too long");
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	/* <tid>@<sec>.<usec>:<event> <args> */
	p = buf;
	while (isdigit((unsigned char)*p))
		p++;
	if (p == buf || *p++ != '@')
		return unparsable(replay, buf, line_no, "no '<thread>@' prefix");
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	if (*p++ != ':')
		return unparsable(replay, buf, line_no, "no ':' after the timestamp");
	for (n = 0; (isalnum((unsigned char)p[n]) || p[n] == '_') && n + 1 < sizeof(name); n++)
		name[n] = p[n];
	name[n] = '\0';
	if (n == 0 || (p[n] != ' ' && p[n] != '\0'))
		return unparsable(replay, buf, line_no, "no event name");
	args = p[n] ? p + n + 1 : p + n;
	ev = event_of(name);
	replay->stats.events[ev].seen++;
	switch (ev) {
	case TCE_TRACE_PUT:
		return replay_put(replay, args, buf, line_no);
	case TCE_TRACE_GET:
		return replay_get(replay, args, buf, line_no);
	case TCE_TRACE_INDIRECT:
		return replay_indirect(replay, args, buf, line_no);
	case TCE_TRACE_STUFF:
		return replay_stuff(replay, args, buf, line_no);
	case TCE_TRACE_XLATE:
		return replay_xlate(replay, args, buf, line_no);
	case TCE_TRACE_NEW_TABLE:
		return replay_new_table(replay, args, buf, line_no);
	case TCE_TRACE_DDW_QUERY:
	case TCE_TRACE_DDW_CREATE:
	case TCE_TRACE_DDW_REMOVE:
	case TCE_TRACE_DDW_RESET:
		return replay_ddw(replay, ev, args, buf, line_no);
	default:
		return 0;
	}
}
