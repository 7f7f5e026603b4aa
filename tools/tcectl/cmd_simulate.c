// SPDX-License-Identifier: MIT
/*
 * tcectl simulate — a whole VM IOMMU life cycle through libtce (the main job).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "json_file.h"
#include "vm.h"
#include "vm_args.h"
#include "vm_json.h"
#include "vm_opts.h"

static const char simulate_help[] =
	"Usage: tcectl simulate [OPTIONS] [SCENARIO.json]\n"
	"Run a whole VM IOMMU life cycle through libtce: register guest RAM, create the\n"
	"default windows, the guest's DDW query and create, map all RAM with\n"
	"H_PUT_TCE_INDIRECT, device DMA through translation, map/unmap churn in the\n"
	"default window, then unmap, remove windows, unregister and detach. Each phase\n"
	"prints its calls and the hardware TCE entries they became with both rates, its\n"
	"locked memory by category and bytes allocated against charged; the run ends by\n"
	"checking that the ledger balances and no page is pinned. Without a scenario:\n"
	"16 GiB guest, 2 PHBs with one VFIO group each, KVM acceleration on\n"
	"(docs/scenarios.md). VM flags as for tcectl plan, including --qemu-cmdline FILE\n"
	"and --domain FILE.xml.\n"
	"\n"
	"  --dma-accesses N   device DMA accesses to translate (default 200000)\n"
	"  --churn N          map+unmap pairs in the default window (default 100000)\n"
	"  --seed N           seed of the access pattern (default 1)\n"
	"  --json             print one JSON object (fields in tcectl(1))\n"
	"  --no-progress      no progress bar, even on a terminal\n"
	"  -h, --help         this text\n"
	"\n"
	"Exit status: 0 the ledger balanced and nothing stayed pinned; 2 bad arguments or\n"
	"scenario; 3 the simulation failed (the message says where).\n";

enum { OPT_DMA = OPT_VM_END, OPT_CHURN, OPT_SEED, OPT_NO_PROGRESS };

struct sim {
	uint64_t dma_accesses, churn, seed;
	bool json, progress;
	json_object *phases; /* JSON array, or NULL for text */
	double t0;
	uint64_t rng;
	char error[256];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_next(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

struct usage {
	uint64_t table_alloc, table_charged, view_alloc, view_charged, guest_alloc, guest_charged;
	uint64_t mapped; /* hardware entries mapped in all host windows */
};

static void usage_of(struct vm *vm, struct usage *u)
{
	unsigned p, s;

	memset(u, 0, sizeof(*u));
	for (p = 0; p < VM_MAX_PHBS; p++) {
		for (s = 0; s < 2; s++) {
			struct tce_guest_table_info info;
			struct tce_window_usage w;

			if (vm->phb[p] && vm->desc.kvm &&
			    tce_guest_table_info(vm->guest, tce_liobn_pci(p, s), &info) == 0) {
				u->guest_alloc += info.allocated_bytes;
				u->guest_charged += info.charged_bytes;
			}
			if (!vm->hw[p][s])
				continue;
			tce_window_usage(vm->hw[p][s], &w);
			u->table_alloc += w.table_allocated;
			u->table_charged += w.table_charged;
			u->view_alloc += w.userview_allocated;
			u->view_charged += w.userview_charged;
			u->mapped += tce_window_mapped(vm->hw[p][s]);
		}
	}
}

static void progress(struct sim *s, const char *what, uint64_t done, uint64_t total)
{
	unsigned width = 30, filled;
	char bar[32];

	if (!s->progress || total == 0 || (done != total && (done & 0x3fff)))
		return;
	filled = (unsigned)(done * width / total);
	memset(bar, '#', filled);
	memset(bar + filled, '.', width - filled);
	bar[width] = '\0';
	fprintf(stderr, "\r%-26s [%s] %3u%%", what, bar, (unsigned)(done * 100 / total));
	if (done == total)
		fprintf(stderr, "\r\033[K");
}

/* Calls (or entries) per second. */
static double per_s(uint64_t n, double secs)
{
	return secs > 0 ? (double)n / secs : 0.0;
}

/*
 * The hardware (host) TCE entries that @entries guest entries of PHB @p's
 * window @slot become: one guest page covers 2^(guest - host shift) host
 * pages, and there are none without a host window (emulated devices only).
 */
static uint64_t hw_entries(const struct vm *vm, unsigned p, unsigned slot, uint64_t entries)
{
	unsigned guest_shift = slot ? vm->ddw_page_shift[p] : 12;
	unsigned host_shift;

	if (!vm->hw[p][slot])
		return 0;
	host_shift = tce_window_geometry(vm->hw[p][slot])->page_shift;
	return guest_shift > host_shift ? entries << (guest_shift - host_shift) : entries;
}

/*
 * Print (or record) one phase: its calls, the guest TCE entries they covered
 * and the hardware entries those became, with the rates per call and per
 * hardware entry; its locked memory, allocated against charged.
 */
static void phase_counts(struct sim *s, struct vm *vm, const char *name, uint64_t calls,
			 uint64_t entries, uint64_t hw)
{
	double secs = now_s() - s->t0;
	struct vm_locked l;
	struct usage u;
	char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32];

	vm_locked(vm, &l);
	usage_of(vm, &u);
	if (s->phases) {
		json_object *ph = json_object_new_object();
		json_object *alloc = json_object_new_object();

		json_object_object_add(ph, "name", json_object_new_string(name));
		json_object_object_add(ph, "operations", json_object_new_uint64(calls));
		json_object_object_add(ph, "entries", json_object_new_uint64(entries));
		json_object_object_add(ph, "hardware_entries", json_object_new_uint64(hw));
		json_object_object_add(ph, "seconds", json_object_new_double(secs));
		json_object_object_add(ph, "rate", json_object_new_double(per_s(calls, secs)));
		json_object_object_add(ph, "hardware_entry_rate", json_object_new_double(per_s(hw, secs)));
		json_object_object_add(ph, "mapped_hardware_entries", json_object_new_uint64(u.mapped));
		json_object_object_add(ph, "locked", vm_locked_json(&l));
		json_object_object_add(alloc, "host_tables_allocated", json_object_new_uint64(u.table_alloc));
		json_object_object_add(alloc, "host_tables_charged", json_object_new_uint64(u.table_charged));
		json_object_object_add(alloc, "host_userviews_allocated", json_object_new_uint64(u.view_alloc));
		json_object_object_add(alloc, "host_userviews_charged", json_object_new_uint64(u.view_charged));
		json_object_object_add(alloc, "guest_views_allocated", json_object_new_uint64(u.guest_alloc));
		json_object_object_add(alloc, "guest_views_charged", json_object_new_uint64(u.guest_charged));
		json_object_object_add(ph, "memory", alloc);
		json_object_array_add(s->phases, ph);
	} else {
		printf("%-24s %9" PRIu64 " calls %11.0f calls/s", name, calls, per_s(calls, secs));
		if (entries)
			printf("   %" PRIu64 " guest entries -> %" PRIu64 " hardware, %.0f hw entries/s",
			       entries, hw, per_s(hw, secs));
		printf("\n%-24s hardware entries mapped now: %" PRIu64 "\n", "", u.mapped);
		printf("%-24s locked %s (RAM %s, tables %s, views %s, guest %s)\n", "",
		       tcectl_format_bytes(l.total, b1, sizeof(b1)),
		       tcectl_format_bytes(l.registered, b2, sizeof(b2)),
		       tcectl_format_bytes(l.tables, b3, sizeof(b3)),
		       tcectl_format_bytes(l.userviews, b4, sizeof(b4)),
		       tcectl_format_bytes(l.guest_views, b5, sizeof(b5)));
		printf("%-24s allocated/charged: tables %s/%s, views %s/%s, guest views %s/%s\n", "",
		       tcectl_format_bytes(u.table_alloc, b1, sizeof(b1)),
		       tcectl_format_bytes(u.table_charged, b2, sizeof(b2)),
		       tcectl_format_bytes(u.view_alloc, b3, sizeof(b3)),
		       tcectl_format_bytes(u.view_charged, b4, sizeof(b4)),
		       tcectl_format_bytes(u.guest_alloc, b5, sizeof(b5)),
		       tcectl_format_bytes(u.guest_charged, b6, sizeof(b6)));
	}
	s->t0 = now_s();
}

