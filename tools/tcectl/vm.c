// SPDX-License-Identifier: MIT
/*
 * A whole VM's IOMMU built through libtce. See vm.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vm.h"

#define RAM_UA (UINT64_C(1) << 40)
#define KiB (UINT64_C(1) << 10)
#define GiB (UINT64_C(1) << 30)

void vm_desc_default(struct vm_desc *desc)
{
	unsigned i;

	memset(desc, 0, sizeof(*desc));
	desc->ram = 16 * GiB;
	desc->max_ram = 0; /* the same as ram unless set */
	desc->ram_page_shift = 16;
	desc->nphbs = 2;
	for (i = 0; i < VM_MAX_PHBS; i++)
		desc->groups[i] = 1; /* one VFIO group behind every PHB */
	desc->ddw_pgsz = (UINT64_C(1) << 12) | (UINT64_C(1) << 16) | (UINT64_C(1) << 21) |
			 (UINT64_C(1) << 24);
	desc->host_pgsz = (UINT64_C(1) << 12) | (UINT64_C(1) << 16) | (UINT64_C(1) << 24) |
			  (UINT64_C(1) << 28);
	desc->kvm = true;
	desc->guest_ddw = true;
	desc->userview = TCE_USERVIEW_MIRROR;
	for (i = 0; i < VM_MAX_PHBS; i++)
		desc->phb[i].dma_win_addr = UINT64_MAX;
}

const char *vm_page_list(uint64_t mask, char *buf, size_t size)
{
	static const char *const units = "KMGTPE";
	size_t used = 0;
	unsigned shift;

	buf[0] = '\0';
	for (shift = 12; shift < 64 && used < size; shift++) {
		if (!(mask & (UINT64_C(1) << shift)))
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%llu%c", used ? ", " : "",
					 1ull << (shift % 10), units[shift / 10 - 1]);
	}
	return buf;
}

static int fail(char *err, size_t size, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return rc;
}

static uint64_t phb_pgsz(const struct vm_desc *desc, unsigned p)
{
	return desc->phb_ddw_pgsz[p] ? desc->phb_ddw_pgsz[p] : desc->ddw_pgsz;
}

int vm_desc_check(const struct vm_desc *d, char *err, size_t size)
{
	uint64_t page = UINT64_C(1) << d->ram_page_shift;
	unsigned i;

	if (d->ram_page_shift != 16 && d->ram_page_shift != 21 && d->ram_page_shift != 24 &&
	    d->ram_page_shift != 30)
		return fail(err, size, -EINVAL, "ram_page_size: must be 64K, 2M, 16M or 1G");
	if (d->ram == 0 || d->ram % page)
		return fail(err, size, -EINVAL, "ram: must be a non-zero multiple of the RAM page size");
	if (d->ram > (UINT64_C(1) << 50))
		return fail(err, size, -EINVAL, "ram: must be at most 1 PiB");
	if (d->max_ram < d->ram || d->max_ram % page || d->max_ram > (UINT64_C(1) << 50))
		return fail(err, size, -EINVAL,
			    "max_ram: must be at least ram, a multiple of the RAM page size, at most 1 PiB");
	if (d->nphbs < 1 || d->nphbs > VM_MAX_PHBS)
		return fail(err, size, -EINVAL, "phbs: must be 1..16");
	for (i = 0; i < d->nphbs; i++) {
		if (d->groups[i] > 4)
			return fail(err, size, -EINVAL, "groups: at most 4 VFIO groups per PHB");
		if (!(phb_pgsz(d, i) & (UINT64_C(1) << 12)))
			return fail(err, size, -EINVAL, "ddw_page_sizes: must include 4K (PHB %u)", i);
	}
	if (d->host_profile != TCE_PROFILE_LINUX && d->host_profile != TCE_PROFILE_EXACT)
		return fail(err, size, -EINVAL, "host_profile: must be linux or exact");
	if (!(d->host_pgsz & (UINT64_C(1) << 12)))
		return fail(err, size, -EINVAL, "host_page_sizes: must include 4K");
	return 0;
}

unsigned vm_default_huge_page_shift(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long kib = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib && !(kib & (kib - 1)) ? 10 + (unsigned)__builtin_ctzl(kib) : 0;
}

