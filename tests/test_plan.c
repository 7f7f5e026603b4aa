// SPDX-License-Identifier: MIT
/*
 * tcectl plan: VM shapes built through the library, checked against sums
 * worked out here from the geometry rules (spec linux-kernel §2 and §2.5),
 * and libvirt's formula against libvirt's own test values (spec §6).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "cli.h"
#include "json_file.h"
#include "vm.h"
#include "vm_qemu.h"

#define P64K (UINT64_C(64) * KiB)

/* One copy of a linux-profile table with the fewest levels it accepts (worked by hand). */
static uint64_t table_bytes(unsigned ps, unsigned ws)
{
	unsigned es = ws - ps, levels;

	for (levels = 1; levels <= 5; levels++) {
		unsigned lb = (es + levels - 1) / levels + 3 < 16 ? 13 : (es + levels - 1) / levels;
		uint64_t node = UINT64_C(8) << lb, nodes = 0, rest = es;
		unsigned l;

		if (lb + 3 > 24 || lb * levels + ps >= 55)
			continue;
		for (l = 0; l < levels; l++) {
			rest = rest > lb ? rest - lb : 0;
			nodes += UINT64_C(1) << rest;
		}
		return nodes * node;
	}
	return 0;
}

/* KVM's charge for a guest view of @entries TCEs: ceil(entries*8/64K) + ceil((120 + pages*8)/64K). */
static uint64_t kvm_view(uint64_t entries)
{
	uint64_t pages = (entries * 8 + P64K - 1) / P64K;

	return (pages + (120 + pages * 8 + P64K - 1) / P64K) * P64K;
}

static struct vm_locked build(const struct vm_desc *d)
{
	struct vm vm;
	struct vm_locked l;
	struct vm_final fin;

	if (vm_build(&vm, d, NULL, NULL) != 0)
		fail_msg("vm_build: %s", vm.error);
	vm_locked(&vm, &l);
	assert_int_equal(vm_teardown(&vm, &fin), 0);
	assert_int_equal(fin.locked, 0);
	assert_int_equal(fin.pinned, 0);
	assert_int_equal(fin.charged, fin.released);
	return l;
}

static void expect(const struct vm_desc *d, uint64_t registered, uint64_t tables_one_copy,
		   uint64_t guest_views)
{
	struct vm_locked l = build(d);

	assert_int_equal(l.registered, registered);
	assert_int_equal(l.tables, tables_one_copy);
	assert_int_equal(l.userviews, d->userview == TCE_USERVIEW_MIRROR ? tables_one_copy : 0);
	assert_int_equal(l.guest_views, guest_views);
	assert_int_equal(l.total, registered + l.tables + l.userviews + guest_views);
}

/* The default: 16 GiB on 64 KiB pages, 2 PHBs with a group each, KVM, 16 MiB DDW pages. */
static void test_default_vm(void **state)
{
	struct vm_desc d;
	uint64_t per_phb_tables = table_bytes(12, 30) + table_bytes(16, 34); /* DDW capped to 64K */

	(void)state;
	vm_desc_default(&d);
	assert_int_equal(vm_host_page_shift(&d, 24), 16);
	expect(&d, 16 * GiB, 2 * per_phb_tables,
	       2 * (kvm_view(262144) + kvm_view((16 * GiB) >> 24)));
	assert_int_equal(per_phb_tables, 4 * MiB);
}

/* 16 MiB huge pages behind RAM: the host DDW keeps 16 MiB pages, one 64 KiB node. */
static void test_hugepage_backing(void **state)
{
	struct vm_desc d;

	(void)state;
	vm_desc_default(&d);
	d.ram_page_shift = 24;
	assert_int_equal(vm_host_page_shift(&d, 24), 24);
	expect(&d, 16 * GiB, 2 * (table_bytes(12, 30) + table_bytes(24, 34)),
	       2 * (kvm_view(262144) + kvm_view(1024)));
	assert_int_equal(table_bytes(24, 34), 64 * KiB);
}

/* 1 GiB pages: no 1 GiB IOMMU page on POWER8, so the host DDW uses 16 MiB. */
static void test_gigantic_backing(void **state)
{
	struct vm_desc d;

	(void)state;
	vm_desc_default(&d);
	d.ram_page_shift = 30;
	d.nphbs = 1;
	assert_int_equal(vm_host_page_shift(&d, 24), 24);
	expect(&d, 16 * GiB, table_bytes(12, 30) + table_bytes(24, 34),
	       kvm_view(262144) + kvm_view(1024));
}

