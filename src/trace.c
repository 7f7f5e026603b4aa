// SPDX-License-Identifier: MIT
/*
 * Replay of QEMU sPAPR IOMMU trace logs. See include/tce/trace.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tce/trace.h"
#include "alloc.h"
#include "trace_parse.h"

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

/* The replay's ledger and guest, built from its configuration. */
static int build_guest(struct tce_replay *r, struct tce_account **accountp,
		       struct tce_guest **guestp)
{
	struct tce_guest_config gcfg;
	int rc = tce_account_create(r->cfg.memlock_limit ? r->cfg.memlock_limit
							 : TCE_ACCOUNT_UNLIMITED,
				    accountp);

	if (rc)
		return rc;
	gcfg = (struct tce_guest_config){r->cfg.profile, *accountp, read_list, r};
	rc = tce_guest_create(&gcfg, guestp);
	if (rc) {
		tce_account_destroy(*accountp);
		*accountp = NULL;
	}
	return rc;
}

static void destroy_objects(struct tce_account *account, struct tce_guest *guest,
			    struct tce_phb **phbs)
{
	unsigned i;

	for (i = 0; i < MAX_PHBS; i++)
		tce_phb_destroy(phbs[i]);
	tce_guest_destroy(guest);
	tce_account_destroy(account);
}

int tce_replay_create(const struct tce_replay_config *config, struct tce_replay **replayp)
{
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
	rc = r->problems ? build_guest(r, &r->account, &r->guest) : -ENOMEM;
	if (rc) {
		tce_free(r->problems);
		tce_free(r);
		return rc;
	}
	*replayp = r;
	return 0;
}

