// SPDX-License-Identifier: MIT
/*
 * Migration of the guest IOMMU state (migrate.h): a random round-trip
 * property against an unmigrated twin, iterative passes while another thread
 * makes hypercalls, every corruption and truncation of a stream refused with
 * nothing changed, the format's version and optional-record rules, streams
 * that do not fit the destination, tables the destination's VMM made itself,
 * pass order, allocation failures in save
 * and load, and the size of what is sent.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/fault.h"
#include "tce/migrate.h"

#define NPHB 2
#define RAM_UA (UINT64_C(1) << 40)
#define BUID(i) (TCE_PHB_BUID_BASE + (i))

/* Tables of the guest that are no PHB window (VIO devices, in QEMU's terms). */
static const uint64_t plain_liobns[] = {0x1000, 0x1001, 0x1002};
#define NPLAIN (sizeof(plain_liobns) / sizeof(plain_liobns[0]))
#define NLIOBNS (NPLAIN + NPHB * TCE_PHB_WINDOWS)

struct vm {
	enum tce_hcall_profile profile;
	struct tce_account *account;
	struct tce_guest *g;
	struct tce_phb *phb[NPHB];
	struct test_list list; /* the INDIRECT list the guest wrote */
};

/* PHB 0: a 64 MiB default window, DDW with 4K, 64K and 16M pages; PHB 1: no DDW. */
static void phb_config(unsigned i, struct tce_phb_config *cfg)
{
	tce_phb_config_default(cfg, i);
	cfg->dma_win_size = 64 * MiB;
	if (i == 0)
		cfg->pgsz = (UINT64_C(1) << 12) | (UINT64_C(1) << 16) | (UINT64_C(1) << 24);
	else
		cfg->ddw = false;
}

/* A guest with its memory slot and PHBs (each PHB's default window enabled). */
static struct vm *vm_new(enum tce_hcall_profile profile, bool with_phbs)
{
	struct vm *vm = test_malloc(sizeof(*vm));
	struct tce_guest_config gcfg;
	unsigned i;

	memset(vm, 0, sizeof(*vm));
	vm->profile = profile;
	vm->list.gpa = 0x200000;
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &vm->account), 0);
	gcfg = (struct tce_guest_config){profile, vm->account, test_list_read, &vm->list};
	assert_int_equal(tce_guest_create(&gcfg, &vm->g), 0);
	assert_int_equal(tce_guest_add_memslot(vm->g, 0, 1 * GiB, RAM_UA), 0);
	for (i = 0; with_phbs && i < NPHB; i++) {
		struct tce_phb_config cfg;

		phb_config(i, &cfg);
		assert_int_equal(tce_phb_create(vm->g, &cfg, &vm->phb[i]), 0);
	}
	return vm;
}

static void vm_free(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < NPHB; i++)
		tce_phb_destroy(vm->phb[i]);
	tce_guest_destroy(vm->g);
	assert_true(tce_account_balanced(vm->account));
	tce_account_destroy(vm->account);
	test_free(vm);
}

static uint64_t liobn_at(unsigned k)
{
	return k < NPLAIN ? plain_liobns[k]
			  : tce_liobn_pci((k - NPLAIN) / TCE_PHB_WINDOWS, (k - NPLAIN) % TCE_PHB_WINDOWS);
}

/* ---- comparing two guests entry by entry ---- */

static bool page_zero(const uint64_t *page)
{
	unsigned i;

	for (i = 0; page && i < 8192; i++)
		if (page[i])
			return false;
	return true;
}

/* Two views' entries are equal (a missing storage page reads as zeros). */
static void assert_same_entries(const struct tce_guest_view *a, const struct tce_guest_view *b,
				uint64_t liobn)
{
	uint64_t p, npages = (a->size + 8191) / 8192;

	for (p = 0; p < npages; p++) {
		const uint64_t *pa = a->pages[p], *pb = b->pages[p];
		uint64_t n = a->size - p * 8192 < 8192 ? a->size - p * 8192 : 8192;

		if (pa && pb ? memcmp(pa, pb, n * 8) != 0 : !page_zero(pa ? pa : pb)) {
			print_error("table 0x%llx differs in storage page %llu\n", (unsigned long long)liobn,
				    (unsigned long long)p);
			fail();
		}
	}
}

/* What a guest sees of its IOMMU is the same in @a and @b. */
static void assert_same_guest(struct vm *a, struct vm *b)
{
	unsigned k, i, w;

	assert_int_equal(tce_guest_profile(a->g), tce_guest_profile(b->g));
	for (k = 0; k < NLIOBNS; k++) {
		struct tce_guest_view va, vb;
		int ra = tce_guest_get_view(a->g, liobn_at(k), &va),
		    rb = tce_guest_get_view(b->g, liobn_at(k), &vb);

		assert_int_equal(ra, rb);
		if (ra)
			continue;
		assert_int_equal(va.page_shift, vb.page_shift);
		assert_int_equal(va.offset, vb.offset);
		assert_int_equal(va.size, vb.size);
		assert_same_entries(&va, &vb, liobn_at(k));
	}
	for (i = 0; i < NPHB; i++) {
		assert_int_equal(!a->phb[i], !b->phb[i]);
		for (w = 0; a->phb[i] && w < TCE_PHB_WINDOWS; w++) {
			struct tce_phb_window wa, wb;

			tce_phb_window(a->phb[i], w, &wa);
			tce_phb_window(b->phb[i], w, &wb);
			assert_int_equal(wa.enabled, wb.enabled);
			assert_int_equal(wa.liobn, wb.liobn);
			assert_int_equal(wa.bus_offset, wb.bus_offset);
			assert_int_equal(wa.page_shift, wb.page_shift);
			assert_int_equal(wa.entries, wb.entries);
			assert_int_equal(wa.def_win, wb.def_win);
		}
	}
}

/* ---- random guest activity ---- */

/* One random operation: hypercalls, RTAS, tables created and removed. */
struct op {
	unsigned kind;
	uint64_t liobn, ioba, tce, count;
	unsigned phb, page_shift, window_shift;
	uint64_t tces[512];
};

enum { OP_PUT, OP_STUFF, OP_INDIRECT, OP_GET, OP_DDW_CREATE, OP_DDW_REMOVE, OP_DDW_RESET,
       OP_TABLE_CREATE, OP_TABLE_REMOVE, OP_TABLE_RESET, OP_PHB_RESET };

static uint64_t random_tce(uint64_t *rng, unsigned page_shift)
{
	uint64_t r = test_rng(rng);

	if (r % 8 == 0)
		return 0;
	/* Mostly inside the 1 GiB slot; some outside (the KVM profile refuses those). */
	return ((r >> 8) % (1200 * MiB) & ~((UINT64_C(1) << page_shift) - 1)) | (r >> 4) % 4;
}

