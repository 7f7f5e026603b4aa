/* SPDX-License-Identifier: MIT */
/*
 * libtce — a guest PCI host bridge and its dynamic DMA windows.
 *
 * Concepts
 * --------
 * A guest PHB (QEMU's spapr-pci-host-bridge) gives every device behind it one
 * DMA address space with up to two windows. Window n of PHB index is the
 * guest table (guest.h) with LIOBN 0x80000000 | index << 8 | n; the
 * tce_liobn_*() functions below own that numbering, and nothing else builds
 * or takes apart such a number. After a reset only the default
 * window is enabled: 4 KiB pages from dma_win_addr (0), dma_win_size (1 GiB)
 * long.
 *
 * The guest changes its windows with RTAS calls (tce_phb_rtas()):
 *  - ibm,query-pe-dma-window: windows still available, the largest block of
 *    TCEs, the page sizes (in PAPR's encoding), 5 or 6 outputs;
 *  - ibm,create-pe-dma-window: a window of 2^window_shift bytes in pages of
 *    2^page_shift bytes, on the first free LIOBN, at dma_win_addr when no
 *    window is active and dma64_win_addr (2^59) otherwise;
 *  - ibm,remove-pe-dma-window: disable a window; removing the last one when
 *    it is not the default window restores the default window (PAPR);
 *  - ibm,reset-pe-dma-window: back to the default window alone.
 * RTAS status: 0 success, -1 hardware error, -3 parameter error.
 *
 * A window of 2^32 entries or more is created like any other, or refused
 * whole: QEMU truncates the entry count to 32 bits and leaves a half-created
 * window behind (qemu-libvirt-papr spec §2); libtce never does. A request
 * above the largest block the 6-output query advertises (2^37 TCEs) is a
 * parameter error; one the account cannot charge is a hardware error, and
 * nothing is created.
 *
 * The PHB's functions take the guest's lock through guest.h; a PHB is not
 * thread-safe on its own (its VMM serializes RTAS calls per PHB).
 */
#ifndef TCE_PHB_H
#define TCE_PHB_H

#include <stdbool.h>
#include <stdint.h>

#include "tce/guest.h"
#include "tce/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RTAS tokens QEMU registers for the DDW calls. */
#define TCE_RTAS_QUERY_PE_DMA_WINDOW 0x2026u
#define TCE_RTAS_CREATE_PE_DMA_WINDOW 0x2027u
#define TCE_RTAS_REMOVE_PE_DMA_WINDOW 0x2028u
#define TCE_RTAS_RESET_PE_DMA_WINDOW 0x2029u

/* RTAS status. */
#define TCE_RTAS_SUCCESS 0
#define TCE_RTAS_HW_ERROR (-1)
#define TCE_RTAS_PARAM_ERROR (-3)

/** Bit 31 marks a PCI LIOBN; VIO LIOBNs (e.g. 0x71000002) do not have it. */
#define TCE_LIOBN_PCI_BASE 0x80000000u

/**
 * tce_liobn_pci() - the LIOBN of window @window of PHB @phb_index.
 * @phb_index: the PHB's index, 0..255.
 * @window: the window slot, 0 or 1.
 *
 * Return: 0x80000000 | @phb_index << 8 | @window.
 */
static inline uint32_t tce_liobn_pci(unsigned phb_index, unsigned window)
{
	return TCE_LIOBN_PCI_BASE | ((phb_index & 0xffu) << 8) | (window & 0xffu);
}

/**
 * tce_liobn_is_pci() - whether a LIOBN names a PCI window.
 * @liobn: a LIOBN as a guest passes it (64 bits).
 *
 * Return: true when the upper 32 bits are 0 and bit 31 is set.
 */
static inline bool tce_liobn_is_pci(uint64_t liobn)
{
	return (liobn >> 32) == 0 && (liobn & TCE_LIOBN_PCI_BASE) != 0;
}

/**
 * tce_liobn_phb() - the PHB index of a PCI LIOBN.
 * @liobn: a PCI LIOBN (tce_liobn_is_pci()).
 *
 * Return: bits 8..15.
 */
static inline unsigned tce_liobn_phb(uint64_t liobn)
{
	return (unsigned)((liobn >> 8) & 0xffu);
}

/**
 * tce_liobn_window() - the window slot of a PCI LIOBN.
 * @liobn: a PCI LIOBN (tce_liobn_is_pci()).
 *
 * Return: bits 0..7.
 */
static inline unsigned tce_liobn_window(uint64_t liobn)
{
	return (unsigned)(liobn & 0xffu);
}

/** The base of guest PHB BUIDs: BUID = base + index. */
#define TCE_PHB_BUID_BASE UINT64_C(0x800000020000000)
/** The largest window the 6-output query advertises, in TCEs (2^37). */
#define TCE_PHB_MAX_TCES (UINT64_C(1) << 37)
/** Windows a PHB has. */
#define TCE_PHB_WINDOWS 2u

/** A PHB's DMA configuration (QEMU's properties). */
struct tce_phb_config {
	unsigned index;          /**< PHB number: BUID and LIOBNs derive from it (0..255) */
	uint64_t dma_win_addr;   /**< default window start (0) */
	uint64_t dma_win_size;   /**< default window size (1 GiB) */
	uint64_t dma64_win_addr; /**< where a second window goes (2^59) */
	bool ddw;                /**< dynamic windows on (true) */
	uint64_t pgsz;           /**< allowed DDW page sizes: bit n = 2^n bytes (4K|64K|2M|16M) */
};

