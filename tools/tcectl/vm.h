/* SPDX-License-Identifier: MIT */
/*
 * tcectl — a whole VM's IOMMU, built through libtce (for plan and simulate).
 *
 * Concepts: a VM has guest RAM (backed by pages of one size), PHBs, and VFIO
 * groups behind some PHBs. Building it does what QEMU and KVM do at start and
 * when a Linux guest enables DMA: register all guest RAM once (v2
 * preregistration, shared by every container of the process), create the
 * guest's default window on every PHB (a KVM guest-view table when KVM
 * acceleration is on), mirror every guest window into a host window of the
 * PHB's container (QEMU's page-size capping and level choice), and let the
 * guest create one DDW per PHB covering maximum RAM. Every byte is charged to
 * one account with no limit, so the account's totals are the VM's exact
 * locked-memory requirement, by category.
 */
#ifndef TCECTL_VM_H
#define TCECTL_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tce/container.h"
#include "tce/guest.h"
#include "tce/phb.h"

#define VM_MAX_PHBS 16u

/** QEMU spapr-pci-host-bridge properties of one PHB that differ from QEMU's defaults. */
struct vm_phb_props {
	bool ddw_off;            /**< ddw=off: the guest gets no dynamic window on this PHB */
	uint64_t dma_win_addr;   /**< default window start; UINT64_MAX: QEMU's (0) */
	uint64_t dma_win_size;   /**< default window size; 0: QEMU's (1 GiB) */
	uint64_t dma64_win_addr; /**< second window start; 0: QEMU's (2^59) */
};

/** What a VM is made of. */
struct vm_desc {
	uint64_t ram;              /**< guest RAM at boot, bytes */
	uint64_t max_ram;          /**< maximum RAM (hotplug), bytes; >= ram */
	unsigned ram_page_shift;   /**< page backing guest RAM: 16, 21, 24 or 30 */
	unsigned nphbs;            /**< PHBs, 1..16 */
	unsigned groups[VM_MAX_PHBS]; /**< VFIO groups behind each PHB (0: emulated devices only) */
	uint64_t ddw_pgsz;         /**< page sizes the PHBs allow for DDW (QEMU pgsz) */
	uint64_t phb_ddw_pgsz[VM_MAX_PHBS]; /**< per PHB, overriding ddw_pgsz when not 0 */
	enum tce_profile host_profile; /**< the host's sizing rules (linux: 64 KiB pages, kernel limits) */
	uint64_t host_pgsz;        /**< IOMMU page sizes of the host PEs */
	bool kvm;                  /**< KVM acceleration (guest views in KVM, windows attached) */
	bool guest_ddw;            /**< the guest creates one DDW per PHB */
	enum tce_userview_kind userview; /**< how host windows keep userspace addresses */
	struct vm_phb_props phb[VM_MAX_PHBS]; /**< per-PHB QEMU properties */
	/* What libvirt's limit depends on beyond the shape (libvirt domains, QEMU command lines). */
	bool tcg;                  /**< no KVM at all (TCG): libvirt's ppc64 formula does not apply */
	bool locked;               /**< <memoryBacking><locked/>: libvirt sets no limit */
	uint64_t hard_limit;       /**< <memtune><hard_limit> in bytes; 0: none */
};

/** A built VM. */
struct vm {
	struct vm_desc desc;
	struct tce_hostmem *hm;
	struct tce_account *account;
	struct tce_account *unlocked; /* guest tables without KVM: QEMU's heap, not locked */
	struct tce_prereg *prereg;
	struct tce_guest *guest;
	struct tce_phb *phb[VM_MAX_PHBS];
	struct tce_group *group[VM_MAX_PHBS][4];
	struct tce_container *c[VM_MAX_PHBS];
	struct tce_window *hw[VM_MAX_PHBS][2];   /* host window per guest window slot (held) */
	uint64_t ram_ua;
	uint64_t list[TCE_HCALL_MAX_COUNT];       /* the INDIRECT list the guest "wrote" at list_gpa */
	unsigned list_n;
	uint64_t list_gpa;
	uint64_t notify_failures;                 /* VFIO map/unmap from notifiers that failed */
	unsigned ddw_page_shift[VM_MAX_PHBS];     /* the guest's DDW page, per PHB */
	unsigned ddw_window_shift;
	char error[256];
};

