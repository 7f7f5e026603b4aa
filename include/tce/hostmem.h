/* SPDX-License-Identifier: MIT */
/*
 * libtce — host memory: pages, pinning and one process address space.
 *
 * Concepts
 * --------
 * Guest RAM lives at user addresses (`ua`) of a VMM process. DMA needs host
 * addresses (`hpa`) that stay valid while a device may use them, so memory is
 * pinned: a pin records, at the moment it is taken, which host memory backs a
 * range of user addresses, and keeps that memory from going away until it is
 * unpinned. A pin is a snapshot: if the process later moves (mremap), unmaps or
 * replaces its mapping, the pin still holds the old memory. DMA through it is
 * safe for the host but may no longer be coherent with what the process sees;
 * tce_hostmem_pin_check() tells.
 *
 * A pin is stored as extents: runs where the host address advances with the
 * user address. Within an extent, memory is host-contiguous in aligned blocks
 * of 2^granule_shift bytes (TCE_GRANULE_WHOLE: the whole extent), so an IOMMU
 * page can point into it only if it lies inside one block of one extent.
 *
 * Two back ends implement the same interface (each in a file of its own,
 * behind one internal ops table, so a third is a new file):
 *  - sim: deterministic host memory for tests and planning. Host frames are
 *    handed out by a bump allocator (never reused, so a stale pin still names
 *    real frames), in base pages of 4 KiB or 64 KiB or huge pages of 2 MiB,
 *    16 MiB or 1 GiB, contiguously or fragmented on request. The simulated
 *    process maps, unmaps and remaps (mremap semantics) its own address space,
 *    and tce_hostmem_query() tells which host page backs an address now.
 *  - process: the real calling process. The caller declares which of its
 *    ranges are backed by which file descriptor (a memfd or a hugetlbfs file,
 *    as VMMs back guest RAM). A pin maps that file range again inside the
 *    library and mlock()s it, so the host address it hands out is a pointer
 *    into the library's own mapping: it stays valid whatever the caller later
 *    does to its own mapping, and is unlocked and unmapped by the unpin.
 *    Contiguity is known only within one backing page (granule_shift = the
 *    page size of the file).
 *
 * All functions are thread-safe (one lock per hostmem).
 */
#ifndef TCE_HOSTMEM_H
#define TCE_HOSTMEM_H

#include <stddef.h>
#include <stdint.h>

#include "tce/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** granule_shift of an extent that is host-contiguous from end to end. */
#define TCE_GRANULE_WHOLE 63u

/** sim map flag: give every page its own, non-adjacent host frame. */
#define TCE_SIM_MAP_FRAGMENTED 0x1u
/** sim map flag: replace whatever is mapped in the range (MAP_FIXED). */
#define TCE_SIM_MAP_FIXED 0x2u

struct tce_hostmem;
struct tce_hostmem_pin;

/**
 * One run of a pin: [ua, ua + bytes) is backed by [hpa, hpa + bytes), in
 * pages of one size (a change of page size starts a new extent).
 */
struct tce_extent {
	uint64_t ua;
	uint64_t hpa;
	uint64_t bytes;
	unsigned page_shift; /**< the backing page: the base page or a huge page */
};

/** What backs one user address now (sim backend). */
struct tce_host_page {
	uint64_t hpa;        /**< host address of the queried ua */
	uint64_t page_hpa;   /**< host address of the start of its host page */
	unsigned page_shift; /**< size of that page: base or huge */
	uint64_t pin_count;  /**< live pins holding this page */
};

/**
 * tce_hostmem_sim_create() - a simulated host and process address space.
 * @base_page_shift: 12 (4 KiB) or 16 (64 KiB) host pages.
 * @hostmemp: receives the hostmem.
 *
 * Return: 0, -EINVAL for another page shift, -ENOMEM.
 */
TCE_EXPORT int tce_hostmem_sim_create(unsigned base_page_shift, struct tce_hostmem **hostmemp);

/**
 * tce_hostmem_sim_map() - map fresh host memory at [ua, ua + size).
 * @hostmem: a sim hostmem.
 * @ua: start, aligned to 2^page_shift.
 * @size: bytes, a non-zero multiple of 2^page_shift, no wrap.
 * @page_shift: the base page shift, or 21, 24 or 30 for huge pages.
 * @flags: TCE_SIM_MAP_FRAGMENTED, TCE_SIM_MAP_FIXED.
 *
 * Return: 0; -EINVAL for bad alignment, size or page size (or a FIXED map
 * that would split a huge page); -EEXIST if something is mapped there and
 * FIXED is not given; -ENOMEM; -EOPNOTSUPP on a process hostmem. Nothing
 * changes on failure.
 */
