/* SPDX-License-Identifier: MIT */
/*
 * libtce — the VFIO SPAPR TCE container (v1 and v2).
 *
 * Concepts
 * --------
 * A group is an IOMMU group of the host, a PE on PowerNV: the devices that
 * share one DMA address space. Its description says what the platform offers:
 * IOMMU page sizes, how many DMA windows (2 on IODA2, at bus 0 and 2^59), how
 * many TCE levels, the 32-bit default window, whether windows can be created
 * dynamically, and the sizing profile.
 *
 * A container is what a VMM talks to through VFIO: it owns DMA windows that
 * every attached group shares, and maps user memory into them.
 *  - v1 (VFIO_SPAPR_TCE_IOMMU): one group; ENABLE charges the whole 32-bit
 *    window as if it were pinned, DISABLE releases it; MAP pins each page.
 *  - v2 (VFIO_SPAPR_TCE_v2_IOMMU): memory is registered first (prereg.h) and
 *    MAP only translates through the registered regions; TCE_CREATE and
 *    TCE_REMOVE manage up to two windows. Registering memory is what enables
 *    MAP and UNMAP.
 * In both, the default 32-bit window (4 KiB pages, one level) is created
 * lazily, on the first MAP, UNMAP or TCE_CREATE after the first group is
 * attached; TCE_REMOVE of its start before that cancels it.
 *
 * The container's windows are window.h objects: it creates them in the
 * slot's bus address with the group's profile and its own userview kind,
 * programs them into every attached group, and removes them. Creating one
 * validates everything first, charges, then allocates; any failure releases
 * exactly what was charged. MAP and UNMAP go to the window that contains the
 * address and are all or nothing (window.h).
 *
 * tce_container_ioctl() accepts the real commands and structs of
 * <linux/vfio.h> and returns what the Linux driver returns, except where the
 * driver is wrong (docs/container.md lists each difference).
 *
 * A container serves one address space (a process's mm in the kernel): the
 * hostmem of its config. As the kernel binds a container to the first process
 * that registers memory, enables it or creates or removes a window, the
 * container is bound on its first such call; from then on every call from
 * another address space (tce_container_ioctl_as()) gets -EPERM, and
 * UNREGISTER before any binding gets -EPERM too. The platform can refuse
 * (fault.h): programming a window into a group fails as firmware does, and
 * every such failure rolls back.
 *
 * Locking: one mutex per container for control operations, one per window
 * for its entries. All functions are thread-safe.
 */
#ifndef TCE_CONTAINER_H
#define TCE_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vfio.h>

#include "tce/account.h"
#include "tce/geometry.h"
#include "tce/hostmem.h"
#include "tce/prereg.h"
#include "tce/table.h"
#include "tce/userview.h"
#include "tce/version.h"
#include "tce/window.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Windows a group can have at most. */
#define TCE_MAX_WINDOWS 2u

/** What a group's platform offers. */
struct tce_group_desc {
	uint64_t pgsizes;                        /**< supported IOMMU page sizes: bit n = 2^n bytes */
	unsigned max_windows;                    /**< DMA windows; 0 = no dynamic windows */
	unsigned max_levels;                     /**< most TCE levels a window may have */
	uint64_t window_start[TCE_MAX_WINDOWS];  /**< bus address of window 0 and 1 */
	uint64_t dma32_start;                    /**< the 32-bit default window */
	uint64_t dma32_size;
	bool ddw;                                /**< windows can be created and removed */
	bool emulated;                           /**< an emulated IOMMU group: not attachable */
	enum tce_profile profile;                /**< sizing and validity rules */
	unsigned platform;                       /**< table implementation; groups of different
	                                              platforms cannot share a container */
	bool no_platform_data;                   /**< the PE has no table group (attach: -ENODEV) */
	bool no_unset_window;                    /**< the platform cannot unprogram a window
	                                              (TCE_REMOVE: -EPERM) */
};

/**
 * tce_group_desc_powernv_ioda2() - the PowerNV IODA2 (POWER8) description.
 * @desc: receives: page sizes 4K, 64K, 16M, 256M; 2 windows at 0 and 2^59;
 *        5 levels; a 2 GiB 32-bit window at 0; dynamic windows; linux profile.
 */
TCE_EXPORT void tce_group_desc_powernv_ioda2(struct tce_group_desc *desc);

struct tce_group;
struct tce_container;
struct tce_window;

/**
 * tce_group_create() - a group (PE) with a platform description.
 * @desc: what the platform offers (copied).
 * @id: a number for messages.
 * @groupp: receives the group.
 *
 * Return: 0; -EINVAL for a description with max_windows > 2; -ENOMEM.
 */
