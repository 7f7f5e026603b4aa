// SPDX-License-Identifier: MIT
/*
 * Trace replay: a synthetic guest session in the current and the older field
 * format replays without a mismatch; altered results, unknown tables and
 * garbage lines are caught with their line numbers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/fault.h"
#include "tce/trace.h"

static const char *const session[] = {
	"100@1.000001:spapr_iommu_new_table liobn=0x80000000 table=0x55d0 fd=-1",
	"101@1.000002:spapr_pci_lsi_set pci@800000020000000 PIN0 IRQ 4097",
	"101@1.000003:spapr_iommu_pci_stuff liobn=0x80000000 ioba=0x200000 tcevalue=0x0 npages=512 ret=0",
	"101@1.000004:spapr_iommu_ddw_query buid=0x800000020000000 addr=0x0, 1 windows available, max window size=0x80000000, mask=0x107",
	"101@1.000005:spapr_iommu_new_table liobn=0x80000001 table=0x7f00 fd=-1",
	"101@1.000006:spapr_iommu_ddw_create buid=0x800000020000000 addr=0x0, page size=0x1000000, requested=0x80000000, start addr=0x800000000000000, liobn=0x80000001",
	"101@1.000007:spapr_iommu_pci_indirect liobn=0x80000001 ioba=0x800000000000000 tcelist=0x2420000 iobaN=0x7f tceN=0x7f000003 ret=0",
	"100@1.000008:spapr_iommu_xlate liobn=0x80000001 0x20b1002 -> 0x2000000 perm=3 mask=0xffffff",
	"101@1.000009:spapr_iommu_pci_put liobn=0x80000000 ioba=0x1000 tce=0x8edf003 ret=0",
	"100@1.000010:spapr_iommu_xlate liobn=0x80000000 0x1abc -> 0x8edf000 perm=3 mask=0xfff",
	"101@1.000011:spapr_iommu_pci_put liobn=0x80000000 ioba=0x40000000 tce=0x1003 ret=-4",
	"101@1.000012:spapr_iommu_pci_get liobn=0x80000000 ioba=0x1000 ret=0 tce=0x8edf003",
	"101@1.000013:spapr_iommu_pci_stuff liobn=0x80000000 ioba=0x2000 tcevalue=0x0 npages=1 ret=0",
	"100@1.000014:spapr_iommu_xlate liobn=0x80000000 0x1abc -> 0x0 perm=0 mask=0xfff",
	"101@1.000015:spapr_iommu_pci_indirect liobn=0x80000000 ioba=0x3fff0000 tcelist=0x2420000 iobaN=0xf tceN=0x448f003 ret=-4",
	"101@1.000016:spapr_iommu_ddw_remove liobn=0x80000001",
	"101@1.000017:spapr_iommu_ddw_reset buid=0x800000020000000 addr=0x0",
};

/* QEMU's older format: hex without 0x, and the window-relative page in xlate. */
static const char *const old_session[] = {
	"7@2.000001:spapr_iommu_new_table liobn=80000000 table=0x55d0 fd=-1",
	"7@2.000002:spapr_iommu_pci_put liobn=80000000 ioba=0x3000 tce=0x9000003 ret=0",
	"7@2.000003:spapr_iommu_xlate liobn=80000000 0x3010 -> 0x3000 perm=3 mask=fff",
	"7@2.000004:spapr_iommu_ddw_query buid=800000020000000 addr=0, 1 windows available, max window size=80000000, mask=107",
};

static struct tce_replay *replay_of(const char *const *lines, size_t n, int expect_each)
{
	struct tce_replay_config cfg = {.profile = TCE_HCALL_QEMU, .keep_problems = 0};
	struct tce_replay *r;
	size_t i;

	assert_int_equal(tce_replay_create(&cfg, &r), 0);
	for (i = 0; i < n; i++) {
		int rc = tce_replay_line(r, lines[i], strlen(lines[i]), i + 1);

		if (expect_each >= 0 && rc != expect_each)
			print_error("line %zu: %d\n", i + 1, rc);
		if (expect_each >= 0)
			assert_int_equal(rc, expect_each);
	}
	return r;
}

