// SPDX-License-Identifier: MIT
/*
 * The <linux/vfio.h> ioctl surface of a container: decode each command's
 * struct, check argsz and flags in the kernel's order, call the typed
 * function. See tce_container_ioctl() in include/tce/container.h.
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

/*
 * The checks every struct command starts with, in the kernel's order: its gate,
 * the struct pointer (-EFAULT), argsz covering @minsz, and no flags when the
 * command takes none (-EINVAL). Every struct starts with u32 argsz, u32 flags.
 */
static int ioctl_prologue(struct tce_container *c, enum ioctl_gate gate, uintptr_t arg,
			  size_t minsz, bool check_flags)
{
	struct tce_container_state state;
	struct {
		uint32_t argsz, flags;
	} head;

	if (gate != GATE_NONE) {
		tce_container_state(c, &state);
		if (gate == GATE_GROUP && state.groups == 0)
			return -ENXIO;
		if (gate == GATE_ENABLED && !state.enabled)
			return -EPERM;
	}
	if (!arg)
		return -EFAULT;
	memcpy(&head, (const void *)arg, sizeof(head));
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
			   unsigned long cmd, uintptr_t arg)
{
	struct tce_container_state state;

	if (cmd != VFIO_CHECK_EXTENSION) {
		tce_container_state(c, &state);
		if (caller != state.hostmem && (state.bound || binds(cmd) ||
						cmd == VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY))
			return -EPERM;
	}
	return tce_container_ioctl(c, cmd, arg);
}

int tce_container_ioctl(struct tce_container *c, unsigned long cmd, uintptr_t arg)
{
	int rc;

	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
		return arg == VFIO_SPAPR_TCE_IOMMU || arg == VFIO_SPAPR_TCE_v2_IOMMU;
	case VFIO_IOMMU_SPAPR_TCE_GET_INFO:
		rc = ioctl_prologue(c, GATE_GROUP, arg, 0, false);
		return rc ? rc : tce_container_get_info(c, (struct vfio_iommu_spapr_tce_info *)arg);
	case VFIO_IOMMU_ENABLE:
		return tce_container_enable(c);
	case VFIO_IOMMU_DISABLE:
		return tce_container_disable(c);
	case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
	case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY: {
		struct vfio_iommu_spapr_register_memory *reg = (void *)arg;

		if (!is_v2(c))
			return -ENOTTY;
		rc = ioctl_prologue(c, GATE_NONE, arg,
				    offsetofend(struct vfio_iommu_spapr_register_memory, size), true);
		if (rc)
			return rc;
		return cmd == VFIO_IOMMU_SPAPR_REGISTER_MEMORY
			       ? tce_container_register(c, reg->vaddr, reg->size)
			       : tce_container_unregister(c, reg->vaddr, reg->size);
	}
	case VFIO_IOMMU_SPAPR_TCE_CREATE: {
		struct vfio_iommu_spapr_tce_create *create = (void *)arg;
		uint64_t start = 0;

		if (!is_v2(c))
			return -ENOTTY;
		rc = ioctl_prologue(c, GATE_GROUP, arg,
				    offsetofend(struct vfio_iommu_spapr_tce_create, start_addr), true);
		if (rc)
			return rc;
		rc = tce_container_create_window(c, create->page_shift, create->window_size,
						 create->levels, &start);
		if (rc == 0)
			create->start_addr = start;
		return rc;
	}
	case VFIO_IOMMU_SPAPR_TCE_REMOVE:
		if (!is_v2(c))
			return -ENOTTY;
		rc = ioctl_prologue(c, GATE_GROUP, arg,
				    offsetofend(struct vfio_iommu_spapr_tce_remove, start_addr), true);
		return rc ? rc
			  : tce_container_remove_window(
				    c, ((struct vfio_iommu_spapr_tce_remove *)arg)->start_addr);
	case VFIO_IOMMU_MAP_DMA: {
		struct vfio_iommu_type1_dma_map *map = (void *)arg;

		/* Its flags are checked by the map itself (READ and WRITE are allowed). */
		rc = ioctl_prologue(c, GATE_ENABLED, arg,
				    offsetofend(struct vfio_iommu_type1_dma_map, size), false);
		return rc ? rc : tce_container_map(c, map->iova, map->size, map->vaddr, map->flags);
	}
	case VFIO_IOMMU_UNMAP_DMA: {
		struct vfio_iommu_type1_dma_unmap *unmap = (void *)arg;

		rc = ioctl_prologue(c, GATE_ENABLED, arg,
				    offsetofend(struct vfio_iommu_type1_dma_unmap, size), true);
		return rc ? rc : tce_container_unmap(c, unmap->iova, unmap->size);
	}
	default:
		return -ENOTTY;
	}
}
