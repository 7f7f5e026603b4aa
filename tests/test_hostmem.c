// SPDX-License-Identifier: MIT
/*
 * hostmem tests: the simulated address space (map, unmap, remap with mremap
 * semantics, huge pages, fragmentation), pins as extents and snapshots, and
 * the real-process backend on a memfd (and a hugetlbfs memfd when huge pages
 * are reserved: CI reserves them and sets LIBTCE_REQUIRE_HUGETLB=1, so there
 * the test fails instead of skipping).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/fault.h"
#include "tce/hostmem.h"


static struct tce_hostmem *sim(unsigned page_shift)
{
	struct tce_hostmem *hm = NULL;

	assert_int_equal(tce_hostmem_sim_create(page_shift, &hm), 0);
	return hm;
}

static uint64_t hpa_of(struct tce_hostmem *hm, uint64_t ua)
{
	struct tce_host_page page;

	assert_int_equal(tce_hostmem_query(hm, ua, &page), 0);
	return page.hpa;
}

static void test_sim_map_query_unmap(void **state)
{
	struct tce_hostmem *hm = sim(16);
	struct tce_host_page page;
	uint64_t base;

	(void)state;
	assert_int_equal(tce_hostmem_page_shift(hm), 16);
	assert_string_equal(tce_hostmem_backend_name(hm), "sim");
	assert_int_equal(tce_hostmem_sim_map(hm, 1 * GiB, 4 * MiB, 16, 0), 0);
	base = hpa_of(hm, 1 * GiB);
	/* Contiguous: the host address advances with the user address. */
	assert_int_equal(hpa_of(hm, 1 * GiB + 3 * MiB + 5), base + 3 * MiB + 5);
	assert_int_equal(tce_hostmem_query(hm, 1 * GiB + 128 * KiB + 7, &page), 0);
	assert_int_equal(page.page_shift, 16);
	assert_int_equal(page.page_hpa, base + 128 * KiB);
	assert_int_equal(page.pin_count, 0);
	/* Outside: not mapped. */
	assert_int_equal(tce_hostmem_query(hm, 1 * GiB + 4 * MiB, &page), -EFAULT);
	assert_int_equal(tce_hostmem_query(hm, 1 * GiB - 1, &page), -EFAULT);
	/* Overlap without FIXED: refused. */
	assert_int_equal(tce_hostmem_sim_map(hm, 1 * GiB + 1 * MiB, 64 * KiB, 16, 0), -EEXIST);
	/* Bad arguments. */
	assert_int_equal(tce_hostmem_sim_map(hm, 2 * GiB + 4 * KiB, 64 * KiB, 16, 0), -EINVAL);
	assert_int_equal(tce_hostmem_sim_map(hm, 2 * GiB, 0, 16, 0), -EINVAL);
	assert_int_equal(tce_hostmem_sim_map(hm, 2 * GiB, 64 * KiB, 13, 0), -EINVAL);
	assert_int_equal(tce_hostmem_sim_map(hm, 2 * GiB, 1 * MiB, 21, 0), -EINVAL);
	assert_int_equal(tce_hostmem_sim_map(hm, 2 * GiB, 64 * KiB, 16, 0x80), -EINVAL);
	assert_int_equal(tce_hostmem_sim_map(hm, UINT64_MAX - 64 * KiB + 1 - 64 * KiB, 256 * KiB, 16, 0),
			 -EINVAL);
	/* Punch a hole in the middle. */
	assert_int_equal(tce_hostmem_sim_unmap(hm, 1 * GiB + 1 * MiB, 64 * KiB), 0);
	assert_int_equal(tce_hostmem_query(hm, 1 * GiB + 1 * MiB, &page), -EFAULT);
	assert_int_equal(hpa_of(hm, 1 * GiB + 1 * MiB + 64 * KiB), base + 1 * MiB + 64 * KiB);
	assert_int_equal(hpa_of(hm, 1 * GiB + 1 * MiB - 1), base + 1 * MiB - 1);
	/* Unmapping a hole is fine; misaligned is not. */
	assert_int_equal(tce_hostmem_sim_unmap(hm, 1 * GiB + 1 * MiB, 64 * KiB), 0);
	assert_int_equal(tce_hostmem_sim_unmap(hm, 1 * GiB + 4 * KiB, 64 * KiB), -EINVAL);
	/* A FIXED map replaces what is there with fresh frames. */
	assert_int_equal(tce_hostmem_sim_map(hm, 1 * GiB, 128 * KiB, 16, TCE_SIM_MAP_FIXED), 0);
	assert_int_not_equal(hpa_of(hm, 1 * GiB), base);
	tce_hostmem_destroy(hm);
}

