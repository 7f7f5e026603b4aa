// SPDX-License-Identifier: MIT
/*
 * The <linux/vfio.h> ioctl surface of a container: copy each command's struct
 * in (never past the caller's buffer), check argsz and flags in the kernel's
 * order, call the typed function, copy the results out. See
 * tce_container_ioctl() in include/tce/container.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "tce/container.h"

#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

/* What must hold before a command looks at its struct. */
enum ioctl_gate {
	GATE_NONE,
	GATE_GROUP,   /* a group attached, else -ENXIO */
	GATE_ENABLED, /* the container enabled, else -EPERM */
};

/* The caller's buffer, as the kernel's user copies see it. */
struct user_buf {
	uintptr_t addr;
	size_t len;
};

/* copy_from_user(): -EFAULT for a NULL buffer or one shorter than @n. */
static int copy_in(void *dst, const struct user_buf *u, size_t n)
{
	if (!u->addr || u->len < n)
		return -EFAULT;
	memcpy(dst, (const void *)u->addr, n);
	return 0;
}

/* copy_to_user(): -EFAULT when @n bytes do not fit. */
static int copy_out(const struct user_buf *u, const void *src, size_t n)
{
	if (!u->addr || u->len < n)
		return -EFAULT;
	memcpy((void *)u->addr, src, n);
	return 0;
}

/*
 * The checks every struct command starts with, in the kernel's order: its
 * gate, the copy of the struct's @minsz bytes into @s (-EFAULT), argsz covering
 * @minsz, and no flags when the command takes none (-EINVAL). Every struct
 * starts with u32 argsz, u32 flags.
 */
static int ioctl_prologue(struct tce_container *c, enum ioctl_gate gate, const struct user_buf *u,
			  void *s, size_t minsz, bool check_flags)
{
	struct tce_container_state state;
	struct {
		uint32_t argsz, flags;
	} head;
	int rc;

	if (gate != GATE_NONE) {
		tce_container_state(c, &state);
		if (gate == GATE_GROUP && state.groups == 0)
			return -ENXIO;
		if (gate == GATE_ENABLED && !state.enabled)
			return -EPERM;
	}
	rc = copy_in(s, u, minsz);
	if (rc)
		return rc;
	memcpy(&head, s, sizeof(head));
	if (head.argsz < minsz || (check_flags && head.flags))
		return -EINVAL;
	return 0;
}

static bool is_v2(struct tce_container *c)
{
	struct tce_container_state state;

	tce_container_state(c, &state);
	return state.v2;
}

/* Commands that bind a container to the caller's address space. */
static bool binds(unsigned long cmd)
{
	return cmd == VFIO_IOMMU_ENABLE || cmd == VFIO_IOMMU_SPAPR_REGISTER_MEMORY ||
	       cmd == VFIO_IOMMU_SPAPR_TCE_CREATE || cmd == VFIO_IOMMU_SPAPR_TCE_REMOVE;
}

int tce_container_ioctl_as(struct tce_container *c, const struct tce_hostmem *caller,
			   unsigned long cmd, uintptr_t arg, size_t arg_len)
{
	struct tce_container_state state;

	if (cmd != VFIO_CHECK_EXTENSION) {
		tce_container_state(c, &state);
		if (caller != state.hostmem && (state.bound || binds(cmd) ||
						cmd == VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY))
			return -EPERM;
	}
	return tce_container_ioctl(c, cmd, arg, arg_len);
}

static int get_info(struct tce_container *c, const struct user_buf *u)
{
	const size_t minsz = offsetofend(struct vfio_iommu_spapr_tce_info, dma32_window_size);
	const size_t ddwsz = offsetofend(struct vfio_iommu_spapr_tce_info, ddw);
	struct vfio_iommu_spapr_tce_info info;
	int rc;

	memset(&info, 0, sizeof(info));
	rc = ioctl_prologue(c, GATE_GROUP, u, &info, minsz, false);
	if (rc == 0)
		rc = tce_container_get_info(c, &info);
	/* What the kernel copies back: the ddw part too when argsz covers it. */
	return rc ? rc : copy_out(u, &info, info.argsz >= ddwsz ? ddwsz : minsz);
}

