// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the migration loader (tce_migration_load()). The input is a
 * stream as it comes (raw), a real stream with bytes changed (its checksum
 * fixed up or not), a real header with records of the known types built from
 * the input (checksum fixed up, so the record parser and the checks see
 * them), or a real stream
 * cut short or with bytes after it.
 * Invariants: nothing crashes; the load returns 0, -EINVAL, -EPROTO, -EFAULT
 * or -ENOMEM; a refusal (-EINVAL, -EPROTO) leaves the destination exactly as
 * it was (its ledger, its PHB windows, its default windows empty); a stream
 * that loaded can be saved again from the destination and loaded into a third
 * guest, which then equals it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NAME "fuzz-migrate"
#include "fuzz_driver.h"

#include "tce/migrate.h"

#define NPHB 2
#define MAX_STREAM 8192
#define HEADER 24
#define END 16

struct vm {
	struct tce_account *account;
	struct tce_guest *g;
	struct tce_phb *phb[NPHB];
};

/* A guest with 1 GiB of memory and two PHBs (the second without DDW); @limit on its ledger. */
static void vm_open(struct vm *vm, uint64_t limit)
{
	struct tce_guest_config gcfg;
	unsigned i;

	memset(vm, 0, sizeof(*vm));
	CHECK(tce_account_create(limit, &vm->account) == 0);
	gcfg = (struct tce_guest_config){TCE_HCALL_QEMU, vm->account, NULL, NULL};
	CHECK(tce_guest_create(&gcfg, &vm->g) == 0);
	CHECK(tce_guest_add_memslot(vm->g, 0, UINT64_C(1) << 30, UINT64_C(1) << 40) == 0);
	for (i = 0; i < NPHB; i++) {
		struct tce_phb_config cfg;

		tce_phb_config_default(&cfg, i);
		cfg.dma_win_size = UINT64_C(1) << 26;
		cfg.ddw = i == 0;
		CHECK(tce_phb_create(vm->g, &cfg, &vm->phb[i]) == 0);
	}
}

static void vm_close(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < NPHB; i++)
		tce_phb_destroy(vm->phb[i]);
	tce_guest_destroy(vm->g);
	CHECK(tce_account_balanced(vm->account));
	tce_account_destroy(vm->account);
}

/* One final pass of @vm (free it with tce_migration_free_stream()); its length into @len. */
static void *save(struct vm *vm, size_t *len)
{
	struct tce_migration *mig;
	void *stream;

	CHECK(tce_migration_start(vm->g, vm->phb, NPHB, &mig) == 0);
	CHECK(tce_migration_save(mig, true, &stream, len) == 0);
	tce_migration_done(mig);
	return stream;
}

static int load(struct vm *vm, const uint8_t *stream, size_t len)
{
	struct tce_migration *mig;
	int rc;

	CHECK(tce_migration_accept(vm->g, vm->phb, NPHB, &mig) == 0);
	rc = tce_migration_load(mig, stream, len);
	tce_migration_done(mig);
	return rc;
}

/* A real stream: a created window, a table of its own, a few entries. */
static const uint8_t *good_stream(size_t *len)
{
	static uint8_t good[MAX_STREAM];
	static size_t good_len;
	uint32_t args[5] = {0, (uint32_t)(TCE_PHB_BUID_BASE >> 32), (uint32_t)TCE_PHB_BUID_BASE, 16,
			    26},
		 rets[4];
	struct vm vm;
	void *stream;

	if (!good_len) {
		vm_open(&vm, TCE_ACCOUNT_UNLIMITED);
		CHECK(tce_phb_rtas(vm.phb[0], TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, args, 4, rets) == 0);
		CHECK(tce_guest_create_table(vm.g, 0x1000, 12, 0, 4096) == 0);
		CHECK(tce_h_put_tce(vm.g, 0x1000, 0x5000, 0x7000 | 3) == 0);
		CHECK(tce_h_stuff_tce(vm.g, tce_liobn_pci(0, 0), 0x10000, 0x40000 | 1, 3) == 0);
		CHECK(tce_h_put_tce(vm.g, tce_liobn_pci(0, 1), (UINT64_C(1) << 59) + 0x30000,
				    0x30000 | 2) == 0);
		stream = save(&vm, &good_len);
		CHECK(good_len <= sizeof(good));
		memcpy(good, stream, good_len);
		tce_migration_free_stream(stream);
		vm_close(&vm);
	}
	*len = good_len;
	return good;
}

/* Make the last 16 bytes of a stream a correct END record over @records records. */
static void seal(uint8_t *buf, size_t len, uint32_t records)
{
	test_put_le32(buf + len - END, 6);
	test_put_le32(buf + len - END + 4, 8);
	test_put_le32(buf + len - 8, test_crc32c(buf, len - END));
	test_put_le32(buf + len - 4, records);
}

/* Records in a well-formed run of records (stops at the first that does not fit). */
static uint32_t count_records(const uint8_t *p, size_t len)
{
	uint32_t n = 0;
	size_t at = 0;

	while (len - at >= 8) {
		uint32_t rlen = test_le32(p + at + 4);

		if (rlen > len - at - 8)
			break;
		at += 8 + rlen;
		n++;
	}
	return n;
}