static void test_sim_huge_pages(void **state)
{
	struct tce_hostmem *hm = sim(16);
	struct tce_host_page page;

	(void)state;
	assert_int_equal(tce_hostmem_sim_map(hm, 1 * GiB, 64 * MiB, 24, 0), 0);
	assert_int_equal(tce_hostmem_query(hm, 1 * GiB + 17 * MiB, &page), 0);
	assert_int_equal(page.page_shift, 24);
	assert_int_equal(page.page_hpa & (16 * MiB - 1), 0);
	assert_int_equal(page.hpa - page.page_hpa, 1 * MiB);
	/* Cutting inside a huge page is refused and changes nothing. */
	assert_int_equal(tce_hostmem_sim_unmap(hm, 1 * GiB + 1 * MiB, 64 * KiB), -EINVAL);
	assert_int_equal(tce_hostmem_query(hm, 1 * GiB + 1 * MiB, &page), 0);
	assert_int_equal(tce_hostmem_sim_unmap(hm, 1 * GiB + 16 * MiB, 16 * MiB), 0);
	assert_int_equal(tce_hostmem_query(hm, 1 * GiB + 16 * MiB, &page), -EFAULT);
	/* 2 MiB and 1 GiB pages. */
	assert_int_equal(tce_hostmem_sim_map(hm, 4 * GiB, 4 * MiB, 21, 0), 0);
	assert_int_equal(tce_hostmem_sim_map(hm, 8 * GiB, 1 * GiB, 30, 0), 0);
	assert_int_equal(tce_hostmem_query(hm, 8 * GiB + 5, &page), 0);
	assert_int_equal(page.page_shift, 30);
	assert_int_equal(page.page_hpa & (1 * GiB - 1), 0);
	tce_hostmem_destroy(hm);
}

/* An extent is backed by one page size: a huge page then small pages are two extents. */
static void test_sim_pin_page_sizes(void **state)
{
	struct tce_hostmem *hm = sim(16);
	struct tce_hostmem_pin *pin;
	struct tce_extent e;
	uint64_t hpa;
	unsigned backing = 0;

	(void)state;
	assert_int_equal(tce_hostmem_sim_map(hm, 1 * GiB, 16 * MiB, 24, 0), 0);
	assert_int_equal(tce_hostmem_sim_map(hm, 1 * GiB + 16 * MiB, 16 * MiB, 16, 0), 0);
	assert_int_equal(tce_hostmem_pin(hm, 1 * GiB, 32 * MiB, &pin), 0);
	/* The host frames continue (bump allocator), the page size does not. */
	assert_int_equal(hpa_of(hm, 1 * GiB) + 16 * MiB, hpa_of(hm, 1 * GiB + 16 * MiB));
	assert_int_equal(tce_hostmem_pin_extents(pin), 2);
	assert_int_equal(tce_hostmem_pin_extent(pin, 0, &e), 0);
	assert_int_equal(e.bytes, 16 * MiB);
	assert_int_equal(e.page_shift, 24);
	assert_int_equal(tce_hostmem_pin_extent(pin, 1, &e), 0);
	assert_int_equal(e.ua, 1 * GiB + 16 * MiB);
	assert_int_equal(e.page_shift, 16);
	assert_int_equal(tce_hostmem_pin_translate(pin, 1 * GiB + 1 * MiB, 1 * MiB, &hpa, &backing), 0);
	assert_int_equal(backing, 24);
	assert_int_equal(tce_hostmem_pin_translate(pin, 1 * GiB + 17 * MiB, 1 * MiB, &hpa, &backing), 0);
	assert_int_equal(backing, 16);
	/* Across the change of page size: two extents, not one contiguous range. */
	assert_int_equal(tce_hostmem_pin_translate(pin, 1 * GiB + 8 * MiB, 16 * MiB, &hpa, NULL), -EPERM);
	tce_hostmem_unpin(hm, pin);
	tce_hostmem_destroy(hm);
}

