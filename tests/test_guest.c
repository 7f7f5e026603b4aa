// SPDX-License-Identifier: MIT
/*
 * Guest hypercall conformance, per profile: every row runs under qemu, kvm
 * and papr and asserts each profile's return code and the table afterwards
 * (unchanged on failure; QEMU's partial writes exactly as QEMU does them).
 * Then table creation, translation, notifiers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/fault.h"
#include "tce/guest.h"


#define LIOBN 0x80000001u
#define PS 16u
#define START (UINT64_C(1) << 59)
#define ENTRIES 1024u
#define PAGE (UINT64_C(1) << PS)
#define LAST (START + (ENTRIES - 1) * PAGE)
#define LIST_GPA UINT64_C(0x100000)
#define RAM_GPA_END (1 * GiB)
#define R TCE_PERM_READ
#define W TCE_PERM_WRITE

struct fx {
	struct tce_account *account;
	struct tce_guest *g;
	struct test_list list; /* the INDIRECT list the guest wrote */
};

static void fx_setup(struct fx *f, enum tce_hcall_profile profile)
{
	struct tce_guest_config cfg;

	memset(f, 0, sizeof(*f));
	f->list.gpa = LIST_GPA;
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &f->account), 0);
	cfg = (struct tce_guest_config){profile, f->account, test_list_read, &f->list};
	assert_int_equal(tce_guest_create(&cfg, &f->g), 0);
	assert_int_equal(tce_guest_profile(f->g), profile);
	assert_int_equal(tce_guest_add_memslot(f->g, 0, RAM_GPA_END, UINT64_C(1) << 40), 0);
	assert_int_equal(tce_guest_create_table(f->g, LIOBN, PS, START >> PS, ENTRIES), 0);
}

static void fx_teardown(struct fx *f)
{
	tce_guest_destroy(f->g);
	assert_true(tce_account_balanced(f->account));
	tce_account_destroy(f->account);
}

static uint64_t get(struct fx *f, uint64_t ioba)
{
	uint64_t tce = 0xdead;

	assert_int_equal(tce_h_get_tce(f->g, LIOBN, ioba, &tce), TCE_H_SUCCESS);
	return tce;
}

static uint64_t valid(struct fx *f)
{
	struct tce_guest_table_info info;

	assert_int_equal(tce_guest_table_info(f->g, LIOBN, &info), 0);
	return info.valid_entries;
}

/* One row: a call and what each profile returns. */
enum call { PUT, GET, INDIRECT, STUFF };

struct row {
	const char *what;
	enum call call;
	uint64_t liobn, ioba, arg, npages; /* arg: tce, tce list gpa, or stuff value */
	long expect[3];                    /* qemu, kvm, papr */
	unsigned list_n;                   /* INDIRECT: entries served */
	uint64_t list_bad_index;           /* INDIRECT: this entry gets a gpa outside memory (if < list_n) */
	bool qemu_writes_partly;           /* qemu writes the pages before the bad one, then fails */
};

static long run(struct fx *f, const struct row *row)
{
	uint64_t tce;
	unsigned i;

	switch (row->call) {
	case PUT:
		return tce_h_put_tce(f->g, row->liobn, row->ioba, row->arg);
	case GET:
		return tce_h_get_tce(f->g, row->liobn, row->ioba, &tce);
	case INDIRECT:
		f->list.n = row->list_n;
		for (i = 0; i < row->list_n; i++)
			f->list.tces[i] = (i == row->list_bad_index ? 4 * GiB : (UINT64_C(1) + i) * PAGE) | R | W;
		return tce_h_put_tce_indirect(f->g, row->liobn, row->ioba, row->arg, row->npages);
	default:
		return tce_h_stuff_tce(f->g, row->liobn, row->ioba, row->arg, row->npages);
	}
}

#define NONE UINT64_MAX

