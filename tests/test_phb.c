// SPDX-License-Identifier: MIT
/*
 * PHB and DDW RTAS conformance: query (5 and 6 outputs), create (placement,
 * argument errors, too many windows), remove (restoring the default), reset,
 * windows of 2^32 entries or more (created whole or refused whole, never
 * truncated), the page-size encoding and ddw-extensions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/phb.h"

#define BUID TCE_PHB_BUID_BASE

struct fx {
	struct tce_account *account;
	struct tce_guest *g;
	struct tce_phb *phb;
};

static void fx_setup(struct fx *f, uint64_t limit)
{
	struct tce_guest_config cfg;
	struct tce_phb_config pcfg;

	assert_int_equal(tce_account_create(limit, &f->account), 0);
	cfg = (struct tce_guest_config){TCE_HCALL_QEMU, f->account, NULL, NULL};
	assert_int_equal(tce_guest_create(&cfg, &f->g), 0);
	tce_phb_config_default(&pcfg, 0);
	assert_int_equal(tce_phb_create(f->g, &pcfg, &f->phb), 0);
}

static void fx_teardown(struct fx *f)
{
	tce_phb_destroy(f->phb);
	tce_guest_destroy(f->g);
	assert_true(tce_account_balanced(f->account));
	tce_account_destroy(f->account);
}

static int query(struct fx *f, uint32_t nret, uint32_t *rets)
{
	uint32_t args[3] = {0, (uint32_t)(BUID >> 32), (uint32_t)BUID};

	return tce_phb_rtas(f->phb, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, args, nret, rets);
}

static int create(struct fx *f, unsigned page_shift, unsigned window_shift, uint32_t *rets)
{
	uint32_t args[5] = {0, (uint32_t)(BUID >> 32), (uint32_t)BUID, page_shift, window_shift};

	return tce_phb_rtas(f->phb, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, args, 4, rets);
}

static int remove_window(struct fx *f, uint32_t liobn)
{
	uint32_t ret;

	return tce_phb_rtas(f->phb, TCE_RTAS_REMOVE_PE_DMA_WINDOW, 1, &liobn, 1, &ret);
}

static void test_default_window_and_query(void **state)
{
	struct fx f;
	struct tce_phb_window w;
	uint32_t rets[6], ext[3];

	(void)state;
	fx_setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(tce_phb_buid(f.phb), 0x800000020000000);
	assert_int_equal(tce_phb_window(f.phb, 0, &w), 0);
	assert_true(w.enabled && w.def_win);
	assert_int_equal(w.liobn, 0x80000000);
	assert_int_equal(w.bus_offset, 0);
	assert_int_equal(w.page_shift, 12);
	assert_int_equal(w.entries, 262144);
	assert_int_equal(tce_phb_window(f.phb, 1, &w), 0);
	assert_false(w.enabled);
	assert_int_equal(w.liobn, 0x80000001);
	assert_int_equal(tce_phb_window(f.phb, 2, &w), -EINVAL);
	/* 5 outputs: QEMU's constant block; 6 outputs: 2^37 TCEs. */
	assert_int_equal(query(&f, 5, rets), TCE_RTAS_SUCCESS);
	assert_int_equal(rets[0], 0);
	assert_int_equal(rets[1], 1);
	assert_int_equal(rets[2], 0x80000000);
	assert_int_equal(rets[3], 0x107);
	assert_int_equal(query(&f, 6, rets), TCE_RTAS_SUCCESS);
	assert_int_equal(rets[2], 0x20);
	assert_int_equal(rets[3], 0);
	assert_int_equal(rets[4], 0x107);
	/* Argument errors. */
	assert_int_equal(query(&f, 4, rets), TCE_RTAS_PARAM_ERROR);
	assert_int_equal(rets[0], (uint32_t)TCE_RTAS_PARAM_ERROR);
	{
		uint32_t args[3] = {0, 0, 1};

		assert_int_equal(tce_phb_rtas(f.phb, TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, args, 5, rets),
				 TCE_RTAS_PARAM_ERROR);
		assert_int_equal(tce_phb_rtas(f.phb, TCE_RTAS_QUERY_PE_DMA_WINDOW, 2, args, 5, rets),
				 TCE_RTAS_PARAM_ERROR);
		assert_int_equal(tce_phb_rtas(f.phb, 0x2030, 3, args, 5, rets), TCE_RTAS_PARAM_ERROR);
	}
	tce_phb_ddw_extensions(f.phb, ext);
	assert_int_equal(ext[0], 2);
	assert_int_equal(ext[1], TCE_RTAS_RESET_PE_DMA_WINDOW);
	assert_int_equal(ext[2], 1);
	assert_int_equal(tce_phb_page_mask(0x1211000), 0x107);
	assert_int_equal(tce_phb_page_mask((UINT64_C(1) << 28) | (UINT64_C(1) << 34)), 0xc0);
	fx_teardown(&f);
}