static void test_sim_remap_moves_frames(void **state)
{
	struct tce_hostmem *hm = sim(12);
	struct tce_host_page page;
	uint64_t base;

	(void)state;
	assert_int_equal(tce_hostmem_sim_map(hm, 1 * GiB, 1 * MiB, 12, 0), 0);
	base = hpa_of(hm, 1 * GiB);
	/* Move: the frames follow, the old range is empty. */
	assert_int_equal(tce_hostmem_sim_remap(hm, 1 * GiB, 1 * MiB, 3 * GiB, 1 * MiB), 0);
	assert_int_equal(hpa_of(hm, 3 * GiB + 4 * KiB), base + 4 * KiB);
	assert_int_equal(tce_hostmem_query(hm, 1 * GiB, &page), -EFAULT);
	/* Grow while moving back: the head keeps its frames, the tail is fresh. */
	assert_int_equal(tce_hostmem_sim_remap(hm, 3 * GiB, 1 * MiB, 1 * GiB, 2 * MiB), 0);
	assert_int_equal(hpa_of(hm, 1 * GiB), base);
	assert_int_equal(tce_hostmem_query(hm, 1 * GiB + 2 * MiB - 1, &page), 0);
	assert_int_equal(tce_hostmem_query(hm, 3 * GiB, &page), -EFAULT);
	/* Shrink. */
	assert_int_equal(tce_hostmem_sim_remap(hm, 1 * GiB, 2 * MiB, 2 * GiB, 512 * KiB), 0);
	assert_int_equal(hpa_of(hm, 2 * GiB), base);
	assert_int_equal(tce_hostmem_query(hm, 2 * GiB + 512 * KiB, &page), -EFAULT);
	/* Errors: a hole in the old range, overlapping ranges, misalignment. */
	assert_int_equal(tce_hostmem_sim_remap(hm, 2 * GiB, 1 * MiB, 5 * GiB, 1 * MiB), -EFAULT);
	assert_int_equal(tce_hostmem_sim_remap(hm, 2 * GiB, 512 * KiB, 2 * GiB + 4 * KiB, 512 * KiB),
			 -EINVAL);
	assert_int_equal(tce_hostmem_sim_remap(hm, 2 * GiB, 512 * KiB, 5 * GiB + 1, 512 * KiB),
			 -EINVAL);
	assert_int_equal(hpa_of(hm, 2 * GiB), base);
	/* The destination is replaced (MREMAP_FIXED). */
	assert_int_equal(tce_hostmem_sim_map(hm, 6 * GiB, 1 * MiB, 12, 0), 0);
	assert_int_equal(tce_hostmem_sim_remap(hm, 2 * GiB, 512 * KiB, 6 * GiB, 512 * KiB), 0);
	assert_int_equal(hpa_of(hm, 6 * GiB), base);
	assert_int_equal(tce_hostmem_query(hm, 6 * GiB + 512 * KiB, &page), 0); /* untouched tail */
	tce_hostmem_destroy(hm);
}