static const struct row failing_rows[] = {
	/* H_PUT_TCE */
	{"put: unknown liobn", PUT, 0x80000007, START, PAGE | R, 0, {TCE_H_PARAMETER, TCE_H_TOO_HARD, TCE_H_PARAMETER}, 0, NONE, false},
	{"put: liobn with upper bits", PUT, 0x180000001, START, PAGE | R, 0, {TCE_H_PARAMETER, TCE_H_TOO_HARD, TCE_H_PARAMETER}, 0, NONE, false},
	{"put: below the window", PUT, LIOBN, START - PAGE, PAGE | R, 0, {TCE_H_PARAMETER, TCE_H_PARAMETER, TCE_H_PARAMETER}, 0, NONE, false},
	{"put: past the window", PUT, LIOBN, START + ENTRIES * PAGE, PAGE | R, 0, {TCE_H_PARAMETER, TCE_H_PARAMETER, TCE_H_PARAMETER}, 0, NONE, false},
	/* H_GET_TCE */
	{"get: unknown liobn", GET, 0x80000007, START, 0, 0, {TCE_H_PARAMETER, TCE_H_TOO_HARD, TCE_H_PARAMETER}, 0, NONE, false},
	{"get: past the window", GET, LIOBN, START + ENTRIES * PAGE, 0, 0, {TCE_H_PARAMETER, TCE_H_PARAMETER, TCE_H_PARAMETER}, 0, NONE, false},
	{"get: misaligned", GET, LIOBN, START + 8, 0, 0, {TCE_H_SUCCESS, TCE_H_PARAMETER, TCE_H_PARAMETER}, 0, NONE, false},
	/* H_PUT_TCE_INDIRECT */
	{"indirect: unknown liobn", INDIRECT, 0x80000007, START, LIST_GPA, 4, {TCE_H_PARAMETER, TCE_H_TOO_HARD, TCE_H_PARAMETER}, 4, NONE, false},
	{"indirect: 513 entries", INDIRECT, LIOBN, START, LIST_GPA, 513, {TCE_H_PARAMETER, TCE_H_PARAMETER, TCE_H_PARAMETER}, 512, NONE, false},
	{"indirect: list not 4K-aligned", INDIRECT, LIOBN, START, LIST_GPA + 8, 4, {TCE_H_PARAMETER, TCE_H_PARAMETER, TCE_H_PARAMETER}, 4, NONE, false},
	{"indirect: list unreadable", INDIRECT, LIOBN, START, LIST_GPA, 4, {TCE_H_PARAMETER, TCE_H_TOO_HARD, TCE_H_PARAMETER}, 0, NONE, false},
	{"indirect: first page in, last out (B-R1)", INDIRECT, LIOBN, LAST, LIST_GPA, 2, {TCE_H_PARAMETER, TCE_H_PARAMETER, TCE_H_PARAMETER}, 2, NONE, true},
	{"indirect: count 0", INDIRECT, LIOBN, START, LIST_GPA, 0, {TCE_H_PARAMETER, TCE_H_SUCCESS, TCE_H_SUCCESS}, 0, NONE, false},
	{"indirect: misaligned ioba", INDIRECT, LIOBN, START + 8, LIST_GPA, 2, {TCE_H_SUCCESS, TCE_H_PARAMETER, TCE_H_PARAMETER}, 2, NONE, false},
	{"indirect: a TCE outside guest memory", INDIRECT, LIOBN, START, LIST_GPA, 8, {TCE_H_SUCCESS, TCE_H_TOO_HARD, TCE_H_PARAMETER}, 8, 5, false},
	/* H_STUFF_TCE */
	{"stuff: unknown liobn", STUFF, 0x80000007, START, 0, 4, {TCE_H_PARAMETER, TCE_H_TOO_HARD, TCE_H_PARAMETER}, 0, NONE, false},
	{"stuff: count 0", STUFF, LIOBN, START, 0, 0, {TCE_H_PARAMETER, TCE_H_SUCCESS, TCE_H_SUCCESS}, 0, NONE, false},
	{"stuff: more than the table", STUFF, LIOBN, START, 0, ENTRIES + 1, {TCE_H_PARAMETER, TCE_H_PARAMETER, TCE_H_P4}, 0, NONE, false},
	{"stuff: 513 pages", STUFF, LIOBN, START, 0, 513, {TCE_H_SUCCESS, TCE_H_SUCCESS, TCE_H_P4}, 0, NONE, false},
	{"stuff: first page in, last out (B-R1)", STUFF, LIOBN, LAST - PAGE, 0, 3, {TCE_H_PARAMETER, TCE_H_PARAMETER, TCE_H_PARAMETER}, 0, NONE, true},
	{"stuff: value with permissions", STUFF, LIOBN, START, PAGE | R, 4, {TCE_H_SUCCESS, TCE_H_PARAMETER, TCE_H_SUCCESS}, 0, NONE, false},
	{"stuff: misaligned ioba", STUFF, LIOBN, START + 8, 0, 4, {TCE_H_SUCCESS, TCE_H_PARAMETER, TCE_H_PARAMETER}, 0, NONE, false},
};

