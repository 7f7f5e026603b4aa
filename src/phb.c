// SPDX-License-Identifier: MIT
/*
 * Guest PHB DMA windows and the DDW RTAS calls. See include/tce/phb.h.
 */
#include <errno.h>
#include <string.h>

#include "tce/phb.h"
#include "alloc.h"

struct tce_phb {
	struct tce_guest *guest;
	struct tce_phb_config cfg;
	struct tce_phb_window win[TCE_PHB_WINDOWS];
};

void tce_phb_config_default(struct tce_phb_config *config, unsigned index)
{
	memset(config, 0, sizeof(*config));
	config->index = index;
	config->dma_win_addr = 0;
	config->dma_win_size = UINT64_C(1) << 30;
	config->dma64_win_addr = UINT64_C(1) << 59;
	config->ddw = true;
	config->pgsz = (UINT64_C(1) << 12) | (UINT64_C(1) << 16) | (UINT64_C(1) << 21) |
		       (UINT64_C(1) << 24);
}

uint32_t tce_phb_page_mask(uint64_t pgsz)
{
	static const struct {
		unsigned shift;
		uint32_t bit;
	} map[] = {{12, 0x1}, {16, 0x2}, {24, 0x4},  {25, 0x8},  {26, 0x10},
		   {27, 0x20}, {28, 0x40}, {34, 0x80}, {21, 0x100}};
	uint32_t mask = 0;
	unsigned i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (pgsz & (UINT64_C(1) << map[i].shift))
			mask |= map[i].bit;
	return mask;
}

uint64_t tce_phb_buid(const struct tce_phb *phb)
{
	return TCE_PHB_BUID_BASE + phb->cfg.index;
}

int tce_phb_window(const struct tce_phb *phb, unsigned n, struct tce_phb_window *window)
{
	if (n >= TCE_PHB_WINDOWS)
		return -EINVAL;
	*window = phb->win[n];
	return 0;
}

static void window_disable(struct tce_phb *phb, unsigned n)
{
	if (!phb->win[n].enabled)
		return;
	tce_guest_remove_table(phb->guest, phb->win[n].liobn);
	phb->win[n].enabled = false;
	phb->win[n].def_win = false; /* a disabled slot holds no window, default or not */
	phb->win[n].bus_offset = 0;
	phb->win[n].page_shift = 0;
	phb->win[n].entries = 0;
}

static int window_enable(struct tce_phb *phb, unsigned n, unsigned page_shift, uint64_t bus_offset,
			 uint64_t entries)
{
	int rc = tce_guest_create_table(phb->guest, phb->win[n].liobn, page_shift,
					bus_offset >> page_shift, entries);

	if (rc)
		return rc;
	phb->win[n].enabled = true;
	phb->win[n].page_shift = page_shift;
	phb->win[n].bus_offset = bus_offset;
	phb->win[n].entries = entries;
	phb->win[n].def_win = false;
	return 0;
}

int tce_phb_reset(struct tce_phb *phb)
{
	unsigned n;
	int rc;

	for (n = 0; n < TCE_PHB_WINDOWS; n++)
		window_disable(phb, n);
	rc = window_enable(phb, 0, 12, phb->cfg.dma_win_addr, phb->cfg.dma_win_size >> 12);
	if (rc == 0)
		phb->win[0].def_win = true;
	return rc;
}

void tce_phb_config_get(const struct tce_phb *phb, struct tce_phb_config *config)
{
	*config = phb->cfg;
}

/* Whether this PHB could have window @w in slot @n. */
static bool window_possible(const struct tce_phb *phb, unsigned n, const struct tce_phb_window *w)
{
	if (!w->enabled)
		return true;
	if (n > 0 && !phb->cfg.ddw)
		return false;
	if (w->page_shift < 12 || w->page_shift > 34 || w->entries == 0 ||
	    (w->bus_offset & ((UINT64_C(1) << w->page_shift) - 1)) ||
	    w->entries > (UINT64_MAX - w->bus_offset) >> w->page_shift)
		return false;
	/* The default window has 4 KiB pages; a created one a page size the PHB offers. */
	return w->def_win ? w->page_shift == 12 : (phb->cfg.pgsz >> w->page_shift) & 1;
}