static void test_sim_pin_extents(void **state)
{
	struct tce_hostmem *hm = sim(16);
	struct tce_hostmem_pin *pin = NULL, *pin2 = NULL;
	struct tce_extent e;
	uint64_t hpa;

	(void)state;
	/* Two back-to-back maps are host-adjacent: one extent. */
	assert_int_equal(tce_hostmem_sim_map(hm, 1 * GiB, 1 * MiB, 16, 0), 0);
	assert_int_equal(tce_hostmem_sim_map(hm, 1 * GiB + 1 * MiB, 1 * MiB, 16, 0), 0);
	/*
	 * A fragmented one: every page one page apart from the next. Its first
	 * page still comes right after the frames above, so it joins their extent.
	 */
	assert_int_equal(tce_hostmem_sim_map(hm, 1 * GiB + 2 * MiB, 256 * KiB, 16,
					     TCE_SIM_MAP_FRAGMENTED),
			 0);
	assert_int_equal(tce_hostmem_pin(hm, 1 * GiB, 2 * MiB + 256 * KiB, &pin), 0);
	assert_int_equal(tce_hostmem_pin_extents(pin), 4);
	assert_int_equal(tce_hostmem_pin_granule_shift(pin), TCE_GRANULE_WHOLE);
	assert_int_equal(tce_hostmem_pin_extent(pin, 0, &e), 0);
	assert_int_equal(e.ua, 1 * GiB);
	assert_int_equal(e.bytes, 2 * MiB + 64 * KiB);
	assert_int_equal(e.hpa, hpa_of(hm, 1 * GiB));
	assert_int_equal(tce_hostmem_pin_extent(pin, 1, &e), 0);
	assert_int_equal(e.ua, 1 * GiB + 2 * MiB + 64 * KiB);
	assert_int_equal(e.hpa, hpa_of(hm, 1 * GiB) + 2 * MiB + 2 * 64 * KiB);
	assert_int_equal(tce_hostmem_pin_extent(pin, 3, &e), 0);
	assert_int_equal(e.ua, 1 * GiB + 2 * MiB + 192 * KiB);
	assert_int_equal(e.bytes, 64 * KiB);
	assert_int_equal(e.page_shift, 16);
	assert_int_equal(tce_hostmem_pin_extent(pin, 4, &e), -EINVAL);
	assert_true(tce_hostmem_pin_metadata_bytes(pin) >= 4 * 24);
	assert_int_equal(tce_hostmem_pinned_bytes(hm), 2 * MiB + 256 * KiB);
	/* Translation: inside an extent yes; across the fragmented pages no. */
	assert_int_equal(tce_hostmem_pin_translate(pin, 1 * GiB + 1 * MiB, 1 * MiB, &hpa, NULL), 0);
	assert_int_equal(hpa, hpa_of(hm, 1 * GiB + 1 * MiB));
	assert_int_equal(tce_hostmem_pin_translate(pin, 1 * GiB + 2 * MiB, 128 * KiB, &hpa, NULL), -EPERM);
	assert_int_equal(tce_hostmem_pin_translate(pin, 1 * GiB + 2 * MiB + 64 * KiB, 128 * KiB,
						   &hpa, NULL),
			 -EPERM);
	assert_int_equal(tce_hostmem_pin_translate(pin, 1 * GiB + 2 * MiB - 64 * KiB, 128 * KiB,
						   &hpa, NULL),
			 0);
	assert_int_equal(tce_hostmem_pin_translate(pin, 1 * GiB + 2 * MiB + 256 * KiB, 4 * KiB, &hpa, NULL),
			 -EFAULT);
	assert_int_equal(tce_hostmem_pin_translate(pin, 1 * GiB - 4 * KiB, 4 * KiB, &hpa, NULL), -EFAULT);
	/* Pin counts: two pins of the same page. */
	assert_int_equal(tce_hostmem_pin(hm, 1 * GiB, 64 * KiB, &pin2), 0);
	assert_int_equal(tce_hostmem_pin_count(hm, hpa_of(hm, 1 * GiB)), 2);
	assert_int_equal(tce_hostmem_pin_count(hm, hpa_of(hm, 1 * GiB + 64 * KiB)), 1);
	tce_hostmem_unpin(hm, pin2);
	assert_int_equal(tce_hostmem_pin_count(hm, hpa_of(hm, 1 * GiB)), 1);
	tce_hostmem_unpin(hm, pin);
	assert_int_equal(tce_hostmem_pin_count(hm, hpa_of(hm, 1 * GiB)), 0);
	assert_int_equal(tce_hostmem_pinned_bytes(hm), 0);
	tce_hostmem_destroy(hm);
}

struct sweep_ctx {
	struct tce_hostmem *hm;
	struct tce_hostmem_pin *pin;
	uint64_t hpa_before; /* what backs 1 GiB before the operation */
};

static int pin_op(void *opaque)
{
	struct sweep_ctx *c = opaque;

	return tce_hostmem_pin(c->hm, 1 * GiB, 1 * MiB, &c->pin);
}

static int map_op(void *opaque)
{
	return tce_hostmem_sim_map(((struct sweep_ctx *)opaque)->hm, 4 * GiB, 1 * MiB, 16, 0);
}

static int unmap_op(void *opaque)
{
	return tce_hostmem_sim_unmap(((struct sweep_ctx *)opaque)->hm, 1 * GiB, 64 * KiB);
}