TCE_EXPORT int tce_group_create(const struct tce_group_desc *desc, unsigned id, struct tce_group **groupp);

/**
 * tce_group_destroy() - free a group.
 * @group: a group, or NULL.
 *
 * Return: 0, or -EBUSY while it is attached to a container (nothing freed).
 */
TCE_EXPORT int tce_group_destroy(struct tce_group *group);

/**
 * tce_group_translate() - translate a bus address as the group's devices see it.
 * @group: a group.
 * @iova: a bus address.
 * @xlate: receives the translation (perm 0: no access).
 *
 * Return: 0; -ENXIO when no window programmed into the group contains @iova
 * (a device DMA there is an IOMMU fault).
 */
TCE_EXPORT int tce_group_translate(struct tce_group *group, uint64_t iova, struct tce_translation *xlate);

/** How a container is set up. */
struct tce_container_config {
	unsigned type;                 /**< VFIO_SPAPR_TCE_IOMMU (v1) or VFIO_SPAPR_TCE_v2_IOMMU */
	struct tce_hostmem *hostmem;   /**< the address space; must outlive the container */
	struct tce_account *account;   /**< the process's ledger; must outlive the container */
	struct tce_prereg *prereg;     /**< v2: the address space's regions (shared with other
	                                    containers and guests); ignored by v1 */
	enum tce_userview_kind userview; /**< storage for windows this container creates */
};

/**
 * tce_container_create() - an empty container.
 * @config: type, address space, account, regions, userview kind.
 * @containerp: receives the container.
 *
 * Return: 0; -EINVAL for an unknown type, a v2 container without prereg or
 * a prereg of another address space is not detectable and is the caller's
 * duty; -ENOMEM.
 */
TCE_EXPORT int tce_container_create(const struct tce_container_config *config,
			 struct tce_container **containerp);

/**
 * tce_container_destroy() - release everything, as closing the container fd does.
 * @container: a container, or NULL.
 *
 * Detaches every group, removes every window (clearing its entries), drops
 * the container's reference on each region it registered and undoes the v1
 * ENABLE charge; then frees the container.
 *
 * Return: 0; -EBUSY when a region it registered is still mapped by someone
 * else (another container's window, or a guest holding a removed window):
 * that region keeps the container's reference and stays registered.
 */
TCE_EXPORT int tce_container_destroy(struct tce_container *container);

/**
 * tce_container_attach() - attach a group; every existing window is programmed into it.
 * @container: a container.
 * @group: a group not attached anywhere.
 *
 * Return: 0; -EINVAL for an emulated group, or a v2 container and a group
 * without dynamic windows; -EBUSY for a second group in v1 or a group
 * already attached; -EPERM for a group of another platform than those
 * attached.
 */
TCE_EXPORT int tce_container_attach(struct tce_container *container, struct tce_group *group);

/**
 * tce_container_detach() - detach a group; its devices lose every window.
 * @container: a container.
 * @group: an attached group.
 *
 * When the last group leaves, every window's entries are cleared (mappings
 * uncounted); the windows stay. With other groups left, the shared entries
 * stay for them (the kernel clears them for everyone).
 *
 * Return: 0, or -EINVAL if @group is not attached to @container.
 */
TCE_EXPORT int tce_container_detach(struct tce_container *container, struct tce_group *group);

/**
 * tce_container_get_info() - VFIO_IOMMU_SPAPR_TCE_GET_INFO.
 * @container: a container.
 * @info: argsz in, the rest out.
 *
 * As the kernel does: flags (VFIO_IOMMU_SPAPR_INFO_DDW for v2 with dynamic
 * windows, else 0) and the 32-bit window are always written; the ddw part is
 * written when argsz covers it: filled for v2 with dynamic windows, zeroed
 * otherwise. Bytes past what argsz covers are left alone.
 *
 * Return: 0; -ENXIO without a group; -EINVAL when argsz does not reach
 * dma32_window_size.
 */
TCE_EXPORT int tce_container_get_info(struct tce_container *container, struct vfio_iommu_spapr_tce_info *info);

/**
 * tce_container_enable() - VFIO_IOMMU_ENABLE (v1).
 * @container: a v1 container.
 *
 * Return: 0; -ENOTTY for v2; -EBUSY if enabled; -ENODEV without a group;
 * -EPERM for a group with no 32-bit window; -ENOMEM when the account
 * refuses dma32_size bytes (TCE_TAG_V1_WINDOW).
 */
TCE_EXPORT int tce_container_enable(struct tce_container *container);