static void test_session_matches(void **state)
{
	struct tce_replay *r = replay_of(session, sizeof(session) / sizeof(session[0]), 0);
	struct tce_replay_stats s;
	struct tce_phb_window w;
	const struct tce_replay_problem *problems;

	(void)state;
	tce_replay_destroy(NULL); /* nothing to destroy: nothing happens */
	tce_replay_stats(r, &s);
	assert_int_equal(s.lines, 17);
	assert_int_equal(s.mismatches, 0);
	assert_int_equal(s.unparsable, 0);
	assert_int_equal(s.events[TCE_TRACE_PUT].seen, 2);
	assert_int_equal(s.events[TCE_TRACE_PUT].matched, 2);
	assert_int_equal(s.events[TCE_TRACE_STUFF].matched, 2);
	assert_int_equal(s.events[TCE_TRACE_INDIRECT].matched, 1);
	assert_int_equal(s.events[TCE_TRACE_INDIRECT].unverified, 1);
	assert_int_equal(s.events[TCE_TRACE_XLATE].matched, 3);
	assert_int_equal(s.events[TCE_TRACE_GET].matched, 1);
	assert_int_equal(s.events[TCE_TRACE_DDW_QUERY].matched, 1);
	assert_int_equal(s.events[TCE_TRACE_DDW_CREATE].matched, 1);
	assert_int_equal(s.events[TCE_TRACE_DDW_REMOVE].matched, 1);
	assert_int_equal(s.events[TCE_TRACE_DDW_RESET].matched, 1);
	assert_int_equal(s.events[TCE_TRACE_NEW_TABLE].seen, 2);
	assert_int_equal(s.events[TCE_TRACE_OTHER].seen, 1);
	assert_int_equal(tce_replay_problems(r, &problems), 0);
	/* After remove and reset: the default window alone. */
	assert_int_equal(tce_phb_window(tce_replay_phb(r, 0), 1, &w), 0);
	assert_false(w.enabled);
	assert_null(tce_replay_phb(r, 1));
	assert_string_equal(tce_trace_event_name(TCE_TRACE_XLATE), "spapr_iommu_xlate");
	assert_string_equal(tce_trace_event_name(TCE_TRACE_EVENT_COUNT), "unknown");
	tce_replay_destroy(r);
}

static int migrate_op(void *ctx)
{
	return tce_replay_migrate(ctx, NULL);
}

/*
 * A replay's migration with each of its allocations failing in turn: -ENOMEM,
 * the replay left on its objects (nothing leaks), and the rest of the session
 * still matches after the migration that succeeds.
 */
static void test_migrate_allocation_failures(void **state)
{
	const size_t half = 8, n = sizeof(session) / sizeof(session[0]);
	struct tce_replay *r = replay_of(session, half, 0);
	struct tce_replay_stats s;
	size_t i;

	(void)state;
	assert_true(test_fault_sweep(migrate_op, NULL, r) > 10);
	for (i = half; i < n; i++)
		assert_int_equal(tce_replay_line(r, session[i], strlen(session[i]), i + 1), 0);
	tce_replay_stats(r, &s);
	assert_int_equal(s.mismatches, 0);
	assert_int_equal(s.lines, n);
	tce_replay_destroy(r);
}

/*
 * The INDIRECT list is rebuilt from its last entry (iobaN, tceN): after the
 * replay every entry holds what Linux wrote, the last one tceN exactly and the
 * first tceN - iobaN pages.
 */