/* Fill a few entries so "nothing changed" is visible. */
static void prefill(struct fx *f)
{
	assert_int_equal(tce_h_put_tce(f->g, LIOBN, START, (100 * PAGE) | R), TCE_H_SUCCESS);
	assert_int_equal(tce_h_put_tce(f->g, LIOBN, START + PAGE, (101 * PAGE) | W), TCE_H_SUCCESS);
	assert_int_equal(tce_h_put_tce(f->g, LIOBN, LAST - PAGE, (102 * PAGE) | R | W), TCE_H_SUCCESS);
	assert_int_equal(tce_h_put_tce(f->g, LIOBN, LAST, (103 * PAGE) | R | W), TCE_H_SUCCESS);
}

static void test_conformance_rows(void **state)
{
	size_t i;
	unsigned p;

	(void)state;
	for (i = 0; i < sizeof(failing_rows) / sizeof(failing_rows[0]); i++) {
		for (p = 0; p < 3; p++) {
			const struct row *row = &failing_rows[i];
			struct fx f;
			uint64_t before[4], after_start, after_next, after_last_1, after_last;
			uint64_t valid_before;
			long rc;

			fx_setup(&f, (enum tce_hcall_profile)p);
			prefill(&f);
			before[0] = get(&f, START);
			before[1] = get(&f, START + PAGE);
			before[2] = get(&f, LAST - PAGE);
			before[3] = get(&f, LAST);
			valid_before = valid(&f);
			rc = run(&f, row);
			if (rc != row->expect[p])
				print_error("%s, profile %s: got %ld, want %ld\n", row->what,
					    tce_hcall_rules_get((enum tce_hcall_profile)p)->name, rc,
					    row->expect[p]);
			assert_int_equal(rc, row->expect[p]);
			after_start = get(&f, START);
			after_next = get(&f, START + PAGE);
			after_last_1 = get(&f, LAST - PAGE);
			after_last = get(&f, LAST);
			if (rc != TCE_H_SUCCESS && !(p == TCE_HCALL_QEMU && row->qemu_writes_partly)) {
				/* Failure: nothing changed. */
				assert_int_equal(after_start, before[0]);
				assert_int_equal(after_next, before[1]);
				assert_int_equal(after_last_1, before[2]);
				assert_int_equal(after_last, before[3]);
				assert_int_equal(valid(&f), valid_before);
			}
			tce_guest_destroy(f.g);
			f.g = NULL;
			assert_true(tce_account_balanced(f.account));
			tce_account_destroy(f.account);
		}
	}
}

/* QEMU writes up to the first bad page and keeps what it wrote. */
static void test_qemu_partial_writes(void **state)
{
	struct fx f;

	(void)state;
	fx_setup(&f, TCE_HCALL_QEMU);
	f.list.n = 2;
	f.list.tces[0] = (7 * PAGE) | R;
	f.list.tces[1] = (8 * PAGE) | R;
	assert_int_equal(tce_h_put_tce_indirect(f.g, LIOBN, LAST, LIST_GPA, 2), TCE_H_PARAMETER);
	assert_int_equal(get(&f, LAST), (7 * PAGE) | R);
	assert_int_equal(tce_h_stuff_tce(f.g, LIOBN, LAST - PAGE, (9 * PAGE) | W, 3), TCE_H_PARAMETER);
	assert_int_equal(get(&f, LAST - PAGE), (9 * PAGE) | W);
	assert_int_equal(get(&f, LAST), (9 * PAGE) | W);
	/* A misaligned IOBA is masked; the TCE is stored as given, even without alignment. */
	assert_int_equal(tce_h_put_tce(f.g, LIOBN, START + 5, 0x1234 | R), TCE_H_SUCCESS);
	assert_int_equal(get(&f, START), 0x1234 | R);
	/* INDIRECT with a TCE outside memory: QEMU does not look. */
	f.list.n = 3;
	f.list.tces[0] = (4 * GiB) | R;
	f.list.tces[1] = 0;
	f.list.tces[2] = PAGE | W;
	assert_int_equal(tce_h_put_tce_indirect(f.g, LIOBN, START + PAGE, LIST_GPA, 3), TCE_H_SUCCESS);
	assert_int_equal(get(&f, START + PAGE), (4 * GiB) | R);
	/* LAST - PAGE, LAST, START, START + PAGE, START + 3 PAGE. */
	assert_int_equal(valid(&f), 5);
	fx_teardown(&f);
}