/**
 * tce_container_disable() - VFIO_IOMMU_DISABLE (v1): release the ENABLE charge.
 * @container: a v1 container.
 *
 * Return: 0 (also when not enabled); -ENOTTY for v2.
 */
TCE_EXPORT int tce_container_disable(struct tce_container *container);

/**
 * tce_container_register() - VFIO_IOMMU_SPAPR_REGISTER_MEMORY (v2).
 * @container: a v2 container.
 * @ua: start, aligned to the host page.
 * @size: bytes, a non-zero multiple of the host page.
 *
 * Return: 0; -ENOTTY for v1; -EINVAL for size 0, misalignment, wrap or an
 * overlap; -EBUSY if this container already registered exactly this range;
 * -ENOMEM (limit, memory); -EFAULT (part of the range unmapped).
 */
TCE_EXPORT int tce_container_register(struct tce_container *container, uint64_t ua, uint64_t size);

/**
 * tce_container_unregister() - VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY (v2).
 * @container: a v2 container.
 * @ua: start of a range this container registered.
 * @size: its size.
 *
 * Return: 0; -ENOTTY for v1; -EINVAL for misalignment; -ENOENT if this
 * container did not register exactly this range; -EBUSY when this is the
 * region's last reference and TCEs still point into it (the container keeps
 * it; the kernel returns 0 and leaks it).
 */
TCE_EXPORT int tce_container_unregister(struct tce_container *container, uint64_t ua, uint64_t size);

/**
 * tce_container_create_window() - VFIO_IOMMU_SPAPR_TCE_CREATE (v2).
 * @container: a v2 container with a group.
 * @page_shift: IOMMU page shift; its size must be in the group's pgsizes.
 * @window_size: bytes, a power of two, at least one page.
 * @levels: 1..the group's max_levels.
 * @start: receives the bus address of the window (chosen by its slot).
 *
 * Return: 0; -ENOTTY for v1; -ENXIO without a group; -ENOSPC with no free
 * slot; -EINVAL for a page size, window or level count the group or its
 * profile refuses; -ENOMEM when the account refuses the charge or a node
 * cannot be allocated. Nothing stays charged or allocated on failure.
 */
TCE_EXPORT int tce_container_create_window(struct tce_container *container, unsigned page_shift,
				uint64_t window_size, unsigned levels, uint64_t *start);

/**
 * tce_container_remove_window() - VFIO_IOMMU_SPAPR_TCE_REMOVE (v2).
 * @container: a v2 container.
 * @start: a bus address inside the window (its start, or any address in it,
 *         as the kernel looks the window up).
 *
 * Clears the window (uncounting its mappings), unprograms it from every
 * group and releases its charge once nobody holds it.
 *
 * Return: 0 (also for start 0 while the default window is still pending,
 * which cancels it); -ENOTTY for v1; -ENXIO without a group; -EINVAL when no
 * window holds @start.
 */
TCE_EXPORT int tce_container_remove_window(struct tce_container *container, uint64_t start);

/**
 * tce_container_map() - VFIO_IOMMU_MAP_DMA.
 * @container: a container.
 * @iova: bus address of the first page.
 * @size: bytes, a multiple of the window's page size (0: nothing to do).
 * @ua: userspace address of the first page, aligned to the window's page.
 * @flags: VFIO_DMA_MAP_FLAG_READ and/or VFIO_DMA_MAP_FLAG_WRITE.
 *
 * Return: 0; -EPERM if not enabled (v1 ENABLE, v2 a registration); -EINVAL
 * for other flags, none of READ/WRITE, misalignment, or a range not all in
 * one window; -ENXIO when no window contains @iova; v2: -EINVAL when a page
 * is not in a registered region (or the region is being destroyed), -EPERM
 * when it is not host-contiguous for the page size; v1: -EFAULT when a page
 * is not mapped, -EPERM when not contiguous; -ENOMEM. All or nothing.
 */
TCE_EXPORT int tce_container_map(struct tce_container *container, uint64_t iova, uint64_t size, uint64_t ua,
		      uint32_t flags);

/**
 * tce_container_unmap() - VFIO_IOMMU_UNMAP_DMA.
 * @container: a container.
 * @iova: bus address of the first page.
 * @size: bytes, a multiple of the window's page size (0: nothing to do).
 *
 * Return: 0 (unmapping entries that were never mapped is fine); -EPERM if
 * not enabled; -ENXIO when no window contains @iova; -EINVAL for
 * misalignment or a range not all in the window; -ENOMEM (extents userview
 * needing to split a run).
 */
TCE_EXPORT int tce_container_unmap(struct tce_container *container, uint64_t iova, uint64_t size);

