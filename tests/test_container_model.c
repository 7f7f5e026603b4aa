// SPDX-License-Identifier: MIT
/*
 * Model-based container test: random sequences of attach, detach, register,
 * unregister, create, remove, map, unmap and calls from another process, some
 * with an injected allocation failure or a failing platform call (a window
 * that cannot be programmed into a group), run against a v2 container and
 * against a small reference model written here. After every step the ledger
 * (per tag), the pinned bytes, every region's mapped counter, every window's
 * mapped entries, what each group has programmed, the binding and the
 * registered regions must equal the model's. Each sequence ends by releasing
 * everything: the ledger balances.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "tce/container.h"
#include "tce/fault.h"

#define RAM_UA (UINT64_C(1) << 40)
#define HUGE_UA (UINT64_C(1) << 41)
#define DDW (UINT64_C(1) << 59)
#define TRACKED 4096 /* entries of each window the model tracks (maps stay below) */
#define NREGIONS 5
#define STEPS 50

/* Candidate regions: four 64 MiB pieces of 64 KiB-page RAM, one of 16 MiB pages. */
static const struct {
	uint64_t ua, size;
} regions[NREGIONS] = {
	{RAM_UA, 64 * MiB},
	{RAM_UA + 64 * MiB, 64 * MiB},
	{RAM_UA + 128 * MiB, 64 * MiB},
	{RAM_UA + 512 * MiB, 64 * MiB},
	{HUGE_UA, 256 * MiB},
};

struct model_window {
	bool exists;
	unsigned page_shift;
	uint64_t entries;
	uint64_t charge; /* one copy: table, and the same for the mirror */
	uint64_t start;
	uint64_t ua[TRACKED]; /* 0: not mapped */
};

struct model {
	bool attached[2];
	bool registered[NREGIONS];
	bool enabled;
	bool bound;
	bool pending;
	struct model_window w[2];
};

/* What a step injects: nothing, an allocation failure (-ENOMEM), a platform failure (-EIO). */
enum inject { NONE, ALLOC, PLATFORM };

struct sut {
	struct tce_hostmem *hm;
	struct tce_hostmem *other; /* another process's address space */
	struct tce_account *account;
	struct tce_prereg *prereg;
	struct tce_group *groups[2];
	struct tce_container *c;
};

static int region_of(uint64_t ua)
{
	int k;

	for (k = 0; k < NREGIONS; k++)
		if (ua >= regions[k].ua && ua - regions[k].ua < regions[k].size)
			return k;
	return -1;
}

static uint64_t window_charge(unsigned ps, uint64_t size, unsigned levels)
{
	struct tce_geometry_request req = {ps, size, levels, TCE_PROFILE_LINUX, 0};
	struct tce_geometry geo;

	assert_int_equal(tce_geometry_compute(&req, &geo), 0);
	assert_int_equal(geo.create_errno, 0);
	return geo.full_bytes;
}

static void model_add_window(struct model *m, unsigned slot, unsigned ps, uint64_t size,
			     unsigned levels)
{
	memset(&m->w[slot], 0, sizeof(m->w[slot]));
	m->w[slot].exists = true;
	m->w[slot].page_shift = ps;
	m->w[slot].entries = size >> ps;
	m->w[slot].charge = window_charge(ps, size, levels);
	m->w[slot].start = slot ? DDW : 0;
}

static void model_clear_window(struct model *m, unsigned slot)
{
	memset(m->w[slot].ua, 0, sizeof(m->w[slot].ua));
}