/* An operation on @ref's tables (the twin's: both guests have the same). */
static void op_random(uint64_t *rng, struct vm *ref, bool hypercalls_only, struct op *op)
{
	uint64_t r = test_rng(rng) % 100, i;
	struct tce_guest_view view;
	unsigned shift = 12;

	memset(op, 0, sizeof(*op));
	op->liobn = liobn_at((unsigned)(test_rng(rng) % NLIOBNS));
	op->ioba = (test_rng(rng) % (2 * GiB)) & ~(uint64_t)0xfff;
	if (tce_guest_get_view(ref->g, op->liobn, &view) == 0) {
		shift = view.page_shift;
		/* Mostly inside the window, a few past its end. */
		op->ioba = (view.offset + test_rng(rng) % (view.size + view.size / 16 + 1)) << shift;
	}
	op->count = 1 + test_rng(rng) % 512;
	op->tce = random_tce(rng, shift);
	for (i = 0; i < op->count; i++)
		op->tces[i] = test_rng(rng) % 4 == 0 ? op->tce + (i << shift) : random_tce(rng, shift);
	op->phb = (unsigned)(test_rng(rng) % NPHB);
	op->page_shift = (unsigned[]){12, 16, 24}[test_rng(rng) % 3];
	op->window_shift = 24 + (unsigned)(test_rng(rng) % 7);
	if (r < 40 || hypercalls_only)
		op->kind = (unsigned)(r % 4); /* PUT, STUFF, INDIRECT or GET */
	else if (r < 84)
		op->kind = r < 50 ? OP_STUFF : r < 65 ? OP_INDIRECT : r < 80 ? OP_GET : OP_DDW_CREATE;
	else
		op->kind = (unsigned[]){OP_DDW_REMOVE, OP_DDW_REMOVE, OP_DDW_RESET, OP_TABLE_CREATE,
					OP_TABLE_CREATE, OP_TABLE_CREATE, OP_TABLE_REMOVE, OP_TABLE_REMOVE,
					OP_TABLE_RESET, OP_TABLE_RESET, OP_PHB_RESET, OP_DDW_CREATE,
					OP_PUT, OP_PUT, OP_PUT, OP_PUT}[r - 84];
	if (op->kind == OP_TABLE_CREATE || op->kind == OP_TABLE_REMOVE || op->kind == OP_TABLE_RESET)
		op->liobn = plain_liobns[test_rng(rng) % NPLAIN];
}

/* Apply @op; its outcome (a hypercall or RTAS code, an errno, and a TCE read) into @out. */
static void op_apply(struct vm *vm, const struct op *op, int64_t out[2])
{
	uint32_t args[5] = {0, (uint32_t)(BUID(op->phb) >> 32), (uint32_t)BUID(op->phb)};
	uint32_t rets[4] = {0};
	uint64_t tce = 0;

	out[1] = 0;
	switch (op->kind) {
	case OP_PUT:
		out[0] = tce_h_put_tce(vm->g, op->liobn, op->ioba, op->tce);
		break;
	case OP_STUFF:
		out[0] = tce_h_stuff_tce(vm->g, op->liobn, op->ioba, op->tce, op->count);
		break;
	case OP_INDIRECT:
		vm->list.n = (unsigned)op->count;
		memcpy(vm->list.tces, op->tces, op->count * 8);
		out[0] = tce_h_put_tce_indirect(vm->g, op->liobn, op->ioba, vm->list.gpa, op->count);
		break;
	case OP_GET:
		out[0] = tce_h_get_tce(vm->g, op->liobn, op->ioba, &tce);
		out[1] = (int64_t)tce;
		break;
	case OP_DDW_CREATE:
		args[3] = op->page_shift;
		args[4] = op->window_shift;
		out[0] = tce_phb_rtas(vm->phb[op->phb], TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, args, 4, rets);
		out[1] = (int64_t)((uint64_t)rets[0] << 32 | rets[1]);
		break;
	case OP_DDW_REMOVE:
		args[0] = (uint32_t)tce_liobn_pci(op->phb, (unsigned)(op->tce & 1));
		out[0] = tce_phb_rtas(vm->phb[op->phb], TCE_RTAS_REMOVE_PE_DMA_WINDOW, 1, args, 1, rets);
		out[1] = rets[0];
		break;
	case OP_DDW_RESET:
		out[0] = tce_phb_rtas(vm->phb[op->phb], TCE_RTAS_RESET_PE_DMA_WINDOW, 3, args, 1, rets);
		out[1] = rets[0];
		break;
	case OP_TABLE_CREATE:
		out[0] = tce_guest_create_table(vm->g, op->liobn, op->page_shift, op->ioba >> op->page_shift,
						UINT64_C(1) << (op->window_shift - op->page_shift));
		break;
	case OP_TABLE_REMOVE:
		out[0] = tce_guest_remove_table(vm->g, op->liobn);
		break;
	case OP_TABLE_RESET:
		out[0] = tce_guest_reset_table(vm->g, op->liobn);
		break;
	case OP_PHB_RESET:
		out[0] = tce_phb_reset(vm->phb[op->phb]);
		break;
	}
}

/* The same random operation on both guests, with the same outcome. */
static void op_both(uint64_t *rng, struct vm *a, struct vm *twin, bool hypercalls_only)
{
	static struct op op;
	int64_t ra[2], rb[2];

	op_random(rng, twin, hypercalls_only, &op);
	op_apply(a, &op, ra);
	op_apply(twin, &op, rb);
	assert_int_equal(ra[0], rb[0]);
	assert_int_equal(ra[1], rb[1]);
}

/* ---- moving a guest ---- */

static void *save_pass(struct tce_migration *src, bool final, size_t *len)
{
	void *stream = NULL;

	assert_int_equal(tce_migration_save(src, final, &stream, len), 0);
	assert_non_null(stream);
	return stream;
}

/*
 * Migrate *vmp with @passes passes (random operations on it and @twin in
 * between, as a running guest would make), then replace it with the
 * destination. Returns the bytes of the last pass.
 */
static size_t migrate(struct vm **vmp, struct vm *twin, unsigned passes, uint64_t *rng,
		      unsigned ops_between, bool vmm_tables)
{
	struct tce_migration *src, *dst;
	struct vm *vm = *vmp, *dest = vm_new(vm->profile, true);
	size_t len = 0;
	unsigned p, k;

	assert_int_equal(tce_migration_start(vm->g, vm->phb, NPHB, &src), 0);
	assert_int_equal(tce_migration_accept(dest->g, dest->phb, NPHB, &dst), 0);
	/*
	 * As QEMU does for its VIO devices: the destination makes the tables the
	 * source has (with a stale entry the passes must clear) and expects them.
	 */
	for (k = 0; vmm_tables && k < NPLAIN; k++) {
		struct tce_guest_view v;

		if (tce_guest_get_view(vm->g, plain_liobns[k], &v))
			continue;
		assert_int_equal(tce_guest_create_table(dest->g, plain_liobns[k], v.page_shift, v.offset, v.size), 0);
		assert_int_equal(tce_h_put_tce(dest->g, plain_liobns[k], v.offset << v.page_shift,
					       0x1000 << (v.page_shift - 12) | 3),
				 0);
		assert_int_equal(tce_migration_expect_table(dst, plain_liobns[k]), 0);
	}
	for (p = 0; p < passes; p++) {
		bool final = p + 1 == passes;
		void *stream = save_pass(src, final, &len);

		assert_int_equal(tce_migration_load(dst, stream, len), 0);
		tce_migration_free_stream(stream);
		/* A VMM's own table keeps its shape: then only hypercalls between passes. */
		for (k = 0; !final && k < ops_between; k++)
			op_both(rng, vm, twin, vmm_tables);
	}
	tce_migration_done(src);
	tce_migration_done(dst);
	/* A VMM's table the source removed meanwhile is kept, emptied: drop it to compare. */
	for (k = 0; vmm_tables && k < NPLAIN; k++) {
		struct tce_guest_table_info info;

		if (tce_guest_table_info(twin->g, plain_liobns[k], &info) &&
		    tce_guest_table_info(dest->g, plain_liobns[k], &info) == 0) {
			assert_int_equal(info.valid_entries, 0);
			assert_int_equal(tce_guest_remove_table(dest->g, plain_liobns[k]), 0);
		}
	}
	vm_free(vm);
	*vmp = dest;
	return len;
}