/* vm_build()'s phases write no entries. */
static void phase_report(void *ctx, struct vm *vm, const char *name, uint64_t calls,
			 uint64_t entries)
{
	phase_counts(ctx, vm, name, calls, entries, 0);
}

/* Where the guest's window @slot of PHB @p starts, and its bytes. */
static uint64_t window_at(const struct vm *vm, unsigned p, unsigned slot, uint64_t *bytes)
{
	struct tce_phb_window w;

	tce_phb_window(vm->phb[p], slot, &w);
	if (bytes)
		*bytes = w.entries << w.page_shift;
	return w.bus_offset;
}

/* Map all boot RAM 1:1 into each PHB's DDW with H_PUT_TCE_INDIRECT, 512 TCEs a call. */
static int map_ram(struct sim *s, struct vm *vm, uint64_t *ops, uint64_t *entries, uint64_t *hw)
{
	unsigned p, i;

	for (p = 0; p < vm->desc.nphbs; p++) {
		uint64_t page = UINT64_C(1) << vm->ddw_page_shift[p];
		uint64_t pages = vm->desc.ram >> vm->ddw_page_shift[p], done;

		for (done = 0; vm_phb_has_ddw(&vm->desc, p) && done < pages; done += vm->list_n) {
			long rc;

			vm->list_n = (unsigned)(pages - done < TCE_HCALL_MAX_COUNT ? pages - done
										  : TCE_HCALL_MAX_COUNT);
			for (i = 0; i < vm->list_n; i++)
				vm->list[i] = ((done + i) * page) | TCE_PERM_READ | TCE_PERM_WRITE;
			rc = tce_h_put_tce_indirect(vm->guest, tce_liobn_pci(p, 1),
						    window_at(vm, p, 1, NULL) + done * page, vm->list_gpa,
						    vm->list_n);
			if (rc != TCE_H_SUCCESS) {
				snprintf(s->error, sizeof(s->error),
					 "PHB %u: H_PUT_TCE_INDIRECT at page %" PRIu64 " returned %ld", p, done, rc);
				return -EIO;
			}
			(*ops)++;
			*entries += vm->list_n;
			*hw += hw_entries(vm, p, 1, vm->list_n);
		}
	}
	return 0;
}