void tce_replay_destroy(struct tce_replay *replay)
{
	if (!replay)
		return;
	destroy_objects(replay->account, replay->guest, replay->phbs);
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

int tce_replay_migrate(struct tce_replay *r, struct tce_migration_stats *stats)
{
	struct tce_phb *phbs[MAX_PHBS] = {0};
	struct tce_migration *mig = NULL;
	struct tce_account *account = NULL;
	struct tce_guest *guest = NULL;
	void *stream = NULL;
	size_t len = 0;
	unsigned i;
	int rc;

	/* The source: one final pass (the replay is the only thread). */
	rc = tce_migration_start(r->guest, r->phbs, MAX_PHBS, &mig);
	if (rc == 0) {
		rc = tce_migration_save(mig, true, &stream, &len);
		if (rc == 0 && stats)
			tce_migration_stats(mig, stats);
		tce_migration_done(mig);
		mig = NULL;
	}
	/* The destination: the same ledger limit, guest profile and PHB configurations. */
	if (rc == 0)
		rc = build_guest(r, &account, &guest);
	for (i = 0; rc == 0 && i < MAX_PHBS; i++) {
		struct tce_phb_config cfg;

		if (!r->phbs[i])
			continue;
		tce_phb_config_get(r->phbs[i], &cfg);
		rc = tce_phb_create(guest, &cfg, &phbs[i]);
	}
	if (rc == 0)
		rc = tce_migration_accept(guest, phbs, MAX_PHBS, &mig);
	if (rc == 0)
		rc = tce_migration_load(mig, stream, len);
	tce_migration_done(mig);
	tce_migration_free_stream(stream);
	if (rc) {
		destroy_objects(account, guest, phbs);
		return rc;
	}
	destroy_objects(r->account, r->guest, r->phbs);
	r->account = account;
	r->guest = guest;
	memcpy(r->phbs, phbs, sizeof(phbs));
	return 0;
}

/* ---- recording ---- */

/* The line being replayed: its text (not NUL-terminated) and number, for reports. */
struct line_ref {
	const char *text;
	size_t len;
	uint64_t no;
};

static void keep_problem(struct tce_replay *r, const struct line_ref *l, const char *fmt,
			 va_list ap)
{
	struct tce_replay_problem *p;
	size_t n, i;

	if (r->nproblems == r->cfg.keep_problems)
		return;
	p = &r->problems[r->nproblems++];
	p->line_no = l->no;
	n = l->len < sizeof(p->line) - 1 ? l->len : sizeof(p->line) - 1;
	/* Printable ASCII only, so that any report (text or JSON) can show it as it is. */
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)l->text[i];

		p->line[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	p->line[n] = '\0';
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
}

/* Count a comparison; on a mismatch keep it. Returns 0 matched, 1 mismatched. */
static int verdict(struct tce_replay *r, enum tce_trace_event ev, const struct line_ref *l,
		   bool ok, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int verdict(struct tce_replay *r, enum tce_trace_event ev, const struct line_ref *l,
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
	keep_problem(r, l, fmt, ap);
	va_end(ap);
	return 1;
}

static void keep_problemf(struct tce_replay *r, const struct line_ref *l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void keep_problemf(struct tce_replay *r, const struct line_ref *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	keep_problem(r, l, fmt, ap);
	va_end(ap);
}

static int unparsable(struct tce_replay *r, const struct line_ref *l, const char *why)
{
	r->stats.unparsable++;
	keep_problemf(r, l, "unparsable: %s", why);
	return -EINVAL;
}

/* ---- model helpers ---- */

static struct tce_phb *phb_for_index(struct tce_replay *r, unsigned index)
{
	struct tce_phb_config cfg;

	if (index >= MAX_PHBS)
		return NULL;
	if (!r->phbs[index]) {
		if (index < r->cfg.nphbs && r->cfg.phbs)
			cfg = r->cfg.phbs[index];
		else
			tce_phb_config_default(&cfg, index);
		cfg.index = index;
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

/* The shape of a table (page shift, offset, size): the cheap view, not the full info. */
static bool table_of(struct tce_replay *r, uint64_t liobn, struct tce_guest_view *view)
{
	return tce_guest_get_view(r->guest, liobn, view) == 0;
}

static unsigned log2_exact(uint64_t v)
{
	return (v && !(v & (v - 1))) ? 63u - (unsigned)__builtin_clzll(v) : 64u;
}

/* ---- events ---- */

static int replay_put(struct tce_replay *r, const struct tce_trace_rec *t, const struct line_ref *l)
{
	long rc;

	touch_liobn(r, t->liobn);
	rc = tce_h_put_tce(r->guest, t->liobn, t->ioba, t->tce);
	return verdict(r, TCE_TRACE_PUT, l, rc == t->ret,
		       "H_PUT_TCE returned %ld, trace says %" PRId64, rc, t->ret);
}

static int replay_get(struct tce_replay *r, const struct tce_trace_rec *t, const struct line_ref *l)
{
	uint64_t got = 0;
	long rc;

	touch_liobn(r, t->liobn);
	rc = tce_h_get_tce(r->guest, t->liobn, t->ioba, &got);
	return verdict(r, TCE_TRACE_GET, l, rc == t->ret && (rc != TCE_H_SUCCESS || got == t->tce),
		       "H_GET_TCE returned %ld tce=0x%" PRIx64 ", trace says %" PRId64 " tce=0x%" PRIx64,
		       rc, got, t->ret, t->tce);
}

static int replay_indirect(struct tce_replay *r, const struct tce_trace_rec *t,
			   const struct line_ref *l)
{
	uint64_t last = t->ioba_n, i, page;
	struct tce_guest_view view;
	long rc;

	touch_liobn(r, t->liobn);
	if (t->ret != TCE_H_SUCCESS) {
		r->stats.events[TCE_TRACE_INDIRECT].unverified++;
		return 0;
	}
	if (!table_of(r, t->liobn, &view))
		return verdict(r, TCE_TRACE_INDIRECT, l, false, "no table for liobn 0x%" PRIx64,
			       t->liobn);
	if (last >= TCE_HCALL_MAX_COUNT)
		return verdict(r, TCE_TRACE_INDIRECT, l, false,
			       "iobaN=%" PRIu64 " means more than 512 entries", last);
	/* Rebuild the list: physically contiguous pages ending at tceN. */
	page = UINT64_C(1) << view.page_shift;
	for (i = 0; i <= last; i++)
		r->list[i] = t->tce_n - (last - i) * page;
	r->list_gpa = t->tcelist;
	r->list_n = last + 1;
	rc = tce_h_put_tce_indirect(r->guest, t->liobn, t->ioba, t->tcelist, last + 1);
	r->list_n = 0;
	return verdict(r, TCE_TRACE_INDIRECT, l, rc == t->ret,
		       "H_PUT_TCE_INDIRECT of %" PRIu64 " entries returned %ld, trace says %" PRId64,
		       last + 1, rc, t->ret);
}

static int replay_stuff(struct tce_replay *r, const struct tce_trace_rec *t,
			const struct line_ref *l)
{
	struct tce_guest_view view;
	long rc;

	touch_liobn(r, t->liobn);
	if (t->ret != TCE_H_SUCCESS || t->npages <= 0) {
		r->stats.events[TCE_TRACE_STUFF].unverified++;
		return 0;
	}
	if (!table_of(r, t->liobn, &view))
		return verdict(r, TCE_TRACE_STUFF, l, false, "no table for liobn 0x%" PRIx64, t->liobn);
	/* The logged ioba is just past the last page written. */
	rc = tce_h_stuff_tce(r->guest, t->liobn, t->ioba - ((uint64_t)t->npages << view.page_shift),
			     t->value, (uint64_t)t->npages);
	return verdict(r, TCE_TRACE_STUFF, l, rc == t->ret,
		       "H_STUFF_TCE of %" PRId64 " pages returned %ld, trace says %" PRId64, t->npages,
		       rc, t->ret);
}

static int replay_xlate(struct tce_replay *r, const struct tce_trace_rec *t,
			const struct line_ref *l)
{
	struct tce_guest_view view;
	struct tce_guest_xlate x;
	uint64_t got;
	int rc;

	touch_liobn(r, t->liobn);
	if (!table_of(r, t->liobn, &view))
		return verdict(r, TCE_TRACE_XLATE, l, false, "no table for liobn 0x%" PRIx64, t->liobn);
	rc = tce_guest_translate(r->guest, t->liobn, (view.offset << view.page_shift) + t->addr, 0, &x);
	if (rc)
		return verdict(r, TCE_TRACE_XLATE, l, false, "translate failed: %s", strerror(-rc));
	/* Current QEMU logs the translated page; older QEMU logged the window-relative page. */
	got = t->new_format ? x.gpa : x.iova;
	return verdict(r, TCE_TRACE_XLATE, l,
		       got == t->target && x.perm == t->perm &&
			       (uint32_t)x.addr_mask == (uint32_t)t->mask,
		       "translated to 0x%" PRIx64 " perm=%u mask=0x%" PRIx32 ", trace says 0x%" PRIx64
		       " perm=%" PRIu64 " mask=0x%" PRIx64,
		       got, x.perm, (uint32_t)x.addr_mask, t->target, t->perm, t->mask);
}

static int replay_new_table(struct tce_replay *r, const struct tce_trace_rec *t,
			    const struct line_ref *l)
{
	struct tce_guest_view view;

	if (tce_liobn_is_pci(t->liobn)) {
		struct tce_phb *phb = phb_for_index(r, tce_liobn_phb(t->liobn));

		/* Window 0 is enabled by the PHB's reset; window 1 appears with ddw_create. */
		if (tce_liobn_window(t->liobn) == 0)
			return verdict(r, TCE_TRACE_NEW_TABLE, l, phb && table_of(r, t->liobn, &view),
				       "the default window 0x%" PRIx64 " is not enabled", t->liobn);
		return 0;
	}
	if (!table_of(r, t->liobn, &view) &&
	    tce_guest_create_table(r->guest, t->liobn, 12, 0, VIO_TABLE_ENTRIES) != 0)
		return verdict(r, TCE_TRACE_NEW_TABLE, l, false, "cannot create VIO table 0x%" PRIx64,
			       t->liobn);
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

static int replay_ddw(struct tce_replay *r, const struct tce_trace_rec *t, const struct line_ref *l)
{
	enum tce_trace_event ev = t->event;
	uint32_t in[5] = {0}, out[6] = {0};
	struct tce_phb *phb;
	int status;

	if (ev == TCE_TRACE_DDW_REMOVE) {
		phb = tce_liobn_is_pci(t->liobn) ? phb_for_index(r, tce_liobn_phb(t->liobn)) : NULL;
		in[0] = (uint32_t)t->liobn;
		status = phb ? tce_phb_rtas(phb, TCE_RTAS_REMOVE_PE_DMA_WINDOW, 1, in, 1, out)
			     : TCE_RTAS_PARAM_ERROR;
		return verdict(r, ev, l, status == TCE_RTAS_SUCCESS,
			       "ibm,remove-pe-dma-window returned %d", status);
	}
	phb = phb_for_buid(r, t->buid);
	if (!phb)
		return verdict(r, ev, l, false, "no PHB for buid 0x%" PRIx64, t->buid);
	buid_args(t->buid, t->cfg_addr, in);
	switch (ev) {
	case TCE_TRACE_DDW_QUERY:
		status = tce_phb_rtas(phb, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, in, 5, out);
		return verdict(r, ev, l,
			       status == TCE_RTAS_SUCCESS && out[1] == t->windows &&
				       out[2] == t->max_size && out[3] == t->pgmask,
			       "query returned %d, %" PRIu32 " windows, block 0x%" PRIx32
			       ", mask 0x%" PRIx32 "%s",
			       status, out[1], out[2], out[3],
			       r->cfg.phbs ? ""
					   : " (the PHB may have been started with other properties "
					     "than QEMU's defaults, such as pgsz or ddw: give the "
					     "replay the VM's PHB configuration)");
	case TCE_TRACE_DDW_CREATE: {
		unsigned page_shift = log2_exact(t->page_size), window_shift = log2_exact(t->requested);

		if (page_shift > 63 || window_shift > 63)
			return verdict(r, ev, l, false, "page or window size not a power of two");
		in[3] = page_shift;
		in[4] = window_shift;
		status = tce_phb_rtas(phb, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, in, 4, out);
		return verdict(r, ev, l,
			       status == TCE_RTAS_SUCCESS && out[1] == t->liobn &&
				       (((uint64_t)out[2] << 32) | out[3]) == t->start,
			       "create returned %d, liobn 0x%" PRIx32 " at 0x%" PRIx64, status, out[1],
			       ((uint64_t)out[2] << 32) | out[3]);
	}
	default: /* reset */
		status = tce_phb_rtas(phb, TCE_RTAS_RESET_PE_DMA_WINDOW, 3, in, 1, out);
		return verdict(r, ev, l, status == TCE_RTAS_SUCCESS,
			       "ibm,reset-pe-dma-window returned %d", status);
	}
}

int tce_replay_line(struct tce_replay *replay, const char *line, size_t len, uint64_t line_no)
{
	struct line_ref l = {line, len, line_no};
	struct tce_trace_rec t;
	int rc;

	replay->stats.lines++;
	rc = tce_trace_parse(line, len, &t);
	if (rc == 1)
		return 0; /* empty */
	if (t.event < TCE_TRACE_EVENT_COUNT)
		replay->stats.events[t.event].seen++;
	if (rc < 0)
		return unparsable(replay, &l, t.why);
	switch (t.event) {
	case TCE_TRACE_PUT:
		return replay_put(replay, &t, &l);
	case TCE_TRACE_GET:
		return replay_get(replay, &t, &l);
	case TCE_TRACE_INDIRECT:
		return replay_indirect(replay, &t, &l);
	case TCE_TRACE_STUFF:
		return replay_stuff(replay, &t, &l);
	case TCE_TRACE_XLATE:
		return replay_xlate(replay, &t, &l);
	case TCE_TRACE_NEW_TABLE:
		return replay_new_table(replay, &t, &l);
	case TCE_TRACE_DDW_QUERY:
	case TCE_TRACE_DDW_CREATE:
	case TCE_TRACE_DDW_REMOVE:
	case TCE_TRACE_DDW_RESET:
		return replay_ddw(replay, &t, &l);
	default:
		return 0;
	}
}
