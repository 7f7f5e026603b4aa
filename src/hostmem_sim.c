// SPDX-License-Identifier: MIT
/*
 * The simulated host: a process address space of runs backed by frames from a
 * bump allocator. See include/tce/hostmem.h and hostmem_backend.h.
 *
 * The address space is a sorted array of runs, each a range of user addresses
 * backed by host-contiguous frames of one page size. Every change builds a
 * new array and swaps it in, so a failed change leaves the old one. Ranges
 * are compared by their last address, so a run may end exactly at 2^64.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "hostmem_backend.h"
#include "range.h"

/* Where simulated host frames start: above 4 GiB, so 0 is never a host address. */
#define SIM_FIRST_HPA (UINT64_C(1) << 32)

struct sim_run {
	uint64_t ua;
	uint64_t bytes;
	uint64_t hpa;
	unsigned page_shift;
};

struct sim {
	struct sim_run *runs;
	size_t nruns;
	uint64_t next_hpa;
};

static const struct hostmem_ops sim_ops;

/* The sim state of @hostmem, or NULL for another back end. */
static struct sim *sim_of(struct tce_hostmem *hostmem)
{
	return hostmem->ops == &sim_ops ? hostmem->backend : NULL;
}

static uint64_t run_last(const struct sim_run *run)
{
	return tce_range_last(run->ua, run->bytes);
}

/* Index of the first of @nruns sorted runs ending after @ua (containing it or above). */
static size_t runs_first_after(const struct sim_run *runs, size_t nruns, uint64_t ua)
{
	return tce_sorted_first_ending_after(TCE_SORTED_RANGES(runs, nruns, ua, bytes), ua);
}

/* A cut just before @at inside @run must not split one of its pages. */
static bool cut_ok(const struct sim_run *run, uint64_t at)
{
	if (at <= run->ua || at > run_last(run))
		return true;
	return (at & ((UINT64_C(1) << run->page_shift) - 1)) == 0;
}

/* A run's piece [lo, lo + bytes). */
static struct sim_run run_piece(const struct sim_run *run, uint64_t lo, uint64_t bytes)
{
	return (struct sim_run){lo, bytes, run->hpa + (lo - run->ua), run->page_shift};
}

/*
 * The @nruns sorted runs split at [a, last]: a new array without the range in
 * *@kept, and the pieces inside it (trimmed to it) in *@cut when @cut is not NULL.
 */
static int sim_split(const struct sim_run *runs, size_t nruns, uint64_t a, uint64_t last,
		     struct sim_run **kept, size_t *nkept, struct sim_run **cut, size_t *ncut)
{
	size_t first = runs_first_after(runs, nruns, a), i, k = 0, c = 0;
	struct sim_run *out, *pieces = NULL;

	for (i = first; i < nruns && runs[i].ua <= last; i++)
		if (!cut_ok(&runs[i], a) || (last != UINT64_MAX && !cut_ok(&runs[i], last + 1)))
			return -EINVAL;
	out = tce_zalloc((nruns + 1) * sizeof(*out));
	if (!out)
		return -ENOMEM;
	if (cut) {
		pieces = tce_zalloc((i - first + 1) * sizeof(*pieces));
		if (!pieces) {
			tce_free(out);
			return -ENOMEM;
		}
	}
	for (i = 0; i < nruns; i++) {
		const struct sim_run *run = &runs[i];
		uint64_t lo, hi;

		if (run_last(run) < a || run->ua > last) {
			out[k++] = *run;
			continue;
		}
		if (run->ua < a) /* the part before the range */
			out[k++] = run_piece(run, run->ua, a - run->ua);
		lo = run->ua > a ? run->ua : a;
		hi = run_last(run) < last ? run_last(run) : last;
		if (pieces)
			pieces[c++] = run_piece(run, lo, hi - lo + 1);
		if (run_last(run) > last) /* the part after */
			out[k++] = run_piece(run, last + 1, run_last(run) - last);
	}
	*kept = out;
	*nkept = k;
	if (cut) {
		*cut = pieces;
		*ncut = c;
	}
	return 0;
}