/*
 * Device DMA: emulated devices translate through the guest's tables, VFIO
 * devices through the host's; both must agree with guest RAM's host pages.
 */
static int device_dma(struct sim *s, struct vm *vm, uint64_t *ops, uint64_t *hw, uint64_t *faults)
{
	uint64_t i, ddw_bytes = vm->desc.ram, n = s->dma_accesses;

	for (i = 0; i < n; i++) {
		unsigned p = (unsigned)(rng_next(s) % vm->desc.nphbs);
		bool in_ddw = vm_phb_has_ddw(&vm->desc, p) && rng_next(s) % 10 != 0;
		unsigned access = 1u + (unsigned)(rng_next(s) % 3);
		uint64_t def_bytes, def_at = window_at(vm, p, 0, &def_bytes);
		uint64_t ioba = in_ddw ? window_at(vm, p, 1, NULL) + rng_next(s) % ddw_bytes
				       : def_at + rng_next(s) % def_bytes;
		struct tce_guest_xlate gx;
		int rc = tce_guest_translate(vm->guest, tce_liobn_pci(p, in_ddw ? 1 : 0), ioba, access, &gx);

		if (rc == -EACCES) {
			(*faults)++;
		} else if (rc) {
			snprintf(s->error, sizeof(s->error), "translate PHB %u ioba 0x%" PRIx64 ": %s", p, ioba,
				 strerror(-rc));
			return rc;
		} else if (vm->c[p]) {
			/* The same access by a passthrough device goes through the host table. */
			struct tce_translation hx;
			struct tce_host_page hp;
			uint64_t ua;

			if (tce_group_translate(vm->group[p][0], ioba, &hx) || !(hx.perm & access) ||
			    tce_guest_gpa_to_ua(vm->guest, gx.gpa + (ioba & gx.addr_mask), &ua) ||
			    tce_hostmem_query(vm->hm, ua, &hp) || hp.hpa != hx.hpa) {
				snprintf(s->error, sizeof(s->error),
					 "PHB %u ioba 0x%" PRIx64 ": the host table disagrees with the guest's", p,
					 ioba);
				return -EIO;
			}
			(*hw)++;
		}
		progress(s, "device DMA", i + 1, n);
	}
	*ops = n;
	return 0;
}

/* Per-packet style mapping in the default window: map a page, then unmap it. */
static int churn(struct sim *s, struct vm *vm, uint64_t *ops, uint64_t *hw)
{
	uint64_t i, n = s->churn;

	for (i = 0; i < n; i++) {
		unsigned p = (unsigned)(i % vm->desc.nphbs);
		uint64_t def_bytes, def_at = window_at(vm, p, 0, &def_bytes);
		uint64_t ioba = def_at + ((rng_next(s) % (def_bytes >> 12)) << 12);
		uint64_t gpa = (rng_next(s) % (vm->desc.ram >> 12)) << 12;
		long rc = tce_h_put_tce(vm->guest, tce_liobn_pci(p, 0), ioba, gpa | (1u + rng_next(s) % 3));

		if (rc == TCE_H_SUCCESS)
			rc = tce_h_put_tce(vm->guest, tce_liobn_pci(p, 0), ioba, 0);
		if (rc != TCE_H_SUCCESS) {
			snprintf(s->error, sizeof(s->error), "churn: H_PUT_TCE at 0x%" PRIx64 " returned %ld",
				 ioba, rc);
			return -EIO;
		}
		*hw += 2 * hw_entries(vm, p, 0, 1);
		progress(s, "map/unmap churn", i + 1, n);
	}
	*ops = 2 * n;
	return 0;
}