static void test_create_remove_reset(void **state)
{
	struct fx f;
	struct tce_phb_window w;
	uint32_t rets[6];

	(void)state;
	fx_setup(&f, TCE_ACCOUNT_UNLIMITED);
	/* Refused: page size not allowed, window smaller than a page, shifts out of range. */
	assert_int_equal(create(&f, 28, 32, rets), TCE_RTAS_PARAM_ERROR);
	assert_int_equal(create(&f, 16, 15, rets), TCE_RTAS_PARAM_ERROR);
	assert_int_equal(create(&f, 11, 20, rets), TCE_RTAS_PARAM_ERROR);
	assert_int_equal(create(&f, 24, 64, rets), TCE_RTAS_PARAM_ERROR);
	/* With the default window active, the new one goes at 2^59 on the second LIOBN. */
	assert_int_equal(create(&f, 24, 31, rets), TCE_RTAS_SUCCESS);
	assert_int_equal(rets[1], 0x80000001);
	assert_int_equal(((uint64_t)rets[2] << 32) | rets[3], UINT64_C(1) << 59);
	assert_int_equal(query(&f, 5, rets), TCE_RTAS_SUCCESS);
	assert_int_equal(rets[1], 0);
	/* No third window. */
	assert_int_equal(create(&f, 16, 30, rets), TCE_RTAS_HW_ERROR);
	/* Remove: unknown LIOBN refused; removing the DDW leaves the default. */
	assert_int_equal(remove_window(&f, 0x80000005), TCE_RTAS_PARAM_ERROR);
	assert_int_equal(remove_window(&f, 0x80000001), TCE_RTAS_SUCCESS);
	assert_int_equal(remove_window(&f, 0x80000001), TCE_RTAS_PARAM_ERROR);
	/* Remove the default: nothing active; a new window goes at bus 0 on the first LIOBN. */
	assert_int_equal(remove_window(&f, 0x80000000), TCE_RTAS_SUCCESS);
	assert_int_equal(tce_phb_window(f.phb, 0, &w), 0);
	assert_false(w.enabled);
	assert_int_equal(create(&f, 16, 32, rets), TCE_RTAS_SUCCESS);
	assert_int_equal(rets[1], 0x80000000);
	assert_int_equal(((uint64_t)rets[2] << 32) | rets[3], 0);
	/* Removing that last, non-default window restores the default one. */
	assert_int_equal(remove_window(&f, 0x80000000), TCE_RTAS_SUCCESS);
	assert_int_equal(tce_phb_window(f.phb, 0, &w), 0);
	assert_true(w.enabled && w.def_win);
	assert_int_equal(w.page_shift, 12);
	/* Reset drops every created window. */
	assert_int_equal(create(&f, 16, 33, rets), TCE_RTAS_SUCCESS);
	{
		uint32_t args[3] = {0, (uint32_t)(BUID >> 32), (uint32_t)BUID}, ret;

		assert_int_equal(tce_phb_rtas(f.phb, TCE_RTAS_RESET_PE_DMA_WINDOW, 3, args, 1, &ret),
				 TCE_RTAS_SUCCESS);
		assert_int_equal(ret, 0);
	}
	assert_int_equal(tce_phb_window(f.phb, 1, &w), 0);
	assert_false(w.enabled);
	fx_teardown(&f);
}

/* 2^32 entries and more: created whole (QEMU truncates to 0 and half-creates), or refused whole. */
/*
 * Setting the windows whole (what a migration's destination does): a slot
 * that matches keeps its table and entries, one that differs is made again
 * empty, a disabled one loses its table; a set the PHB cannot have is
 * refused by the check and by the set, with nothing changed.
 */
