// SPDX-License-Identifier: MIT
/*
 * Host memory backends: a simulated host with its own process address space,
 * and the real calling process. See include/tce/hostmem.h.
 *
 * The sim address space is a sorted array of runs, each a range of user
 * addresses backed by host-contiguous frames of one page size. Every change
 * builds a new array and swaps it in, so a failed change leaves the old one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "tce/hostmem.h"
#include "alloc.h"
#include "log2.h"

#define HUGETLBFS_MAGIC_NUMBER 0x958458f6
/* Where simulated host frames start: above 4 GiB, so 0 is never a host address. */
#define SIM_FIRST_HPA (UINT64_C(1) << 32)

enum hostmem_kind { HOSTMEM_SIM, HOSTMEM_PROCESS };

struct sim_run {
	uint64_t ua;
	uint64_t bytes;
	uint64_t hpa;
	unsigned page_shift;
};

struct proc_backing {
	uint64_t ua;
	uint64_t size;
	uint64_t offset;
	int fd;
	unsigned page_shift;
	unsigned dev_major, dev_minor;
	uint64_t ino;
};

/* One extent inside a pin: its length runs to the next extent (or the pin's end). */
struct pin_ext {
	uint64_t ua_off;
	uint64_t hpa;
};

struct tce_hostmem_pin {
	struct tce_hostmem_pin *prev, *next;
	uint64_t ua;
	uint64_t bytes;
	unsigned granule_shift;
	void *map; /* process: the library's own mapping */
	size_t n;
	struct pin_ext ext[];
};

struct tce_hostmem {
	enum hostmem_kind kind;
	pthread_mutex_t lock;
	unsigned page_shift;
	/* sim */
	struct sim_run *runs;
	size_t nruns;
	uint64_t next_hpa;
	/* process */
	struct proc_backing *backings;
	size_t nbackings, backings_cap;
	/* pins */
	struct tce_hostmem_pin *pins;
	uint64_t pinned_bytes;
};

static void hm_lock(const struct tce_hostmem *hostmem)
{
	pthread_mutex_lock(&((struct tce_hostmem *)hostmem)->lock);
}

static void hm_unlock(const struct tce_hostmem *hostmem)
{
	pthread_mutex_unlock(&((struct tce_hostmem *)hostmem)->lock);
}

static bool range_ok(uint64_t ua, uint64_t size, unsigned shift)
{
	uint64_t mask = (UINT64_C(1) << shift) - 1;

	return size != 0 && (ua & mask) == 0 && (size & mask) == 0 && ua <= UINT64_MAX - size + 1 &&
	       ua + (size - 1) >= ua;
}

static int hostmem_new(enum hostmem_kind kind, unsigned page_shift, struct tce_hostmem **hostmemp)
{
	struct tce_hostmem *hostmem = tce_zalloc(sizeof(*hostmem));

	if (!hostmem)
		return -ENOMEM;
	if (pthread_mutex_init(&hostmem->lock, NULL) != 0) {
		tce_free(hostmem);
		return -ENOMEM;
	}
	hostmem->kind = kind;
	hostmem->page_shift = page_shift;
	hostmem->next_hpa = SIM_FIRST_HPA;
	*hostmemp = hostmem;
	return 0;
}

int tce_hostmem_sim_create(unsigned base_page_shift, struct tce_hostmem **hostmemp)
{
	if (base_page_shift != 12 && base_page_shift != 16)
		return -EINVAL;
	return hostmem_new(HOSTMEM_SIM, base_page_shift, hostmemp);
}

int tce_hostmem_process_create(struct tce_hostmem **hostmemp)
{
	long page = sysconf(_SC_PAGESIZE);

	if (page <= 0 || !tce_is_pow2((uint64_t)page))
		return -EINVAL;
	return hostmem_new(HOSTMEM_PROCESS, tce_ilog2((uint64_t)page), hostmemp);
}