static int remap_op(void *opaque)
{
	return tce_hostmem_sim_remap(((struct sweep_ctx *)opaque)->hm, 1 * GiB + 64 * KiB, 1 * MiB - 64 * KiB,
				     5 * GiB, 2 * MiB);
}

/* Nothing pinned, and 1 GiB + 64 KiB still backed by the same frame. */
static void sweep_unchanged(void *opaque)
{
	struct sweep_ctx *c = opaque;

	assert_null(c->pin);
	assert_int_equal(tce_hostmem_pinned_bytes(c->hm), 0);
	assert_int_equal(hpa_of(c->hm, 1 * GiB + 64 * KiB), c->hpa_before);
	assert_int_equal(tce_hostmem_query(c->hm, 4 * GiB, &(struct tce_host_page){0}), -EFAULT);
}

static void test_sim_pin_errors_pin_nothing(void **state)
{
	struct sweep_ctx c = {sim(16), NULL, 0};
	struct tce_hostmem_pin *pin = NULL;

	(void)state;
	assert_int_equal(tce_hostmem_sim_map(c.hm, 1 * GiB, 1 * MiB, 16, 0), 0);
	assert_int_equal(tce_hostmem_sim_map(c.hm, 1 * GiB + 2 * MiB, 1 * MiB, 16, 0), 0);
	c.hpa_before = hpa_of(c.hm, 1 * GiB + 64 * KiB);
	assert_int_equal(tce_hostmem_pin(c.hm, 1 * GiB, 3 * MiB, &pin), -EFAULT); /* hole */
	assert_int_equal(tce_hostmem_pin(c.hm, 1 * GiB, 0, &pin), -EINVAL);
	assert_int_equal(tce_hostmem_pin(c.hm, 1 * GiB + 4 * KiB, 64 * KiB, &pin), -EINVAL);
	assert_null(pin);
	/* Pin, map, unmap and remap each refuse cleanly whichever allocation fails. */
	assert_int_equal(test_fault_sweep(pin_op, sweep_unchanged, &c), 1);
	assert_int_equal(tce_hostmem_pin_count(c.hm, hpa_of(c.hm, 1 * GiB)), 1);
	tce_hostmem_unpin(c.hm, c.pin);
	c.pin = NULL;
	assert_true(test_fault_sweep(map_op, sweep_unchanged, &c) >= 3);
	assert_int_equal(tce_hostmem_sim_unmap(c.hm, 4 * GiB, 1 * MiB), 0);
	assert_int_equal(test_fault_sweep(unmap_op, sweep_unchanged, &c), 1);
	assert_int_equal(tce_hostmem_query(c.hm, 1 * GiB, &(struct tce_host_page){0}), -EFAULT);
	assert_true(test_fault_sweep(remap_op, sweep_unchanged, &c) >= 5);
	assert_int_equal(hpa_of(c.hm, 5 * GiB), c.hpa_before);
	tce_hostmem_destroy(c.hm);
}

/* A pin is a snapshot: moving, unmapping or replacing the mapping makes it stale. */
static void test_sim_pin_check(void **state)
{
	struct tce_hostmem *hm = sim(16);
	struct tce_hostmem_pin *pin;
	uint64_t first = 0, hpa, pinned_hpa;

	(void)state;
	assert_int_equal(tce_hostmem_sim_map(hm, 1 * GiB, 2 * MiB, 16, 0), 0);
	assert_int_equal(tce_hostmem_pin(hm, 1 * GiB, 2 * MiB, &pin), 0);
	pinned_hpa = hpa_of(hm, 1 * GiB);
	first = 0xdead;
	assert_int_equal(tce_hostmem_pin_check(hm, pin, &first), 0);
	assert_int_equal(first, 0xdead); /* nothing stale: left as it was */
	/* Something new over the second half. */
	assert_int_equal(tce_hostmem_sim_map(hm, 1 * GiB + 1 * MiB, 1 * MiB, 16, TCE_SIM_MAP_FIXED), 0);
	assert_int_equal(tce_hostmem_pin_check(hm, pin, &first), 1);
	assert_int_equal(first, 1 * GiB + 1 * MiB);
	/* The pin still translates to the old frames and still holds them. */
	assert_int_equal(tce_hostmem_pin_translate(pin, 1 * GiB + 1 * MiB, 64 * KiB, &hpa, NULL), 0);
	assert_int_equal(hpa, pinned_hpa + 1 * MiB);
	assert_int_equal(tce_hostmem_pin_count(hm, pinned_hpa + 1 * MiB), 1);
	assert_int_not_equal(hpa_of(hm, 1 * GiB + 1 * MiB), hpa);
	/* Moving the whole mapping away: stale from the first byte. */
	assert_int_equal(tce_hostmem_sim_remap(hm, 1 * GiB, 2 * MiB, 2 * GiB, 2 * MiB), 0);
	assert_int_equal(tce_hostmem_pin_check(hm, pin, &first), 1);
	assert_int_equal(first, 1 * GiB);
	tce_hostmem_unpin(hm, pin);
	tce_hostmem_destroy(hm);
}

