// SPDX-License-Identifier: MIT
/*
 * Fuzz target: tce_container_ioctl() with arbitrary commands, structs and
 * buffer lengths, including buffers shorter than their argsz claims. Each
 * struct lives in a heap block of exactly the length given, so a read or write
 * past it is caught by the sanitizers. Invariants: every call returns 0, 1 or a
 * negative errno; after teardown the ledger balances and nothing is pinned.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NAME "fuzz-ioctl"
#include "fuzz_driver.h"

#include "helpers.h"

#include "tce/container.h"

#define RAM_UA (UINT64_C(1) << 40)

static const unsigned long commands[] = {
	VFIO_CHECK_EXTENSION,
	VFIO_IOMMU_SPAPR_TCE_GET_INFO,
	VFIO_IOMMU_ENABLE,
	VFIO_IOMMU_DISABLE,
	VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
	VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY,
	VFIO_IOMMU_SPAPR_TCE_CREATE,
	VFIO_IOMMU_SPAPR_TCE_REMOVE,
	VFIO_IOMMU_MAP_DMA,
	VFIO_IOMMU_UNMAP_DMA,
	VFIO_EEH_PE_OP,
};

struct input {
	const uint8_t *data;
	size_t size, pos;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = (v << 8) | (in->pos < in->size ? in->data[in->pos++] : 0);
	return v;
}

/* A plausible value for one 8-byte field: small, an address in RAM or the windows, or anything. */
static uint64_t field(struct input *in)
{
	uint64_t sel = take(in, 1);

	switch (sel % 6) {
	case 0:
		return take(in, 8);
	case 1:
		return RAM_UA + (take(in, 2) << 16);
	case 2:
		return (UINT64_C(1) << 59) + (take(in, 2) << 16);
	case 3:
		return take(in, 2) << 16;
	case 4:
		return UINT64_C(1) << (take(in, 1) % 64);
	default:
		return take(in, 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size, 0};
	struct tce_group_desc desc;
	struct tce_container_config cfg;
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_prereg *prereg;
	struct tce_group *group;
	struct tce_container *c;
	unsigned config = (unsigned)take(&in, 1);

	CHECK(tce_hostmem_sim_create(16, &hm) == 0);
	CHECK(tce_hostmem_sim_map(hm, RAM_UA, 64 * MiB, 16, 0) == 0);
	CHECK(tce_account_create((config & 2) ? 16 * MiB : TCE_ACCOUNT_UNLIMITED, &account) == 0);
	CHECK(tce_prereg_create(hm, account, &prereg) == 0);
	tce_group_desc_powernv_ioda2(&desc);
	CHECK(tce_group_create(&desc, 0, &group) == 0);
	cfg = (struct tce_container_config){(config & 1) ? VFIO_SPAPR_TCE_v2_IOMMU
							  : VFIO_SPAPR_TCE_IOMMU,
					    hm, account, prereg, TCE_USERVIEW_MIRROR};
	CHECK(tce_container_create(&cfg, &c) == 0);
	if (config & 4)
		CHECK(tce_container_attach(c, group) == 0);
	while (in.pos < in.size) {
		unsigned long cmd = commands[take(&in, 1) % (sizeof(commands) / sizeof(commands[0]))];
		size_t len = (size_t)(take(&in, 1) % 48), i;
		uint8_t full[48];
		uint8_t *buf;
		int rc;

		/* argsz and flags first (often right), then the 8-byte fields. */
		memset(full, 0, sizeof(full));
		{
			uint32_t argsz = (uint32_t)(take(&in, 1) & 1 ? len : take(&in, 1)), flags =
				(uint32_t)(take(&in, 1) < 200 ? 0 : take(&in, 4));

			memcpy(full, &argsz, 4);
			memcpy(full + 4, &flags, 4);
		}
		for (i = 8; i + 8 <= sizeof(full); i += 8) {
			uint64_t v = field(&in);

			memcpy(full + i, &v, 8);
		}
		if (cmd == VFIO_IOMMU_SPAPR_TCE_CREATE) { /* page_shift, levels: small */
			full[8] = (uint8_t)(take(&in, 1) % 40);
			full[24] = (uint8_t)(take(&in, 1) % 7);
		}
		buf = malloc(len ? len : 1);
		CHECK(buf != NULL);
		memcpy(buf, full, len);
		rc = cmd == VFIO_CHECK_EXTENSION
			     ? tce_container_ioctl(c, cmd, take(&in, 1) % 12, 0)
			     : tce_container_ioctl(c, cmd, take(&in, 1) < 8 ? 0 : (uintptr_t)buf, len);
		CHECK(rc == 0 || rc == 1 || (rc < 0 && rc > -4096));
		free(buf);
	}
	CHECK(tce_container_destroy(c) == 0);
	CHECK(tce_group_destroy(group) == 0);
	CHECK(tce_prereg_destroy(prereg) == 0);
	CHECK(tce_account_balanced(account));
	CHECK(tce_hostmem_pinned_bytes(hm) == 0);
	tce_account_destroy(account);
	tce_hostmem_destroy(hm);
	return 0;
}