/** Locked bytes by category (account tags folded for people). */
struct vm_locked {
	uint64_t registered;  /**< preregistered RAM */
	uint64_t tables;      /**< host TCE tables */
	uint64_t userviews;   /**< host userspace-address views (mirrors) */
	uint64_t guest_views; /**< KVM guest-view tables */
	uint64_t total;
};

/*
 * The DDW page sizes a PHB can offer a guest: those PAPR's page mask for
 * ibm,query-pe-dma-window can express (4K, 64K, 2M, 16M, 32M, 64M, 128M,
 * 256M, 16G).
 */
#define VM_DDW_PAGE_SIZES                                                                          \
	((UINT64_C(1) << 12) | (UINT64_C(1) << 16) | (UINT64_C(1) << 21) | (UINT64_C(1) << 24) |   \
	 (UINT64_C(1) << 25) | (UINT64_C(1) << 26) | (UINT64_C(1) << 27) | (UINT64_C(1) << 28) |   \
	 (UINT64_C(1) << 34))

/* "4K, 64K, 2M" for the sizes in @mask (bit n = 2^n bytes), into @buf; returns @buf. */
const char *vm_page_list(uint64_t mask, char *buf, size_t size);

/* Defaults: 16 GiB, 64 KiB pages, 2 PHBs with one group each, KVM, a DDW per PHB; max_ram 0 = ram. */
void vm_desc_default(struct vm_desc *desc);

/* Check a description: 0, or -EINVAL with a message naming the field in @err. */
int vm_desc_check(const struct vm_desc *desc, char *err, size_t err_size);

/*
 * Called after each phase of vm_build(): its name, how many calls it made and
 * how many TCE entries those calls covered (0 when the phase writes none).
 */
typedef void (*vm_phase_fn)(void *ctx, struct vm *vm, const char *phase, uint64_t calls,
			    uint64_t entries);

/*
 * Build the VM up to (and including) the guest's DDWs, in three phases:
 * "register RAM", "default windows", "DDW query and create". 0, or -errno
 * with vm->error set. @phase may be NULL.
 */
int vm_build(struct vm *vm, const struct vm_desc *desc, vm_phase_fn phase, void *ctx);

/* What was left when the VM was torn down. */
struct vm_final {
	uint64_t locked;      /* bytes still charged */
	uint64_t pinned;      /* bytes still pinned */
	uint64_t charged;     /* bytes ever charged */
	uint64_t released;    /* bytes ever released */
};

/* Tear it all down (in VMM order); 0 when the ledger balances and nothing is pinned. */
int vm_teardown(struct vm *vm, struct vm_final *final);

/* Locked bytes by category now. */
void vm_locked(const struct vm *vm, struct vm_locked *locked);

/* Whether the guest creates a DDW on PHB @p (DDW on for the guest and the PHB). */
static inline bool vm_phb_has_ddw(const struct vm_desc *desc, unsigned p)
{
	return desc->guest_ddw && !desc->phb[p].ddw_off;
}

/* PHB @p's configuration: QEMU's defaults with the description's page sizes and properties. */
void vm_phb_config(const struct vm_desc *desc, unsigned p, struct tce_phb_config *cfg);

/* The host page QEMU picks for a guest window of @guest_page_shift. 0 when none fits. */
unsigned vm_host_page_shift(const struct vm_desc *desc, unsigned guest_page_shift);

/*
 * This host's default huge page (Hugepagesize in /proc/meminfo) as a shift:
 * what hugetlb=on and a libvirt <hugepages> without a size get. 0 when it
 * cannot be read.
 */
unsigned vm_default_huge_page_shift(void);

/* The page the guest picks for its DDW on PHB @p: the largest the PHB allows. */
unsigned vm_guest_ddw_page_shift(const struct vm_desc *desc, unsigned p);

/* libvirt's getPPC64MemLockLimitBytes() for the same VM (no hard_limit, not locked). */
uint64_t vm_libvirt_memlock(const struct vm_desc *desc);

/*
 * libvirt's limit with its precedence (qemuDomainGetMemLockLimitBytes()): a
 * hard_limit is the limit; locked without one is no limit (*@unlimited, 0
 * returned); a TCG pseries guest gets 0; otherwise the ppc64 formula.
 */
uint64_t vm_libvirt_limit(const struct vm_desc *desc, bool *unlimited);

/* The hash page table QEMU allocates for a hash-MMU guest: pow2ceil(max RAM) / 128, at least 256 KiB. */
uint64_t vm_hpt_bytes(const struct vm_desc *desc);

#endif /* TCECTL_VM_H */