static void test_set_windows(void **state)
{
	struct tce_phb_window want[TCE_PHB_WINDOWS], have;
	struct tce_guest_table_info info;
	uint64_t tce;
	struct fx f;

	(void)state;
	fx_setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(tce_phb_window(f.phb, 0, &want[0]), 0);
	assert_int_equal(tce_phb_window(f.phb, 1, &want[1]), 0);
	assert_int_equal(tce_h_put_tce(f.g, 0x80000000, 0x5000, 0x7000 | TCE_PERM_READ), TCE_H_SUCCESS);
	/* A second window of 64 KiB pages at 2^59, the default one as it is. */
	want[1].enabled = true;
	want[1].page_shift = 16;
	want[1].bus_offset = UINT64_C(1) << 59;
	want[1].entries = 4096;
	assert_int_equal(tce_phb_check_windows(f.phb, want), 0);
	assert_int_equal(tce_phb_set_windows(f.phb, want), 0);
	assert_int_equal(tce_phb_window(f.phb, 1, &have), 0);
	assert_true(have.enabled && !have.def_win);
	assert_int_equal(have.page_shift, 16);
	assert_int_equal(have.bus_offset, UINT64_C(1) << 59);
	assert_int_equal(have.entries, 4096);
	assert_int_equal(tce_guest_table_info(f.g, 0x80000001, &info), 0);
	assert_int_equal(info.size, 4096);
	assert_int_equal(tce_h_get_tce(f.g, 0x80000000, 0x5000, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0x7000 | TCE_PERM_READ); /* the matching slot kept its entries */
	/* A page size outside pgsz, or a window past the bus: refused, nothing changed. */
	want[1].page_shift = 13;
	assert_int_equal(tce_phb_check_windows(f.phb, want), -EINVAL);
	assert_int_equal(tce_phb_set_windows(f.phb, want), -EINVAL);
	want[1].page_shift = 16;
	want[1].bus_offset = UINT64_MAX - 65535;
	assert_int_equal(tce_phb_check_windows(f.phb, want), -EINVAL);
	assert_int_equal(tce_phb_set_windows(f.phb, want), -EINVAL);
	assert_int_equal(tce_phb_window(f.phb, 1, &have), 0);
	assert_int_equal(have.bus_offset, UINT64_C(1) << 59);
	/* The default window changed (4 KiB pages of another count): made again, empty. */
	want[1].enabled = false;
	want[0].entries /= 2;
	assert_int_equal(tce_phb_set_windows(f.phb, want), 0);
	assert_int_equal(tce_phb_window(f.phb, 0, &have), 0);
	assert_int_equal(have.entries, want[0].entries);
	assert_int_equal(tce_h_get_tce(f.g, 0x80000000, 0x5000, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0);
	assert_int_equal(tce_guest_table_info(f.g, 0x80000001, &info), -ENOENT);
	/* 16 GiB pages (shift 34) are the largest a window takes, when the PHB offers them. */
	{
		struct tce_phb_config cfg;
		struct tce_phb *big;

		tce_phb_config_default(&cfg, 1);
		cfg.pgsz |= (UINT64_C(1) << 34) | (UINT64_C(1) << 35);
		assert_int_equal(tce_phb_create(f.g, &cfg, &big), 0);
		assert_int_equal(tce_phb_window(big, 0, &want[0]), 0);
		assert_int_equal(tce_phb_window(big, 1, &want[1]), 0);
		want[1].enabled = true;
		want[1].bus_offset = UINT64_C(1) << 59;
		want[1].entries = 4;
		want[1].page_shift = 35;
		assert_int_equal(tce_phb_check_windows(big, want), -EINVAL);
		want[1].page_shift = 34;
		assert_int_equal(tce_phb_check_windows(big, want), 0);
		assert_int_equal(tce_phb_set_windows(big, want), 0);
		assert_int_equal(tce_phb_window(big, 1, &have), 0);
		assert_int_equal(have.page_shift, 34);
		tce_phb_destroy(big);
	}
	fx_teardown(&f);
}

static void test_large_windows(void **state)
{
	struct fx f;
	struct tce_phb_window w;
	struct tce_guest_table_info info;
	uint64_t locked;
	uint32_t rets[6];

	(void)state;
	fx_setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(create(&f, 12, 44, rets), TCE_RTAS_SUCCESS); /* 2^32 entries */
	assert_int_equal(tce_phb_window(f.phb, 1, &w), 0);
	assert_true(w.enabled);
	assert_int_equal(w.entries, UINT64_C(1) << 32);
	assert_int_equal(tce_guest_table_info(f.g, 0x80000001, &info), 0);
	assert_int_equal(info.size, UINT64_C(1) << 32);
	/* Its last page works. */
	assert_int_equal(tce_h_put_tce(f.g, 0x80000001, (UINT64_C(1) << 59) + (UINT64_C(1) << 44) - 4096,
				       0x5000 | TCE_PERM_READ),
			 TCE_H_SUCCESS);
	assert_int_equal(remove_window(&f, 0x80000001), TCE_RTAS_SUCCESS);
	/* Exactly the 2^37 TCEs the query advertises: created (64 KiB pages, 8 PiB)... */
	assert_int_equal(create(&f, 16, 53, rets), TCE_RTAS_SUCCESS);
	assert_int_equal(tce_phb_window(f.phb, 1, &w), 0);
	assert_int_equal(w.entries, TCE_PHB_MAX_TCES);
	assert_int_equal(tce_guest_table_info(f.g, 0x80000001, &info), 0);
	assert_int_equal(info.size, TCE_PHB_MAX_TCES);
	assert_int_equal(remove_window(&f, 0x80000001), TCE_RTAS_SUCCESS);
	/* ...one more page of window: a parameter error, for each page size. */
	assert_int_equal(create(&f, 16, 54, rets), TCE_RTAS_PARAM_ERROR);
	assert_int_equal(create(&f, 12, 50, rets), TCE_RTAS_PARAM_ERROR);
	assert_int_equal(tce_phb_window(f.phb, 1, &w), 0);
	assert_false(w.enabled);
	fx_teardown(&f);

	/* With a limit too small for its guest view: a hardware error, nothing created or charged. */
	fx_setup(&f, 4 * GiB);
	locked = tce_account_locked(f.account, TCE_TAG_COUNT);
	assert_int_equal(create(&f, 12, 46, rets), TCE_RTAS_HW_ERROR); /* 2^34 entries: 128 GiB of TCEs */
	assert_int_equal(tce_phb_window(f.phb, 1, &w), 0);
	assert_false(w.enabled);
	assert_int_equal(tce_account_locked(f.account, TCE_TAG_COUNT), locked);
	assert_int_equal(query(&f, 5, rets), TCE_RTAS_SUCCESS);
	assert_int_equal(rets[1], 1);
	/* ...and the guest can retry with a smaller window. */
	assert_int_equal(create(&f, 24, 34, rets), TCE_RTAS_SUCCESS);
	fx_teardown(&f);
}

static void test_create_rejects_bad_config(void **state)
{
	struct tce_account *account;
	struct tce_guest *g;
	struct tce_guest_config cfg;
	struct tce_phb_config pcfg;
	struct tce_phb *phb, *dup;

	(void)state;
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &account), 0);
	cfg = (struct tce_guest_config){TCE_HCALL_KVM, account, NULL, NULL};
	assert_int_equal(tce_guest_create(&cfg, &g), 0);
	tce_phb_config_default(&pcfg, 256);
	assert_int_equal(tce_phb_create(g, &pcfg, &phb), -EINVAL);
	tce_phb_config_default(&pcfg, 1);
	pcfg.pgsz = UINT64_C(1) << 16;
	assert_int_equal(tce_phb_create(g, &pcfg, &phb), -EINVAL);
	/* A default window of a size, or at an address, that is not whole 4 KiB pages: each refused. */
	tce_phb_config_default(&pcfg, 1);
	pcfg.dma_win_size += 1;
	assert_int_equal(tce_phb_create(g, &pcfg, &phb), -EINVAL);
	tce_phb_config_default(&pcfg, 1);
	pcfg.dma_win_addr = 4097;
	assert_int_equal(tce_phb_create(g, &pcfg, &phb), -EINVAL);
	tce_phb_config_default(&pcfg, 1);
	pcfg.dma_win_size = 0;
	assert_int_equal(tce_phb_create(g, &pcfg, &phb), -EINVAL);
	tce_phb_config_default(&pcfg, 1);
	assert_int_equal(tce_phb_create(g, &pcfg, &phb), 0);
	assert_int_equal(tce_phb_create(g, &pcfg, &dup), -EBUSY);
	tce_phb_destroy(phb);
	tce_guest_destroy(g);
	assert_true(tce_account_balanced(account));
	tce_account_destroy(account);
}