/* Merge sorted, non-overlapping @add into sorted @base (both freed or kept by the caller). */
static int sim_merge(const struct sim_run *base, size_t nbase, const struct sim_run *add,
		     size_t nadd, struct sim_run **merged, size_t *nmerged)
{
	struct sim_run *out = tce_zalloc((nbase + nadd + 1) * sizeof(*out));
	size_t i = 0, j = 0, k = 0;

	if (!out)
		return -ENOMEM;
	while (i < nbase || j < nadd) {
		if (j == nadd || (i < nbase && base[i].ua < add[j].ua))
			out[k++] = base[i++];
		else
			out[k++] = add[j++];
	}
	*merged = out;
	*nmerged = k;
	return 0;
}

/* Fresh frames for [ua, ua + size) in pages of 2^page_shift. */
static int sim_alloc_runs(uint64_t ua, uint64_t size, unsigned page_shift, bool fragmented,
			  uint64_t *next_hpa, struct sim_run **runs, size_t *nruns)
{
	uint64_t page = UINT64_C(1) << page_shift;
	uint64_t hpa = (*next_hpa + page - 1) & ~(page - 1);
	uint64_t pages = size >> page_shift, i;
	size_t n = fragmented ? (size_t)pages : 1;
	struct sim_run *out;

	if (fragmented && pages > SIZE_MAX / sizeof(*out))
		return -ENOMEM;
	out = tce_zalloc(n * sizeof(*out));
	if (!out)
		return -ENOMEM;
	if (!fragmented) {
		out[0] = (struct sim_run){ua, size, hpa, page_shift};
		hpa += size;
	} else {
		/* One page apart: no two pages are host-adjacent. */
		for (i = 0; i < pages; i++) {
			out[i] = (struct sim_run){ua + (i << page_shift), page, hpa, page_shift};
			hpa += 2 * page;
		}
	}
	*next_hpa = hpa;
	*runs = out;
	*nruns = n;
	return 0;
}

static void sim_commit(struct sim *sim, struct sim_run *runs, size_t n)
{
	tce_free(sim->runs);
	sim->runs = runs;
	sim->nruns = n;
}

/*
 * Merge @add into @base and make the result the address space, with
 * @next_hpa as the next free frame. Returns 0 or -ENOMEM (nothing changed).
 */
static int sim_install(struct sim *sim, const struct sim_run *base, size_t nbase,
		       const struct sim_run *add, size_t nadd, uint64_t next_hpa)
{
	struct sim_run *merged;
	size_t nmerged;
	int rc = sim_merge(base, nbase, add, nadd, &merged, &nmerged);

	if (rc)
		return rc;
	sim_commit(sim, merged, nmerged);
	sim->next_hpa = next_hpa;
	return 0;
}

static bool sim_page_shift_ok(const struct tce_hostmem *hostmem, unsigned page_shift)
{
	return page_shift == hostmem->page_shift || page_shift == 21 || page_shift == 24 ||
	       page_shift == 30;
}

int tce_hostmem_sim_create(unsigned base_page_shift, struct tce_hostmem **hostmemp)
{
	struct sim *sim;
	int rc;

	if (base_page_shift != 12 && base_page_shift != 16)
		return -EINVAL;
	sim = tce_zalloc(sizeof(*sim));
	if (!sim)
		return -ENOMEM;
	sim->next_hpa = SIM_FIRST_HPA;
	rc = hostmem_new(&sim_ops, base_page_shift, sim, hostmemp);
	if (rc)
		tce_free(sim);
	return rc;
}

int tce_hostmem_sim_map(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
			unsigned page_shift, unsigned flags)
{
	struct sim_run *kept = NULL, *fresh = NULL;
	size_t nkept, nfresh;
	struct sim *sim = sim_of(hostmem);
	uint64_t next_hpa;
	int rc;

	if (!sim)
		return -EOPNOTSUPP;
	if (!sim_page_shift_ok(hostmem, page_shift) || !tce_range_valid(ua, size, page_shift) ||
	    (flags & ~(TCE_SIM_MAP_FRAGMENTED | TCE_SIM_MAP_FIXED)))
		return -EINVAL;
	pthread_mutex_lock(&hostmem->lock);
	if (!(flags & TCE_SIM_MAP_FIXED)) {
		size_t i = runs_first_after(sim->runs, sim->nruns, ua);

		if (i < sim->nruns && sim->runs[i].ua <= tce_range_last(ua, size)) {
			rc = -EEXIST;
			goto out;
		}
	}
	rc = sim_split(sim->runs, sim->nruns, ua, tce_range_last(ua, size), &kept, &nkept, NULL,
		       NULL);
	if (rc)
		goto out;
	next_hpa = sim->next_hpa;
	rc = sim_alloc_runs(ua, size, page_shift, flags & TCE_SIM_MAP_FRAGMENTED, &next_hpa, &fresh,
			    &nfresh);
	if (rc)
		goto out;
	rc = sim_install(sim, kept, nkept, fresh, nfresh, next_hpa);
out:
	tce_free(kept);
	tce_free(fresh);
	pthread_mutex_unlock(&hostmem->lock);
	return rc;
}