/* The guest may only use 64 KiB DDW pages: a bigger guest view. */
static void test_64k_ddw_pages(void **state)
{
	struct vm_desc d;

	(void)state;
	vm_desc_default(&d);
	d.ddw_pgsz = (UINT64_C(1) << 12) | (UINT64_C(1) << 16);
	expect(&d, 16 * GiB, 2 * (table_bytes(12, 30) + table_bytes(16, 34)),
	       2 * (kvm_view(262144) + kvm_view(262144)));
}

/* Two PHBs, VFIO behind one only: host tables for one, guest views for both. */
static void test_one_vfio_phb(void **state)
{
	struct vm_desc d;

	(void)state;
	vm_desc_default(&d);
	d.groups[1] = 0;
	expect(&d, 16 * GiB, table_bytes(12, 30) + table_bytes(16, 34),
	       2 * (kvm_view(262144) + kvm_view(1024)));
}

/* No KVM acceleration: guest tables live in QEMU, not locked. */
static void test_no_acceleration(void **state)
{
	struct vm_desc d;

	(void)state;
	vm_desc_default(&d);
	d.kvm = false;
	expect(&d, 16 * GiB, 2 * (table_bytes(12, 30) + table_bytes(16, 34)), 0);
}

/* Hotplug to 64 GiB: all of it registered eventually; the DDW spans it (8 MiB single level). */
static void test_hotplug_max_ram(void **state)
{
	struct vm_desc d;

	(void)state;
	vm_desc_default(&d);
	d.max_ram = 64 * GiB;
	d.nphbs = 1;
	expect(&d, 64 * GiB, table_bytes(12, 30) + table_bytes(16, 36), kvm_view(262144) + kvm_view(4096));
	assert_int_equal(table_bytes(16, 36), 8 * MiB);
}

/* 1 TiB: the host DDW needs two levels (2048 leaves + a root of 64 KiB, spec §2.4). */
static void test_one_tebibyte(void **state)
{
	struct vm_desc d;

	(void)state;
	vm_desc_default(&d);
	d.ram = d.max_ram = 1024 * GiB;
	d.nphbs = 1;
	expect(&d, 1024 * GiB, table_bytes(12, 30) + table_bytes(16, 40),
	       kvm_view(262144) + kvm_view(65536));
	assert_int_equal(table_bytes(16, 40), 2049 * 64 * KiB);
}

/* Extents instead of mirrors: the views cost nothing until something is mapped. */
static void test_extents_userview(void **state)
{
	struct vm_desc d;

	(void)state;
	vm_desc_default(&d);
	d.userview = TCE_USERVIEW_EXTENTS;
	expect(&d, 16 * GiB, 2 * (table_bytes(12, 30) + table_bytes(16, 34)),
	       2 * (kvm_view(262144) + kvm_view(1024)));
}

/* Each PHB with its own DDW page sizes: PHB 0 only 4K, PHB 1 up to 16M. */
static void test_per_phb_ddw_pages(void **state)
{
	struct vm_desc d;

	(void)state;
	vm_desc_default(&d);
	d.phb_ddw_pgsz[0] = UINT64_C(1) << 12;
	assert_int_equal(vm_guest_ddw_page_shift(&d, 0), 12);
	assert_int_equal(vm_guest_ddw_page_shift(&d, 1), 24);
	expect(&d, 16 * GiB,
	       table_bytes(12, 30) + table_bytes(12, 34) + table_bytes(12, 30) + table_bytes(16, 34),
	       2 * kvm_view(262144) + kvm_view((16 * GiB) >> 12) + kvm_view(1024));
}

/* The exact host profile has no 16 MiB node limit: 1 TiB of 64K pages fits one 128 MiB level. */
static void test_exact_host_profile(void **state)
{
	struct vm_desc d;

	(void)state;
	vm_desc_default(&d);
	d.ram = d.max_ram = 1024 * GiB;
	d.nphbs = 1;
	d.host_profile = TCE_PROFILE_EXACT;
	/*
	 * No node limit, but QEMU starts from its guess: a 128 MiB flat table is 27
	 * bits, 24 bits a level with 64 KiB host pages, so two levels (one more
	 * 64 KiB top node), not one 128 MiB node.
	 */
	expect(&d, 1024 * GiB, table_bytes(12, 30) + (UINT64_C(1) << 24) * 8 + 64 * KiB,
	       kvm_view(262144) + kvm_view(65536));
}

