// SPDX-License-Identifier: MIT
/*
 * The real calling process: ranges declared as backed by a file (memfd or
 * hugetlbfs) are pinned by mapping the same file range inside the library and
 * locking it. See include/tce/hostmem.h and hostmem_backend.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "alloc.h"
#include "hostmem_backend.h"
#include "log2.h"
#include "range.h"

#define HUGETLBFS_MAGIC_NUMBER 0x958458f6

/* A declared range of the caller's address space and the file behind it. */
struct backing {
	uint64_t ua;
	uint64_t size;
	uint64_t offset;
	int fd;
	unsigned page_shift;
	unsigned dev_major, dev_minor;
	uint64_t ino;
};

/* Sorted by ua, non-overlapping. */
struct process {
	struct backing *backings;
	size_t n, cap;
};

static const struct hostmem_ops process_ops;

int tce_hostmem_process_create(struct tce_hostmem **hostmemp)
{
	long page = sysconf(_SC_PAGESIZE);
	struct process *proc;
	int rc;

	if (page <= 0 || !tce_is_pow2((uint64_t)page))
		return -EINVAL;
	proc = tce_zalloc(sizeof(*proc));
	if (!proc)
		return -ENOMEM;
	rc = hostmem_new(&process_ops, tce_ilog2((uint64_t)page), proc, hostmemp);
	if (rc)
		tce_free(proc);
	return rc;
}

/* The backing that contains [ua, ua + size), or NULL. */
static const struct backing *backing_of(const struct process *proc, uint64_t ua, uint64_t size)
{
	size_t i = tce_sorted_last_le(TCE_SORTED(proc->backings, proc->n, ua), ua);

	if (i == proc->n || !tce_range_inside(proc->backings[i].ua, proc->backings[i].size, ua, size))
		return NULL;
	return &proc->backings[i];
}

int tce_hostmem_process_add_fd(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size, int fd,
			       uint64_t offset)
{
	struct process *proc = hostmem->ops == &process_ops ? hostmem->backend : NULL;
	struct backing b = {.ua = ua, .size = size, .offset = offset};
	struct statfs sfs;
	struct stat st;
	size_t at;
	int rc;

	if (!proc)
		return -EOPNOTSUPP;
	if (fstat(fd, &st) != 0 || fstatfs(fd, &sfs) != 0)
		return -errno;
	b.page_shift = hostmem->page_shift;
	if ((uint64_t)sfs.f_type == HUGETLBFS_MAGIC_NUMBER && sfs.f_bsize > 0 &&
	    tce_is_pow2((uint64_t)sfs.f_bsize))
		b.page_shift = tce_ilog2((uint64_t)sfs.f_bsize);
	if (!tce_range_valid(ua, size, b.page_shift) ||
	    (offset & ((UINT64_C(1) << b.page_shift) - 1)) != 0)
		return -EINVAL;
	b.dev_major = major(st.st_dev);
	b.dev_minor = minor(st.st_dev);
	b.ino = (uint64_t)st.st_ino;

	pthread_mutex_lock(&hostmem->lock);
	at = tce_sorted_last_le(TCE_SORTED(proc->backings, proc->n, ua), ua);
	at = at == proc->n ? 0 : at + 1; /* where the new one goes */
	if ((at > 0 && tce_range_overlap(proc->backings[at - 1].ua, proc->backings[at - 1].size, ua,
					 size)) ||
	    (at < proc->n && tce_range_overlap(proc->backings[at].ua, proc->backings[at].size, ua,
					       size))) {
		rc = -EEXIST;
		goto out;
	}
	rc = tce_array_reserve((void **)&proc->backings, &proc->cap, proc->n + 1, sizeof(b));
	if (rc)
		goto out;
	b.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (b.fd < 0) {
		rc = -errno;
		goto out;
	}
	memmove(&proc->backings[at + 1], &proc->backings[at], (proc->n - at) * sizeof(b));
	proc->backings[at] = b;
	proc->n++;
out:
	pthread_mutex_unlock(&hostmem->lock);
	return rc;
}

static int process_pin(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
		       struct tce_hostmem_pin **pinp)
{
	const struct backing *b = backing_of(hostmem->backend, ua, size);
	struct tce_hostmem_pin *pin;
	void *map;
	int rc;

	if (!b)
		return -EFAULT;
	if (!tce_range_valid(ua, size, b->page_shift))
		return -EINVAL;
	if (size > SIZE_MAX)
		return -ENOMEM;
	pin = pin_alloc(ua, size, 1);
	if (!pin)
		return -ENOMEM;
	map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd,
		   (off_t)(b->offset + (ua - b->ua)));
	if (map == MAP_FAILED) {
		rc = -errno;
		pin_free_unlinked(pin);
		return rc;
	}
	if (mlock(map, (size_t)size) != 0) {
		rc = -errno; /* ENOMEM over RLIMIT_MEMLOCK, EPERM, EAGAIN */
		munmap(map, (size_t)size);
		pin_free_unlinked(pin);
		return rc;
	}
	pin->cookie = map;
	pin->granule_shift = b->page_shift;
	pin->ext[0] = (struct pin_ext){0, (uint64_t)(uintptr_t)map, b->page_shift};
	*pinp = pin;
	return 0;
}

static void process_unpin(struct tce_hostmem *hostmem, struct tce_hostmem_pin *pin)
{
	(void)hostmem;
	munlock(pin->cookie, (size_t)pin->bytes);
	munmap(pin->cookie, (size_t)pin->bytes);
}

/* Walk /proc/self/maps: the pinned range must still map the same file at the same offsets. */
static int process_pin_check(struct tce_hostmem *hostmem, const struct tce_hostmem_pin *pin,
			     uint64_t *first_stale_ua)
{
	const struct backing *b = backing_of(hostmem->backend, pin->ua, 1);
	uint64_t cursor = pin->ua, last = tce_range_last(pin->ua, pin->bytes);
	bool at_line_start = true, covered = false;
	char line[512];
	FILE *maps;

	if (!b)
		return -EINVAL;
	maps = fopen("/proc/self/maps", "re");
	if (!maps)
		return -errno;
	while (!covered && fgets(line, sizeof(line), maps)) {
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
		if (stop - 1 >= last)
			covered = true;
		else
			cursor = stop;
	}
	fclose(maps);
	if (!covered) {
		*first_stale_ua = cursor;
		return 1;
	}
	return 0;
}

static void process_destroy(struct tce_hostmem *hostmem)
{
	struct process *proc = hostmem->backend;
	size_t i;

	for (i = 0; i < proc->n; i++)
		close(proc->backings[i].fd);
	tce_free(proc->backings);
	tce_free(proc);
}

static const struct hostmem_ops process_ops = {
	.name = "process",
	.pin = process_pin,
	.unpin = process_unpin,
	.pin_check = process_pin_check,
	.query = NULL,
	.destroy = process_destroy,
};