TCE_EXPORT int tce_hostmem_sim_map(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
			unsigned page_shift, unsigned flags);

/**
 * tce_hostmem_sim_unmap() - unmap [ua, ua + size) (munmap semantics).
 * @hostmem: a sim hostmem.
 * @ua: start, aligned to the base page.
 * @size: bytes, a non-zero multiple of the base page.
 *
 * Unmapped holes in the range are fine. Pinned frames stay pinned.
 *
 * Return: 0; -EINVAL for bad alignment or a cut inside a huge page;
 * -ENOMEM; -EOPNOTSUPP on a process hostmem. Nothing changes on failure.
 */
TCE_EXPORT int tce_hostmem_sim_unmap(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size);

/**
 * tce_hostmem_sim_remap() - move (and resize) a mapping, as
 * mremap(MREMAP_MAYMOVE | MREMAP_FIXED) does.
 * @hostmem: a sim hostmem.
 * @old_ua: start of the mapped range to move.
 * @old_size: its size; the whole range must be mapped.
 * @new_ua: where it goes; whatever is mapped there is replaced.
 * @new_size: its new size: smaller drops the tail, larger maps fresh memory
 *            after it (with the page size of the last page).
 *
 * The frames move with the mapping; [old_ua, old_ua + old_size) is left
 * unmapped, so a later map there is "something new over the old range".
 *
 * Return: 0; -EFAULT if the old range is not all mapped; -EINVAL for bad
 * alignment, zero sizes or overlapping old and new ranges; -ENOMEM;
 * -EOPNOTSUPP on a process hostmem. Nothing changes on failure.
 */
TCE_EXPORT int tce_hostmem_sim_remap(struct tce_hostmem *hostmem, uint64_t old_ua, uint64_t old_size,
			  uint64_t new_ua, uint64_t new_size);

/**
 * tce_hostmem_process_create() - the real calling process.
 * @hostmemp: receives the hostmem.
 *
 * Return: 0, -ENOMEM.
 */
TCE_EXPORT int tce_hostmem_process_create(struct tce_hostmem **hostmemp);

/**
 * tce_hostmem_process_add_fd() - declare that [ua, ua + size) of the caller
 * maps @fd from @offset (MAP_SHARED).
 * @hostmem: a process hostmem.
 * @ua: start of the caller's mapping, aligned to the file's page size.
 * @size: bytes, a non-zero multiple of the file's page size.
 * @fd: a memfd or hugetlbfs file; it is duplicated, the caller may close it.
 * @offset: file offset of @ua, aligned to the file's page size.
 *
 * Return: 0; -EINVAL for bad alignment, size or wrap; -EEXIST if the range
 * overlaps another declared one; -EBADF or another negative errno from
 * fstat()/dup(); -ENOMEM; -EOPNOTSUPP on a sim hostmem.
 */
TCE_EXPORT int tce_hostmem_process_add_fd(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size, int fd,
			       uint64_t offset);

/**
 * tce_hostmem_destroy() - free a hostmem.
 * @hostmem: a hostmem, or NULL. Live pins are unpinned first.
 */
TCE_EXPORT void tce_hostmem_destroy(struct tce_hostmem *hostmem);

/**
 * tce_hostmem_page_shift() - the base host page shift.
 * @hostmem: a hostmem.
 *
 * Return: 12 or 16 for sim; the system page shift for process.
 */
TCE_EXPORT unsigned tce_hostmem_page_shift(const struct tce_hostmem *hostmem);

/**
 * tce_hostmem_backend_name() - which back end a hostmem is.
 * @hostmem: a hostmem.
 *
 * Return: "sim" or "process" (a static string).
 */
TCE_EXPORT const char *tce_hostmem_backend_name(const struct tce_hostmem *hostmem);

/**
 * tce_hostmem_query() - which host page backs @ua now (sim only).
 * @hostmem: a sim hostmem.
 * @ua: a user address.
 * @page: receives the host page.
 *
 * Return: 0; -EFAULT if @ua is not mapped; -EOPNOTSUPP on a process hostmem.
 */
TCE_EXPORT int tce_hostmem_query(struct tce_hostmem *hostmem, uint64_t ua, struct tce_host_page *page);

/**
 * tce_hostmem_pin() - pin the memory backing [ua, ua + size) now.
 * @hostmem: a hostmem.
 * @ua: start, aligned to the base host page.
 * @size: bytes, a non-zero multiple of the base host page, no wrap.
 * @pinp: receives the pin.
 *
 * Return: 0; -EINVAL for bad alignment, size or wrap; -EFAULT if any part
 * of the range is not mapped (process: not inside one declared fd range);
 * -ENOMEM if memory cannot be allocated; process: the errno of mmap() or
 * mlock() (-ENOMEM over RLIMIT_MEMLOCK, -EPERM, -EAGAIN). Nothing is pinned
 * on failure.
 */