int tce_phb_check_windows(const struct tce_phb *phb,
			  const struct tce_phb_window windows[TCE_PHB_WINDOWS])
{
	unsigned n;

	for (n = 0; n < TCE_PHB_WINDOWS; n++)
		if (!window_possible(phb, n, &windows[n]))
			return -EINVAL;
	return 0;
}

int tce_phb_set_windows(struct tce_phb *phb, const struct tce_phb_window windows[TCE_PHB_WINDOWS])
{
	unsigned n;
	int rc = tce_phb_check_windows(phb, windows);

	if (rc)
		return rc;
	for (n = 0; n < TCE_PHB_WINDOWS; n++) {
		const struct tce_phb_window *want = &windows[n], *have = &phb->win[n];

		if (want->enabled == have->enabled &&
		    (!want->enabled || (want->page_shift == have->page_shift &&
					want->bus_offset == have->bus_offset &&
					want->entries == have->entries))) {
			phb->win[n].def_win = want->enabled && want->def_win;
			continue;
		}
		window_disable(phb, n);
		if (!want->enabled)
			continue;
		rc = window_enable(phb, n, want->page_shift, want->bus_offset, want->entries);
		if (rc)
			return rc;
		phb->win[n].def_win = want->def_win;
	}
	return 0;
}

int tce_phb_create(struct tce_guest *guest, const struct tce_phb_config *config,
		   struct tce_phb **phbp)
{
	struct tce_phb *phb;
	unsigned n;
	int rc;

	if (config->index > 255 || config->dma_win_size == 0 || (config->dma_win_size & 4095) ||
	    (config->dma_win_addr & 4095) || !(config->pgsz & (UINT64_C(1) << 12)))
		return -EINVAL;
	phb = tce_zalloc(sizeof(*phb));
	if (!phb)
		return -ENOMEM;
	phb->guest = guest;
	phb->cfg = *config;
	for (n = 0; n < TCE_PHB_WINDOWS; n++)
		phb->win[n].liobn = tce_liobn_pci(config->index, n);
	rc = tce_phb_reset(phb);
	if (rc) {
		tce_free(phb);
		return rc;
	}
	*phbp = phb;
	return 0;
}

void tce_phb_destroy(struct tce_phb *phb)
{
	unsigned n;

	if (!phb)
		return;
	for (n = 0; n < TCE_PHB_WINDOWS; n++)
		window_disable(phb, n);
	tce_free(phb);
}

void tce_phb_ddw_extensions(const struct tce_phb *phb, uint32_t ext[3])
{
	(void)phb;
	ext[0] = 2;
	ext[1] = TCE_RTAS_RESET_PE_DMA_WINDOW;
	ext[2] = 1;
}

static unsigned active_windows(const struct tce_phb *phb)
{
	unsigned n, active = 0;

	for (n = 0; n < TCE_PHB_WINDOWS; n++)
		active += phb->win[n].enabled;
	return active;
}

static bool buid_matches(const struct tce_phb *phb, const uint32_t *args)
{
	return (((uint64_t)args[1] << 32) | args[2]) == tce_phb_buid(phb);
}

static int rtas_query(struct tce_phb *phb, uint32_t nret, uint32_t *rets)
{
	rets[1] = TCE_PHB_WINDOWS - active_windows(phb);
	if (nret == 5) {
		rets[2] = 0x80000000u; /* QEMU's constant in the 5-output form */
		rets[3] = tce_phb_page_mask(phb->cfg.pgsz);
		rets[4] = 0;
	} else {
		rets[2] = (uint32_t)(TCE_PHB_MAX_TCES >> 32);
		rets[3] = (uint32_t)TCE_PHB_MAX_TCES;
		rets[4] = tce_phb_page_mask(phb->cfg.pgsz);
		rets[5] = 0;
	}
	return TCE_RTAS_SUCCESS;
}