/* Strict profiles validate the whole list before writing any of it. */
static void test_validate_before_write(void **state)
{
	unsigned p;

	(void)state;
	for (p = TCE_HCALL_KVM; p <= TCE_HCALL_PAPR; p++) {
		struct fx f;

		fx_setup(&f, (enum tce_hcall_profile)p);
		f.list.n = 3;
		f.list.tces[0] = PAGE | R;
		f.list.tces[1] = (2 * PAGE) | R;
		f.list.tces[2] = (3 * PAGE + 4 * KiB) | R; /* not aligned to the 64 KiB page */
		assert_int_equal(tce_h_put_tce_indirect(f.g, LIOBN, START, LIST_GPA, 3),
				 p == TCE_HCALL_KVM ? TCE_H_TOO_HARD : TCE_H_PARAMETER);
		assert_int_equal(get(&f, START), 0);
		assert_int_equal(valid(&f), 0);
		/* A single put of a misaligned or out-of-memory address. */
		assert_int_equal(tce_h_put_tce(f.g, LIOBN, START, (3 * PAGE + 4 * KiB) | R),
				 p == TCE_HCALL_KVM ? TCE_H_TOO_HARD : TCE_H_PARAMETER);
		assert_int_equal(tce_h_put_tce(f.g, LIOBN, START, RAM_GPA_END | R),
				 p == TCE_HCALL_KVM ? TCE_H_TOO_HARD : TCE_H_PARAMETER);
		/* An address without permission bits is not looked at. */
		assert_int_equal(tce_h_put_tce(f.g, LIOBN, START, RAM_GPA_END), TCE_H_SUCCESS);
		assert_int_equal(valid(&f), 0);
		/* The full valid list works. */
		f.list.tces[2] = (3 * PAGE) | R | W;
		assert_int_equal(tce_h_put_tce_indirect(f.g, LIOBN, START, LIST_GPA, 3), TCE_H_SUCCESS);
		assert_int_equal(get(&f, START + 2 * PAGE), (3 * PAGE) | R | W);
		assert_int_equal(valid(&f), 3);
		assert_int_equal(tce_h_stuff_tce(f.g, LIOBN, START, 0, 3), TCE_H_SUCCESS);
		assert_int_equal(valid(&f), 0);
		fx_teardown(&f);
	}
}