/* Compare every observable with the model. */
static void check(struct sut *s, const struct model *m)
{
	uint64_t expect_table = 0, expect_region = 0, mapped[NREGIONS] = {0};
	unsigned slot, k;
	uint64_t i;

	for (slot = 0; slot < 2; slot++) {
		struct tce_window *w = tce_container_window(s->c, slot ? DDW : 0);
		uint64_t count = 0;

		assert_int_equal(w != NULL, m->w[slot].exists);
		if (!m->w[slot].exists)
			continue;
		expect_table += m->w[slot].charge;
		for (i = 0; i < TRACKED; i++) {
			if (m->w[slot].ua[i]) {
				count++;
				mapped[region_of(m->w[slot].ua[i])]++;
			}
		}
		assert_int_equal(tce_window_mapped(w), count);
		assert_int_equal(tce_window_geometry(w)->page_shift, m->w[slot].page_shift);
		tce_window_put(w);
	}
	for (k = 0; k < NREGIONS; k++) {
		struct tce_region *r = tce_prereg_lookup(s->prereg, regions[k].ua, regions[k].size);

		assert_int_equal(r != NULL, m->registered[k]);
		if (r) {
			struct tce_region_info info;

			tce_region_info(r, &info);
			assert_int_equal(info.mapped, mapped[k]);
			expect_region += regions[k].size;
		} else {
			assert_int_equal(mapped[k], 0);
		}
	}
	assert_int_equal(tce_account_locked(s->account, TCE_TAG_TABLE), expect_table);
	assert_int_equal(tce_account_locked(s->account, TCE_TAG_MIRROR), expect_table);
	assert_int_equal(tce_account_locked(s->account, TCE_TAG_REGION), expect_region);
	assert_int_equal(tce_account_locked(s->account, TCE_TAG_COUNT), 2 * expect_table + expect_region);
	assert_int_equal(tce_hostmem_pinned_bytes(s->hm), expect_region);
	/* Each group has exactly the container's windows programmed, or none when detached. */
	for (k = 0; k < 2; k++) {
		for (slot = 0; slot < 2; slot++) {
			struct tce_translation x;
			int rc = tce_group_translate(s->groups[k], slot ? DDW : 0, &x);

			assert_int_equal(rc, m->attached[k] && m->w[slot].exists ? 0 : -ENXIO);
		}
	}
	{
		struct tce_container_region held[NREGIONS];
		struct tce_container_state st;
		size_t n = tce_container_regions(s->c, held, NREGIONS), j = 0;

		tce_container_state(s->c, &st);
		assert_int_equal(st.bound, m->bound);
		assert_int_equal(st.enabled, m->enabled);
		for (k = 0; k < NREGIONS; k++)
			if (m->registered[k] && regions[k].ua != HUGE_UA)
				assert_int_equal(held[j++].ua, regions[k].ua);
		assert_int_equal(n, j + m->registered[4]);
	}
}

static void sut_setup(struct sut *s)
{
	struct tce_group_desc desc;
	struct tce_container_config cfg;
	unsigned g;

	assert_int_equal(tce_hostmem_sim_create(16, &s->hm), 0);
	assert_int_equal(tce_hostmem_sim_create(16, &s->other), 0);
	assert_int_equal(tce_hostmem_sim_map(s->hm, RAM_UA, 1 * GiB, 16, 0), 0);
	assert_int_equal(tce_hostmem_sim_map(s->hm, HUGE_UA, 256 * MiB, 24, 0), 0);
	assert_int_equal(tce_account_create(TCE_ACCOUNT_UNLIMITED, &s->account), 0);
	assert_int_equal(tce_prereg_create(s->hm, s->account, &s->prereg), 0);
	tce_group_desc_powernv_ioda2(&desc);
	for (g = 0; g < 2; g++)
		assert_int_equal(tce_group_create(&desc, g, &s->groups[g]), 0);
	cfg = (struct tce_container_config){VFIO_SPAPR_TCE_v2_IOMMU, s->hm, s->account, s->prereg,
					    TCE_USERVIEW_MIRROR};
	assert_int_equal(tce_container_create(&cfg, &s->c), 0);
}

static void sut_teardown(struct sut *s)
{
	unsigned g;

	assert_int_equal(tce_container_destroy(s->c), 0);
	for (g = 0; g < 2; g++)
		assert_int_equal(tce_group_destroy(s->groups[g]), 0);
	assert_int_equal(tce_prereg_destroy(s->prereg), 0);
	assert_true(tce_account_balanced(s->account));
	assert_int_equal(tce_hostmem_pinned_bytes(s->hm), 0);
	tce_account_destroy(s->account);
	tce_hostmem_destroy(s->hm);
	tce_hostmem_destroy(s->other);
}

static unsigned groups_attached(const struct model *m)
{
	return (unsigned)m->attached[0] + (unsigned)m->attached[1];
}

/* The pending default window is created by MAP, UNMAP and CREATE. */
static void model_create_pending(struct model *m)
{
	if (m->pending) {
		model_add_window(m, 0, 12, 2 * GiB, 1);
		m->pending = false;
	}
}

/* A map or unmap target inside the tracked part of a window. */
static bool pick_range(struct model *m, uint64_t *seed, unsigned *slot, uint64_t *first,
		       uint64_t *npages)
{
	uint64_t limit;

	*slot = (unsigned)(test_rng(seed) % 2);
	if (!m->w[*slot].exists)
		return false;
	limit = m->w[*slot].entries < TRACKED ? m->w[*slot].entries : TRACKED;
	*npages = 1 + test_rng(seed) % (limit < 32 ? limit : 32);
	*first = test_rng(seed) % (limit - *npages + 1);
	return true;
}