static void test_indirect_entries_rebuilt(void **state)
{
	struct tce_replay *r = replay_of(session, 7, 0);
	struct tce_guest *g = tce_replay_guest(r);
	const uint64_t ddw = UINT64_C(1) << 59, page = 16 * MiB;
	uint64_t tce, i;

	(void)state;
	assert_int_equal(tce_h_get_tce(g, 0x80000001, ddw + 0x7f * page, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0x7f000003);
	assert_int_equal(tce_h_get_tce(g, 0x80000001, ddw, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0x3);
	for (i = 0; i < 0x80; i += 9) {
		assert_int_equal(tce_h_get_tce(g, 0x80000001, ddw + i * page, &tce), TCE_H_SUCCESS);
		assert_int_equal(tce, (i * page) | 3);
	}
	/* The list filled the 2 GiB window: one page past it is outside. */
	assert_int_equal(tce_h_get_tce(g, 0x80000001, ddw + 0x80 * page, &tce), TCE_H_PARAMETER);
	tce_replay_destroy(r);
}

static void test_old_format(void **state)
{
	struct tce_replay *r = replay_of(old_session, sizeof(old_session) / sizeof(old_session[0]), 0);
	struct tce_replay_stats s;

	(void)state;
	tce_replay_stats(r, &s);
	assert_int_equal(s.mismatches, 0);
	assert_int_equal(s.events[TCE_TRACE_XLATE].matched, 1);
	assert_int_equal(s.events[TCE_TRACE_DDW_QUERY].matched, 1);
	tce_replay_destroy(r);
}

/* Each altered line must be reported as a mismatch at its line number. */
static void test_alterations_are_caught(void **state)
{
	static const struct {
		size_t index;
		const char *line;
		const char *what; /* the start of the problem reported, when given */
	} changes[] = {
		{8, "101@1.000009:spapr_iommu_pci_put liobn=0x80000000 ioba=0x1000 tce=0x8edf003 ret=-4", NULL},
		{9, "100@1.000010:spapr_iommu_xlate liobn=0x80000000 0x1abc -> 0x8ede000 perm=3 mask=0xfff", NULL},
		{9, "100@1.000010:spapr_iommu_xlate liobn=0x80000000 0x1abc -> 0x8edf000 perm=1 mask=0xfff", NULL},
		{7, "100@1.000008:spapr_iommu_xlate liobn=0x80000001 0x20b1002 -> 0x2000000 perm=3 mask=0xfff", NULL},
		{10, "101@1.000011:spapr_iommu_pci_put liobn=0x80000000 ioba=0x40000000 tce=0x1003 ret=0", NULL},
		{11, "101@1.000012:spapr_iommu_pci_get liobn=0x80000000 ioba=0x1000 ret=0 tce=0x8edf001", NULL},
		{3, "101@1.000004:spapr_iommu_ddw_query buid=0x800000020000000 addr=0x0, 2 windows available, max window size=0x80000000, mask=0x107", NULL},
		{5, "101@1.000006:spapr_iommu_ddw_create buid=0x800000020000000 addr=0x0, page size=0x1000000, requested=0x80000000, start addr=0x0, liobn=0x80000001", NULL},
		{8, "101@1.000009:spapr_iommu_pci_put liobn=0x80000009 ioba=0x1000 tce=0x8edf003 ret=0", NULL},
		/* A STUFF that succeeded on a window that does not exist (PHB 0 before its DDW). */
		{2, "101@1.000003:spapr_iommu_pci_stuff liobn=0x80000001 ioba=0x200000 tcevalue=0x0 npages=512 ret=0", NULL},
		/* Lines naming what the replay does not have, or values no guest could pass. */
		{6, "101@1.000007:spapr_iommu_pci_indirect liobn=0x80000009 ioba=0x800000000000000 tcelist=0x2420000 iobaN=0x7f tceN=0x7f000003 ret=0",
		 "no table for liobn 0x80000009"},
		{6, "101@1.000007:spapr_iommu_pci_indirect liobn=0x80000001 ioba=0x800000000000000 tcelist=0x2420000 iobaN=0x200 tceN=0x7f000003 ret=0",
		 "iobaN=512 means more than 512 entries"},
		{7, "100@1.000008:spapr_iommu_xlate liobn=0x80000009 0x20b1002 -> 0x2000000 perm=3 mask=0xffffff",
		 "no table for liobn 0x80000009"},
		{9, "100@1.000010:spapr_iommu_xlate liobn=0x80000000 0x7fff0000 -> 0x8edf000 perm=3 mask=0xfff",
		 "translate failed: "},
		{3, "101@1.000004:spapr_iommu_ddw_query buid=0x800000021000000 addr=0x0, 1 windows available, max window size=0x80000000, mask=0x107",
		 "no PHB for buid 0x800000021000000"},
		{5, "101@1.000006:spapr_iommu_ddw_create buid=0x800000020000000 addr=0x0, page size=0x1000001, requested=0x80000000, start addr=0x800000000000000, liobn=0x80000001",
		 "page or window size not a power of two"},
		{5, "101@1.000006:spapr_iommu_ddw_create buid=0x800000020000000 addr=0x0, page size=0x1000000, requested=0x80000001, start addr=0x800000000000000, liobn=0x80000001",
		 "page or window size not a power of two"},
	};
	const char *lines[sizeof(session) / sizeof(session[0])];
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(changes) / sizeof(changes[0]); c++) {
		const struct tce_replay_problem *problems;
		struct tce_replay_stats s;
		struct tce_replay *r;

		memcpy(lines, session, sizeof(lines));
		lines[changes[c].index] = changes[c].line;
		r = replay_of(lines, sizeof(lines) / sizeof(lines[0]), -1);
		tce_replay_stats(r, &s);
		assert_true(s.mismatches >= 1);
		assert_true(tce_replay_problems(r, &problems) >= 1);
		assert_int_equal(problems[0].line_no, changes[c].index + 1);
		assert_non_null(strstr(problems[0].line, changes[c].line + 14));
		if (changes[c].what && strncmp(problems[0].what, changes[c].what, strlen(changes[c].what)) != 0)
			fail_msg("change %zu: '%s', want '%s...'", c, problems[0].what, changes[c].what);
		tce_replay_destroy(r);
	}
}

static void test_unparsable_lines(void **state)
{
	static const char *const bad[] = {
		"hello world",
		"12@3.4 missing colon",
		"12@3.4:",
		"12@3.4:spapr_iommu_pci_put liobn=0x80000000 ioba=zz tce=0x0 ret=0",
		"12@3.4:spapr_iommu_xlate liobn=0x80000000 0x10 => 0x0 perm=0 mask=0xfff",
		"12@3.4:spapr_iommu_ddw_create buid=0x800000020000000 addr=0x0, liobn=0x80000001",
	};
	struct tce_replay_config cfg = {.profile = TCE_HCALL_QEMU, .keep_problems = 2};
	const struct tce_replay_problem *problems;
	struct tce_replay_stats s;
	struct tce_replay *r;
	char longline[2048];
	size_t i;

	(void)state;
	assert_int_equal(tce_replay_create(&cfg, &r), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(tce_replay_line(r, bad[i], strlen(bad[i]), 10 + i), -EINVAL);
	memset(longline, 'x', sizeof(longline));
	assert_int_equal(tce_replay_line(r, longline, sizeof(longline), 99), -EINVAL);
	/* An empty line and an unknown event are fine. */
	assert_int_equal(tce_replay_line(r, "\n", 1, 100), 0);
	assert_int_equal(tce_replay_line(r, "1@2.3:vfio_region_write x", 25, 101), 0);
	tce_replay_stats(r, &s);
	assert_int_equal(s.unparsable, 7);
	assert_int_equal(tce_replay_problems(r, &problems), 2); /* keep_problems = 2 */
	assert_int_equal(problems[0].line_no, 10);
	assert_non_null(strstr(problems[0].what, "unparsable"));
	/* A line that ends where a number should start, in a buffer of exactly its length:
	 * unparsable, and nothing past its end is read (ASan would see it). */
	{
		static const char text[] = "1@2.3:spapr_iommu_pci_put liobn=0x80000000 ioba=0x0 tce=0x0 ret=";
		char *exact = malloc(sizeof(text) - 1);

		assert_non_null(exact);
		memcpy(exact, text, sizeof(text) - 1);
		assert_int_equal(tce_replay_line(r, exact, sizeof(text) - 1, 102), -EINVAL);
		free(exact);
	}
	tce_replay_destroy(r);
	cfg.profile = (enum tce_hcall_profile)9;
	assert_int_equal(tce_replay_create(&cfg, &r), -EINVAL);
	/* Out of memory at each of its first allocations: -ENOMEM. */
	cfg.profile = TCE_HCALL_QEMU;
	tce_fault_fail_nth(1);
	assert_int_equal(tce_replay_create(&cfg, &r), -ENOMEM);
	tce_fault_fail_nth(2);
	assert_int_equal(tce_replay_create(&cfg, &r), -ENOMEM);
	tce_fault_fail_nth(0);
}

/* What a strict reader refuses, and why it says so. */
static void test_strict_fields(void **state)
{
	static const struct {
		const char *line;
		size_t len; /* 0: strlen */
		const char *why;
	} bad[] = {
		{"1@2.3:spapr_iommu_pci_put liobn=0x80000000 ioba=0x1000 tce=0x3 ret=0 extra", 0,
		 "after the last field"},
		{"1@2.3:spapr_iommu_pci_put liobn=0x80000000 ioba=0x1000 tce=0x3 ret=0 ", 0,
		 "after the last field"},
		{"1@2.3:spapr_iommu_pci_put liobn=0x80000000 ioba=0x10000000000000000 tce=0x3 ret=0", 0,
		 "missing or malformed"},
		{"1@2.3:spapr_iommu_pci_put liobn=0x80000000 ioba=0x1000 tce=0x3 ret=99999999999999999999",
		 0, "missing or malformed"},
		{"1@2.3:spapr_iommu_pci_put liobn=0x80000000 ioba=0x1000 tce=0x3", 0,
		 "missing or malformed"},
		{"1@2.3:spapr_iommu_pci_put ioba=0x1000 liobn=0x80000000 tce=0x3 ret=0", 0,
		 "missing or malformed"},
		{"1@2.3:spapr_iommu_pci_put liobn=0x80000000  ioba=0x1000 tce=0x3 ret=0", 0,
		 "missing or malformed"},
		{"1@2.3:spapr_iommu_pci_put liobn=0x80000000\tioba=0x1000 tce=0x3 ret=0", 0,
		 "control character"},
		{"1@2.3:spapr_iommu_pci_put liobn=0x80000000 ioba=0x10\0 tce=0x3 ret=0", 64,
		 "control character"},
		{"1@2.3:spapr_iommu_xlate liobn=0x80000000 0x10 -> 0x0 perm=-1 mask=0xfff", 0,
		 "missing or malformed"},
		{"1@2.3:spapr_iommu_new_table liobn=0x80000000 table=ptr fd=-1", 0,
		 "missing or malformed"},
		{"@2.3:spapr_iommu_pci_put liobn=0x80000000 ioba=0x1000 tce=0x3 ret=0", 0, "prefix"},
		{"1@2.3:spapr-iommu pci_put", 0, "event name"},
	};
	struct tce_replay_config cfg = {.profile = TCE_HCALL_QEMU, .keep_problems = 20};
	const struct tce_replay_problem *problems;
	struct tce_replay_stats s;
	struct tce_replay *r;
	size_t i, n;

	(void)state;
	assert_int_equal(tce_replay_create(&cfg, &r), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].line);

		assert_int_equal(tce_replay_line(r, bad[i].line, len, i + 1), -EINVAL);
	}
	n = tce_replay_problems(r, &problems);
	assert_int_equal(n, sizeof(bad) / sizeof(bad[0]));
	for (i = 0; i < n; i++) {
		size_t j;

		assert_int_equal(problems[i].line_no, i + 1);
		assert_non_null(strstr(problems[i].what, bad[i].why));
		/* Reports show printable ASCII only. */
		for (j = 0; problems[i].line[j]; j++)
			assert_true(problems[i].line[j] >= 0x20 && problems[i].line[j] < 0x7f);
	}
	assert_non_null(strstr(problems[7].line, "0x80000000?ioba"));
	assert_non_null(strstr(problems[8].line, "ioba=0x10? tce"));
	tce_replay_stats(r, &s);
	assert_int_equal(s.unparsable, n);
	assert_int_equal(s.events[TCE_TRACE_PUT].seen, 9); /* a put with bad fields is still a put */
	tce_replay_destroy(r);
}