static void test_create_table_rules(void **state)
{
	struct fx f;
	struct tce_guest_table_info info;
	struct tce_account *small;
	struct tce_guest *g2;
	struct tce_guest_config cfg;

	(void)state;
	fx_setup(&f, TCE_HCALL_KVM);
	assert_int_equal(tce_guest_create_table(f.g, 0x5, 12, 0, 0), -EINVAL);
	assert_int_equal(tce_guest_create_table(f.g, 0x5, 11, 0, 16), -EINVAL);
	assert_int_equal(tce_guest_create_table(f.g, 0x5, 35, 0, 16), -EINVAL);
	/* 16 GiB pages (shift 34) are the largest a table takes; 12 the smallest. */
	assert_int_equal(tce_guest_create_table(f.g, 0x5, 34, 0, 16), 0);
	assert_int_equal(tce_guest_remove_table(f.g, 0x5), 0);
	assert_int_equal(tce_guest_create_table(f.g, 0x5, 12, 0, 16), 0);
	assert_int_equal(tce_guest_remove_table(f.g, 0x5), 0);
	assert_int_equal(tce_guest_create_table(f.g, 0x5, 12, UINT64_MAX >> 12, 2), -EINVAL);
	/* A window ending exactly at 2^64 fits; its last page works. */
	assert_int_equal(tce_guest_create_table(f.g, 0x5, 12, (UINT64_MAX >> 12) - 1, 2), 0);
	assert_int_equal(tce_h_put_tce(f.g, 0x5, UINT64_MAX - 4095, 0x3000 | TCE_PERM_READ), TCE_H_SUCCESS);
	assert_int_equal(tce_guest_remove_table(f.g, 0x5), 0);
	assert_int_equal(tce_guest_create_table(f.g, UINT64_C(1) << 32, 12, 0, 16), -EINVAL);
	assert_int_equal(tce_guest_create_table(f.g, LIOBN, 12, 0, 16), -EBUSY);
	/* KVM's charge (spec §2.5): 2 GiB @4K = 64 + 1 pages; 1 TiB @64K = 2049 pages. */
	assert_int_equal(tce_guest_create_table(f.g, 0x80000100, 12, 0, 524288), 0);
	assert_int_equal(tce_guest_table_info(f.g, 0x80000100, &info), 0);
	assert_int_equal(info.charged_bytes, 65 * 64 * KiB);
	assert_int_equal(info.allocated_bytes, 0);
	assert_int_equal(tce_guest_create_table(f.g, 0x80000101, 16, 0, 16777216), 0);
	assert_int_equal(tce_guest_table_info(f.g, 0x80000101, &info), 0);
	assert_int_equal(info.charged_bytes, 2049 * 64 * KiB);
	assert_int_equal(tce_guest_create_table(f.g, 0x80000102, 24, 0, 65536), 0); /* 1 TiB @16M */
	assert_int_equal(tce_guest_table_info(f.g, 0x80000102, &info), 0);
	assert_int_equal(info.charged_bytes, 9 * 64 * KiB);
	/* Pages are allocated on first non-zero write only. */
	assert_int_equal(tce_h_put_tce(f.g, 0x80000100, 0x5000, 0), TCE_H_SUCCESS);
	assert_int_equal(tce_guest_table_info(f.g, 0x80000100, &info), 0);
	assert_int_equal(info.allocated_bytes, 0);
	assert_int_equal(tce_h_put_tce(f.g, 0x80000100, 0x5000, 0x7000 | R), TCE_H_SUCCESS);
	assert_int_equal(tce_guest_table_info(f.g, 0x80000100, &info), 0);
	assert_int_equal(info.allocated_bytes, 64 * KiB);
	assert_int_equal(tce_guest_remove_table(f.g, 0x80000101), 0);
	assert_int_equal(tce_guest_remove_table(f.g, 0x80000101), -ENOENT);
	assert_int_equal(tce_guest_table_info(f.g, 0x80000101, &info), -ENOENT);
	/* Over the limit: refused whole, nothing charged. */
	assert_int_equal(tce_account_create(64 * KiB, &small), 0);
	cfg = (struct tce_guest_config){TCE_HCALL_KVM, small, NULL, NULL};
	/* A profile that does not exist, or no account: -EINVAL. Destroying no guest is nothing. */
	cfg.profile = (enum tce_hcall_profile)99;
	assert_int_equal(tce_guest_create(&cfg, &g2), -EINVAL);
	cfg = (struct tce_guest_config){TCE_HCALL_KVM, NULL, NULL, NULL};
	assert_int_equal(tce_guest_create(&cfg, &g2), -EINVAL);
	tce_guest_destroy(NULL);
	cfg = (struct tce_guest_config){TCE_HCALL_KVM, small, NULL, NULL};
	tce_fault_fail_nth(1); /* no memory for the guest itself: -ENOMEM */
	assert_int_equal(tce_guest_create(&cfg, &g2), -ENOMEM);
	tce_fault_fail_nth(0);
	assert_int_equal(tce_guest_create(&cfg, &g2), 0);
	assert_int_equal(tce_guest_create_table(g2, 1, 12, 0, 8192), -ENOMEM);
	assert_true(tce_account_balanced(small));
	tce_guest_destroy(g2);
	tce_account_destroy(small);
	fx_teardown(&f);
}

struct log {
	unsigned n;
	struct tce_guest_event ev[8];
};

static void record(void *opaque, const struct tce_guest_event *ev)
{
	struct log *log = opaque;

	if (log->n < 8)
		log->ev[log->n] = *ev;
	log->n++;
}