/* Random operations, migrations at random points with 1 to 4 passes: always equal to the twin. */
static void test_round_trip_property(void **state)
{
	uint64_t seeds = test_count("LIBTCE_MIGRATE_SEEDS", 6, 40), seed;

	(void)state;
	for (seed = 1; seed <= seeds; seed++) {
		enum tce_hcall_profile profile = seed % 3 == 0 ? TCE_HCALL_KVM : TCE_HCALL_QEMU;
		struct vm *a = vm_new(profile, true), *twin = vm_new(profile, true);
		uint64_t rng = seed * 0x9E3779B97F4A7C15ull, i, ops = 400 + seed * 20;

		for (i = 0; i < ops; i++) {
			op_both(&rng, a, twin, false);
			if (test_rng(&rng) % 97 == 0) {
				migrate(&a, twin, 1 + (unsigned)(test_rng(&rng) % 4), &rng, 25,
					test_rng(&rng) % 2 == 0);
				assert_same_guest(a, twin);
			}
		}
		migrate(&a, twin, 2, &rng, 25, seed % 2 == 0);
		assert_same_guest(a, twin);
		vm_free(a);
		vm_free(twin);
	}
}

/* A guest with a few tables and entries, for the small-stream tests. */
static struct vm *vm_small(void)
{
	struct vm *vm = vm_new(TCE_HCALL_QEMU, true);
	uint32_t args[5] = {0, (uint32_t)(BUID(0) >> 32), (uint32_t)BUID(0), 16, 26}, rets[4];

	assert_int_equal(tce_phb_rtas(vm->phb[0], TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, args, 4, rets), 0);
	assert_int_equal(rets[0], 0);
	assert_int_equal(tce_guest_create_table(vm->g, 0x1000, 12, 0, 4096), 0);
	assert_int_equal(tce_h_put_tce(vm->g, 0x1000, 0x5000, 0x7000 | 3), 0);
	assert_int_equal(tce_h_stuff_tce(vm->g, tce_liobn_pci(0, 0), 0x10000, 0x40000 | 1, 3), 0);
	assert_int_equal(tce_h_put_tce(vm->g, tce_liobn_pci(0, 1), (UINT64_C(1) << 59) + 0x30000,
				       0x30000 | 2),
			 0);
	return vm;
}

/* One final pass of @vm. */
static void *save_once(struct vm *vm, size_t *len)
{
	struct tce_migration *src;
	void *stream;

	assert_int_equal(tce_migration_start(vm->g, vm->phb, NPHB, &src), 0);
	stream = save_pass(src, true, len);
	tce_migration_done(src);
	return stream;
}

/* Load @len bytes of @stream into a fresh destination; returns what the load returned. */
static int load_into(struct vm *dest, const void *stream, size_t len)
{
	struct tce_migration *dst;
	int rc;

	assert_int_equal(tce_migration_accept(dest->g, dest->phb, NPHB, &dst), 0);
	rc = tce_migration_load(dst, stream, len);
	tce_migration_done(dst);
	return rc;
}

/* Every single-byte change and every truncation is refused, and the destination is untouched. */
static void test_every_corruption_refused(void **state)
{
	struct vm *src = vm_small(), *dest = vm_new(TCE_HCALL_QEMU, true),
		  *pristine = vm_new(TCE_HCALL_QEMU, true);
	static const uint8_t flips[] = {0x01, 0x80, 0xff};
	size_t len, i, f;
	uint8_t *stream = save_once(src, &len), *bad = test_malloc(len);
	int rc;

	(void)state;
	assert_true(len < 1024);
	for (i = 0; i < len; i++)
		for (f = 0; f < sizeof(flips); f++) {
			memcpy(bad, stream, len);
			bad[i] ^= flips[f];
			rc = load_into(dest, bad, len);
			if (rc != -EINVAL && rc != -EPROTO) {
				print_error("byte %zu ^ 0x%02x: load returned %d\n", i, flips[f], rc);
				fail();
			}
		}
	for (i = 0; i < len; i++)
		assert_int_equal(load_into(dest, stream, i), -EINVAL);
	assert_same_guest(dest, pristine);
	/* And the stream as it was loads. */
	assert_int_equal(load_into(dest, stream, len), 0);
	assert_same_guest(dest, src);
	test_free(bad);
	tce_migration_free_stream(stream);
	vm_free(src);
	vm_free(dest);
	vm_free(pristine);
}

/* ---- the format, from the outside ---- */

/* Recompute the END record of a stream (its last 16 bytes) after an edit. */
static void restamp(uint8_t *stream, size_t len, int records_delta)
{
	assert_int_equal(test_le32(stream + len - 16), 6);
	test_put_le32(stream + len - 8, test_crc32c(stream, len - 16));
	test_put_le32(stream + len - 4, test_le32(stream + len - 4) + (uint32_t)records_delta);
}

/* @stream with a record of @type and @payload bytes put before its END record. */
static uint8_t *with_record(const uint8_t *stream, size_t len, uint32_t type, size_t payload,
			    size_t *out_len)
{
	uint8_t *out = test_calloc(1, len + 8 + payload);

	memcpy(out, stream, len - 16);
	test_put_le32(out + len - 16, type);
	test_put_le32(out + len - 12, (uint32_t)payload);
	memset(out + len - 8, 0xab, payload);
	memcpy(out + len - 8 + payload, stream + len - 16, 16);
	*out_len = len + 8 + payload;
	restamp(out, *out_len, 1);
	return out;
}

static void wr64(uint8_t *p, uint64_t v)
{
	test_put_le32(p, (uint32_t)v);
	test_put_le32(p + 4, (uint32_t)(v >> 32));
}