/* What it accepts: the VIO forms, the full 64-bit range, (nil), \r\n, other events as they are. */
static void test_accepted_forms(void **state)
{
	static const char *const good[] = {
		"1@2.3:spapr_iommu_new_table liobn=0x1 table=(nil) fd=-1\r\n",
		"1@2.3:spapr_iommu_put liobn=0x1 ioba=0x1000 tce=0x8edf003 ret=0",
		"1@2.3:spapr_iommu_get liobn=0x1 ioba=0x1000 ret=0 tce=0x8edf003",
		"1@2.3:spapr_iommu_pci_put liobn=0x1 ioba=0xffffffffffffffff tce=0x3 ret=-4",
		"1@2.3:spapr_iommu_stuff liobn=0x1 ioba=0x3000 tcevalue=0x0 npages=2 ret=0",
		"1@2.3:spapr_iommu_get liobn=0x1 ioba=0x1000 ret=0 tce=0x0",
	};
	struct tce_replay_config cfg = {.profile = TCE_HCALL_QEMU, .keep_problems = 4};
	struct tce_replay_stats s;
	struct tce_replay *r;
	size_t i;

	(void)state;
	assert_int_equal(tce_replay_create(&cfg, &r), 0);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(tce_replay_line(r, good[i], strlen(good[i]), i + 1), 0);
	/* Other events are not read past their name: any bytes after it are QEMU's. */
	assert_int_equal(tce_replay_line(r, "1@2.3:vfio_x a\0\tb", 17, 9), 0);
	tce_replay_stats(r, &s);
	assert_int_equal(s.unparsable, 0);
	assert_int_equal(s.mismatches, 0);
	assert_int_equal(s.events[TCE_TRACE_PUT].matched, 2);
	assert_int_equal(s.events[TCE_TRACE_GET].matched, 2);
	assert_int_equal(s.events[TCE_TRACE_STUFF].matched, 1);
	assert_int_equal(s.events[TCE_TRACE_OTHER].seen, 1);
	tce_replay_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_matches),
		cmocka_unit_test(test_migrate_allocation_failures),
		cmocka_unit_test(test_old_format),
		cmocka_unit_test(test_indirect_entries_rebuilt),
		cmocka_unit_test(test_alterations_are_caught),
		cmocka_unit_test(test_unparsable_lines),
		cmocka_unit_test(test_strict_fields),
		cmocka_unit_test(test_accepted_forms),
	};

	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