static void test_translate_and_notify(void **state)
{
	struct fx f;
	struct tce_guest_xlate x;
	struct log log = {0};
	uint64_t ua;

	(void)state;
	fx_setup(&f, TCE_HCALL_QEMU);
	tce_guest_set_notifier(f.g, record, &log);
	assert_int_equal(tce_h_put_tce(f.g, LIOBN, START + 3 * PAGE, (42 * PAGE) | W), TCE_H_SUCCESS);
	assert_int_equal(tce_h_stuff_tce(f.g, LIOBN, START + 3 * PAGE, 0, 2), TCE_H_SUCCESS);
	assert_int_equal(log.n, 3);
	assert_true(log.ev[0].map);
	assert_int_equal(log.ev[0].iova, 3 * PAGE);
	assert_int_equal(log.ev[0].gpa, 42 * PAGE);
	assert_int_equal(log.ev[0].addr_mask, PAGE - 1);
	assert_int_equal(log.ev[0].perm, W);
	assert_false(log.ev[1].map);
	assert_int_equal(log.ev[2].iova, 4 * PAGE);
	tce_guest_set_notifier(f.g, NULL, NULL);
	assert_int_equal(tce_h_put_tce(f.g, LIOBN, START + 3 * PAGE, (42 * PAGE) | W), TCE_H_SUCCESS);
	assert_int_equal(log.n, 3);

	assert_int_equal(tce_guest_translate(f.g, LIOBN, START + 3 * PAGE + 0x123, W, &x), 0);
	assert_int_equal(x.gpa, 42 * PAGE);
	assert_int_equal(x.iova, 3 * PAGE);
	assert_int_equal(x.perm, W);
	assert_int_equal(tce_guest_translate(f.g, LIOBN, START + 3 * PAGE, R, &x), -EACCES);
	assert_int_equal(tce_guest_translate(f.g, LIOBN, START + 4 * PAGE, R, &x), -EACCES);
	assert_int_equal(x.perm, 0);
	assert_int_equal(tce_guest_translate(f.g, LIOBN, START - 1, 0, &x), -EFAULT);
	assert_int_equal(tce_guest_translate(f.g, 0x12345, START, 0, &x), -ENOENT);
	/* Memslots. */
	assert_int_equal(tce_guest_gpa_to_ua(f.g, 5 * PAGE, &ua), 0);
	assert_int_equal(ua, (UINT64_C(1) << 40) + 5 * PAGE);
	assert_int_equal(tce_guest_gpa_to_ua(f.g, RAM_GPA_END, &ua), -EFAULT);
	assert_int_equal(tce_guest_add_memslot(f.g, RAM_GPA_END - PAGE, 2 * PAGE, 0x1000000), -EINVAL);
	assert_int_equal(tce_guest_add_memslot(f.g, 4 * GiB, 0, 0x1000000), -EINVAL);
	assert_int_equal(tce_guest_add_memslot(f.g, 4 * GiB + 1, 4096, 0x1000000), -EINVAL);
	assert_int_equal(tce_guest_add_memslot(f.g, 4 * GiB, 4096, 0x1000000), 0);
	/* Overlapping the slot after it (not the one before): refused, the slots as they were. */
	assert_int_equal(tce_guest_add_memslot(f.g, 4 * GiB - 4096, 8192, 0x2000000), -EINVAL);
	assert_int_equal(tce_guest_gpa_to_ua(f.g, 4 * GiB - 4096, &ua), -EFAULT);
	assert_int_equal(tce_guest_gpa_to_ua(f.g, 4 * GiB, &ua), 0);
	assert_int_equal(ua, 0x1000000);
	/* Reset zeroes the table. */
	assert_int_equal(tce_guest_reset_table(f.g, LIOBN), 0);
	assert_int_equal(valid(&f), 0);
	assert_int_equal(tce_guest_reset_table(f.g, 0x999), -ENOENT);
	fx_teardown(&f);
}

/*
 * Without a read callback, H_PUT_TCE_INDIRECT reads its list through the
 * memslots: here guest RAM is a buffer of this process.
 */
static void test_indirect_reads_through_memslots(void **state)
{
	static uint64_t ram[3 * 512] __attribute__((aligned(4096))); /* 12 KiB of "guest RAM" */
	struct tce_guest_config cfg = {.profile = TCE_HCALL_QEMU};
	struct tce_account *account;
	struct tce_guest *g;
	uint64_t tce, k;

	(void)state;
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &account), 0);
	cfg.account = account;
	assert_int_equal(tce_guest_create(&cfg, &g), 0);
	assert_int_equal(tce_guest_add_memslot(g, 0x10000, 8192, (uintptr_t)ram), 0);
	assert_int_equal(tce_guest_create_table(g, LIOBN, 12, 0, 64), 0);
	/* The list at gpa 0x11000 (the slot's second page): three TCEs, big-endian. */
	for (k = 0; k < 3; k++) {
		uint64_t v = 0x10000 + k * 4096 + R;
		uint8_t *p = (uint8_t *)&ram[512 + k];
		unsigned b;

		for (b = 0; b < 8; b++)
			p[b] = (uint8_t)(v >> (56 - 8 * b));
	}
	assert_int_equal(tce_h_put_tce_indirect(g, LIOBN, 5 * 4096, 0x11000, 3), TCE_H_SUCCESS);
	for (k = 0; k < 3; k++) {
		assert_int_equal(tce_h_get_tce(g, LIOBN, (5 + k) * 4096, &tce), TCE_H_SUCCESS);
		assert_int_equal(tce, 0x10000 + k * 4096 + R);
	}
	/* A list outside every memslot cannot be read: refused, nothing written. */
	assert_int_equal(tce_h_put_tce_indirect(g, LIOBN, 9 * 4096, 0x20000, 3), TCE_H_PARAMETER);
	assert_int_equal(tce_h_get_tce(g, LIOBN, 9 * 4096, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0);
	tce_guest_destroy(g);
	assert_true(tce_account_balanced(account));
	tce_account_destroy(account);
}