static void pin_release(struct tce_hostmem *hostmem, struct tce_hostmem_pin *pin)
{
	if (pin->prev)
		pin->prev->next = pin->next;
	else
		hostmem->pins = pin->next;
	if (pin->next)
		pin->next->prev = pin->prev;
	hostmem->pinned_bytes -= pin->bytes;
	if (pin->map) {
		munlock(pin->map, (size_t)pin->bytes);
		munmap(pin->map, (size_t)pin->bytes);
	}
	tce_free(pin);
}

void tce_hostmem_destroy(struct tce_hostmem *hostmem)
{
	size_t i;

	if (!hostmem)
		return;
	while (hostmem->pins)
		pin_release(hostmem, hostmem->pins);
	for (i = 0; i < hostmem->nbackings; i++)
		close(hostmem->backings[i].fd);
	tce_free(hostmem->backings);
	tce_free(hostmem->runs);
	pthread_mutex_destroy(&hostmem->lock);
	tce_free(hostmem);
}

unsigned tce_hostmem_page_shift(const struct tce_hostmem *hostmem)
{
	return hostmem->page_shift;
}

/* ---- sim address space ---- */

static uint64_t run_end(const struct sim_run *run)
{
	return run->ua + run->bytes;
}

/* Index of the first of @nruns sorted runs ending after @ua. */
static size_t runs_first_after(const struct sim_run *runs, size_t nruns, uint64_t ua)
{
	size_t lo = 0, hi = nruns;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (run_end(&runs[mid]) <= ua)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t sim_first_after(const struct tce_hostmem *hostmem, uint64_t ua)
{
	return runs_first_after(hostmem->runs, hostmem->nruns, ua);
}

/* A cut at @at inside @run must not split one of its pages. */
static bool cut_ok(const struct sim_run *run, uint64_t at)
{
	if (at <= run->ua || at >= run_end(run))
		return true;
	return (at & ((UINT64_C(1) << run->page_shift) - 1)) == 0;
}

/*
 * The @nruns sorted runs split at [a, b): a new array without the range in
 * *@kept, and the pieces inside it (trimmed to it) in *@cut when @cut is not NULL.
 */
static int sim_split(const struct sim_run *runs, size_t nruns, uint64_t a, uint64_t b,
		     struct sim_run **kept, size_t *nkept, struct sim_run **cut, size_t *ncut)
{
	size_t first = runs_first_after(runs, nruns, a), i, k = 0, c = 0;
	struct sim_run *out, *pieces = NULL;

	for (i = first; i < nruns && runs[i].ua < b; i++)
		if (!cut_ok(&runs[i], a) || !cut_ok(&runs[i], b))
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

		if (run_end(run) <= a || run->ua >= b) {
			out[k++] = *run;
			continue;
		}
		if (run->ua < a) /* the part before the range */
			out[k++] = (struct sim_run){run->ua, a - run->ua, run->hpa, run->page_shift};
		lo = run->ua > a ? run->ua : a;
		hi = run_end(run) < b ? run_end(run) : b;
		if (pieces)
			pieces[c++] = (struct sim_run){lo, hi - lo, run->hpa + (lo - run->ua),
						       run->page_shift};
		if (run_end(run) > b) /* the part after */
			out[k++] = (struct sim_run){b, run_end(run) - b, run->hpa + (b - run->ua),
						    run->page_shift};
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
static int sim_alloc_runs(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
			  unsigned page_shift, bool fragmented, uint64_t *next_hpa,
			  struct sim_run **runs, size_t *nruns)
{
	uint64_t page = UINT64_C(1) << page_shift;
	uint64_t hpa = (*next_hpa + page - 1) & ~(page - 1);
	uint64_t pages = size >> page_shift, i;
	size_t n = fragmented ? (size_t)pages : 1;
	struct sim_run *out;

	(void)hostmem;
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

static void sim_commit(struct tce_hostmem *hostmem, struct sim_run *runs, size_t n)
{
	tce_free(hostmem->runs);
	hostmem->runs = runs;
	hostmem->nruns = n;
}

static bool sim_page_shift_ok(const struct tce_hostmem *hostmem, unsigned page_shift)
{
	return page_shift == hostmem->page_shift || page_shift == 21 || page_shift == 24 ||
	       page_shift == 30;
}

int tce_hostmem_sim_map(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
			unsigned page_shift, unsigned flags)
{
	struct sim_run *kept = NULL, *fresh = NULL, *merged = NULL;
	size_t nkept, nfresh, nmerged;
	uint64_t next_hpa;
	int rc;

	if (hostmem->kind != HOSTMEM_SIM)
		return -EOPNOTSUPP;
	if (!sim_page_shift_ok(hostmem, page_shift) || !range_ok(ua, size, page_shift) ||
	    (flags & ~(TCE_SIM_MAP_FRAGMENTED | TCE_SIM_MAP_FIXED)))
		return -EINVAL;
	hm_lock(hostmem);
	if (!(flags & TCE_SIM_MAP_FIXED)) {
		size_t i = sim_first_after(hostmem, ua);

		if (i < hostmem->nruns && hostmem->runs[i].ua < ua + size) {
			rc = -EEXIST;
			goto out;
		}
	}
	rc = sim_split(hostmem->runs, hostmem->nruns, ua, ua + size, &kept, &nkept, NULL, NULL);
	if (rc)
		goto out;
	next_hpa = hostmem->next_hpa;
	rc = sim_alloc_runs(hostmem, ua, size, page_shift, flags & TCE_SIM_MAP_FRAGMENTED,
			    &next_hpa, &fresh, &nfresh);
	if (rc)
		goto out;
	rc = sim_merge(kept, nkept, fresh, nfresh, &merged, &nmerged);
	if (rc)
		goto out;
	sim_commit(hostmem, merged, nmerged);
	hostmem->next_hpa = next_hpa;
out:
	tce_free(kept);
	tce_free(fresh);
	hm_unlock(hostmem);
	return rc;
}

int tce_hostmem_sim_unmap(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size)
{
	struct sim_run *kept;
	size_t nkept;
	int rc;

	if (hostmem->kind != HOSTMEM_SIM)
		return -EOPNOTSUPP;
	if (!range_ok(ua, size, hostmem->page_shift))
		return -EINVAL;
	hm_lock(hostmem);
	rc = sim_split(hostmem->runs, hostmem->nruns, ua, ua + size, &kept, &nkept, NULL, NULL);
	if (rc == 0)
		sim_commit(hostmem, kept, nkept);
	hm_unlock(hostmem);
	return rc;
}

/* Whether [ua, ua + size) is mapped without a hole. */
static bool sim_fully_mapped(const struct tce_hostmem *hostmem, uint64_t ua, uint64_t size)
{
	uint64_t cursor = ua, end = ua + size;
	size_t i;

	for (i = sim_first_after(hostmem, ua); i < hostmem->nruns && cursor < end; i++) {
		if (hostmem->runs[i].ua > cursor)
			return false;
		cursor = run_end(&hostmem->runs[i]);
	}
	return cursor >= end;
}

int tce_hostmem_sim_remap(struct tce_hostmem *hostmem, uint64_t old_ua, uint64_t old_size,
			  uint64_t new_ua, uint64_t new_size)
{
	struct sim_run *without_old = NULL, *moved = NULL, *tail = NULL, *all_moved = NULL;
	struct sim_run *without_new = NULL, *merged = NULL;
	size_t n_without_old, nmoved, ntail = 0, nall_moved, n_without_new, nmerged, i, keep;
	uint64_t next_hpa;
	int rc;

	if (hostmem->kind != HOSTMEM_SIM)
		return -EOPNOTSUPP;
	if (!range_ok(old_ua, old_size, hostmem->page_shift) ||
	    !range_ok(new_ua, new_size, hostmem->page_shift))
		return -EINVAL;
	if (new_ua < old_ua + old_size && old_ua < new_ua + new_size)
		return -EINVAL;
	hm_lock(hostmem);
	if (!sim_fully_mapped(hostmem, old_ua, old_size)) {
		rc = -EFAULT;
		goto out;
	}
	rc = sim_split(hostmem->runs, hostmem->nruns, old_ua, old_ua + old_size, &without_old,
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
		if (!range_ok(run.ua, run.bytes, run.page_shift)) {
			rc = -EINVAL; /* would split or misalign a huge page */
			goto out;
		}
		moved[keep++] = run;
	}
	nmoved = keep;
	next_hpa = hostmem->next_hpa;
	if (new_size > old_size) {
		unsigned tail_shift = moved[nmoved - 1].page_shift;

		if (!range_ok(new_ua + old_size, new_size - old_size, tail_shift)) {
			rc = -EINVAL;
			goto out;
		}
		rc = sim_alloc_runs(hostmem, new_ua + old_size, new_size - old_size, tail_shift,
				    false, &next_hpa, &tail, &ntail);
		if (rc)
			goto out;
	}
	rc = sim_merge(moved, nmoved, tail, ntail, &all_moved, &nall_moved);
	if (rc)
		goto out;
	/* Replace whatever is at the destination: split it out of the array without the old range. */
	rc = sim_split(without_old, n_without_old, new_ua, new_ua + new_size, &without_new,
		       &n_without_new, NULL, NULL);
	if (rc)
		goto out;
	rc = sim_merge(without_new, n_without_new, all_moved, nall_moved, &merged, &nmerged);
	if (rc)
		goto out;
	sim_commit(hostmem, merged, nmerged);
	hostmem->next_hpa = next_hpa;
out:
	tce_free(without_old);
	tce_free(moved);
	tce_free(tail);
	tce_free(all_moved);
	tce_free(without_new);
	hm_unlock(hostmem);
	return rc;
}

static uint64_t pin_ext_bytes(const struct tce_hostmem_pin *pin, size_t i)
{
	return (i + 1 < pin->n ? pin->ext[i + 1].ua_off : pin->bytes) - pin->ext[i].ua_off;
}

static uint64_t count_pins_locked(const struct tce_hostmem *hostmem, uint64_t hpa)
{
	const struct tce_hostmem_pin *pin;
	uint64_t count = 0;
	size_t i;

	for (pin = hostmem->pins; pin; pin = pin->next) {
		for (i = 0; i < pin->n; i++) {
			if (hpa >= pin->ext[i].hpa && hpa - pin->ext[i].hpa < pin_ext_bytes(pin, i)) {
				count++;
				break;
			}
		}
	}
	return count;
}

int tce_hostmem_query(const struct tce_hostmem *hostmem, uint64_t ua, struct tce_host_page *page)
{
	const struct sim_run *run;
	size_t i;
	int rc = -EFAULT;

	if (hostmem->kind != HOSTMEM_SIM)
		return -EOPNOTSUPP;
	hm_lock(hostmem);
	i = sim_first_after(hostmem, ua);
	if (i < hostmem->nruns && hostmem->runs[i].ua <= ua) {
		run = &hostmem->runs[i];
		page->hpa = run->hpa + (ua - run->ua);
		page->page_shift = run->page_shift;
		page->page_hpa = page->hpa & ~((UINT64_C(1) << run->page_shift) - 1);
		page->pin_count = count_pins_locked(hostmem, page->hpa);
		rc = 0;
	}
	hm_unlock(hostmem);
	return rc;
}

/* ---- pins ---- */

static struct tce_hostmem_pin *pin_alloc(uint64_t ua, uint64_t bytes, size_t n)
{
	struct tce_hostmem_pin *pin;

	if (n > (SIZE_MAX - sizeof(*pin)) / sizeof(pin->ext[0]))
		return NULL;
	pin = tce_zalloc(sizeof(*pin) + n * sizeof(pin->ext[0]));
	if (pin) {
		pin->ua = ua;
		pin->bytes = bytes;
		pin->n = n;
	}
	return pin;
}

/*
 * The extents of [ua, ua + size), a mapped range: a new extent wherever the host
 * address jumps. Fills @ext when it is not NULL; returns how many there are.
 */
static size_t sim_extents(const struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
			  struct pin_ext *ext)
{
	uint64_t end = ua + size, prev_hpa_end = 0;
	size_t i, n = 0;

	for (i = sim_first_after(hostmem, ua); i < hostmem->nruns && hostmem->runs[i].ua < end; i++) {
		const struct sim_run *run = &hostmem->runs[i];
		uint64_t lo = run->ua > ua ? run->ua : ua;
		uint64_t hi = run_end(run) < end ? run_end(run) : end;
		uint64_t hpa = run->hpa + (lo - run->ua);

		if (n == 0 || hpa != prev_hpa_end) {
			if (ext)
				ext[n] = (struct pin_ext){lo - ua, hpa};
			n++;
		}
		prev_hpa_end = hpa + (hi - lo);
	}
	return n;
}

static int sim_pin(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
		   struct tce_hostmem_pin **pinp)
{
	struct tce_hostmem_pin *pin;

	if (!sim_fully_mapped(hostmem, ua, size))
		return -EFAULT;
	pin = pin_alloc(ua, size, sim_extents(hostmem, ua, size, NULL));
	if (!pin)
		return -ENOMEM;
	pin->granule_shift = TCE_GRANULE_WHOLE;
	sim_extents(hostmem, ua, size, pin->ext);
	*pinp = pin;
	return 0;
}

static int process_pin(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
		       struct tce_hostmem_pin **pinp)
{
	const struct proc_backing *b = NULL;
	struct tce_hostmem_pin *pin;
	void *map;
	size_t i;

	for (i = 0; i < hostmem->nbackings; i++) {
		const struct proc_backing *c = &hostmem->backings[i];

		if (ua >= c->ua && ua - c->ua < c->size && size <= c->size - (ua - c->ua)) {
			b = c;
			break;
		}
	}
	if (!b)
		return -EFAULT;
	if (!range_ok(ua, size, b->page_shift))
		return -EINVAL;
	if (size > SIZE_MAX)
		return -ENOMEM;
	pin = pin_alloc(ua, size, 1);
	if (!pin)
		return -ENOMEM;
	map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd,
		   (off_t)(b->offset + (ua - b->ua)));
	if (map == MAP_FAILED) {
		tce_free(pin);
		return -ENOMEM;
	}
	if (mlock(map, (size_t)size) != 0) {
		munmap(map, (size_t)size);
		tce_free(pin);
		return -ENOMEM;
	}
	pin->map = map;
	pin->granule_shift = b->page_shift;
	pin->ext[0] = (struct pin_ext){0, (uint64_t)(uintptr_t)map};
	*pinp = pin;
	return 0;
}

int tce_hostmem_pin(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
		    struct tce_hostmem_pin **pinp)
{
	struct tce_hostmem_pin *pin = NULL;
	int rc;

	if (!range_ok(ua, size, hostmem->page_shift))
		return -EINVAL;
	hm_lock(hostmem);
	if (hostmem->kind == HOSTMEM_SIM)
		rc = sim_pin(hostmem, ua, size, &pin);
	else
		rc = process_pin(hostmem, ua, size, &pin);
	if (rc == 0) {
		pin->next = hostmem->pins;
		if (hostmem->pins)
			hostmem->pins->prev = pin;
		hostmem->pins = pin;
		hostmem->pinned_bytes += size;
		*pinp = pin;
	}
	hm_unlock(hostmem);
	return rc;
}

void tce_hostmem_unpin(struct tce_hostmem *hostmem, struct tce_hostmem_pin *pin)
{
	if (!pin)
		return;
	hm_lock(hostmem);
	pin_release(hostmem, pin);
	hm_unlock(hostmem);
}

size_t tce_hostmem_pin_extents(const struct tce_hostmem_pin *pin)
{
	return pin->n;
}

int tce_hostmem_pin_extent(const struct tce_hostmem_pin *pin, size_t i, struct tce_extent *extent)
{
	if (i >= pin->n)
		return -EINVAL;
	extent->ua = pin->ua + pin->ext[i].ua_off;
	extent->hpa = pin->ext[i].hpa;
	extent->bytes = pin_ext_bytes(pin, i);
	return 0;
}

unsigned tce_hostmem_pin_granule_shift(const struct tce_hostmem_pin *pin)
{
	return pin->granule_shift;
}

uint64_t tce_hostmem_pin_metadata_bytes(const struct tce_hostmem_pin *pin)
{
	return sizeof(*pin) + pin->n * sizeof(pin->ext[0]);
}

int tce_hostmem_pin_translate(const struct tce_hostmem_pin *pin, uint64_t ua, uint64_t bytes,
			      uint64_t *hpa)
{
	uint64_t off, last_off, first_hpa;
	size_t lo = 0, hi;

	if (bytes == 0 || ua < pin->ua)
		return -EFAULT;
	off = ua - pin->ua;
	if (off >= pin->bytes || bytes > pin->bytes - off)
		return -EFAULT;
	last_off = off + bytes - 1;
	/* The last extent starting at or before off. */
	hi = pin->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (pin->ext[mid].ua_off <= off)
			lo = mid;
		else
			hi = mid;
	}
	if (last_off >= pin->ext[lo].ua_off + pin_ext_bytes(pin, lo))
		return -EPERM; /* crosses into another extent */
	first_hpa = pin->ext[lo].hpa + (off - pin->ext[lo].ua_off);
	if (pin->granule_shift < TCE_GRANULE_WHOLE &&
	    (first_hpa >> pin->granule_shift) != ((first_hpa + bytes - 1) >> pin->granule_shift))
		return -EPERM; /* crosses a backing page */
	*hpa = first_hpa;
	return 0;
}

static int sim_pin_check(const struct tce_hostmem *hostmem, const struct tce_hostmem_pin *pin,
			 uint64_t *first_stale_ua)
{
	size_t e;

	for (e = 0; e < pin->n; e++) {
		uint64_t ua = pin->ua + pin->ext[e].ua_off;
		uint64_t end = ua + pin_ext_bytes(pin, e), cursor = ua;
		size_t i;

		for (i = sim_first_after(hostmem, ua); i < hostmem->nruns && cursor < end; i++) {
			const struct sim_run *run = &hostmem->runs[i];

			if (run->ua > cursor ||
			    run->hpa + (cursor - run->ua) != pin->ext[e].hpa + (cursor - ua)) {
				*first_stale_ua = cursor;
				return 1;
			}
			cursor = run_end(run);
		}
		if (cursor < end) {
			*first_stale_ua = cursor;
			return 1;
		}
	}
	return 0;
}

static const struct proc_backing *process_backing_of(const struct tce_hostmem *hostmem,
						     uint64_t ua)
{
	size_t i;

	for (i = 0; i < hostmem->nbackings; i++)
		if (ua >= hostmem->backings[i].ua &&
		    ua - hostmem->backings[i].ua < hostmem->backings[i].size)
			return &hostmem->backings[i];
	return NULL;
}

/* Walk /proc/self/maps: the pinned range must still map the same file at the same offsets. */
static int process_pin_check(const struct tce_hostmem *hostmem, const struct tce_hostmem_pin *pin,
			     uint64_t *first_stale_ua)
{
	const struct proc_backing *b = process_backing_of(hostmem, pin->ua);
	uint64_t cursor = pin->ua, end = pin->ua + pin->bytes;
	char line[512];
	FILE *maps;
	bool at_line_start = true;

	if (!b)
		return -EINVAL;
	maps = fopen("/proc/self/maps", "re");
	if (!maps)
		return -errno;
	while (cursor < end && fgets(line, sizeof(line), maps)) {
		uint64_t start, stop, offset, ino;
		unsigned dev_major, dev_minor;
		char perms[8];
		bool was_line_start = at_line_start;

		at_line_start = strchr(line, '\n') != NULL;
		if (!was_line_start)
			continue; /* the rest of an over-long line */
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64, &start,
			   &stop, perms, &offset, &dev_major, &dev_minor, &ino) != 7)
			continue;
		if (stop <= cursor)
			continue;
		if (start > cursor)
			break; /* a hole at cursor */
		if (dev_major != b->dev_major || dev_minor != b->dev_minor || ino != b->ino ||
		    offset - start != b->offset - b->ua)
			break; /* something else is mapped at cursor */
		cursor = stop;
	}
	fclose(maps);
	if (cursor < end) {
		*first_stale_ua = cursor;
		return 1;
	}
	return 0;
}