/** One window slot of a PHB. */
struct tce_phb_window {
	bool enabled;
	uint32_t liobn;
	uint64_t bus_offset;
	unsigned page_shift;
	uint64_t entries;
	bool def_win; /**< this is the default window (false when disabled) */
};

struct tce_phb;

/**
 * tce_phb_config_default() - QEMU's defaults for PHB @index.
 * @config: receives them.
 * @index: the PHB number.
 */
TCE_EXPORT void tce_phb_config_default(struct tce_phb_config *config, unsigned index);

/**
 * tce_phb_create() - a PHB of @guest, reset: the default window enabled.
 * @guest: the guest its tables belong to; must outlive the PHB.
 * @config: its configuration (copied).
 * @phbp: receives the PHB.
 *
 * Return: 0; -EINVAL for an index above 255, a default window that is not a
 * whole number of 4 KiB pages or a page-size mask without 4 KiB; -EBUSY when
 * one of its LIOBNs is taken; -ENOMEM.
 */
TCE_EXPORT int tce_phb_create(struct tce_guest *guest, const struct tce_phb_config *config,
		   struct tce_phb **phbp);

/**
 * tce_phb_destroy() - remove the PHB's windows (their tables) and free it.
 * @phb: a PHB, or NULL.
 */
TCE_EXPORT void tce_phb_destroy(struct tce_phb *phb);

/**
 * tce_phb_buid() - the PHB's BUID.
 * @phb: a PHB.
 *
 * Return: TCE_PHB_BUID_BASE + index.
 */
TCE_EXPORT uint64_t tce_phb_buid(const struct tce_phb *phb);

/**
 * tce_phb_window() - the state of window slot @n.
 * @phb: a PHB.
 * @n: 0 or 1.
 * @window: receives it.
 *
 * Return: 0, or -EINVAL for a bad slot.
 */
TCE_EXPORT int tce_phb_window(const struct tce_phb *phb, unsigned n, struct tce_phb_window *window);

/**
 * tce_phb_reset() - disable every window and enable the default one.
 * @phb: a PHB.
 *
 * Return: 0, or -ENOMEM when the default window cannot be charged.
 */
TCE_EXPORT int tce_phb_reset(struct tce_phb *phb);

/**
 * tce_phb_config_get() - the configuration a PHB was created with.
 * @phb: a PHB.
 * @config: receives it.
 */
TCE_EXPORT void tce_phb_config_get(const struct tce_phb *phb, struct tce_phb_config *config);

/**
 * tce_phb_check_windows() - whether the PHB could have these windows.
 * @phb: a PHB.
 * @windows: TCE_PHB_WINDOWS slots, as for tce_phb_set_windows().
 *
 * Return: 0, or -EINVAL for a window it cannot have (what
 * tce_phb_set_windows() would refuse before changing anything).
 */
TCE_EXPORT int tce_phb_check_windows(const struct tce_phb *phb,
				     const struct tce_phb_window windows[TCE_PHB_WINDOWS]);

/**
 * tce_phb_set_windows() - make the PHB's windows exactly these (migration).
 * @phb: a PHB.
 * @windows: TCE_PHB_WINDOWS slots: enabled, def_win, page_shift, bus_offset
 *           and entries are used (the LIOBNs are the PHB's own).
 *
 * A slot that differs is disabled (its guest table removed) and, when
 * enabled, created again empty; a slot that already matches keeps its table.
 *
 * Return: 0; -EINVAL for a window the PHB cannot have (a page size outside
 * its pgsz, a second window with DDW off, a window that does not fit the bus
 * address space); -ENOMEM or what creating the guest table returns. Slots
 * already changed stay changed on failure.
 */
TCE_EXPORT int tce_phb_set_windows(struct tce_phb *phb,
				   const struct tce_phb_window windows[TCE_PHB_WINDOWS]);

/**
 * tce_phb_rtas() - one DDW RTAS call.
 * @phb: the PHB the call's BUID must name.
 * @token: TCE_RTAS_*_PE_DMA_WINDOW.
 * @nargs: input words (query 3, create 5, remove 1, reset 3).
 * @args: the inputs: config_addr, BUID high, BUID low, then for create the
 *        page shift and window shift; for remove the LIOBN.
 * @nret: output words (query 5 or 6, create 4, remove 1, reset 1).
 * @rets: the outputs; rets[0] is the status.
 *
 * Return: the RTAS status (also in rets[0] when nret >= 1); -3 for an
 * unknown token, wrong nargs/nret, another PHB's BUID, DDW off.
 */
TCE_EXPORT int tce_phb_rtas(struct tce_phb *phb, uint32_t token, uint32_t nargs, const uint32_t *args,
		 uint32_t nret, uint32_t *rets);

/**
 * tce_phb_ddw_extensions() - the ibm,ddw-extensions property.
 * @phb: a PHB.
 * @ext: receives [2, reset token, 1 (query may use 6 outputs)].
 */
TCE_EXPORT void tce_phb_ddw_extensions(const struct tce_phb *phb, uint32_t ext[3]);

/**
 * tce_phb_page_mask() - a page-size mask (bit n = 2^n bytes) in PAPR's encoding.
 * @pgsz: the mask.
 *
 * Return: 0x1 4K, 0x2 64K, 0x4 16M, 0x8 32M, 0x10 64M, 0x20 128M, 0x40 256M,
 * 0x80 16G, 0x100 2M, or'ed.
 */
TCE_EXPORT uint32_t tce_phb_page_mask(uint64_t pgsz);

#ifdef __cplusplus
}
#endif

#endif /* TCE_PHB_H */