static void test_backend_mismatch(void **state)
{
	struct tce_hostmem *hm = sim(12), *proc = NULL;
	struct tce_host_page page;

	(void)state;
	assert_int_equal(tce_hostmem_sim_create(13, &proc), -EINVAL);
	/* Out of memory on either of its two allocations: -ENOMEM, nothing left behind. */
	tce_fault_fail_nth(1);
	assert_int_equal(tce_hostmem_sim_create(12, &proc), -ENOMEM);
	tce_fault_fail_nth(2);
	assert_int_equal(tce_hostmem_sim_create(12, &proc), -ENOMEM);
	tce_fault_fail_nth(0);
	assert_int_equal(tce_hostmem_process_add_fd(hm, 0, 4096, 0, 0), -EOPNOTSUPP);
	assert_int_equal(tce_hostmem_process_create(&proc), 0);
	assert_int_equal(tce_hostmem_sim_map(proc, 1 * GiB, 4 * KiB, 12, 0), -EOPNOTSUPP);
	assert_int_equal(tce_hostmem_sim_unmap(proc, 1 * GiB, 4 * KiB), -EOPNOTSUPP);
	assert_int_equal(tce_hostmem_sim_remap(proc, 1 * GiB, 4 * KiB, 2 * GiB, 4 * KiB), -EOPNOTSUPP);
	assert_int_equal(tce_hostmem_query(proc, 1 * GiB, &page), -EOPNOTSUPP);
	tce_hostmem_destroy(proc);
	tce_hostmem_destroy(hm);
}

/* ---- the real process ---- */