/* Clear every DDW mapping with H_STUFF_TCE, 512 pages a call. */
static int unmap_all(struct sim *s, struct vm *vm, uint64_t *ops, uint64_t *entries, uint64_t *hw)
{
	uint64_t done;
	unsigned p;

	for (p = 0; p < vm->desc.nphbs; p++) {
		uint64_t pages = vm->desc.ram >> vm->ddw_page_shift[p];

		if (!vm_phb_has_ddw(&vm->desc, p))
			continue;
		for (done = 0; done < pages; done += TCE_HCALL_MAX_COUNT) {
			uint64_t n = pages - done < TCE_HCALL_MAX_COUNT ? pages - done : TCE_HCALL_MAX_COUNT;
			long rc = tce_h_stuff_tce(vm->guest, tce_liobn_pci(p, 1),
						  window_at(vm, p, 1, NULL) + (done << vm->ddw_page_shift[p]),
						  0, n);

			if (rc != TCE_H_SUCCESS) {
				snprintf(s->error, sizeof(s->error), "H_STUFF_TCE returned %ld", rc);
				return -EIO;
			}
			(*ops)++;
			*entries += n;
			*hw += hw_entries(vm, p, 1, n);
		}
	}
	return 0;
}

static int sim_flag(int opt, const char *arg, void *ctx)
{
	struct sim *s = ctx;

	switch (opt) {
	case OPT_DMA:
		return tcectl_parse_uint(arg, 0, UINT64_C(1) << 32, &s->dma_accesses)
			       ? tcectl_usage_error("simulate", "--dma-accesses: '%s' is not 0..2^32", arg)
			       : 0;
	case OPT_CHURN:
		return tcectl_parse_uint(arg, 0, UINT64_C(1) << 32, &s->churn)
			       ? tcectl_usage_error("simulate", "--churn: '%s' is not 0..2^32", arg)
			       : 0;
	case OPT_SEED:
		return tcectl_parse_uint(arg, 1, UINT64_MAX, &s->seed)
			       ? tcectl_usage_error("simulate", "--seed: '%s' is not a positive integer", arg)
			       : 0;
	case OPT_JSON:
		s->json = true;
		return 0;
	case OPT_NO_PROGRESS:
		s->progress = false;
		return 0;
	default:
		return -1;
	}
}

static int sim_keys(json_object *obj, void *ctx, char *err, size_t size)
{
	/* The same ranges as --dma-accesses, --churn and --seed. */
	static const struct {
		const char *key;
		uint64_t min, max;
	} keys[] = {
		{"dma_accesses", 0, UINT64_C(1) << 32},
		{"churn_operations", 0, UINT64_C(1) << 32},
		{"seed", 1, UINT64_MAX},
	};
	uint64_t *dest[] = {&((struct sim *)ctx)->dma_accesses, &((struct sim *)ctx)->churn,
			    &((struct sim *)ctx)->seed};
	unsigned i;
	int rc;

	for (i = 0; i < 3; i++) {
		json_object *v;

		if (!json_object_object_get_ex(obj, keys[i].key, &v))
			continue;
		rc = json_uint_range(v, keys[i].key, keys[i].min, keys[i].max, dest[i], err, size);
		if (rc)
			return rc;
	}
	return 0;
}