/* libvirt's test values (tests/qemumemlocktest.c, 1 GiB guests). */
static void test_libvirt_formula(void **state)
{
	struct vm_desc d;

	(void)state;
	vm_desc_default(&d);
	d.ram = d.max_ram = 1 * GiB;
	d.nphbs = 1;
	d.groups[0] = 0;
	assert_int_equal(vm_libvirt_memlock(&d), 20971520); /* pseries-kvm */
	d.nphbs = 2;
	d.groups[0] = 1;
	d.groups[1] = 0;
	assert_int_equal(vm_libvirt_memlock(&d), 4320133120); /* pseries-hostdev */
	/* 16 GiB, 2 PHBs: the RAM term wins over the 2 GiB-per-PHB floor. */
	vm_desc_default(&d);
	d.max_ram = d.ram;
	assert_int_equal(vm_libvirt_memlock(&d), (UINT64_C(147456) + 16850944) * KiB);
	/* QEMU's hash page table: pow2ceil(max RAM) / 128, at least 256 KiB. */
	assert_int_equal(vm_hpt_bytes(&d), 128 * MiB);
	d.max_ram = 12 * GiB;
	assert_int_equal(vm_hpt_bytes(&d), 128 * MiB);
	d.max_ram = 16 * MiB;
	assert_int_equal(vm_hpt_bytes(&d), 256 * KiB);
	/* At most the architected 2^46, reached only past the 1 PiB a description may hold. */
	d.max_ram = UINT64_C(1) << 52;
	assert_int_equal(vm_hpt_bytes(&d), UINT64_C(1) << 45);
	d.max_ram = (UINT64_C(1) << 53) + 1;
	assert_int_equal(vm_hpt_bytes(&d), UINT64_C(1) << 46);
	d.max_ram = UINT64_C(1) << 62;
	assert_int_equal(vm_hpt_bytes(&d), UINT64_C(1) << 46);
}

/* PHB @p's configuration from @d has these windows and DDW setting. */
static void expect_phb(const struct vm_desc *d, unsigned p, uint64_t dma_win_addr,
		       uint64_t dma_win_size, uint64_t dma64_win_addr, bool ddw)
{
	struct tce_phb_config cfg;

	vm_phb_config(d, p, &cfg);
	assert_int_equal(cfg.dma_win_addr, dma_win_addr);
	assert_int_equal(cfg.dma_win_size, dma_win_size);
	assert_int_equal(cfg.dma64_win_addr, dma64_win_addr);
	assert_int_equal(cfg.ddw, ddw);
}