static void test_format_rules(void **state)
{
	struct vm *src = vm_small(), *dest = vm_new(TCE_HCALL_QEMU, true),
		  *pristine = vm_new(TCE_HCALL_QEMU, true);
	size_t len, len2;
	uint8_t *stream = save_once(src, &len), *edit;

	(void)state;
	/* The check value of CRC-32C, then the stream's own checksum and layout. */
	assert_int_equal(test_crc32c((const uint8_t *)"123456789", 9), 0xE3069283u);
	assert_memory_equal(stream, "libtceM1", 8);
	assert_int_equal(test_le32(stream + 8), TCE_MIGRATION_VERSION);
	assert_int_equal(test_le32(stream + 12), 1); /* final */
	assert_int_equal(test_le32(stream + len - 16), 6);
	assert_int_equal(test_le32(stream + len - 12), 8);
	assert_int_equal(test_le32(stream + len - 8), test_crc32c(stream, len - 16));

	/* A newer version, even with a good checksum: -EPROTO. Version 0: -EINVAL. */
	edit = test_malloc(len);
	memcpy(edit, stream, len);
	test_put_le32(edit + 8, TCE_MIGRATION_VERSION + 1);
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EPROTO);
	test_put_le32(edit + 8, 0);
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EINVAL);
	/* An unknown flag: refused. */
	memcpy(edit, stream, len);
	test_put_le32(edit + 12, 3);
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EINVAL);
	test_free(edit);
	/* An unknown record a reader must understand: refused. */
	edit = with_record(stream, len, 0x77, 12, &len2);
	assert_int_equal(load_into(dest, edit, len2), -EINVAL);
	test_free(edit);
	assert_same_guest(dest, pristine);
	/* A second PROFILE record, the same profile and well formed: refused (exactly one). */
	edit = with_record(stream, len, 1, 8, &len2);
	memset(edit + len - 8, 0, 8);
	restamp(edit, len2, 0);
	assert_int_equal(load_into(dest, edit, len2), -EINVAL);
	test_free(edit);
	assert_same_guest(dest, pristine);
	/* A RUNS record with no runs (just its table's LIOBN): well formed, it changes nothing. */
	edit = with_record(stream, len, 5, 8, &len2);
	wr64(edit + len - 8, 0x1000);
	restamp(edit, len2, 0);
	assert_int_equal(load_into(dest, edit, len2), 0);
	assert_same_guest(dest, src);
	test_free(edit);
	vm_free(dest);
	dest = vm_new(TCE_HCALL_QEMU, true);
	/* An unknown optional record (bit 31): skipped, the rest loads. */
	edit = with_record(stream, len, 0x80000077u, 12, &len2);
	assert_int_equal(load_into(dest, edit, len2), 0);
	assert_same_guest(dest, src);
	test_free(edit);
	tce_migration_free_stream(stream);
	vm_free(src);
	vm_free(dest);
	vm_free(pristine);
}

/* The payload offset of the @nth (0-based) record of @type in a stream, or 0. */
static size_t find_record(const uint8_t *stream, size_t len, uint32_t type, unsigned nth)
{
	size_t at = 24;

	while (at + 8 <= len) {
		if (test_le32(stream + at) == type && nth-- == 0)
			return at + 8;
		at += 8 + test_le32(stream + at + 4);
	}
	return 0;
}

/*
 * Records that contradict each other or the destination, with a correct
 * checksum: refused before anything changes (found by fuzz_migrate: each was
 * once applied in part).
 */
static void test_refuses_inconsistent_records(void **state)
{
	struct vm *src = vm_small(), *dest = vm_new(TCE_HCALL_QEMU, true),
		  *pristine = vm_new(TCE_HCALL_QEMU, true);
	uint64_t locked = tce_account_locked(dest->account, TCE_TAG_COUNT);
	size_t len, at;
	uint8_t *stream = save_once(src, &len), *edit = test_malloc(len);
	unsigned t;

	(void)state;
	/* PHB 1's record (after PHB 0's, whose new window would already be made) with a window of 0 entries. */
	memcpy(edit, stream, len);
	at = find_record(edit, len, 3, 1);
	assert_true(at > 0);
	assert_int_equal(test_le32(edit + at), 1);
	wr64(edit + at + 8 + 16, 0); /* slot 0: u32 liobn, 4 flag bytes, u64 bus offset, u64 entries */
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EINVAL);
	/* ...or with a bus offset that is not a multiple of its page. */
	memcpy(edit, stream, len);
	wr64(edit + at + 8 + 8, 0x800);
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EINVAL);
	/* ...or a slot named with another PHB's LIOBN, or flags that are not 0 or 1. */
	memcpy(edit, stream, len);
	test_put_le32(edit + at + 8, tce_liobn_pci(0, 0));
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EINVAL);
	memcpy(edit, stream, len);
	edit[at + 8 + 4] = 2; /* enabled */
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EINVAL);
	memcpy(edit, stream, len);
	edit[at + 8 + 5] = 2; /* default */
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EINVAL);
	assert_same_guest(dest, pristine);
	assert_int_equal(tce_account_locked(dest->account, TCE_TAG_COUNT), locked);

	/* The created window's TABLE record with another size than its PHB record says. */
	for (t = 0;; t++) {
		at = find_record(stream, len, 4, t);
		assert_true(at > 0);
		if (test_le32(stream + at) == tce_liobn_pci(0, 1))
			break;
	}
	memcpy(edit, stream, len);
	wr64(edit + at + 32, 2 * (64 * MiB >> 16));
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EINVAL);
	assert_same_guest(dest, pristine);

	/* PHB 0's record twice, or a TABLE record twice (a copy added before END): refused, not applied twice. */
	for (t = 3; t <= 4; t++) {
		size_t at0 = find_record(stream, len, t, 0), rlen = test_le32(stream + at0 - 4), len2;
		uint8_t *twice;

		assert_true(at0 > 0);
		twice = with_record(stream, len, t, rlen, &len2);
		memcpy(twice + len - 8, stream + at0, rlen);
		restamp(twice, len2, 0);
		assert_int_equal(load_into(dest, twice, len2), -EINVAL);
		assert_same_guest(dest, pristine);
		test_free(twice);
	}
	/* RUNS for a table the stream does not have, or a run past its table, or of 0 entries. */
	at = find_record(stream, len, 5, 0);
	assert_true(at > 0);
	memcpy(edit, stream, len);
	wr64(edit + at, 0x4242);
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EINVAL);
	memcpy(edit, stream, len);
	wr64(edit + at + 8, UINT64_C(1) << 40); /* the first run's index */
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EINVAL);
	memcpy(edit, stream, len);
	wr64(edit + at + 16, 0); /* the first run's count */
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EINVAL);
	memcpy(edit, stream, len);
	wr64(edit + at + 16, UINT64_C(1) << 40);
	restamp(edit, len, 0);
	assert_int_equal(load_into(dest, edit, len), -EINVAL);
	assert_same_guest(dest, pristine);
	assert_int_equal(tce_account_locked(dest->account, TCE_TAG_COUNT), locked);

	/* A window to enable whose LIOBN is a table of the destination's own. */
	assert_int_equal(tce_guest_create_table(dest->g, tce_liobn_pci(0, 1), 12, 0, 16), 0);
	assert_int_equal(load_into(dest, stream, len), -EINVAL);
	assert_int_equal(tce_guest_remove_table(dest->g, tce_liobn_pci(0, 1)), 0);
	assert_same_guest(dest, pristine);
	assert_int_equal(tce_account_locked(dest->account, TCE_TAG_COUNT), locked);
	assert_int_equal(load_into(dest, stream, len), 0);
	assert_same_guest(dest, src);

	test_free(edit);
	tce_migration_free_stream(stream);
	vm_free(src);
	vm_free(dest);
	vm_free(pristine);
}