static int memory(struct tce_container *c, unsigned long cmd, const struct user_buf *u)
{
	struct vfio_iommu_spapr_register_memory reg;
	int rc;

	if (!is_v2(c))
		return -ENOTTY;
	rc = ioctl_prologue(c, GATE_NONE, u, &reg,
			    offsetofend(struct vfio_iommu_spapr_register_memory, size), true);
	if (rc)
		return rc;
	return cmd == VFIO_IOMMU_SPAPR_REGISTER_MEMORY
		       ? tce_container_register(c, reg.vaddr, reg.size)
		       : tce_container_unregister(c, reg.vaddr, reg.size);
}

static int create(struct tce_container *c, const struct user_buf *u)
{
	struct vfio_iommu_spapr_tce_create create;
	uint64_t start = 0;
	int rc;

	if (!is_v2(c))
		return -ENOTTY;
	rc = ioctl_prologue(c, GATE_GROUP, u, &create,
			    offsetofend(struct vfio_iommu_spapr_tce_create, start_addr), true);
	if (rc)
		return rc;
	rc = tce_container_create_window(c, create.page_shift, create.window_size, create.levels,
					 &start);
	if (rc)
		return rc;
	create.start_addr = start;
	return copy_out(u, &create, offsetofend(struct vfio_iommu_spapr_tce_create, start_addr));
}

static int remove_window(struct tce_container *c, const struct user_buf *u)
{
	struct vfio_iommu_spapr_tce_remove remove;
	int rc;

	if (!is_v2(c))
		return -ENOTTY;
	rc = ioctl_prologue(c, GATE_GROUP, u, &remove,
			    offsetofend(struct vfio_iommu_spapr_tce_remove, start_addr), true);
	return rc ? rc : tce_container_remove_window(c, remove.start_addr);
}

int tce_container_ioctl(struct tce_container *c, unsigned long cmd, uintptr_t arg, size_t arg_len)
{
	const struct user_buf u = {arg, arg_len};
	int rc;

	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
		return arg == VFIO_SPAPR_TCE_IOMMU || arg == VFIO_SPAPR_TCE_v2_IOMMU;
	case VFIO_IOMMU_SPAPR_TCE_GET_INFO:
		return get_info(c, &u);
	case VFIO_IOMMU_ENABLE:
		return tce_container_enable(c);
	case VFIO_IOMMU_DISABLE:
		return tce_container_disable(c);
	case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
	case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY:
		return memory(c, cmd, &u);
	case VFIO_IOMMU_SPAPR_TCE_CREATE:
		return create(c, &u);
	case VFIO_IOMMU_SPAPR_TCE_REMOVE:
		return remove_window(c, &u);
	case VFIO_IOMMU_MAP_DMA: {
		struct vfio_iommu_type1_dma_map map;

		/* Its flags are checked by the map itself (READ and WRITE are allowed). */
		rc = ioctl_prologue(c, GATE_ENABLED, &u, &map,
				    offsetofend(struct vfio_iommu_type1_dma_map, size), false);
		return rc ? rc : tce_container_map(c, map.iova, map.size, map.vaddr, map.flags);
	}
	case VFIO_IOMMU_UNMAP_DMA: {
		struct vfio_iommu_type1_dma_unmap unmap;

		rc = ioctl_prologue(c, GATE_ENABLED, &u, &unmap,
				    offsetofend(struct vfio_iommu_type1_dma_unmap, size), true);
		return rc ? rc : tce_container_unmap(c, unmap.iova, unmap.size);
	}
	default:
		return -ENOTTY;
	}
}