int tce_hostmem_pin_check(struct tce_hostmem *hostmem, const struct tce_hostmem_pin *pin,
			  uint64_t *first_stale_ua)
{
	uint64_t stale = 0;
	int rc;

	hm_lock(hostmem);
	if (hostmem->kind == HOSTMEM_SIM)
		rc = sim_pin_check(hostmem, pin, &stale);
	else
		rc = process_pin_check(hostmem, pin, &stale);
	hm_unlock(hostmem);
	if (rc == 1 && first_stale_ua)
		*first_stale_ua = stale;
	return rc;
}

uint64_t tce_hostmem_pinned_bytes(const struct tce_hostmem *hostmem)
{
	uint64_t bytes;

	hm_lock(hostmem);
	bytes = hostmem->pinned_bytes;
	hm_unlock(hostmem);
	return bytes;
}

uint64_t tce_hostmem_pin_count(const struct tce_hostmem *hostmem, uint64_t hpa)
{
	uint64_t count;

	hm_lock(hostmem);
	count = count_pins_locked(hostmem, hpa);
	hm_unlock(hostmem);
	return count;
}

/* ---- process backend: declared fd ranges ---- */

int tce_hostmem_process_add_fd(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size, int fd,
			       uint64_t offset)
{
	struct proc_backing b = {.ua = ua, .size = size, .offset = offset};
	struct statfs sfs;
	struct stat st;
	size_t i;
	int rc;

	if (hostmem->kind != HOSTMEM_PROCESS)
		return -EOPNOTSUPP;
	if (fstat(fd, &st) != 0 || fstatfs(fd, &sfs) != 0)
		return -errno;
	b.page_shift = hostmem->page_shift;
	if ((uint64_t)sfs.f_type == HUGETLBFS_MAGIC_NUMBER && sfs.f_bsize > 0 &&
	    tce_is_pow2((uint64_t)sfs.f_bsize))
		b.page_shift = tce_ilog2((uint64_t)sfs.f_bsize);
	if (!range_ok(ua, size, b.page_shift) ||
	    (offset & ((UINT64_C(1) << b.page_shift) - 1)) != 0)
		return -EINVAL;
	b.dev_major = major(st.st_dev);
	b.dev_minor = minor(st.st_dev);
	b.ino = (uint64_t)st.st_ino;

	hm_lock(hostmem);
	for (i = 0; i < hostmem->nbackings; i++) {
		const struct proc_backing *c = &hostmem->backings[i];

		if (ua < c->ua + c->size && c->ua < ua + size) {
			rc = -EEXIST;
			goto out;
		}
	}
	rc = tce_array_reserve((void **)&hostmem->backings, &hostmem->backings_cap,
			       hostmem->nbackings + 1, sizeof(b));
	if (rc)
		goto out;
	b.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (b.fd < 0) {
		rc = -errno;
		goto out;
	}
	hostmem->backings[hostmem->nbackings++] = b;
out:
	hm_unlock(hostmem);
	return rc;
}