/**
 * tce_container_window() - the window that contains @iova, with a reference.
 * @container: a container.
 * @iova: a bus address.
 *
 * Return: the window (drop it with tce_window_put()), or NULL.
 */
TCE_EXPORT struct tce_window *tce_container_window(struct tce_container *container, uint64_t iova);

/** A container's state, for callers and tests. */
struct tce_container_state {
	bool v2;                  /**< VFIO_SPAPR_TCE_v2_IOMMU */
	bool enabled;             /**< v1: ENABLE done; v2: memory registered (MAP/UNMAP allowed) */
	bool bound;               /**< bound to its address space (first ENABLE, REGISTER,
	                               TCE_CREATE or TCE_REMOVE) */
	const struct tce_hostmem *hostmem; /**< the address space it serves */
	bool def_window_pending;  /**< the default window will be created on first use */
	unsigned groups;          /**< groups attached */
	unsigned windows;         /**< windows created */
	unsigned regions;         /**< regions this container registered (v2) */
	uint64_t registered_bytes; /**< bytes of those regions */
	uint64_t pinned_bytes;    /**< v1: bytes pinned by its windows' entries */
	uint64_t mapped;          /**< entries mapped in its windows */
};

/**
 * tce_container_state() - what a container holds now.
 * @container: a container.
 * @state: receives a consistent snapshot.
 */
TCE_EXPORT void tce_container_state(struct tce_container *container,
				    struct tce_container_state *state);

/**
 * tce_container_ioctl() - the VFIO ioctl surface.
 * @container: a container.
 * @cmd: VFIO_CHECK_EXTENSION, VFIO_IOMMU_SPAPR_TCE_GET_INFO, VFIO_IOMMU_ENABLE,
 *       VFIO_IOMMU_DISABLE, VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
 *       VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, VFIO_IOMMU_SPAPR_TCE_CREATE,
 *       VFIO_IOMMU_SPAPR_TCE_REMOVE, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA.
 * @arg: the extension number for VFIO_CHECK_EXTENSION, else a pointer to
 *       the command's struct (ignored by ENABLE/DISABLE).
 * @arg_len: bytes the caller's buffer at @arg holds (ignored where @arg is).
 *
 * The struct is read and written as the kernel's user copies do, but only
 * within @arg_len: a NULL pointer, or a buffer shorter than what the kernel
 * would copy in (the struct's mandatory part) or out (GET_INFO's ddw part
 * when argsz covers it, TCE_CREATE's start_addr), is -EFAULT. Then argsz and
 * flags are checked as the kernel does: argsz smaller than the mandatory part
 * or unknown flags give -EINVAL. argsz larger than @arg_len is fine where the
 * kernel reads no further.
 *
 * Return: VFIO_CHECK_EXTENSION: 1 for the two SPAPR TCE types, else 0.
 * Others: as the typed function; -ENOTTY for an unknown command or one of
 * the other version.
 */
TCE_EXPORT int tce_container_ioctl(struct tce_container *container, unsigned long cmd, uintptr_t arg,
				   size_t arg_len);

/**
 * tce_container_ioctl_as() - tce_container_ioctl() called from an address space.
 * @container: a container.
 * @caller: the calling process's address space (tce_container_ioctl() is this
 *          with the container's own).
 * @cmd: as for tce_container_ioctl().
 * @arg: as for tce_container_ioctl().
 * @arg_len: as for tce_container_ioctl().
 *
 * VFIO_CHECK_EXTENSION answers anyone. Otherwise, as the kernel checks
 * current->mm: a bound container refuses every other address space with
 * -EPERM, and an unbound one refuses UNREGISTER from anyone with -EPERM. A
 * call from another address space that would bind the container (ENABLE,
 * REGISTER, TCE_CREATE, TCE_REMOVE) is refused with -EPERM too: the kernel
 * would bind the container to that process, but a container serves the
 * address space it was created for.
 *
 * Return: as tce_container_ioctl(), or -EPERM as above.
 */
TCE_EXPORT int tce_container_ioctl_as(struct tce_container *container,
				      const struct tce_hostmem *caller, unsigned long cmd,
				      uintptr_t arg, size_t arg_len);

/** One region a container registered. */
struct tce_container_region {
	uint64_t ua;
	uint64_t size;
};

/**
 * tce_container_regions() - the regions a container registered, by address.
 * @container: a container.
 * @regions: receives up to @max of them (may be NULL when @max is 0).
 * @max: room in @regions.
 *
 * Return: how many it holds (the first @max are written).
 */
TCE_EXPORT size_t tce_container_regions(struct tce_container *container,
					struct tce_container_region *regions, size_t max);

#ifdef __cplusplus
}
#endif

#endif /* TCE_CONTAINER_H */