int tcectl_cmd_simulate(int argc, char **argv)
{
	static const struct option options[] = {
		VM_LONG_OPTIONS,
		{"json", no_argument, NULL, OPT_JSON},
		{"dma-accesses", required_argument, NULL, OPT_DMA},
		{"churn", required_argument, NULL, OPT_CHURN},
		{"seed", required_argument, NULL, OPT_SEED},
		{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char *const extra_keys[] = {"dma_accesses", "churn_operations", "seed", NULL};
	struct sim s = {.dma_accesses = 200000, .churn = 100000, .seed = 1,
			.progress = isatty(STDERR_FILENO) != 0};
	struct vm_desc desc;
	struct vm vm;
	struct vm_final fin;
	uint64_t ops = 0, entries = 0, hw = 0, faults = 0;
	int rc, torn;
	char b1[32], b2[32];

	rc = vm_parse_args("simulate", argc, argv, options, simulate_help, extra_keys, &desc, sim_flag,
			   sim_keys, &s);
	if (rc > 0 && tcectl_has_flag(argc, argv, "--json"))
		tcectl_json_error(tcectl_last_error());
	if (rc)
		return rc < 0 ? TCECTL_EXIT_OK : rc;
	s.rng = s.seed;
	if (s.json)
		s.phases = json_object_new_array();
	else
		printf("tcectl simulate: %s guest on %s pages, %u PHB%s, KVM acceleration %s, %s userview\n",
		       tcectl_format_bytes(desc.ram, b1, sizeof(b1)),
		       tcectl_format_bytes(UINT64_C(1) << desc.ram_page_shift, b2, sizeof(b2)), desc.nphbs,
		       desc.nphbs == 1 ? "" : "s", desc.kvm ? "on" : "off",
		       desc.userview == TCE_USERVIEW_MIRROR ? "mirror" : "extents");
	s.t0 = now_s();
	rc = vm_build(&vm, &desc, phase_report, &s);
	if (rc)
		snprintf(s.error, sizeof(s.error), "%s", vm.error);
	if (rc == 0 && desc.guest_ddw) {
		ops = entries = hw = 0;
		rc = map_ram(&s, &vm, &ops, &entries, &hw);
		if (rc == 0)
			phase_counts(&s, &vm, "map RAM (INDIRECT)", ops, entries, hw);
	}
	if (rc == 0) {
		hw = 0;
		rc = device_dma(&s, &vm, &ops, &hw, &faults);
		if (rc == 0)
			phase_counts(&s, &vm, "device DMA (translate)", ops, ops, hw);
	}
	if (rc == 0) {
		hw = 0;
		rc = churn(&s, &vm, &ops, &hw);
		if (rc == 0)
			phase_counts(&s, &vm, "map/unmap churn", ops, ops, hw);
	}
	if (rc == 0) {
		ops = entries = hw = 0;
		rc = unmap_all(&s, &vm, &ops, &entries, &hw);
		if (rc == 0)
			phase_counts(&s, &vm, "unmap (STUFF)", ops, entries, hw);
	}
	if (rc == 0 && vm.notify_failures) {
		snprintf(s.error, sizeof(s.error),
			 "%" PRIu64 " VFIO map/unmap calls from guest TCE changes failed (QEMU would abort)",
			 vm.notify_failures);
		rc = -EIO;
	}
	torn = vm_teardown(&vm, &fin);
	if (!s.json && rc == 0)
		printf("%-24s %9u calls   remove windows, unregister, detach\n", "teardown", desc.nphbs);
	if (s.json) {
		json_object *top = json_object_new_object(), *final = json_object_new_object();

		json_object_object_add(top, "phases", s.phases);
		json_object_object_add(top, "dma_faults", json_object_new_uint64(faults));
		json_object_object_add(final, "locked_bytes", json_object_new_uint64(fin.locked));
		json_object_object_add(final, "pinned_bytes", json_object_new_uint64(fin.pinned));
		json_object_object_add(final, "charged_bytes", json_object_new_uint64(fin.charged));
		json_object_object_add(final, "released_bytes", json_object_new_uint64(fin.released));
		json_object_object_add(final, "balanced", json_object_new_boolean(torn == 0));
		json_object_object_add(top, "final", final);
		json_object_object_add(top, "ok", json_object_new_boolean(rc == 0 && torn == 0));
		if (rc)
			json_object_object_add(top, "error", json_object_new_string(s.error));
		puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
	}
	if (rc) {
		fprintf(stderr, "tcectl simulate: FAILED: %s\n", s.error);
		return TCECTL_EXIT_FAIL;
	}
	if (torn) {
		fprintf(stderr, "tcectl simulate: FAILED: after teardown %" PRIu64 " bytes are still charged "
				"and %" PRIu64 " bytes pinned\n",
			fin.locked, fin.pinned);
		return TCECTL_EXIT_FAIL;
	}
	if (!s.json)
		printf("ledger balanced: %s charged and %s released; no page pinned (%" PRIu64
		       " DMA faults on unmapped pages, as expected)\n",
		       tcectl_format_bytes(fin.charged, b1, sizeof(b1)),
		       tcectl_format_bytes(fin.released, b2, sizeof(b2)), faults);
	return TCECTL_EXIT_OK;
}