unsigned vm_host_page_shift(const struct vm_desc *desc, unsigned guest_page_shift)
{
	unsigned cap = guest_page_shift < desc->ram_page_shift ? guest_page_shift : desc->ram_page_shift;
	int s;

	/* QEMU: the largest page the host supports, not above the guest's page or RAM's backing. */
	for (s = (int)cap; s >= 12; s--)
		if (desc->host_pgsz & (UINT64_C(1) << s))
			return (unsigned)s;
	return 0;
}

unsigned vm_guest_ddw_page_shift(const struct vm_desc *desc, unsigned p)
{
	return 63u - (unsigned)__builtin_clzll(phb_pgsz(desc, p));
}

static unsigned ceil_log2(uint64_t v)
{
	return v <= 1 ? 0 : 64u - (unsigned)__builtin_clzll(v - 1);
}

/* A host window mirroring a guest window, with QEMU's page and level choice. */
static int host_window(struct vm *vm, unsigned p, unsigned slot, unsigned guest_shift,
		       uint64_t window_size)
{
	struct tce_geometry_request req = {0};
	struct tce_geometry geo;
	unsigned first_try = 1;
	uint64_t start;
	int rc;

	req.page_shift = vm_host_page_shift(&vm->desc, guest_shift);
	req.window_size = window_size;
	req.profile = vm->desc.host_profile;
	if (req.page_shift == 0)
		return fail(vm->error, sizeof(vm->error), -EINVAL,
			    "PHB %u: the host supports no page size up to 2^%u", p, guest_shift);
	/*
	 * QEMU starts from its guess (log2 of the flat table over log2 of the host
	 * page plus 8 bits a level) and adds a level while the host refuses. Under
	 * linux that is the fewest levels the kernel accepts; under exact (no node
	 * limit) the guess keeps a 1 PiB window from becoming one 128 GiB node.
	 */
	rc = tce_geometry_auto_levels(&req, &geo, &first_try);
	if (rc == 0 && first_try > geo.levels) {
		for (req.levels = first_try; req.levels <= TCE_LEVELS_MAX; req.levels++)
			if (tce_geometry_compute(&req, &geo) == 0 && geo.create_errno == 0)
				break;
		if (req.levels > TCE_LEVELS_MAX)
			rc = -EINVAL;
	}
	if (rc)
		return fail(vm->error, sizeof(vm->error), rc,
			    "PHB %u: no level count fits a %u-bit window of 2^%u pages: %s", p,
			    ceil_log2(window_size), req.page_shift, geo.reason ? geo.reason : "");
	rc = tce_container_create_window(vm->c[p], req.page_shift, window_size, geo.levels, &start);
	if (rc)
		return fail(vm->error, sizeof(vm->error), rc, "PHB %u: host window: %s", p,
			    strerror(-rc));
	vm->hw[p][slot] = tce_container_window(vm->c[p], start);
	if (vm->desc.kvm) {
		rc = tce_guest_attach_window(vm->guest, tce_liobn_pci(p, slot), vm->hw[p][slot]);
		if (rc)
			return fail(vm->error, sizeof(vm->error), rc, "PHB %u: attaching window %u: %s", p,
				    slot, strerror(-rc));
	}
	return 0;
}

void vm_phb_config(const struct vm_desc *desc, unsigned p, struct tce_phb_config *cfg)
{
	const struct vm_phb_props *props = &desc->phb[p];

	tce_phb_config_default(cfg, p);
	cfg->pgsz = phb_pgsz(desc, p);
	cfg->ddw = !props->ddw_off;
	if (props->dma_win_addr != UINT64_MAX)
		cfg->dma_win_addr = props->dma_win_addr;
	if (props->dma_win_size)
		cfg->dma_win_size = props->dma_win_size;
	if (props->dma64_win_addr)
		cfg->dma64_win_addr = props->dma64_win_addr;
}