TCE_EXPORT int tce_hostmem_pin(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
		    struct tce_hostmem_pin **pinp);

/**
 * tce_hostmem_unpin() - release a pin.
 * @hostmem: the hostmem it came from.
 * @pin: the pin, or NULL.
 */
TCE_EXPORT void tce_hostmem_unpin(struct tce_hostmem *hostmem, struct tce_hostmem_pin *pin);

/**
 * tce_hostmem_pin_extents() - number of extents of a pin.
 * @pin: a pin.
 *
 * Return: the count (at least 1).
 */
TCE_EXPORT size_t tce_hostmem_pin_extents(const struct tce_hostmem_pin *pin);

/**
 * tce_hostmem_pin_bytes() - the size of the range a pin holds.
 * @pin: a pin.
 *
 * Return: the bytes pinned (the size given to tce_hostmem_pin()).
 */
TCE_EXPORT uint64_t tce_hostmem_pin_bytes(const struct tce_hostmem_pin *pin);

/**
 * tce_hostmem_pin_extent() - one extent of a pin.
 * @pin: a pin.
 * @i: index, below tce_hostmem_pin_extents().
 * @extent: receives the extent.
 *
 * Return: 0, or -EINVAL for a bad index.
 */
TCE_EXPORT int tce_hostmem_pin_extent(const struct tce_hostmem_pin *pin, size_t i, struct tce_extent *extent);

/**
 * tce_hostmem_pin_granule_shift() - host-contiguity granule of the pin's extents.
 * @pin: a pin.
 *
 * Return: TCE_GRANULE_WHOLE (sim), or the page shift of the backing file.
 */
TCE_EXPORT unsigned tce_hostmem_pin_granule_shift(const struct tce_hostmem_pin *pin);

/**
 * tce_hostmem_pin_metadata_bytes() - bytes the pin uses to describe its memory.
 * @pin: a pin.
 *
 * Return: the bookkeeping bytes (the pin and its extents; 24 bytes an extent).
 */
TCE_EXPORT uint64_t tce_hostmem_pin_metadata_bytes(const struct tce_hostmem_pin *pin);

/**
 * tce_hostmem_pin_translate() - host address of [ua, ua + bytes) if it lies
 * in host-contiguous pinned memory.
 * @pin: a pin.
 * @ua: first user address.
 * @bytes: length (an IOMMU page), at least 1.
 * @hpa: receives the host address of @ua.
 * @page_shift: receives the size of the pages backing the range (may be NULL):
 *              a range larger than that page is contiguous but spans several.
 *
 * Return: 0; -EFAULT if the range is not inside the pin; -EPERM if it is
 * inside but crosses an extent or a granule boundary, i.e. is not known to be
 * host-contiguous.
 */
TCE_EXPORT int tce_hostmem_pin_translate(const struct tce_hostmem_pin *pin, uint64_t ua, uint64_t bytes,
			      uint64_t *hpa, unsigned *page_shift);

/**
 * tce_hostmem_pin_check() - whether the process still maps the pinned memory
 * at the pinned addresses.
 * @hostmem: the hostmem the pin came from.
 * @pin: a pin.
 * @first_stale_ua: if not NULL, receives the first address that differs (left
 *                  as it was when the pin is current).
 *
 * Return: 0 when current; 1 when stale (moved, unmapped or replaced);
 * a negative errno when it cannot be told (process: /proc/self/maps
 * unreadable).
 */
TCE_EXPORT int tce_hostmem_pin_check(struct tce_hostmem *hostmem, const struct tce_hostmem_pin *pin,
			  uint64_t *first_stale_ua);

/**
 * tce_hostmem_pinned_bytes() - bytes held by live pins.
 * @hostmem: a hostmem.
 *
 * Return: the sum of the sizes of all live pins.
 */
TCE_EXPORT uint64_t tce_hostmem_pinned_bytes(struct tce_hostmem *hostmem);

/**
 * tce_hostmem_pin_count() - live pins holding the host address @hpa (sim only).
 * @hostmem: a hostmem.
 * @hpa: a host address.
 *
 * Return: the number of live pins whose extents contain @hpa.
 */
TCE_EXPORT uint64_t tce_hostmem_pin_count(struct tce_hostmem *hostmem, uint64_t hpa);

#ifdef __cplusplus
}
#endif

#endif /* TCE_HOSTMEM_H */