/* A dynamic window placed at the top of the bus: ending exactly at 2^64 fits, one page more wraps. */
/* The status is written to rets[0] for every call that has an output, one-output calls included. */
static void test_status_in_rets(void **state)
{
	struct fx f;
	uint32_t liobn = 0x80000077, ret = 0xdead, args[3] = {0, (uint32_t)(BUID >> 32), (uint32_t)BUID};

	(void)state;
	fx_setup(&f, TCE_ACCOUNT_UNLIMITED);
	assert_int_equal(tce_phb_rtas(f.phb, TCE_RTAS_REMOVE_PE_DMA_WINDOW, 1, &liobn, 1, &ret),
			 TCE_RTAS_PARAM_ERROR);
	assert_int_equal(ret, (uint32_t)TCE_RTAS_PARAM_ERROR);
	ret = 0xdead;
	assert_int_equal(tce_phb_rtas(f.phb, TCE_RTAS_RESET_PE_DMA_WINDOW, 3, args, 1, &ret), TCE_RTAS_SUCCESS);
	assert_int_equal(ret, (uint32_t)TCE_RTAS_SUCCESS);
	fx_teardown(&f);
}

static void test_window_at_top_of_bus(void **state)
{
	struct tce_account *account;
	struct tce_guest *g;
	struct tce_guest_config cfg;
	struct tce_phb_config pcfg;
	struct tce_phb *phb;
	struct tce_phb_window w;
	uint32_t args[5] = {0, (uint32_t)(BUID >> 32), (uint32_t)BUID, 12, 40}, rets[4];
	uint64_t tce = 0;

	(void)state;
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &account), 0);
	cfg = (struct tce_guest_config){TCE_HCALL_QEMU, account, NULL, NULL};
	assert_int_equal(tce_guest_create(&cfg, &g), 0);
	tce_phb_config_default(&pcfg, 0);
	pcfg.dma64_win_addr = 0 - (UINT64_C(1) << 40);
	assert_int_equal(tce_phb_create(g, &pcfg, &phb), 0);
	assert_int_equal(tce_phb_rtas(phb, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, args, 4, rets), TCE_RTAS_SUCCESS);
	assert_int_equal(tce_phb_window(phb, 1, &w), 0);
	assert_int_equal(w.bus_offset, 0 - (UINT64_C(1) << 40));
	assert_int_equal(w.entries, UINT64_C(1) << 28);
	/* The bus's very last page maps. */
	assert_int_equal(tce_h_put_tce(g, w.liobn, UINT64_MAX - 4095, 0x7000 | TCE_PERM_WRITE), TCE_H_SUCCESS);
	assert_int_equal(tce_h_get_tce(g, w.liobn, UINT64_MAX - 4095, &tce), TCE_H_SUCCESS);
	assert_int_equal(tce, 0x7000 | TCE_PERM_WRITE);
	tce_phb_destroy(phb);

	/* Start one page higher: the same window would wrap; refused, nothing created. */
	pcfg.dma64_win_addr += 4096;
	assert_int_equal(tce_phb_create(g, &pcfg, &phb), 0);
	assert_int_equal(tce_phb_rtas(phb, TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, args, 4, rets),
			 TCE_RTAS_PARAM_ERROR);
	assert_int_equal(tce_phb_window(phb, 1, &w), 0);
	assert_false(w.enabled);
	tce_phb_destroy(phb);
	tce_guest_destroy(g);
	assert_true(tce_account_balanced(account));
	tce_account_destroy(account);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_window_and_query),
		cmocka_unit_test(test_create_remove_reset),
		cmocka_unit_test(test_set_windows),
		cmocka_unit_test(test_large_windows),
		cmocka_unit_test(test_create_rejects_bad_config),
		cmocka_unit_test(test_window_at_top_of_bus),
		cmocka_unit_test(test_status_in_rets),
	};

	return cmocka_run_group_tests_name("phb", tests, NULL, NULL);
}