static int build_phb(struct vm *vm, unsigned p)
{
	struct tce_phb_config pcfg;
	struct tce_group_desc gdesc;
	struct tce_container_config ccfg;
	unsigned g;
	int rc;

	tce_phb_config_default(&pcfg, p);
	vm_phb_config(&vm->desc, p, &pcfg);
	rc = tce_phb_create(vm->guest, &pcfg, &vm->phb[p]);
	if (rc)
		return fail(vm->error, sizeof(vm->error), rc, "PHB %u: %s", p, strerror(-rc));
	if (vm->desc.groups[p] == 0)
		return 0;
	tce_group_desc_powernv_ioda2(&gdesc);
	gdesc.pgsizes = vm->desc.host_pgsz;
	gdesc.profile = vm->desc.host_profile;
	ccfg = (struct tce_container_config){VFIO_SPAPR_TCE_v2_IOMMU, vm->hm, vm->account, vm->prereg,
					     vm->desc.userview};
	rc = tce_container_create(&ccfg, &vm->c[p]);
	for (g = 0; rc == 0 && g < vm->desc.groups[p]; g++) {
		rc = tce_group_create(&gdesc, p * 4 + g, &vm->group[p][g]);
		if (rc == 0)
			rc = tce_container_attach(vm->c[p], vm->group[p][g]);
	}
	/* QEMU registers all RAM in every container (one charge per process) ... */
	if (rc == 0)
		rc = tce_container_register(vm->c[p], vm->ram_ua, vm->desc.max_ram);
	/* ... removes the host's default window, and mirrors the guest's windows instead. */
	if (rc == 0)
		rc = tce_container_remove_window(vm->c[p], 0);
	if (rc)
		return fail(vm->error, sizeof(vm->error), rc, "PHB %u: VFIO setup: %s", p, strerror(-rc));
	return 0;
}

static int guest_ddw(struct vm *vm, unsigned p)
{
	uint64_t buid = tce_phb_buid(vm->phb[p]);
	uint32_t args[5] = {0, (uint32_t)(buid >> 32), (uint32_t)buid, vm->ddw_page_shift[p],
			    vm->ddw_window_shift};
	uint32_t rets[6];
	int status = tce_phb_rtas(vm->phb[p], TCE_RTAS_QUERY_PE_DMA_WINDOW, 3, args, 5, rets);

	if (status != TCE_RTAS_SUCCESS || rets[1] == 0)
		return fail(vm->error, sizeof(vm->error), -ENOSPC,
			    "PHB %u: ibm,query-pe-dma-window: status %d, %u windows available", p, status,
			    rets[1]);
	status = tce_phb_rtas(vm->phb[p], TCE_RTAS_CREATE_PE_DMA_WINDOW, 5, args, 4, rets);

	if (status != TCE_RTAS_SUCCESS)
		return fail(vm->error, sizeof(vm->error), -ENOMEM,
			    "PHB %u: ibm,create-pe-dma-window returned %d", p, status);
	if (vm->desc.groups[p] == 0)
		return 0;
	return host_window(vm, p, 1, vm->ddw_page_shift[p], UINT64_C(1) << vm->ddw_window_shift);
}

static int read_list(void *opaque, uint64_t gpa, void *buf, uint64_t len)
{
	struct vm *vm = opaque;
	uint8_t *out = buf;
	uint64_t i;

	if (gpa != vm->list_gpa || len > (uint64_t)vm->list_n * 8)
		return -EFAULT;
	for (i = 0; i < len; i++)
		out[i] = (uint8_t)(vm->list[i / 8] >> (56 - 8 * (i % 8)));
	return 0;
}

/*
 * Without KVM, QEMU's VFIO listener mirrors every guest TCE change into the
 * container: MAP_DMA for a permission (a write-only TCE mapped read-write),
 * UNMAP_DMA otherwise. QEMU aborts when one fails; the VM counts them.
 */
static void vfio_notify(void *opaque, const struct tce_guest_event *ev)
{
	struct vm *vm = opaque;
	unsigned p = tce_liobn_phb(ev->liobn), slot = tce_liobn_window(ev->liobn);
	uint64_t iova, ua;
	int rc;

	if (p >= VM_MAX_PHBS || !vm->c[p] || slot >= 2 || !vm->hw[p][slot])
		return;
	iova = tce_window_start(vm->hw[p][slot]) + ev->iova; /* the event is window-relative */
	if (ev->map) {
		uint32_t flags = VFIO_DMA_MAP_FLAG_READ |
				 ((ev->perm & TCE_PERM_WRITE) ? VFIO_DMA_MAP_FLAG_WRITE : 0);

		/* Called under the guest's lock: use the VM's one memslot, not the guest. */
		ua = vm->ram_ua + ev->gpa;
		rc = ev->gpa < vm->desc.max_ram
			     ? tce_container_map(vm->c[p], iova, ev->addr_mask + 1, ua, flags)
			     : -EFAULT;
	} else {
		rc = tce_container_unmap(vm->c[p], iova, ev->addr_mask + 1);
	}
	if (rc)
		vm->notify_failures++;
}

