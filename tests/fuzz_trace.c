// SPDX-License-Identifier: MIT
/*
 * Fuzz target: arbitrary bytes as QEMU trace lines, through the line parser
 * and the replay. Invariants: nothing crashes or reads past a line (each line
 * is given a heap block of its own length); the parser returns 0, 1 (empty)
 * or -EINVAL with a reason; every line is counted once; matched never passes
 * checked; kept problem lines hold printable ASCII only.
 * Half the inputs are mutations of real trace lines, so the parser's deep
 * paths are reached, not only its first check.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NAME "fuzz-trace"
#include "fuzz_driver.h"

#include "tce/trace.h"
#include "trace_parse.h"

static const char *const seeds[] = {
	"6720@1795546047.414756:spapr_iommu_pci_put liobn=0x80000000 ioba=0x1000 tce=0x8edf003 ret=0",
	"101@1.000012:spapr_iommu_pci_get liobn=0x80000000 ioba=0x1000 ret=0 tce=0x8edf003",
	"6720@1795546041.892512:spapr_iommu_pci_indirect liobn=0x80000001 ioba=0x800000000000000 "
	"tcelist=0x2420000 iobaN=0x7f tceN=0x7f000003 ret=0",
	"6720@1795546040.503313:spapr_iommu_pci_stuff liobn=0x80000000 ioba=0x200000 tcevalue=0x0 "
	"npages=512 ret=0",
	"6716@1795546041.974511:spapr_iommu_xlate liobn=0x80000001 0x20b1002 -> 0x2000000 perm=3 "
	"mask=0xffffff",
	"6716@1795546032.903569:spapr_iommu_new_table liobn=0x80000000 table=0x56015d032690 fd=-1",
	"6720@1795546041.890399:spapr_iommu_ddw_query buid=0x800000020000000 addr=0x0, 1 windows "
	"available, max window size=0x80000000, mask=0x107",
	"6720@1795546041.890955:spapr_iommu_ddw_create buid=0x800000020000000 addr=0x0, page "
	"size=0x1000000, requested=0x80000000, start addr=0x800000000000000, liobn=0x80000001",
	"101@1.000016:spapr_iommu_ddw_remove liobn=0x80000001",
	"101@1.000017:spapr_iommu_ddw_reset buid=0x800000020000000 addr=0x0",
};

static void one_line(struct tce_replay *replay, const uint8_t *bytes, size_t len, uint64_t no)
{
	char *line = malloc(len ? len : 1);
	struct tce_trace_rec rec;
	int rc;

	CHECK(line != NULL);
	memcpy(line, bytes, len);
	rc = tce_trace_parse(line, len, &rec);
	CHECK(rc == 0 || rc == 1 || rc == -EINVAL);
	CHECK(rc != -EINVAL || rec.why != NULL);
	rc = tce_replay_line(replay, line, len, no);
	CHECK(rc == 0 || rc == 1 || rc == -EINVAL);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tce_replay_config cfg = {.profile = TCE_HCALL_QEMU, .keep_problems = 4,
					.memlock_limit = UINT64_C(1) << 30};
	const struct tce_replay_problem *problems;
	struct tce_replay_stats stats;
	struct tce_replay *replay;
	uint64_t lines = 0;
	size_t start = 0, i, n, j;
	uint8_t mutated[512];

	if (size == 0)
		return 0;
	cfg.profile = (enum tce_hcall_profile)(data[0] % 3);
	CHECK(tce_replay_create(&cfg, &replay) == 0);
	if (data[0] & 0x80) {
		/* A real line, with bytes of the input written over it. */
		const char *seed = seeds[data[0] % (sizeof(seeds) / sizeof(seeds[0]))];
		size_t len = strlen(seed);

		memcpy(mutated, seed, len);
		for (i = 1; i + 1 < size && i < 64; i += 2)
			mutated[data[i] % len] = data[i + 1];
		one_line(replay, mutated, len, ++lines);
	}
	/* The input itself, split at newlines. */
	for (i = 1; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			one_line(replay, data + start + (start == 0), i - start - (start == 0), ++lines);
			start = i + 1;
		}
	}
	tce_replay_stats(replay, &stats);
	CHECK(stats.lines == lines);
	for (i = 0; i < TCE_TRACE_EVENT_COUNT; i++)
		CHECK(stats.events[i].matched <= stats.events[i].checked);
	CHECK(stats.unparsable + stats.mismatches <= lines);
	n = tce_replay_problems(replay, &problems);
	CHECK(n <= 4);
	for (i = 0; i < n; i++)
		for (j = 0; problems[i].line[j]; j++)
			CHECK(problems[i].line[j] >= 0x20 && problems[i].line[j] < 0x7f);
	tce_replay_destroy(replay);
	return 0;
}