/* The destination is as vm_open() made it. */
static void assert_fresh(struct vm *vm, uint64_t locked)
{
	unsigned i, w;

	CHECK(tce_account_locked(vm->account, TCE_TAG_COUNT) == locked);
	for (i = 0; i < NPHB; i++)
		for (w = 0; w < TCE_PHB_WINDOWS; w++) {
			struct tce_phb_window win;
			struct tce_guest_table_info info;

			tce_phb_window(vm->phb[i], w, &win);
			CHECK(win.enabled == (w == 0));
			if (!win.enabled)
				continue;
			CHECK(win.def_win && win.page_shift == 12 && win.entries == 16384);
			CHECK(tce_guest_table_info(vm->g, win.liobn, &info) == 0);
			CHECK(info.valid_entries == 0);
		}
}

/* Two guests have the same windows, charges and window entries. */
static void assert_same(struct vm *a, struct vm *b)
{
	unsigned i, w;

	CHECK(tce_account_locked(a->account, TCE_TAG_COUNT) ==
	      tce_account_locked(b->account, TCE_TAG_COUNT));
	for (i = 0; i < NPHB; i++)
		for (w = 0; w < TCE_PHB_WINDOWS; w++) {
			struct tce_phb_window wa, wb;
			struct tce_guest_view va, vb;
			uint64_t k;

			tce_phb_window(a->phb[i], w, &wa);
			tce_phb_window(b->phb[i], w, &wb);
			CHECK(wa.enabled == wb.enabled && wa.def_win == wb.def_win &&
			      wa.page_shift == wb.page_shift && wa.bus_offset == wb.bus_offset &&
			      wa.entries == wb.entries);
			if (!wa.enabled)
				continue;
			CHECK(tce_guest_get_view(a->g, wa.liobn, &va) == 0);
			CHECK(tce_guest_get_view(b->g, wb.liobn, &vb) == 0);
			for (k = 0; k < va.size && k < 65536; k++) {
				uint64_t ea = va.pages[k / 8192] ? va.pages[k / 8192][k % 8192] : 0;
				uint64_t eb = vb.pages[k / 8192] ? vb.pages[k / 8192][k % 8192] : 0;

				CHECK(ea == eb);
			}
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[MAX_STREAM];
	size_t good_len, len = 0, i;
	const uint8_t *good = good_stream(&good_len);
	struct vm dest, third;
	uint32_t records = 0;
	uint64_t locked;
	int rc;

	if (size == 0 || size > MAX_STREAM - HEADER - END)
		return 0;
	switch (data[0] & 3) {
	case 0: /* the bytes as they are */
		memcpy(buf, data + 1, size - 1);
		len = size - 1;
		break;
	case 1: /* a real stream, bytes changed: (position, value) triples */
		memcpy(buf, good, good_len);
		len = good_len;
		for (i = 1; i + 2 < size; i += 3)
			buf[(data[i] | (size_t)data[i + 1] << 8) % len] = data[i + 2];
		if (data[0] & 4)
			seal(buf, len, (uint32_t)count_records(buf + HEADER, len - HEADER - END));
		break;
	case 2: /* a real header, records of the known types built from the input, a correct END */
		memcpy(buf, good, HEADER);
		len = HEADER;
		for (i = 1; i < size;) {
			/* A type, then as many payload bytes as that type has (RUNS: 1 to 4 runs). */
			static const uint32_t payload[] = {8, 16, 8 + 24 * TCE_PHB_WINDOWS, 40, 8, 8};
			uint32_t type = 1u + data[i] % 6u, n = type == 5 ? 8u + 24u * (1u + data[i] / 6u % 4u)
								   : payload[type - 1];

			i++;
			if (n > size - i)
				n = (uint32_t)(size - i);
			test_put_le32(buf + len, type);
			test_put_le32(buf + len + 4, n);
			memcpy(buf + len + 8, data + i, n);
			len += 8 + n;
			i += n;
			records++;
		}
		len += END;
		seal(buf, len, records);
		break;
	case 3: /* a real stream cut short, or with the input after it */
		memcpy(buf, good, good_len);
		len = size > 2 ? (data[1] | (size_t)data[2] << 8) % (good_len + 1) : good_len / 2;
		if (data[0] & 4) {
			memcpy(buf + good_len, data + 1, size - 1);
			len = good_len + size - 1;
		}
		break;
	}
	vm_open(&dest, UINT64_C(8) << 20);
	locked = tce_account_locked(dest.account, TCE_TAG_COUNT);
	rc = load(&dest, buf, len);
	CHECK(rc == 0 || rc == -EINVAL || rc == -EPROTO || rc == -EFAULT || rc == -ENOMEM);
	if (rc == -EINVAL || rc == -EPROTO)
		assert_fresh(&dest, locked);
	if (rc == 0) {
		/* What loaded moves on again, unchanged. */
		size_t again_len;
		void *again = save(&dest, &again_len);

		vm_open(&third, UINT64_C(8) << 20);
		CHECK(load(&third, again, again_len) == 0);
		assert_same(&dest, &third);
		vm_close(&third);
		tce_migration_free_stream(again);
	}
	vm_close(&dest);
	return 0;
}