int vm_build(struct vm *vm, const struct vm_desc *desc, vm_phase_fn phase, void *ctx)
{
	struct tce_guest_config gcfg;
	unsigned p;
	int rc;

	memset(vm, 0, sizeof(*vm));
	vm->desc = *desc;
	if (vm->desc.max_ram == 0)
		vm->desc.max_ram = vm->desc.ram;
	desc = &vm->desc;
	rc = vm_desc_check(desc, vm->error, sizeof(vm->error));
	if (rc)
		return rc;
	vm->ram_ua = RAM_UA;
	vm->ddw_window_shift = ceil_log2(desc->max_ram);
	for (p = 0; p < desc->nphbs; p++) {
		vm->ddw_page_shift[p] = vm_guest_ddw_page_shift(desc, p);
		if (vm->ddw_window_shift < vm->ddw_page_shift[p])
			vm->ddw_window_shift = vm->ddw_page_shift[p];
	}
	if (tce_hostmem_sim_create(16, &vm->hm) ||
	    tce_hostmem_sim_map(vm->hm, vm->ram_ua, desc->max_ram, desc->ram_page_shift, 0) ||
	    tce_account_create(TCE_ACCOUNT_UNLIMITED, &vm->account) ||
	    tce_prereg_create(vm->hm, vm->account, &vm->prereg))
		return fail(vm->error, sizeof(vm->error), -ENOMEM, "cannot set up host memory");
	/* Without KVM the guest's tables live in QEMU's heap: not locked, not charged here. */
	vm->list_gpa = 0x10000;
	gcfg = (struct tce_guest_config){desc->kvm ? TCE_HCALL_KVM : TCE_HCALL_QEMU, vm->account,
					 read_list, vm};
	if (!desc->kvm) {
		if (tce_account_create(TCE_ACCOUNT_UNLIMITED, &vm->unlocked))
			return -ENOMEM;
		gcfg.account = vm->unlocked;
	}
	rc = tce_guest_create(&gcfg, &vm->guest);
	if (rc == 0)
		rc = tce_guest_add_memslot(vm->guest, 0, desc->max_ram, vm->ram_ua);
	if (rc == 0 && !desc->kvm)
		tce_guest_set_notifier(vm->guest, vfio_notify, vm);
	if (rc)
		return fail(vm->error, sizeof(vm->error), rc, "guest: %s", strerror(-rc));
	for (p = 0; p < desc->nphbs; p++) {
		rc = build_phb(vm, p);
		if (rc)
			return rc;
	}
	if (phase)
		phase(ctx, vm, "register RAM", desc->nphbs, 0);
	for (p = 0; p < desc->nphbs; p++) {
		if (vm->c[p]) {
			struct tce_phb_config pcfg;

			vm_phb_config(desc, p, &pcfg);
			rc = host_window(vm, p, 0, 12, pcfg.dma_win_size);
			if (rc)
				return rc;
		}
	}
	if (phase)
		phase(ctx, vm, "default windows", desc->nphbs, 0);
	for (p = 0; p < desc->nphbs; p++) {
		if (!vm_phb_has_ddw(desc, p))
			continue; /* the guest does not ask, or the PHB offers none */
		rc = guest_ddw(vm, p);
		if (rc)
			return rc;
	}
	if (phase && desc->guest_ddw)
		phase(ctx, vm, "DDW query and create", 2 * desc->nphbs, 0);
	return 0;
}

void vm_locked(const struct vm *vm, struct vm_locked *locked)
{
	struct tce_account_totals t;

	tce_account_totals(vm->account, &t);
	locked->registered = t.locked_by_tag[TCE_TAG_REGION];
	locked->tables = t.locked_by_tag[TCE_TAG_TABLE];
	locked->userviews = t.locked_by_tag[TCE_TAG_MIRROR];
	locked->guest_views = t.locked_by_tag[TCE_TAG_GUEST_VIEW];
	locked->total = t.locked;
}