/* Streams that do not fit the destination: refused with nothing changed. */
static void test_refuses_what_does_not_fit(void **state)
{
	struct vm *src = vm_small(), *dest, *pristine = vm_new(TCE_HCALL_QEMU, true);
	struct tce_phb_config cfg;
	struct tce_guest_config gcfg;
	size_t len;
	void *stream = save_once(src, &len);

	(void)state;
	/* A LIOBN that already exists on the destination. */
	dest = vm_new(TCE_HCALL_QEMU, true);
	assert_int_equal(tce_guest_create_table(dest->g, 0x1000, 12, 0, 16), 0);
	assert_int_equal(load_into(dest, stream, len), -EINVAL);
	assert_int_equal(tce_guest_remove_table(dest->g, 0x1000), 0);
	assert_same_guest(dest, pristine);
	assert_int_equal(load_into(dest, stream, len), 0); /* once it is gone, the stream fits */
	assert_same_guest(dest, src);
	vm_free(dest);

	/* PHB 0 without DDW: it cannot have the created window. */
	dest = vm_new(TCE_HCALL_QEMU, false);
	phb_config(0, &cfg);
	cfg.ddw = false;
	assert_int_equal(tce_phb_create(dest->g, &cfg, &dest->phb[0]), 0);
	phb_config(1, &cfg);
	assert_int_equal(tce_phb_create(dest->g, &cfg, &dest->phb[1]), 0);
	assert_int_equal(load_into(dest, stream, len), -EINVAL);
	/* ...nor with DDW but without 64 KiB pages. */
	tce_phb_destroy(dest->phb[0]);
	phb_config(0, &cfg);
	cfg.pgsz = (UINT64_C(1) << 12) | (UINT64_C(1) << 24);
	assert_int_equal(tce_phb_create(dest->g, &cfg, &dest->phb[0]), 0);
	assert_int_equal(load_into(dest, stream, len), -EINVAL);
	assert_same_guest(dest, pristine);
	/* No PHB 1 at all. */
	tce_phb_destroy(dest->phb[1]);
	dest->phb[1] = NULL;
	assert_int_equal(load_into(dest, stream, len), -EINVAL);
	assert_int_equal(tce_guest_get_view(dest->g, 0x1000, &(struct tce_guest_view){0}), -ENOENT);
	vm_free(dest);

	/* Another hypercall profile. */
	dest = vm_new(TCE_HCALL_KVM, true);
	assert_int_equal(load_into(dest, stream, len), -EINVAL);
	assert_int_equal(tce_guest_get_view(dest->g, 0x1000, &(struct tce_guest_view){0}), -ENOENT);
	vm_free(dest);

	/* Guest memory the destination does not have. */
	dest = test_calloc(1, sizeof(*dest));
	dest->profile = TCE_HCALL_QEMU;
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &dest->account), 0);
	gcfg = (struct tce_guest_config){TCE_HCALL_QEMU, dest->account, NULL, NULL};
	assert_int_equal(tce_guest_create(&gcfg, &dest->g), 0);
	assert_int_equal(tce_guest_add_memslot(dest->g, 0, 512 * MiB, RAM_UA), 0);
	for (unsigned i = 0; i < NPHB; i++) {
		phb_config(i, &cfg);
		assert_int_equal(tce_phb_create(dest->g, &cfg, &dest->phb[i]), 0);
	}
	assert_int_equal(load_into(dest, stream, len), -EINVAL);
	assert_int_equal(tce_guest_add_memslot(dest->g, 512 * MiB, 512 * MiB, RAM_UA + GiB), 0);
	assert_int_equal(load_into(dest, stream, len), 0); /* two slots cover the source's one */
	vm_free(dest);

	tce_migration_free_stream(stream);
	vm_free(src);
	vm_free(pristine);
}

/*
 * QEMU re-creates a migrated window only when its entry count differs
 * (spec qemu-libvirt-papr 1.8): a window of the same count and another page
 * size or bus offset keeps the destination's stale geometry. Here every
 * field of the window decides.
 */
static void test_same_count_other_page_size(void **state)
{
	struct vm *src = vm_new(TCE_HCALL_QEMU, true), *dest = vm_new(TCE_HCALL_QEMU, true);
	uint32_t args[5] = {0, (uint32_t)(BUID(0) >> 32), (uint32_t)BUID(0), 16, 30}, rets[4], liobn;
	struct tce_phb_window before, win;
	size_t len;
	void *stream;

	(void)state;
	/* The default window goes; a 1 GiB window of 64 KiB pages has its 16384 entries too. */
	tce_phb_window(src->phb[0], 0, &before);
	liobn = before.liobn;
	assert_int_equal(tce_phb_rtas(src->phb[0], TCE_RTAS_REMOVE_PE_DMA_WINDOW, 1, &liobn, 1, rets), 0);
	assert_int_equal(tce_phb_rtas(src->phb[0], TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, args, 4, rets), 0);
	assert_int_equal(rets[0], 0);
	tce_phb_window(src->phb[0], 0, &win);
	assert_true(win.enabled);
	assert_int_equal(win.entries, before.entries);
	assert_int_equal(win.page_shift, 16);
	assert_int_equal(tce_h_put_tce(src->g, win.liobn, win.bus_offset + 0x10000, 0x20000 | 1), 0);
	stream = save_once(src, &len);
	assert_int_equal(load_into(dest, stream, len), 0);
	tce_phb_window(dest->phb[0], 0, &win);
	assert_int_equal(win.page_shift, 16);
	assert_false(win.def_win);
	assert_same_guest(dest, src);
	tce_migration_free_stream(stream);
	vm_free(src);
	vm_free(dest);
}

/*
 * A table the destination's VMM made itself (QEMU's VIO devices make theirs
 * at start) is filled by the passes when expected, refused as a clash when
 * not, and refused whole when its shape differs; it stays the VMM's table:
 * a view taken before the load reads the migrated entries.
 */