int tce_hostmem_sim_unmap(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size)
{
	struct sim *sim = sim_of(hostmem);
	struct sim_run *kept;
	size_t nkept;
	int rc;

	if (!sim)
		return -EOPNOTSUPP;
	if (!tce_range_valid(ua, size, hostmem->page_shift))
		return -EINVAL;
	pthread_mutex_lock(&hostmem->lock);
	rc = sim_split(sim->runs, sim->nruns, ua, tce_range_last(ua, size), &kept, &nkept, NULL,
		       NULL);
	if (rc == 0)
		sim_commit(sim, kept, nkept);
	pthread_mutex_unlock(&hostmem->lock);
	return rc;
}

/* Whether [ua, ua + size) is mapped without a hole. */
static bool sim_fully_mapped(const struct sim *sim, uint64_t ua, uint64_t size)
{
	uint64_t cursor = ua, last = tce_range_last(ua, size);
	size_t i;

	for (i = runs_first_after(sim->runs, sim->nruns, ua); i < sim->nruns; i++) {
		if (sim->runs[i].ua > cursor)
			return false;
		if (run_last(&sim->runs[i]) >= last)
			return true;
		cursor = run_last(&sim->runs[i]) + 1;
	}
	return false;
}

int tce_hostmem_sim_remap(struct tce_hostmem *hostmem, uint64_t old_ua, uint64_t old_size,
			  uint64_t new_ua, uint64_t new_size)
{
	struct sim_run *without_old = NULL, *moved = NULL, *tail = NULL, *all_moved = NULL;
	struct sim_run *without_new = NULL;
	size_t n_without_old, nmoved, ntail = 0, nall_moved, n_without_new, i, keep;
	struct sim *sim = sim_of(hostmem);
	uint64_t next_hpa;
	int rc;

	if (!sim)
		return -EOPNOTSUPP;
	if (!tce_range_valid(old_ua, old_size, hostmem->page_shift) ||
	    !tce_range_valid(new_ua, new_size, hostmem->page_shift))
		return -EINVAL;
	if (tce_range_overlap(old_ua, old_size, new_ua, new_size))
		return -EINVAL;
	pthread_mutex_lock(&hostmem->lock);
	if (!sim_fully_mapped(sim, old_ua, old_size)) {
		rc = -EFAULT;
		goto out;
	}
	rc = sim_split(sim->runs, sim->nruns, old_ua, tce_range_last(old_ua, old_size), &without_old,
		       &n_without_old, &moved, &nmoved);
	if (rc)
		goto out;
	/* Shift the moved pieces and trim them to the new size. */
	for (i = 0, keep = 0; i < nmoved; i++) {
		struct sim_run run = moved[i];
		uint64_t off = run.ua - old_ua;

		if (off >= new_size)
			break;
		if (run.bytes > new_size - off)
			run.bytes = new_size - off;
		run.ua = new_ua + off;
		if (!tce_range_valid(run.ua, run.bytes, run.page_shift)) {
			rc = -EINVAL; /* would split or misalign a huge page */
			goto out;
		}
		moved[keep++] = run;
	}
	nmoved = keep;
	next_hpa = sim->next_hpa;
	if (new_size > old_size) {
		unsigned tail_shift = moved[nmoved - 1].page_shift;

		if (!tce_range_valid(new_ua + old_size, new_size - old_size, tail_shift)) {
			rc = -EINVAL;
			goto out;
		}
		rc = sim_alloc_runs(new_ua + old_size, new_size - old_size, tail_shift, false,
				    &next_hpa, &tail, &ntail);
		if (rc)
			goto out;
	}
	rc = sim_merge(moved, nmoved, tail, ntail, &all_moved, &nall_moved);
	if (rc)
		goto out;
	/* Replace whatever is at the destination: split it out of the array without the old range. */
	rc = sim_split(without_old, n_without_old, new_ua, tce_range_last(new_ua, new_size),
		       &without_new, &n_without_new, NULL, NULL);
	if (rc)
		goto out;
	rc = sim_install(sim, without_new, n_without_new, all_moved, nall_moved, next_hpa);
out:
	tce_free(without_old);
	tce_free(moved);
	tce_free(tail);
	tce_free(all_moved);
	tce_free(without_new);
	pthread_mutex_unlock(&hostmem->lock);
	return rc;
}