int vm_teardown(struct vm *vm, struct vm_final *final)
{
	unsigned p, s, g;
	int rc = 0;

	for (p = 0; p < VM_MAX_PHBS; p++) {
		if (vm->phb[p]) {
			struct tce_phb_window w;

			/* The guest removes its DDW; the VMM removes the host window behind it. */
			if (tce_phb_window(vm->phb[p], 1, &w) == 0 && w.enabled) {
				uint32_t liobn = w.liobn, ret;

				tce_phb_rtas(vm->phb[p], TCE_RTAS_REMOVE_PE_DMA_WINDOW, 1, &liobn, 1, &ret);
			}
		}
		for (s = 0; s < 2; s++) {
			if (!vm->hw[p][s])
				continue;
			tce_guest_detach_window(vm->guest, tce_liobn_pci(p, s), vm->hw[p][s]);
			tce_container_remove_window(vm->c[p], tce_window_start(vm->hw[p][s]));
			tce_window_put(vm->hw[p][s]);
			vm->hw[p][s] = NULL;
		}
		if (vm->c[p]) {
			tce_container_unregister(vm->c[p], vm->ram_ua, vm->desc.max_ram);
			for (g = 0; g < 4; g++)
				if (vm->group[p][g])
					tce_container_detach(vm->c[p], vm->group[p][g]);
			if (tce_container_destroy(vm->c[p]))
				rc = -EBUSY;
		}
		for (g = 0; g < 4; g++)
			tce_group_destroy(vm->group[p][g]);
		tce_phb_destroy(vm->phb[p]);
	}
	tce_guest_destroy(vm->guest);
	tce_account_destroy(vm->unlocked);
	if (vm->prereg && tce_prereg_destroy(vm->prereg))
		rc = -EBUSY;
	if (vm->account && !tce_account_balanced(vm->account))
		rc = -EBUSY;
	if (vm->hm && tce_hostmem_pinned_bytes(vm->hm))
		rc = -EBUSY;
	if (final) {
		struct tce_account_totals t = {0};
		unsigned tag;

		if (vm->account)
			tce_account_totals(vm->account, &t);
		memset(final, 0, sizeof(*final));
		final->locked = t.locked;
		final->pinned = vm->hm ? tce_hostmem_pinned_bytes(vm->hm) : 0;
		for (tag = 0; tag < TCE_TAG_COUNT; tag++) {
			final->charged += t.charged_by_tag[tag];
			final->released += t.released_by_tag[tag];
		}
	}
	tce_account_destroy(vm->account);
	tce_hostmem_destroy(vm->hm);
	memset(vm->phb, 0, sizeof(vm->phb));
	return rc;
}

uint64_t vm_libvirt_memlock(const struct vm_desc *d)
{
	uint64_t memory = d->ram / KiB, max_memory = d->max_ram / KiB, n = d->nphbs;
	uint64_t base = max_memory / 128 + 4096 * n + 8192, passthrough = 0, alt;
	bool hostdev = false;
	unsigned p;

	for (p = 0; p < d->nphbs; p++)
		hostdev |= d->groups[p] > 0;
	if (hostdev) {
		passthrough = 2097152 * n;
		alt = memory + memory / 512 * n + 8192;
		if (alt > passthrough)
			passthrough = alt;
	}
	return (base + passthrough) * KiB;
}

uint64_t vm_libvirt_limit(const struct vm_desc *d, bool *unlimited)
{
	*unlimited = false;
	if (d->hard_limit)
		return d->hard_limit;
	if (d->locked) {
		*unlimited = true;
		return 0;
	}
	return d->tcg ? 0 : vm_libvirt_memlock(d);
}

uint64_t vm_hpt_bytes(const struct vm_desc *d)
{
	unsigned shift = ceil_log2(d->max_ram);

	shift = shift > 7 ? shift - 7 : 0;
	if (shift < 18)
		shift = 18;
	if (shift > 46)
		shift = 46;
	return UINT64_C(1) << shift;
}