/* A PHB's properties from the command line reach its configuration; unset ones keep QEMU's defaults. */
static void test_phb_config(void **state)
{
	static const char cmdline[] =
		"qemu-system-ppc64 -M pseries -device spapr-pci-host-bridge,index=1,"
		"dma_win_addr=0x10000000,dma_win_size=0x80000000,dma64_win_addr=0x400000000000000 "
		"-global spapr-pci-host-bridge.ddw=off";
	struct tce_phb_config dflt[2];
	struct vm_desc d;
	char err[256];

	(void)state;
	tce_phb_config_default(&dflt[0], 0);
	tce_phb_config_default(&dflt[1], 1);
	vm_desc_default(&d);
	d.nphbs = 2;
	expect_phb(&d, 1, dflt[1].dma_win_addr, dflt[1].dma_win_size, dflt[1].dma64_win_addr, true);
	d.phb[1].dma_win_addr = 256 * MiB;
	d.phb[1].dma_win_size = 2 * GiB;
	d.phb[1].dma64_win_addr = UINT64_C(1) << 58;
	d.phb[1].ddw_off = true;
	expect_phb(&d, 1, 256 * MiB, 2 * GiB, UINT64_C(1) << 58, false);
	d.phb[1].dma_win_addr = 0; /* 0 is a start like any other, not "unset" */
	expect_phb(&d, 1, 0, 2 * GiB, UINT64_C(1) << 58, false);
	expect_phb(&d, 0, dflt[0].dma_win_addr, dflt[0].dma_win_size, dflt[0].dma64_win_addr, true);
	/* The same from a QEMU command line: -device for one PHB, -global for every PHB. */
	assert_int_equal(vm_from_qemu_cmdline(cmdline, strlen(cmdline), &d, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(d.nphbs, 2);
	expect_phb(&d, 1, 256 * MiB, 2 * GiB, UINT64_C(1) << 58, false);
	expect_phb(&d, 0, dflt[0].dma_win_addr, dflt[0].dma_win_size, dflt[0].dma64_win_addr, false);
}

/* A shape libvirt under-counts: much RAM behind many PHBs, no hugepages, 1 GiB guest views. */
static void test_libvirt_too_low(void **state)
{
	struct vm_desc d;
	struct vm_locked l;

	(void)state;
	vm_desc_default(&d);
	d.ram = d.max_ram = 1 * GiB;
	d.nphbs = 16;
	d.ddw_pgsz = (UINT64_C(1) << 12) | (UINT64_C(1) << 16);
	for (unsigned p = 0; p < 16; p++)
		d.groups[p] = 1;
	l = build(&d);
	/* 16 PHBs x 2 GiB floor: libvirt is far above here; the formula over-counts. */
	assert_true(vm_libvirt_memlock(&d) > l.total + vm_hpt_bytes(&d));
	/*
	 * 4 KiB DDW pages: host table, its mirror and the KVM view each take RAM/512;
	 * libvirt counts one: short by RAM/256 = 256 MiB for 64 GiB.
	 */
	vm_desc_default(&d);
	d.ram = d.max_ram = 64 * GiB;
	d.nphbs = 1;
	d.ddw_pgsz = UINT64_C(1) << 12;
	l = build(&d);
	assert_true(vm_libvirt_memlock(&d) < l.total + vm_hpt_bytes(&d));
	assert_true(l.total + vm_hpt_bytes(&d) - vm_libvirt_memlock(&d) > 200 * MiB);
	/* Hotplug: libvirt's passthrough term uses boot RAM; everything plugged is registered. */
	vm_desc_default(&d);
	d.ram = 4 * GiB;
	d.max_ram = 64 * GiB;
	d.nphbs = 1;
	l = build(&d);
	assert_int_equal(l.registered, 64 * GiB);
	assert_true(vm_libvirt_memlock(&d) < l.total);
}

/* Each rule of vm_desc_check(): -EINVAL and a message naming the field. */
static void expect_invalid(const struct vm_desc *d, const char *field)
{
	char err[256] = "";

	assert_int_equal(vm_desc_check(d, err, sizeof(err)), -EINVAL);
	if (!strstr(err, field))
		fail_msg("'%s' does not name %s", err, field);
}

static void test_bad_descriptions(void **state)
{
	struct vm_desc d;
	char err[256];

	(void)state;
	vm_desc_default(&d);
	d.max_ram = d.ram;
	assert_int_equal(vm_desc_check(&d, err, sizeof(err)), 0);
	d.ram_page_shift = 13;
	expect_invalid(&d, "ram_page_size");
	vm_desc_default(&d);
	d.max_ram = d.ram = 0;
	expect_invalid(&d, "ram: must be a non-zero multiple");
	vm_desc_default(&d);
	d.ram += 4096;
	d.max_ram = d.ram;
	expect_invalid(&d, "ram: must be a non-zero multiple");
	vm_desc_default(&d);
	d.max_ram = d.ram = (UINT64_C(1) << 50) + (UINT64_C(1) << d.ram_page_shift);
	expect_invalid(&d, "ram: must be at most 1 PiB");
	vm_desc_default(&d);
	d.max_ram = 8 * GiB;
	expect_invalid(&d, "max_ram");
	vm_desc_default(&d);
	d.max_ram = d.ram;
	d.nphbs = 17;
	expect_invalid(&d, "phbs");
	d.nphbs = 0;
	expect_invalid(&d, "phbs");
	vm_desc_default(&d);
	d.max_ram = d.ram;
	d.groups[0] = 5;
	expect_invalid(&d, "groups");
	vm_desc_default(&d);
	d.max_ram = d.ram;
	d.ddw_pgsz = UINT64_C(1) << 16;
	expect_invalid(&d, "ddw_page_sizes: must include 4K (PHB 0)");
	vm_desc_default(&d);
	d.max_ram = d.ram;
	d.host_profile = (enum tce_profile)7;
	expect_invalid(&d, "host_profile");
	vm_desc_default(&d);
	d.max_ram = d.ram;
	d.host_pgsz = UINT64_C(1) << 16;
	expect_invalid(&d, "host_page_sizes");
	/* max_ram: a multiple of the RAM page size, and at most 1 PiB, each on its own. */
	vm_desc_default(&d);
	d.max_ram = d.ram + 4096;
	expect_invalid(&d, "max_ram");
	vm_desc_default(&d);
	d.max_ram = (UINT64_C(1) << 50) + (UINT64_C(1) << d.ram_page_shift);
	expect_invalid(&d, "max_ram");
	vm_desc_default(&d);
	d.max_ram = UINT64_C(1) << 50;
	assert_int_equal(vm_desc_check(&d, err, sizeof(err)), 0);
}

/* tcectl's byte counts: each form, and the errno that tells junk from too big. */
static void test_parse_size(void **state)
{
	uint64_t bytes = 7;

	(void)state;
	assert_int_equal(tcectl_parse_size("2^12", &bytes), 0);
	assert_int_equal(bytes, 4096);
	assert_int_equal(tcectl_parse_size("2^63", &bytes), 0);
	assert_int_equal(bytes, UINT64_C(1) << 63);
	assert_int_equal(tcectl_parse_size("0x1000", &bytes), 0);
	assert_int_equal(bytes, 4096);
	assert_int_equal(tcectl_parse_size("16M", &bytes), 0);
	assert_int_equal(bytes, 16 << 20);
	assert_int_equal(tcectl_parse_size("2GiB", &bytes), 0);
	assert_int_equal(bytes, UINT64_C(2) << 30);
	assert_int_equal(tcectl_parse_size("1kb", &bytes), 0);
	assert_int_equal(bytes, 1024);
	assert_int_equal(tcectl_parse_size("15E", &bytes), 0);
	assert_int_equal(bytes, UINT64_C(15) << 60);
	bytes = 7;
	assert_int_equal(tcectl_parse_size("2^12x", &bytes), -EINVAL);
	assert_int_equal(tcectl_parse_size("2^", &bytes), -EINVAL);
	assert_int_equal(tcectl_parse_size("", &bytes), -EINVAL);
	assert_int_equal(tcectl_parse_size(NULL, &bytes), -EINVAL);
	assert_int_equal(tcectl_parse_size("0x", &bytes), -EINVAL);
	assert_int_equal(tcectl_parse_size("12Q", &bytes), -EINVAL);
	assert_int_equal(tcectl_parse_size("12Mx", &bytes), -EINVAL);
	assert_int_equal(tcectl_parse_size("2^64", &bytes), -ERANGE);
	assert_int_equal(tcectl_parse_size("16E", &bytes), -ERANGE);
	assert_int_equal(tcectl_parse_size("18446744073709551616", &bytes), -ERANGE);
	assert_int_equal(bytes, 7); /* untouched by every failure */
}

/* A JSON whole number within bounds: -EINVAL with a message for anything else, *out untouched. */
static void test_json_uint_range(void **state)
{
	json_object *v;
	uint64_t out = 7;
	char err[128];

	(void)state;
	v = json_object_new_int64(3);
	assert_int_equal(json_uint_range(v, "n", 1, 3, &out, err, sizeof(err)), 0);
	assert_int_equal(out, 3);
	out = 7;
	assert_int_equal(json_uint_range(v, "n", 4, 9, &out, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "n: 3 is out of range: must be 4..9"));
	json_object_put(v);
	v = json_object_new_int64(-1);
	assert_int_equal(json_uint_range(v, "n", 0, 9, &out, err, sizeof(err)), -EINVAL);
	json_object_put(v);
	v = json_object_new_string("two");
	assert_int_equal(json_uint_range(v, "n", 0, 9, &out, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "n: must be a whole number 0..9"));
	json_object_put(v);
	assert_int_equal(out, 7);
}

static void test_parse_uint(void **state)
{
	uint64_t value = 7;

	(void)state;
	assert_int_equal(tcectl_parse_uint("5", 1, 5, &value), 0);
	assert_int_equal(value, 5);
	assert_int_equal(tcectl_parse_uint("1", 1, 5, &value), 0);
	assert_int_equal(value, 1);
	value = 7;
	assert_int_equal(tcectl_parse_uint("6", 1, 5, &value), -ERANGE);
	assert_int_equal(tcectl_parse_uint("0", 1, 5, &value), -ERANGE);
	assert_int_equal(tcectl_parse_uint("3x", 1, 5, &value), -EINVAL);
	assert_int_equal(tcectl_parse_uint(NULL, 1, 5, &value), -EINVAL);
	assert_int_equal(value, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_vm),
		cmocka_unit_test(test_hugepage_backing),
		cmocka_unit_test(test_gigantic_backing),
		cmocka_unit_test(test_64k_ddw_pages),
		cmocka_unit_test(test_one_vfio_phb),
		cmocka_unit_test(test_no_acceleration),
		cmocka_unit_test(test_hotplug_max_ram),
		cmocka_unit_test(test_one_tebibyte),
		cmocka_unit_test(test_extents_userview),
		cmocka_unit_test(test_per_phb_ddw_pages),
		cmocka_unit_test(test_exact_host_profile),
		cmocka_unit_test(test_libvirt_formula),
		cmocka_unit_test(test_libvirt_too_low),
		cmocka_unit_test(test_phb_config),
		cmocka_unit_test(test_bad_descriptions),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_json_uint_range),
	};

	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