static void process_round_trip(int fd, uint64_t size, unsigned expect_granule)
{
	struct tce_hostmem *hm;
	struct tce_hostmem_pin *pin;
	uint64_t first = 0, hpa;
	unsigned char *mine, *moved;
	unsigned backing = 0;
	void *dest;
	unsigned char *lib;

	assert_int_equal(ftruncate(fd, (off_t)(2 * size)), 0);
	mine = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)size);
	assert_true(mine != MAP_FAILED);
	assert_int_equal(tce_hostmem_process_create(&hm), 0);
	assert_string_equal(tce_hostmem_backend_name(hm), "process");
	assert_int_equal(tce_hostmem_process_add_fd(hm, (uintptr_t)mine, size, fd, size), 0);
	assert_int_equal(tce_hostmem_process_add_fd(hm, (uintptr_t)mine, size, fd, size), -EEXIST);
	assert_int_equal(tce_hostmem_pin(hm, (uintptr_t)mine + size, size, &pin), -EFAULT);
	/* Inside the fd's range but not on its page: -EINVAL, nothing pinned. */
	assert_int_equal(tce_hostmem_pin(hm, (uintptr_t)mine + 512, 4096, &pin), -EINVAL);
	assert_int_equal(tce_hostmem_pin(hm, (uintptr_t)mine, 4096 + 512, &pin), -EINVAL);
	/* On huge pages, a base page that is not on the file's page is refused the same way. */
	if (expect_granule > 12)
		assert_int_equal(tce_hostmem_pin(hm, (uintptr_t)mine + 4096, 4096, &pin), -EINVAL);
	assert_int_equal(tce_hostmem_pinned_bytes(hm), 0);
	assert_int_equal(tce_hostmem_pin(hm, (uintptr_t)mine, size, &pin), 0);
	assert_int_equal(tce_hostmem_pin_granule_shift(pin), expect_granule);
	assert_int_equal(tce_hostmem_pinned_bytes(hm), size);
	assert_int_equal(tce_hostmem_pin_check(hm, pin, &first), 0);
	/* Split in two mappings of the same file (other protections): still the pinned memory. */
	if ((size / 2) % (UINT64_C(1) << expect_granule) == 0) {
		assert_int_equal(mprotect(mine + size / 2, (size_t)size / 2, PROT_READ), 0);
		assert_int_equal(tce_hostmem_pin_check(hm, pin, &first), 0);
		assert_int_equal(mprotect(mine + size / 2, (size_t)size / 2, PROT_READ | PROT_WRITE), 0);
	}

	/* The host address is the library's own mapping of the same memory. */
	assert_int_equal(tce_hostmem_pin_translate(pin, (uintptr_t)mine + 8192, 4096, &hpa, &backing),
			 0);
	assert_int_equal(backing, expect_granule); /* the file's page */
	/* Two of the file's pages, contiguous in the library's mapping: they are not one page. */
	if (size >= (UINT64_C(2) << expect_granule))
		assert_int_equal(tce_hostmem_pin_translate(pin, (uintptr_t)mine, UINT64_C(2) << expect_granule,
							   &hpa, &backing), -EPERM);
	lib = (unsigned char *)(uintptr_t)hpa;
	assert_ptr_not_equal(lib, mine + 8192);
	mine[8192] = 0x5a;
	assert_int_equal(lib[0], 0x5a);
	lib[1] = 0xa5; /* "DMA" into guest RAM shows up in the VMM's view */
	assert_int_equal(mine[8193], 0xa5);

	/* The VMM moves its mapping: the pin is stale, its pointer still valid. */
	dest = mmap(NULL, (size_t)size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(dest != MAP_FAILED);
	moved = mremap(mine, (size_t)size, (size_t)size, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
	if (moved == MAP_FAILED) {
		munmap(dest, (size_t)size);
		/* Fall back to unmapping, which must make it stale too. */
		assert_int_equal(munmap(mine, (size_t)size), 0);
		moved = NULL;
	}
	assert_int_equal(tce_hostmem_pin_check(hm, pin, &first), 1);
	assert_int_equal(first, (uintptr_t)mine);
	lib[2] = 0x77;
	if (moved)
		assert_int_equal(moved[8194], 0x77);
	tce_hostmem_unpin(hm, pin);
	tce_hostmem_unpin(hm, NULL); /* no pin: nothing happens */
	assert_int_equal(tce_hostmem_pinned_bytes(hm), 0);
	/* Destroying the hostmem gives back the pins still held (ASan sees a leak otherwise). */
	assert_int_equal(tce_hostmem_pin(hm, (uintptr_t)mine, UINT64_C(1) << expect_granule, &pin), 0);
	assert_int_equal(tce_hostmem_pin(hm, (uintptr_t)mine, UINT64_C(1) << expect_granule, &pin), 0);
	tce_hostmem_destroy(hm);
	tce_hostmem_destroy(NULL);
	if (moved)
		munmap(moved, (size_t)size);
}

static void test_process_memfd(void **state)
{
	int fd = memfd_create("libtce-test", MFD_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	process_round_trip(fd, 1 * MiB, (unsigned)__builtin_ctzl((unsigned long)sysconf(_SC_PAGESIZE)));
	close(fd);
}

static void test_process_hugetlb(void **state)
{
	int fd = memfd_create("libtce-test-huge", MFD_CLOEXEC | MFD_HUGETLB);
	void *probe = MAP_FAILED;

	(void)state;
	if (fd >= 0 && ftruncate(fd, 4 * MiB) == 0)
		probe = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (probe == MAP_FAILED) {
		if (fd >= 0)
			close(fd);
		if (getenv("LIBTCE_REQUIRE_HUGETLB"))
			fail_msg("no 2 MiB huge pages although LIBTCE_REQUIRE_HUGETLB is set "
				 "(reserve some in /proc/sys/vm/nr_hugepages)");
		skip(); /* reported as SKIPPED with this reason: */
	}
	munmap(probe, 2 * MiB);
	process_round_trip(fd, 2 * MiB, 21);
	close(fd);
}

static void test_process_add_fd_errors(void **state)
{
	struct tce_hostmem *hm;
	int fd = memfd_create("libtce-test", MFD_CLOEXEC);

	(void)state;
	assert_int_equal(tce_hostmem_process_create(&hm), 0);
	assert_int_equal(tce_hostmem_process_add_fd(hm, 4096, 4096, -1, 0), -EBADF);
	assert_int_equal(tce_hostmem_process_add_fd(hm, 4097, 4096, fd, 0), -EINVAL);
	assert_int_equal(tce_hostmem_process_add_fd(hm, 4096, 0, fd, 0), -EINVAL);
	assert_int_equal(tce_hostmem_process_add_fd(hm, 4096, 4096, fd, 7), -EINVAL);
	/* Backings added out of address order are each found again: 3 GiB, 1 GiB, 2 GiB. */
	{
		static const uint64_t order[3] = {3, 1, 2};
		struct tce_hostmem *many;
		struct tce_hostmem_pin *pin;
		unsigned k;

		assert_int_equal(ftruncate(fd, 3 * 4096), 0);
		assert_int_equal(tce_hostmem_process_create(&many), 0);
		for (k = 0; k < 3; k++)
			assert_int_equal(tce_hostmem_process_add_fd(many, order[k] * GiB, 4096, fd,
								   (off_t)(order[k] - 1) * 4096), 0);
		/* Overlapping the one before or the one after: -EEXIST. */
		assert_int_equal(tce_hostmem_process_add_fd(many, 2 * GiB - 4096, 8192, fd, 0), -EEXIST);
		assert_int_equal(tce_hostmem_process_add_fd(many, 1 * GiB, 4096, fd, 0), -EEXIST);
		for (k = 1; k <= 3; k++) {
			uint64_t hpa;
			unsigned backing;

			assert_int_equal(tce_hostmem_pin(many, k * GiB, 4096, &pin), 0);
			assert_int_equal(tce_hostmem_pin_translate(pin, k * GiB, 4096, &hpa, &backing), 0);
			/* The file page behind it: write through it, read it back with pread. */
			*(volatile uint32_t *)(uintptr_t)hpa = 0xc0de0000u + k;
			{
				uint32_t got = 0;

				assert_int_equal(pread(fd, &got, sizeof(got), (off_t)(k - 1) * 4096),
						 (ssize_t)sizeof(got));
				assert_int_equal(got, 0xc0de0000u + k);
			}
			tce_hostmem_unpin(many, pin);
		}
		assert_int_equal(tce_hostmem_pin(many, 4 * GiB, 4096, &pin), -EFAULT);
		tce_hostmem_destroy(many);
	}
	/* A daemon's stdin closed: the library's copy of the fd may be 0, a descriptor like any other. */
	{
		struct tce_hostmem *daemon;
		struct tce_hostmem_pin *pin;
		int saved = dup(0);

		assert_true(saved >= 0);
		assert_int_equal(ftruncate(fd, 4096), 0);
		assert_int_equal(tce_hostmem_process_create(&daemon), 0);
		assert_int_equal(close(0), 0);
		assert_int_equal(tce_hostmem_process_add_fd(daemon, 1 * GiB, 4096, fd, 0), 0);
		assert_int_equal(fcntl(0, F_GETFD), FD_CLOEXEC); /* the library's copy */
		assert_int_equal(tce_hostmem_pin(daemon, 1 * GiB, 4096, &pin), 0);
		tce_hostmem_unpin(daemon, pin);
		tce_hostmem_destroy(daemon);
		assert_int_equal(dup2(saved, 0), 0);
		assert_int_equal(close(saved), 0);
	}
	tce_hostmem_destroy(hm);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_map_query_unmap),
		cmocka_unit_test(test_sim_huge_pages),
		cmocka_unit_test(test_sim_pin_page_sizes),
		cmocka_unit_test(test_sim_remap_moves_frames),
		cmocka_unit_test(test_sim_pin_extents),
		cmocka_unit_test(test_sim_pin_errors_pin_nothing),
		cmocka_unit_test(test_sim_pin_check),
		cmocka_unit_test(test_backend_mismatch),
		cmocka_unit_test(test_process_memfd),
		cmocka_unit_test(test_process_hugetlb),
		cmocka_unit_test(test_process_add_fd_errors),
	};

	return cmocka_run_group_tests_name("hostmem", tests, NULL, NULL);
}