static int rtas_create(struct tce_phb *phb, const uint32_t *args, uint32_t *rets)
{
	unsigned page_shift = args[3], window_shift = args[4], n;
	uint64_t bus_offset, entries;

	if (page_shift < 12 || page_shift > 63 || !(phb->cfg.pgsz & (UINT64_C(1) << page_shift)) ||
	    window_shift < page_shift || window_shift > 63)
		return TCE_RTAS_PARAM_ERROR;
	entries = UINT64_C(1) << (window_shift - page_shift);
	if (entries > TCE_PHB_MAX_TCES)
		return TCE_RTAS_PARAM_ERROR;
	for (n = 0; n < TCE_PHB_WINDOWS && phb->win[n].enabled; n++)
		;
	if (n == TCE_PHB_WINDOWS)
		return TCE_RTAS_HW_ERROR;
	bus_offset = active_windows(phb) == 0 ? phb->cfg.dma_win_addr : phb->cfg.dma64_win_addr;
	if ((bus_offset >> page_shift) << page_shift != bus_offset ||
	    bus_offset > UINT64_MAX - ((UINT64_C(1) << window_shift) - 1))
		return TCE_RTAS_PARAM_ERROR;
	/* Whole or not at all: never a truncated or half-created window. */
	if (window_enable(phb, n, page_shift, bus_offset, entries) != 0)
		return TCE_RTAS_HW_ERROR;
	rets[1] = phb->win[n].liobn;
	rets[2] = (uint32_t)(bus_offset >> 32);
	rets[3] = (uint32_t)bus_offset;
	return TCE_RTAS_SUCCESS;
}

static int rtas_remove(struct tce_phb *phb, uint32_t liobn)
{
	unsigned n;
	bool was_default;

	for (n = 0; n < TCE_PHB_WINDOWS; n++)
		if (phb->win[n].liobn == liobn && phb->win[n].enabled)
			break;
	if (n == TCE_PHB_WINDOWS)
		return TCE_RTAS_PARAM_ERROR;
	was_default = phb->win[n].def_win;
	window_disable(phb, n);
	/* PAPR: removing the last window, when it is not the default one, restores the default. */
	if (active_windows(phb) == 0 && !was_default && tce_phb_reset(phb) != 0)
		return TCE_RTAS_HW_ERROR;
	return TCE_RTAS_SUCCESS;
}

int tce_phb_rtas(struct tce_phb *phb, uint32_t token, uint32_t nargs, const uint32_t *args,
		 uint32_t nret, uint32_t *rets)
{
	int status = TCE_RTAS_PARAM_ERROR;

	switch (token) {
	case TCE_RTAS_QUERY_PE_DMA_WINDOW:
		if (nargs == 3 && (nret == 5 || nret == 6) && phb->cfg.ddw && buid_matches(phb, args))
			status = rtas_query(phb, nret, rets);
		break;
	case TCE_RTAS_CREATE_PE_DMA_WINDOW:
		if (nargs == 5 && nret == 4 && phb->cfg.ddw && buid_matches(phb, args))
			status = rtas_create(phb, args, rets);
		break;
	case TCE_RTAS_REMOVE_PE_DMA_WINDOW:
		if (nargs == 1 && nret == 1 && phb->cfg.ddw)
			status = rtas_remove(phb, args[0]);
		break;
	case TCE_RTAS_RESET_PE_DMA_WINDOW:
		if (nargs == 3 && nret == 1 && phb->cfg.ddw && buid_matches(phb, args))
			status = tce_phb_reset(phb) == 0 ? TCE_RTAS_SUCCESS : TCE_RTAS_HW_ERROR;
		break;
	default:
		break;
	}
	if (nret >= 1 && rets)
		rets[0] = (uint32_t)status;
	return status;
}