/*
 * A hostile guest clears a window of 2^37 entries with one H_STUFF_TCE: the
 * work follows the storage that exists (none, or one page), not the entries.
 * Never-written entries that stay zero produce no notifier events.
 */
static void test_huge_window_clear_is_bounded(void **state)
{
	const uint64_t entries = UINT64_C(1) << 37, huge_liobn = 0x80000002u;
	struct tce_guest_table_info info;
	struct log log = {0};
	struct fx f;

	(void)state;
	fx_setup(&f, TCE_HCALL_QEMU);
	assert_int_equal(tce_guest_create_table(f.g, huge_liobn, 12, 0, entries), 0);
	tce_guest_set_notifier(f.g, record, &log);
	assert_int_equal(tce_h_stuff_tce(f.g, huge_liobn, 0, 0, entries), TCE_H_SUCCESS);
	assert_int_equal(log.n, 0);
	assert_int_equal(tce_guest_table_info(f.g, huge_liobn, &info), 0);
	assert_int_equal(info.allocated_bytes, 0);
	/* One entry written at the far end: clearing visits that storage page only. */
	assert_int_equal(tce_h_put_tce(f.g, huge_liobn, (entries - 1) << 12, (5 * 4096) | R),
			 TCE_H_SUCCESS);
	assert_int_equal(log.n, 1);
	log.n = 0;
	assert_int_equal(tce_h_stuff_tce(f.g, huge_liobn, 0, 0, entries), TCE_H_SUCCESS);
	assert_int_equal(log.n, 8192); /* the one page's entries */
	assert_int_equal(tce_guest_table_info(f.g, huge_liobn, &info), 0);
	assert_int_equal(info.valid_entries, 0);
	assert_int_equal(info.allocated_bytes, 64 * KiB);
	tce_guest_set_notifier(f.g, NULL, NULL);
	assert_int_equal(tce_guest_remove_table(f.g, huge_liobn), 0);
	fx_teardown(&f);
}

static void test_profiles_named_in_one_place(void **state)
{
	enum tce_hcall_profile p = TCE_HCALL_QEMU;

	(void)state;
	assert_int_equal(tce_hcall_profile_parse("kvm", &p), 0);
	assert_int_equal(p, TCE_HCALL_KVM);
	assert_int_equal(tce_hcall_profile_parse("papr", &p), 0);
	assert_int_equal(p, TCE_HCALL_PAPR);
	assert_int_equal(tce_hcall_profile_parse("xen", &p), -EINVAL);
	assert_null(tce_hcall_rules_get((enum tce_hcall_profile)3));
	assert_string_equal(tce_hcall_rules_get(TCE_HCALL_QEMU)->name, "qemu");
	assert_true(tce_hcall_rules_get(TCE_HCALL_QEMU)->mask_misaligned_ioba);
	assert_false(tce_hcall_rules_get(TCE_HCALL_KVM)->mask_misaligned_ioba);
	assert_int_equal(tce_hcall_rules_get(TCE_HCALL_KVM)->unknown_liobn, TCE_H_TOO_HARD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance_rows),
		cmocka_unit_test(test_qemu_partial_writes),
		cmocka_unit_test(test_validate_before_write),
		cmocka_unit_test(test_create_table_rules),
		cmocka_unit_test(test_translate_and_notify),
		cmocka_unit_test(test_huge_window_clear_is_bounded),
		cmocka_unit_test(test_indirect_reads_through_memslots),
		cmocka_unit_test(test_profiles_named_in_one_place),
	};

	return cmocka_run_group_tests_name("guest", tests, NULL, NULL);
}