static void test_expected_tables(void **state)
{
	struct vm *src = vm_small(), *dest = vm_new(TCE_HCALL_QEMU, true),
		  *pristine = vm_new(TCE_HCALL_QEMU, true);
	struct tce_migration *in, *out;
	struct tce_guest_table_info info;
	struct tce_guest_view view;
	struct tce_guest_xlate x;
	uint64_t tce;
	size_t len, l0, lm, l1;
	void *stream = save_once(src, &len), *p0, *pm, *p1;

	(void)state;
	/* Another size than the source's 4096 entries: refused, nothing changed. */
	assert_int_equal(tce_guest_create_table(dest->g, 0x1000, 12, 0, 8192), 0);
	assert_int_equal(tce_guest_create_table(pristine->g, 0x1000, 12, 0, 8192), 0);
	assert_int_equal(tce_migration_accept(dest->g, dest->phb, NPHB, &in), 0);
	assert_int_equal(tce_migration_expect_table(in, 0x1000), 0);
	assert_int_equal(tce_migration_load(in, stream, len), -EINVAL);
	assert_same_guest(dest, pristine);
	tce_migration_done(in);
	/* ...another page size or offset likewise. */
	assert_int_equal(tce_guest_remove_table(dest->g, 0x1000), 0);
	assert_int_equal(tce_guest_create_table(dest->g, 0x1000, 16, 0, 4096), 0);
	assert_int_equal(tce_migration_accept(dest->g, dest->phb, NPHB, &in), 0);
	assert_int_equal(tce_migration_expect_table(in, 0x1000), 0);
	assert_int_equal(tce_migration_load(in, stream, len), -EINVAL);
	tce_migration_done(in);
	assert_int_equal(tce_guest_remove_table(dest->g, 0x1000), 0);
	assert_int_equal(tce_guest_create_table(dest->g, 0x1000, 12, 1, 4096), 0);
	assert_int_equal(tce_migration_accept(dest->g, dest->phb, NPHB, &in), 0);
	assert_int_equal(tce_migration_expect_table(in, 0x1000), 0);
	assert_int_equal(tce_migration_load(in, stream, len), -EINVAL);
	tce_migration_done(in);
	assert_int_equal(tce_guest_remove_table(dest->g, 0x1000), 0);

	/* The same shape, with a stale entry: not expected, a clash; expected, filled. */
	assert_int_equal(tce_guest_create_table(dest->g, 0x1000, 12, 0, 4096), 0);
	assert_int_equal(tce_h_put_tce(dest->g, 0x1000, 0x2000, 0x2000 | 1), 0);
	assert_int_equal(tce_guest_get_view(dest->g, 0x1000, &view), 0);
	assert_int_equal(load_into(dest, stream, len), -EINVAL);
	assert_int_equal(tce_migration_accept(dest->g, dest->phb, NPHB, &in), 0);
	assert_int_equal(tce_migration_expect_table(in, 0x4242), -ENOENT);
	assert_int_equal(tce_migration_expect_table(NULL, 0x1000), -EINVAL);
	assert_int_equal(tce_migration_expect_table(in, 0x1000), 0);
	assert_int_equal(tce_migration_load(in, stream, len), 0);
	assert_int_equal(tce_migration_expect_table(in, 0x1000), -EINVAL); /* after a load */
	tce_migration_done(in);
	assert_same_guest(dest, src);
	assert_int_equal(tce_h_get_tce(dest->g, 0x1000, 0x2000, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0); /* the stale entry is gone */
	assert_true(tce_guest_view_translate(&view, 0x5000, &x)); /* the view taken before */
	assert_int_equal(x.gpa, 0x7000);
	vm_free(dest);

	/* Between passes the source removes the table: the VMM's is emptied, not removed. */
	dest = vm_new(TCE_HCALL_QEMU, true);
	assert_int_equal(tce_guest_create_table(dest->g, 0x1000, 12, 0, 4096), 0);
	assert_int_equal(tce_migration_start(src->g, src->phb, NPHB, &out), 0);
	assert_int_equal(tce_migration_expect_table(out, 0x1000), -EINVAL); /* a source expects nothing */
	p0 = save_pass(out, false, &l0);
	/* (made anew with the same shape and another entry, then removed for good) */
	assert_int_equal(tce_guest_remove_table(src->g, 0x1000), 0);
	assert_int_equal(tce_guest_create_table(src->g, 0x1000, 12, 0, 4096), 0);
	assert_int_equal(tce_h_put_tce(src->g, 0x1000, 0x6000, 0x8000 | 1), 0);
	pm = save_pass(out, false, &lm);
	assert_int_equal(tce_guest_remove_table(src->g, 0x1000), 0);
	p1 = save_pass(out, true, &l1);
	tce_migration_done(out);
	assert_int_equal(tce_migration_accept(dest->g, dest->phb, NPHB, &in), 0);
	assert_int_equal(tce_migration_expect_table(in, 0x1000), 0);
	assert_int_equal(tce_migration_load(in, p0, l0), 0);
	assert_int_equal(tce_guest_table_info(dest->g, 0x1000, &info), 0);
	assert_int_equal(info.valid_entries, 1);
	assert_int_equal(tce_migration_load(in, pm, lm), 0);
	assert_int_equal(tce_h_get_tce(dest->g, 0x1000, 0x5000, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0);
	assert_int_equal(tce_h_get_tce(dest->g, 0x1000, 0x6000, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0x8000 | 1);
	assert_int_equal(tce_migration_load(in, p1, l1), 0);
	tce_migration_done(in);
	assert_int_equal(tce_guest_table_info(dest->g, 0x1000, &info), 0);
	assert_int_equal(info.valid_entries, 0);
	assert_int_equal(tce_guest_remove_table(dest->g, 0x1000), 0);
	assert_same_guest(dest, src);

	tce_migration_free_stream(p0);
	tce_migration_free_stream(pm);
	tce_migration_free_stream(p1);
	tce_migration_free_stream(stream);
	vm_free(dest);
	vm_free(src);
	vm_free(pristine);
}

/* Passes load in order, once; nothing after the final one; bad arguments. */
static void test_pass_order_and_arguments(void **state)
{
	struct vm *src = vm_small(), *dest = vm_new(TCE_HCALL_QEMU, true);
	struct tce_migration *out, *in;
	struct tce_migration_stats st;
	void *p0, *p1, *p2 = NULL;
	size_t l0, l1, l2;

	(void)state;
	out = (struct tce_migration *)&out; /* a failure leaves NULL behind, not what was there */
	assert_int_equal(tce_migration_start(NULL, src->phb, NPHB, &out), -EINVAL);
	assert_null(out);
	assert_int_equal(tce_migration_start(src->g, NULL, NPHB, &out), -EINVAL);
	assert_int_equal(tce_migration_start(src->g, src->phb, 257, &out), -EINVAL);
	assert_int_equal(tce_migration_start(src->g, src->phb, NPHB, &out), 0);
	assert_int_equal(tce_migration_accept(dest->g, dest->phb, NPHB, &in), 0);
	assert_int_equal(tce_migration_load(out, "x", 1), -EINVAL); /* a source does not load */
	assert_int_equal(tce_migration_save(in, false, &p2, &l2), -EINVAL); /* nor a destination save */
	assert_null(p2);
	p0 = save_pass(out, false, &l0);
	assert_int_equal(tce_migration_load(out, p0, l0), -EINVAL); /* not even a good stream */
	assert_int_equal(tce_migration_load(NULL, p0, l0), -EINVAL);
	assert_int_equal(tce_h_put_tce(src->g, 0x1000, 0x9000, 0x9000 | 1), 0);
	p1 = save_pass(out, true, &l1);
	assert_int_equal(tce_migration_save(out, true, &p2, &l2), -EINVAL); /* after the final pass */
	assert_int_equal(tce_migration_load(in, p1, l1), -EINVAL);          /* pass 1 before pass 0 */
	assert_int_equal(tce_migration_load(in, p0, l0), 0);
	assert_int_equal(tce_migration_load(in, p0, l0), -EINVAL);          /* pass 0 again */
	assert_int_equal(tce_migration_load(in, p1, l1), 0);
	assert_int_equal(tce_migration_load(in, p1, l1), -EINVAL);          /* after the final pass */
	assert_same_guest(dest, src);
	tce_migration_stats(out, &st);
	assert_int_equal(st.passes, 2);
	assert_int_equal(st.bytes, l0 + l1);
	assert_int_equal(st.last_bytes, l1);
	/* Only the chunk written since pass 0, entries 0..511: zeros, 5, zeros, 9, zeros. */
	assert_int_equal(st.last_runs, 5);
	assert_int_equal(st.last_entries, 512);
	tce_migration_stats(in, &st);
	assert_int_equal(st.passes, 2);
	assert_int_equal(st.bytes, l0 + l1);
	tce_migration_free_stream(p0);
	tce_migration_free_stream(p1);
	tce_migration_done(out);
	tce_migration_done(in);
	tce_migration_done(NULL);
	vm_free(src);
	vm_free(dest);
}

/*
 * Dirty tracking lasts as long as the migration: a table created during it
 * records its writes (one allocation more), one created after it does not.
 */
static int64_t allocations_to_create(struct vm *vm, uint64_t liobn)
{
	uint64_t before = tce_fault_allocations();

	assert_int_equal(tce_guest_create_table(vm->g, liobn, 12, 0, 4096), 0);
	return (int64_t)(tce_fault_allocations() - before);
}

static void test_tracking_ends_with_the_migration(void **state)
{
	struct vm *vm = vm_new(TCE_HCALL_QEMU, true);
	struct tce_migration *src;
	int64_t untracked, tracked, after;

	(void)state;
	/* The same LIOBN each time, created once before so the table map has its room. */
	allocations_to_create(vm, 0x2000);
	assert_int_equal(tce_guest_remove_table(vm->g, 0x2000), 0);
	untracked = allocations_to_create(vm, 0x2000);
	assert_int_equal(tce_guest_remove_table(vm->g, 0x2000), 0);
	assert_int_equal(tce_migration_start(vm->g, vm->phb, NPHB, &src), 0);
	tracked = allocations_to_create(vm, 0x2000);
	assert_int_equal(tce_guest_remove_table(vm->g, 0x2000), 0);
	tce_migration_done(src);
	after = allocations_to_create(vm, 0x2000);
	assert_int_equal(tracked, untracked + 1);
	assert_int_equal(after, untracked);
	vm_free(vm);
}

/* ---- sizes ---- */

/* A window mapped 1:1 is one run; a pass after changing 1% of it carries about that much. */
static void test_runs_are_small(void **state)
{
	struct vm *vm = vm_new(TCE_HCALL_QEMU, true), *dest = vm_new(TCE_HCALL_QEMU, true);
	struct tce_migration *src, *dst;
	struct tce_migration_stats st;
	const uint64_t liobn = tce_liobn_pci(0, 0), entries = 16384; /* 64 MiB of 4 KiB pages */
	uint64_t i, tces[512];
	void *stream;
	size_t len;

	(void)state;
	for (i = 0; i < entries; i += 512) {
		uint64_t k;

		for (k = 0; k < 512; k++)
			tces[k] = ((i + k) << 12) | 3;
		vm->list.n = 512;
		memcpy(vm->list.tces, tces, sizeof(tces));
		assert_int_equal(tce_h_put_tce_indirect(vm->g, liobn, i << 12, vm->list.gpa, 512), 0);
	}
	assert_int_equal(tce_migration_start(vm->g, vm->phb, NPHB, &src), 0);
	assert_int_equal(tce_migration_accept(dest->g, dest->phb, NPHB, &dst), 0);
	stream = save_pass(src, false, &len);
	tce_migration_stats(src, &st);
	assert_int_equal(st.last_runs, 1);
	assert_int_equal(st.last_entries, entries);
	assert_true(len < 512); /* the whole table would be 128 KiB */
	assert_int_equal(tce_migration_load(dst, stream, len), 0);
	tce_migration_free_stream(stream);
	/* 1% of the entries, in one place: 164 entries, within one 512-entry chunk. */
	for (i = 0; i < entries / 100; i++)
		assert_int_equal(tce_h_put_tce(vm->g, liobn, (1024 + i) << 12, 0), 0);
	stream = save_pass(src, false, &len);
	tce_migration_stats(src, &st);
	assert_int_equal(st.last_entries, 512); /* the chunk: cleared entries and the rest */
	assert_int_equal(st.last_runs, 2);      /* the cleared ones, then the remaining mapping */
	assert_int_equal(tce_migration_load(dst, stream, len), 0);
	tce_migration_free_stream(stream);
	/* Nothing written since: the final pass sends no entry again. */
	stream = save_pass(src, true, &len);
	tce_migration_stats(src, &st);
	assert_int_equal(st.last_entries, 0);
	assert_int_equal(st.last_runs, 0);
	assert_int_equal(tce_migration_load(dst, stream, len), 0);
	tce_migration_free_stream(stream);
	assert_same_guest(dest, vm);
	tce_migration_done(src);
	tce_migration_done(dst);
	vm_free(vm);
	vm_free(dest);
	/* A first pass sends valid entries only: two mappings apart in one storage page, two runs. */
	vm = vm_new(TCE_HCALL_QEMU, true);
	assert_int_equal(tce_h_put_tce(vm->g, liobn, 3 << 12, (7 << 12) | 1), 0);
	assert_int_equal(tce_h_put_tce(vm->g, liobn, 900 << 12, (9 << 12) | 2), 0);
	assert_int_equal(tce_migration_start(vm->g, vm->phb, NPHB, &src), 0);
	stream = save_pass(src, true, &len);
	tce_migration_stats(src, &st);
	assert_int_equal(st.last_runs, 2);
	assert_int_equal(st.last_entries, 2);
	tce_migration_free_stream(stream);
	tce_migration_done(src);
	vm_free(vm);
}

/* ---- concurrency ---- */

struct writer {
	struct vm *vm;
	atomic_bool stop;
	atomic_uint_fast64_t calls;
	uint64_t seed;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t rng = w->seed, liobns[2] = {tce_liobn_pci(0, 0), 0x1000};

	while (!atomic_load(&w->stop)) {
		uint64_t liobn = liobns[test_rng(&rng) % 2], idx = test_rng(&rng) % 16384;
		uint64_t tce = random_tce(&rng, 12);

		if (test_rng(&rng) % 4 == 0)
			tce_h_stuff_tce(w->vm->g, liobn, idx << 12, tce, 1 + test_rng(&rng) % 64);
		else
			tce_h_put_tce(w->vm->g, liobn, idx << 12, tce);
		atomic_fetch_add(&w->calls, 1);
	}
	return NULL;
}

/* Dirty passes while another thread writes; after the final pass the destination equals the source. */
static void test_iterative_with_concurrent_hypercalls(void **state)
{
	uint64_t rounds = test_count("LIBTCE_MIGRATE_ROUNDS", 3, 12), round;

	(void)state;
	for (round = 0; round < rounds; round++) {
		struct vm *vm = vm_new(TCE_HCALL_QEMU, true), *dest = vm_new(TCE_HCALL_QEMU, true);
		struct writer w = {.vm = vm, .seed = 77 + round};
		struct tce_migration *src, *dst;
		struct tce_migration_stats st;
		pthread_t thread;
		unsigned p, passes = 3 + (unsigned)(round % 5);
		void *stream;
		size_t len;

		assert_int_equal(tce_guest_create_table(vm->g, 0x1000, 12, 0, 16384), 0);
		assert_int_equal(pthread_create(&thread, NULL, writer_main, &w), 0);
		while (atomic_load(&w.calls) < 2000)
			;
		assert_int_equal(tce_migration_start(vm->g, vm->phb, NPHB, &src), 0);
		assert_int_equal(tce_migration_accept(dest->g, dest->phb, NPHB, &dst), 0);
		for (p = 0; p < passes; p++) {
			uint64_t before = atomic_load(&w.calls);

			stream = save_pass(src, false, &len);
			assert_int_equal(tce_migration_load(dst, stream, len), 0);
			tce_migration_free_stream(stream);
			while (atomic_load(&w.calls) < before + 500) /* let the guest write meanwhile */
				;
		}
		atomic_store(&w.stop, true);
		pthread_join(thread, NULL);
		stream = save_pass(src, true, &len); /* the guest is stopped: the downtime pass */
		assert_int_equal(tce_migration_load(dst, stream, len), 0);
		tce_migration_free_stream(stream);
		assert_same_guest(dest, vm);
		/* Nothing written since: a last pass would carry no runs. */
		tce_migration_stats(src, &st);
		assert_int_equal(st.passes, passes + 1);
		tce_migration_done(src);
		tce_migration_done(dst);
		vm_free(vm);
		vm_free(dest);
	}
}

/* ---- allocation failures ---- */

struct sweep {
	struct vm *src, *dest;
	struct tce_migration *out, *in;
	void *stream;
	size_t len;
};

static int sweep_save(void *ctx)
{
	struct sweep *s = ctx;
	void *stream = NULL;
	int rc = tce_migration_save(s->out, false, &stream, &s->len);

	if (rc == 0) {
		tce_fault_fail_nth(0); /* the sweep is of the save: the load runs without failures */
		assert_int_equal(tce_migration_load(s->in, stream, s->len), 0);
		tce_migration_free_stream(stream);
	} else {
		assert_null(stream);
	}
	return rc;
}

static int sweep_load(void *ctx)
{
	struct sweep *s = ctx;

	return tce_migration_load(s->in, s->stream, s->len);
}

static int sweep_start(void *ctx)
{
	struct sweep *s = ctx;
	struct tce_migration *m = (struct tce_migration *)&m; /* not NULL: a failure must clear it */
	int rc = tce_migration_start(s->src->g, s->src->phb, NPHB, &m);

	if (rc == 0)
		tce_migration_done(m);
	else
		assert_null(m);
	return rc;
}

static int sweep_accept(void *ctx)
{
	struct sweep *s = ctx;
	struct tce_migration *m = NULL;
	int rc = tce_migration_accept(s->dest->g, s->dest->phb, NPHB, &m);

	if (rc == 0)
		tce_migration_done(m);
	return rc;
}

/*
 * A save that runs out of memory produces nothing and loses nothing (the next
 * pass still carries every change); a load that does can be run again.
 */
static void test_allocation_failures(void **state)
{
	struct sweep s;
	uint64_t i;
	unsigned n;

	(void)state;
	s.src = vm_small();
	s.dest = vm_new(TCE_HCALL_QEMU, true);
	/* Starting: the migration, then each table's dirty map (vm_small has four tables). */
	assert_int_equal(test_fault_sweep(sweep_start, NULL, &s), 5);
	assert_int_equal(test_fault_sweep(sweep_accept, NULL, &s), 1);
	assert_int_equal(tce_migration_start(s.src->g, s.src->phb, NPHB, &s.out), 0);
	assert_int_equal(tce_migration_accept(s.dest->g, s.dest->phb, NPHB, &s.in), 0);
	n = test_fault_sweep(sweep_save, NULL, &s); /* pass 0 */
	assert_true(n >= 1);
	assert_same_guest(s.dest, s.src);
	/* Changes, then a dirty pass under the sweep: its failed tries lose none of them. */
	assert_int_equal(tce_h_put_tce(s.src->g, 0x1000, 0x6000, 0x8000 | 1), 0);
	assert_int_equal(tce_h_put_tce(s.src->g, 0x1000, 0x5000, 0), 0);
	assert_int_equal(tce_guest_create_table(s.src->g, 0x1001, 16, 0, 64), 0);
	assert_int_equal(tce_h_put_tce(s.src->g, 0x1001, 0x20000, 0x70000 | 3), 0);
	/* Scattered entries: the stream outgrows its first buffer halfway through the tables. */
	for (i = 0; i < 400; i++)
		assert_int_equal(tce_h_put_tce(s.src->g, tce_liobn_pci(0, 0), (i * 37) << 12,
					       ((i * 7919) << 12) | 1),
				 0);
	n = test_fault_sweep(sweep_save, NULL, &s);
	assert_true(n >= 1);
	assert_same_guest(s.dest, s.src);
	/* The final pass loaded with its allocations failing in turn: each try can be repeated. */
	assert_int_equal(tce_guest_remove_table(s.src->g, 0x1000), 0);
	assert_int_equal(tce_guest_create_table(s.src->g, 0x1002, 12, 8, 9000), 0);
	assert_int_equal(tce_h_stuff_tce(s.src->g, 0x1002, 0x9000, 0x1000 | 3, 9), 0);
	assert_int_equal(tce_h_put_tce(s.src->g, 0x1002, (8 + 8500) << 12, 0x2000 | 3), 0);
	s.stream = save_pass(s.out, true, &s.len);
	n = test_fault_sweep(sweep_load, NULL, &s);
	assert_true(n >= 2);
	assert_same_guest(s.dest, s.src);
	tce_migration_free_stream(s.stream);
	tce_migration_done(s.out);
	tce_migration_done(s.in);
	vm_free(s.src);
	vm_free(s.dest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_property),
		cmocka_unit_test(test_every_corruption_refused),
		cmocka_unit_test(test_format_rules),
		cmocka_unit_test(test_refuses_what_does_not_fit),
		cmocka_unit_test(test_refuses_inconsistent_records),
		cmocka_unit_test(test_expected_tables),
		cmocka_unit_test(test_pass_order_and_arguments),
		cmocka_unit_test(test_same_count_other_page_size),
		cmocka_unit_test(test_tracking_ends_with_the_migration),
		cmocka_unit_test(test_runs_are_small),
		cmocka_unit_test(test_iterative_with_concurrent_hypercalls),
		cmocka_unit_test(test_allocation_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