/* ---- the ops ---- */

static int sim_query(struct tce_hostmem *hostmem, uint64_t ua, struct tce_host_page *page)
{
	const struct sim *sim = hostmem->backend;
	size_t i = runs_first_after(sim->runs, sim->nruns, ua);
	const struct sim_run *run;

	if (i == sim->nruns || sim->runs[i].ua > ua)
		return -EFAULT;
	run = &sim->runs[i];
	page->hpa = run->hpa + (ua - run->ua);
	page->page_shift = run->page_shift;
	page->page_hpa = page->hpa & ~((UINT64_C(1) << run->page_shift) - 1);
	return 0;
}

/*
 * The extents of [ua, ua + size), a mapped range: a new extent wherever the host
 * address jumps. Fills @ext when it is not NULL; returns how many there are.
 */
static size_t sim_extents(const struct sim *sim, uint64_t ua, uint64_t size, struct pin_ext *ext)
{
	uint64_t last = tce_range_last(ua, size), next_hpa = 0;
	unsigned shift = 0;
	size_t i, n = 0;

	for (i = runs_first_after(sim->runs, sim->nruns, ua); i < sim->nruns && sim->runs[i].ua <= last;
	     i++) {
		const struct sim_run *run = &sim->runs[i];
		uint64_t lo = run->ua > ua ? run->ua : ua;
		uint64_t hi = run_last(run) < last ? run_last(run) : last;
		uint64_t hpa = run->hpa + (lo - run->ua);

		if (n == 0 || hpa != next_hpa || run->page_shift != shift) {
			if (ext)
				ext[n] = (struct pin_ext){lo - ua, hpa, run->page_shift};
			n++;
		}
		next_hpa = hpa + (hi - lo) + 1;
		shift = run->page_shift;
	}
	return n;
}

static int sim_pin(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
		   struct tce_hostmem_pin **pinp)
{
	const struct sim *sim = hostmem->backend;
	struct tce_hostmem_pin *pin;

	if (!sim_fully_mapped(sim, ua, size))
		return -EFAULT;
	pin = pin_alloc(ua, size, sim_extents(sim, ua, size, NULL));
	if (!pin)
		return -ENOMEM;
	pin->granule_shift = TCE_GRANULE_WHOLE;
	sim_extents(sim, ua, size, pin->ext);
	*pinp = pin;
	return 0;
}

static int sim_pin_check(struct tce_hostmem *hostmem, const struct tce_hostmem_pin *pin,
			 uint64_t *first_stale_ua)
{
	const struct sim *sim = hostmem->backend;
	size_t e;

	for (e = 0; e < pin->n; e++) {
		uint64_t ua = pin->ua + pin->ext[e].ua_off, cursor = ua;
		uint64_t last = tce_range_last(ua, pin_ext_bytes(pin, e));
		size_t i;

		for (i = runs_first_after(sim->runs, sim->nruns, ua); i < sim->nruns; i++) {
			const struct sim_run *run = &sim->runs[i];

			if (run->ua > cursor ||
			    run->hpa + (cursor - run->ua) != pin->ext[e].hpa + (cursor - ua)) {
				*first_stale_ua = cursor;
				return 1;
			}
			if (run_last(run) >= last)
				break;
			cursor = run_last(run) + 1;
		}
		if (i == sim->nruns) {
			*first_stale_ua = cursor;
			return 1;
		}
	}
	return 0;
}

static void sim_destroy(struct tce_hostmem *hostmem)
{
	struct sim *sim = hostmem->backend;

	tce_free(sim->runs);
	tce_free(sim);
}

static const struct hostmem_ops sim_ops = {
	.name = "sim",
	.pin = sim_pin,
	.unpin = NULL,
	.pin_check = sim_pin_check,
	.query = sim_query,
	.destroy = sim_destroy,
};