static void step(struct sut *s, struct model *m, uint64_t *seed, enum inject inject)
{
	unsigned op = (unsigned)(test_rng(seed) % 10);
	unsigned g = (unsigned)(test_rng(seed) % 2), k = (unsigned)(test_rng(seed) % NREGIONS), slot;
	uint64_t first, npages, i;
	int rc, expect, failure = inject == PLATFORM ? -EIO : -ENOMEM;

	if (inject == ALLOC)
		tce_fault_fail_nth(1 + test_rng(seed) % 4);
	else if (inject == PLATFORM)
		tce_fault_set_window_fail_nth(1 + test_rng(seed) % 2, TCE_OPAL_HARDWARE);
	switch (op) {
	case 0: /* attach */
		rc = tce_container_attach(s->c, s->groups[g]);
		expect = m->attached[g] ? -EBUSY : 0;
		if (rc == 0 && expect == 0) {
			m->attached[g] = true;
			if (groups_attached(m) == 1 && !m->w[0].exists)
				m->pending = true;
		}
		break;
	case 1: /* detach */
		rc = tce_container_detach(s->c, s->groups[g]);
		expect = m->attached[g] ? 0 : -EINVAL;
		if (rc == 0 && expect == 0) {
			m->attached[g] = false;
			if (groups_attached(m) == 0) {
				model_clear_window(m, 0);
				model_clear_window(m, 1);
				m->pending = false;
			}
		}
		break;
	case 2: /* register */
		rc = tce_container_register(s->c, regions[k].ua, regions[k].size);
		m->bound = true;
		expect = m->registered[k] ? -EBUSY : 0;
		if (rc == 0 && expect == 0) {
			m->registered[k] = true;
			m->enabled = true;
		}
		break;
	case 3: { /* unregister */
		bool busy = false;

		for (slot = 0; slot < 2; slot++)
			for (i = 0; i < TRACKED; i++)
				if (m->w[slot].ua[i] && region_of(m->w[slot].ua[i]) == (int)k)
					busy = true;
		rc = tce_container_unregister(s->c, regions[k].ua, regions[k].size);
		expect = !m->bound ? -EPERM : !m->registered[k] ? -ENOENT : busy ? -EBUSY : 0;
		if (rc == 0 && expect == 0)
			m->registered[k] = false;
		break;
	}
	case 4: { /* create */
		static const unsigned shifts[3] = {12, 16, 24};
		static const uint64_t sizes[3] = {16 * MiB, 256 * MiB, 1 * GiB};
		unsigned ps = shifts[test_rng(seed) % 3], levels = 1 + (unsigned)(test_rng(seed) % 2);
		uint64_t size = sizes[test_rng(seed) % 3], start = 0;
		struct model before = *m;

		rc = tce_container_create_window(s->c, ps, size, levels, &start);
		m->bound = true;
		before.bound = true;
		if (!groups_attached(m)) {
			expect = -ENXIO;
			break;
		}
		model_create_pending(m);
		slot = !m->w[0].exists ? 0 : !m->w[1].exists ? 1 : 2;
		expect = slot == 2 ? -ENOSPC : 0;
		if (rc == 0 && expect == 0) {
			model_add_window(m, slot, ps, size, levels);
			assert_int_equal(start, m->w[slot].start);
		} else if (rc == failure && inject) {
			/* The default window may or may not have been created before the failure. */
			struct tce_window *w0 = tce_container_window(s->c, 0);

			*m = before;
			if (m->pending && w0)
				model_create_pending(m);
			tce_window_put(w0);
		}
		break;
	}
	case 5: { /* remove */
		uint64_t start = (test_rng(seed) % 2) ? DDW : 0;

		slot = start ? 1 : 0;
		rc = tce_container_remove_window(s->c, start);
		m->bound = true;
		if (!groups_attached(m)) {
			expect = -ENXIO;
		} else if (start == 0 && m->pending) {
			expect = 0;
			if (rc == 0)
				m->pending = false;
		} else {
			expect = m->w[slot].exists ? 0 : -EINVAL;
			if (rc == 0 && expect == 0) {
				m->w[slot].exists = false;
				model_clear_window(m, slot);
			}
		}
		break;
	}
	case 6:   /* map */
	case 7: { /* unmap */
		struct model before = *m;
		bool map = op == 6;
		uint64_t ua = 0;

		if (!m->enabled) {
			rc = map ? tce_container_map(s->c, 0, 4 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ)
				 : tce_container_unmap(s->c, 0, 4 * KiB);
			expect = -EPERM;
			break;
		}
		model_create_pending(m);
		if (!pick_range(m, seed, &slot, &first, &npages)) {
			uint64_t iova = slot ? DDW : 0;

			rc = map ? tce_container_map(s->c, iova, 4 * KiB, RAM_UA, VFIO_DMA_MAP_FLAG_READ)
				 : tce_container_unmap(s->c, iova, 4 * KiB);
			expect = -ENXIO;
			if (rc == failure && inject)
				goto nomem_default;
			break;
		}
		if (map) {
			/* Huge-page windows map from the 16 MiB region, others from RAM pieces. */
			uint64_t page = UINT64_C(1) << m->w[slot].page_shift;
			unsigned src = m->w[slot].page_shift == 24 ? 4 : (unsigned)(test_rng(seed) % 4);

			if (npages > regions[src].size / page)
				npages = regions[src].size / page;

			ua = regions[src].ua + (test_rng(seed) % (regions[src].size / page - npages + 1)) * page;
			rc = tce_container_map(s->c, m->w[slot].start + (first << m->w[slot].page_shift),
					       npages << m->w[slot].page_shift, ua,
					       VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
			expect = m->registered[src] ? 0 : -EINVAL;
			if (rc == 0 && expect == 0)
				for (i = 0; i < npages; i++)
					m->w[slot].ua[first + i] = ua + i * page;
		} else {
			rc = tce_container_unmap(s->c, m->w[slot].start + (first << m->w[slot].page_shift),
						 npages << m->w[slot].page_shift);
			expect = 0;
			if (rc == 0)
				for (i = 0; i < npages; i++)
					m->w[slot].ua[first + i] = 0;
		}
		if (rc == failure && inject) {
nomem_default:
			/* Nothing mapped; only the default window's creation may have happened. */
			{
				bool created = !before.w[0].exists && m->w[0].exists;
				struct tce_window *w0 = tce_container_window(s->c, 0);

				*m = before;
				if (created && w0)
					model_create_pending(m);
				tce_window_put(w0);
			}
		}
		break;
	}
	case 8: { /* another process: refused once bound, and always for what would bind */
		struct vfio_iommu_spapr_register_memory reg = {sizeof(reg), 0, regions[k].ua,
							       regions[k].size};
		struct vfio_iommu_spapr_tce_info info = {.argsz = sizeof(info)};

		if (test_rng(seed) % 2) {
			rc = tce_container_ioctl_as(s->c, s->other, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
						    (uintptr_t)&reg, sizeof(reg));
			expect = -EPERM;
		} else {
			rc = tce_container_ioctl_as(s->c, s->other, VFIO_IOMMU_SPAPR_TCE_GET_INFO,
						    (uintptr_t)&info, sizeof(info));
			expect = m->bound ? -EPERM : groups_attached(m) ? 0 : -ENXIO;
		}
		break;
	}
	default: /* a translation through a group: never changes anything */
	{
		struct tce_translation x;

		rc = tce_group_translate(s->groups[g], DDW, &x);
		expect = m->attached[g] && m->w[1].exists ? 0 : -ENXIO;
		break;
	}
	}
	tce_fault_fail_nth(0);
	tce_fault_set_window_fail_nth(0, 0);
	if (rc != expect && !inject)
		print_message("op %u group %u region %u: rc %d, model expects %d\n", op, g, k, rc, expect);
	if (rc != expect) {
		/* Only an injected failure may change the result, and only to its errno. */
		assert_true(inject);
		assert_int_equal(rc, failure);
	}
	check(s, m);
}

static void test_random_sequences(void **state)
{
	uint64_t seed = 0x2545F4914F6CDD1Du;
	/* 2000 sequences (200 quick); LIBTCE_MODEL_SEQUENCES overrides (CI's valgrind run uses fewer). */
	unsigned seq, n, injected = 0, platform = 0;
	unsigned sequences = (unsigned)test_count("LIBTCE_MODEL_SEQUENCES", 200, 2000);

	(void)state;
	for (seq = 0; seq < sequences; seq++) {
		struct sut s;
		static struct model m;

		memset(&m, 0, sizeof(m));
		sut_setup(&s);
		for (n = 0; n < STEPS; n++) {
			unsigned roll = (unsigned)(test_rng(&seed) % 16);
			enum inject inject = roll < 2 ? ALLOC : roll == 2 ? PLATFORM : NONE;

			injected += inject == ALLOC;
			platform += inject == PLATFORM;
			step(&s, &m, &seed, inject);
		}
		sut_teardown(&s);
	}
	print_message("%u sequences of %u steps, %u with an injected allocation failure, %u with a "
		      "failing platform call\n",
		      sequences, STEPS, injected, platform);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sequences),
	};

	return cmocka_run_group_tests_name("container-model", tests, NULL, NULL);
}
