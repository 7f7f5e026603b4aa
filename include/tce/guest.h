/* SPDX-License-Identifier: MIT */
/*
 * libtce — the guest side: guest-visible TCE tables and the TCE hypercalls.
 *
 * Concepts
 * --------
 * A POWER guest programs its IOMMU through hypercalls on tables named by a
 * LIOBN (logical I/O bus number). Each table maps a window of bus addresses
 * [offset << page_shift, (offset + size) << page_shift) in pages of
 * 2^page_shift bytes (the parameters of KVM_CREATE_SPAPR_TCE_64). A guest TCE
 * holds a guest physical address (gpa) and the permission bits, in host order.
 * The table is charged when created as KVM charges it (stt_pages, tag
 * TCE_TAG_GUEST_VIEW) and its 64 KiB pages of TCEs are allocated on first
 * non-zero write.
 *
 * Memslots map guest physical addresses to userspace addresses (ua) of the
 * VMM. They are how H_PUT_TCE_INDIRECT reads its list from guest memory
 * (unless the VMM supplies a reader) and how acceleration finds the memory
 * behind a TCE.
 *
 * Hypercalls return PAPR codes. QEMU, KVM and PAPR disagree on details; a
 * profile chooses, and every difference lives in one table
 * (tce_hcall_rules_get()):
 *  - qemu: reproduces QEMU's spapr_iommu.c exactly (used to replay traces):
 *    a misaligned IOBA is masked, an unknown LIOBN is H_PARAMETER, INDIRECT
 *    and STUFF write page by page and stop at the first bad page, STUFF
 *    stores any value, a count of 0 is H_PARAMETER.
 *  - kvm: Linux KVM: an unknown LIOBN or a TCE it cannot translate is
 *    H_TOO_HARD (the VMM finishes the call), a misaligned IOBA is
 *    H_PARAMETER, INDIRECT is validated completely before any write, STUFF
 *    refuses values with permission bits.
 *  - papr: the architecture, strictly: H_PARAMETER for every bad argument
 *    including a TCE whose address lies outside guest memory, validation
 *    before writing, H_P4 for a STUFF count above 512.
 * Every profile checks the whole range a call touches, never only its first
 * page (the kernel's B-R1).
 *
 * Acceleration: hardware windows (window.h, e.g. those of a VFIO container) can be
 * attached to a table, as KVM does for KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE: the
 * hardware page must not be larger than the guest's, the bus start must be the
 * same, and the hardware window at least as large. A hypercall then updates
 * every attached window: gpa -> ua through the memslots, ua -> host address
 * through the registered regions, a guest page larger than the hardware page
 * split into hardware pages. Every window is validated before any is written,
 * so a failure leaves the guest view, the hardware tables and the mapped
 * counters unchanged. A TCE without permission bits clears; it is never
 * counted as a mapping (the kernel's B-K3).
 *
 * Notifiers receive one map or unmap event per TCE written by a hypercall, as
 * QEMU's IOMMU notifiers do: the window-relative bus address of the page, the
 * gpa it now maps, the page mask and the permission.
 *
 * Translation for device DMA has two forms: tce_guest_translate() takes the
 * guest's lock; tce_guest_get_view() and the inline
 * tce_guest_view_translate() let a device model translate every access with
 * no call and no lock, at about the cost of its own flat array. A view stays
 * valid until its table is removed (tce_guest_remove_table(), a PHB reset or
 * a window removal, tce_guest_destroy()): the VMM drops its views first, as
 * QEMU removes a table's memory region before freeing the table. The ABI
 * commits to struct tce_guest_view and to the table's storage: 64 KiB pages of
 * 8192 host-order TCEs, a NULL page reading as zeros.
 *
 * All functions are thread-safe: one lock per guest; views read without it.
 */
#ifndef TCE_GUEST_H
#define TCE_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "tce/account.h"
#include "tce/version.h"
#include "tce/window.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hypercall numbers. */
#define TCE_H_GET_TCE 0x1C
#define TCE_H_PUT_TCE 0x20
#define TCE_H_STUFF_TCE 0x138
#define TCE_H_PUT_TCE_INDIRECT 0x13C

/* PAPR return codes (and KVM's internal H_TOO_HARD). */
#define TCE_H_SUCCESS 0
#define TCE_H_HARDWARE (-1)
#define TCE_H_PARAMETER (-4)
#define TCE_H_P4 (-57)
#define TCE_H_TOO_HARD 9999

/** Most entries H_PUT_TCE_INDIRECT and (PAPR) H_STUFF_TCE take. */
#define TCE_HCALL_MAX_COUNT 512u
/** Hardware windows one guest table can be attached to. */
#define TCE_GUEST_MAX_WINDOWS 2u
/** The unit of a guest table's storage and of KVM's charge: 64 KiB of TCEs. */
#define TCE_GUEST_PAGE_BYTES 65536u
/** What KVM adds for its table descriptor when it charges a table. */
#define TCE_GUEST_STT_BYTES 120u

/** Which hypercall semantics a guest follows. */
enum tce_hcall_profile {
	TCE_HCALL_QEMU = 0,
	TCE_HCALL_KVM = 1,
	TCE_HCALL_PAPR = 2,
};

/** Every point where the profiles differ. */
struct tce_hcall_rules {
	const char *name;
	long unknown_liobn;           /**< result for an unknown LIOBN */
	bool mask_misaligned_ioba;    /**< mask the IOBA down to its page (else H_PARAMETER) */
	bool zero_count_is_error;     /**< INDIRECT/STUFF with count 0 are H_PARAMETER (else no-op) */
	bool validate_before_write;   /**< INDIRECT/STUFF check every page and TCE before writing */
	bool stuff_allows_perm;       /**< STUFF may store a value with permission bits */
	bool stuff_count_capped;      /**< STUFF count above 512 is refused */
	bool stuff_count_over_table;  /**< STUFF count above the table's size is H_PARAMETER
	                                   before anything else (QEMU) */
	long stuff_count_error;       /**< ...with this code */
	bool check_tce_address;       /**< a TCE's gpa must be page-aligned and in guest memory */
	long bad_tce_address;         /**< ...else this code */
	long accel_failure;           /**< result when an attached window cannot be updated */
};

/**
 * tce_hcall_rules_get() - the rules of a profile.
 * @profile: a profile.
 *
 * Return: a static table, or NULL for an unknown profile.
 */
TCE_EXPORT const struct tce_hcall_rules *tce_hcall_rules_get(enum tce_hcall_profile profile);

/**
 * tce_hcall_profile_parse() - "qemu", "kvm" or "papr".
 * @name: the name.
 * @profile: receives the profile.
 *
 * Return: 0, or -EINVAL.
 */
TCE_EXPORT int tce_hcall_profile_parse(const char *name, enum tce_hcall_profile *profile);

struct tce_guest;

/**
 * typedef tce_guest_read_fn - read guest memory for H_PUT_TCE_INDIRECT.
 * @opaque: the caller's pointer.
 * @gpa: guest physical address.
 * @buf: where to copy.
 * @len: bytes.
 *
 * Return: 0, or a negative errno when the memory cannot be read.
 */
typedef int (*tce_guest_read_fn)(void *opaque, uint64_t gpa, void *buf, uint64_t len);

/** How a guest is set up. */
struct tce_guest_config {
	enum tce_hcall_profile profile;
	struct tce_account *account; /**< where guest tables are charged; must outlive the guest */
	tce_guest_read_fn read;      /**< NULL: read through the memslots' userspace addresses,
	                                  which must then point into this process */
	void *read_opaque;
};

/** One changed TCE, as notifiers see it. */
struct tce_guest_event {
	uint64_t liobn;
	bool map;          /**< true: MAP (a permission), false: UNMAP */
	uint64_t iova;     /**< bus address relative to the window start, page-aligned */
	uint64_t gpa;      /**< the guest page it maps (TCE without its low page bits) */
	uint64_t addr_mask; /**< 2^page_shift - 1 */
	unsigned perm;     /**< TCE_PERM_READ | TCE_PERM_WRITE */
};

/**
 * typedef tce_guest_notify_fn - called once per TCE a hypercall wrote.
 * @opaque: the caller's pointer.
 * @event: the change.
 */
typedef void (*tce_guest_notify_fn)(void *opaque, const struct tce_guest_event *event);

/** A translation for device DMA. */
struct tce_guest_xlate {
	uint64_t iova;      /**< window-relative bus address of the page */
	uint64_t gpa;       /**< guest page it maps */
	uint64_t addr_mask; /**< 2^page_shift - 1 */
	unsigned perm;      /**< permission bits of the TCE */
};

/** A table as the inline translation reads it (see the Concepts above). */
struct tce_guest_view {
	uint64_t *const *pages; /**< storage pages of 8192 TCEs each; NULL: all zero */
	uint64_t offset;        /**< window start in IOMMU pages */
	uint64_t size;          /**< entries */
	unsigned page_shift;    /**< IOMMU page shift */
};

/** A table's state. */
struct tce_guest_table_info {
	uint64_t liobn;
	unsigned page_shift;
	uint64_t offset;          /**< window start in IOMMU pages */
	uint64_t size;            /**< entries */
	uint64_t charged_bytes;   /**< stt_pages * 64 KiB */
	uint64_t allocated_bytes; /**< 64 KiB pages of TCEs allocated so far */
	uint64_t valid_entries;   /**< entries with a permission bit (counted when asked) */
	unsigned windows;         /**< hardware windows attached */
};

/**
 * tce_guest_create() - a guest with no tables and no memslots.
 * @config: profile, account, guest-memory reader.
 * @guestp: receives the guest.
 *
 * Return: 0; -EINVAL for an unknown profile or no account; -ENOMEM.
 */
TCE_EXPORT int tce_guest_create(const struct tce_guest_config *config, struct tce_guest **guestp);

/**
 * tce_guest_destroy() - remove every table (detaching windows, uncharging) and free.
 * @guest: a guest, or NULL.
 */
TCE_EXPORT void tce_guest_destroy(struct tce_guest *guest);

/**
 * tce_guest_profile() - the profile a guest follows.
 * @guest: a guest.
 *
 * Return: the profile.
 */
TCE_EXPORT enum tce_hcall_profile tce_guest_profile(const struct tce_guest *guest);

/**
 * tce_guest_add_memslot() - guest physical [gpa, gpa + size) is at [ua, ua + size).
 * @guest: a guest.
 * @gpa: start, 4 KiB-aligned.
 * @size: bytes, a non-zero multiple of 4 KiB.
 * @ua: userspace address of @gpa, 4 KiB-aligned.
 *
 * Return: 0; -EINVAL for misalignment, size 0, wrap or an overlap with
 * another memslot; -ENOMEM.
 */
TCE_EXPORT int tce_guest_add_memslot(struct tce_guest *guest, uint64_t gpa, uint64_t size, uint64_t ua);

/**
 * tce_guest_gpa_to_ua() - the userspace address of a guest physical address.
 * @guest: a guest.
 * @gpa: a guest physical address.
 * @ua: receives it.
 *
 * Return: 0, or -EFAULT when no memslot contains @gpa.
 */
TCE_EXPORT int tce_guest_gpa_to_ua(struct tce_guest *guest, uint64_t gpa, uint64_t *ua);

/**
 * tce_guest_set_notifier() - receive an event per TCE written (NULL to stop).
 * @guest: a guest.
 * @fn: the callback, called with the guest's lock held (it must not call back
 *      into the guest).
 * @opaque: passed to @fn.
 */
TCE_EXPORT void tce_guest_set_notifier(struct tce_guest *guest, tce_guest_notify_fn fn, void *opaque);

/**
 * tce_guest_create_table() - KVM_CREATE_SPAPR_TCE_64.
 * @guest: a guest.
 * @liobn: the table's name; the upper 32 bits must be 0.
 * @page_shift: IOMMU page shift, 12..34.
 * @offset: window start in IOMMU pages.
 * @size: entries, at least 1; any 64-bit count whose window fits in 64 bits.
 *
 * Return: 0; -EINVAL for size 0, a page shift outside 12..34, a window past
 * 2^64 or a LIOBN with upper bits; -EBUSY for a LIOBN in use; -ENOMEM when
 * the account refuses the charge or memory runs out. Nothing stays charged
 * on failure.
 */
TCE_EXPORT int tce_guest_create_table(struct tce_guest *guest, uint64_t liobn, unsigned page_shift,
			   uint64_t offset, uint64_t size);

/**
 * tce_guest_remove_table() - free a table: detach its windows, uncharge.
 * @guest: a guest.
 * @liobn: a table.
 *
 * Attached hardware windows are left as they are (the VMM clears them).
 *
 * Return: 0, or -ENOENT for an unknown LIOBN.
 */
TCE_EXPORT int tce_guest_remove_table(struct tce_guest *guest, uint64_t liobn);

/**
 * tce_guest_reset_table() - zero every TCE (device reset); attached windows are cleared too.
 * @guest: a guest.
 * @liobn: a table.
 *
 * Return: 0, or -ENOENT.
 */
TCE_EXPORT int tce_guest_reset_table(struct tce_guest *guest, uint64_t liobn);

/**
 * tce_guest_table_info() - a table's state.
 * @guest: a guest.
 * @liobn: a table.
 * @info: receives it.
 *
 * The valid entries are counted now (hypercalls keep no count): this reads
 * every allocated storage page, so it is for reports, not hot paths; a
 * table's shape alone comes from tce_guest_get_view().
 *
 * Return: 0, or -ENOENT.
 */
TCE_EXPORT int tce_guest_table_info(struct tce_guest *guest, uint64_t liobn, struct tce_guest_table_info *info);

/**
 * tce_guest_attach_window() - accelerate a table into a hardware window.
 * @guest: a guest.
 * @liobn: a table.
 * @window: a container window (a reference is taken).
 *
 * Every valid TCE of the table is checked against the window first; then the
 * window's range is cleared and filled from the table.
 *
 * Return: 0; -ENOENT for an unknown LIOBN; -EINVAL when the hardware page is
 * larger than the guest's, the bus starts differ or the hardware window is
 * smaller; -EEXIST when already attached; -ENOSPC with two windows attached;
 * a mapping error (-EFAULT, -EPERM, -ENXIO) when a current TCE cannot be
 * mirrored: nothing is attached and the window is unchanged. -ENOMEM when
 * memory runs out while filling: nothing is attached and the range is left
 * empty.
 */
TCE_EXPORT int tce_guest_attach_window(struct tce_guest *guest, uint64_t liobn, struct tce_window *window);

/**
 * tce_guest_detach_window() - stop accelerating into a window (its entries stay).
 * @guest: a guest.
 * @liobn: a table.
 * @window: an attached window (its reference is dropped).
 *
 * Return: 0, or -ENOENT.
 */
TCE_EXPORT int tce_guest_detach_window(struct tce_guest *guest, uint64_t liobn, struct tce_window *window);

/**
 * tce_h_put_tce() - H_PUT_TCE.
 * @guest: a guest.
 * @liobn: the table.
 * @ioba: bus address of the page.
 * @tce: the new TCE (gpa | permission bits; 0 or no permission unmaps).
 *
 * Return: a PAPR code (H_SUCCESS, H_PARAMETER, ...) or H_TOO_HARD (kvm).
 */
TCE_EXPORT long tce_h_put_tce(struct tce_guest *guest, uint64_t liobn, uint64_t ioba, uint64_t tce);

/**
 * tce_h_get_tce() - H_GET_TCE.
 * @guest: a guest.
 * @liobn: the table.
 * @ioba: bus address of the page.
 * @tce: receives the TCE (0 for a page never written).
 *
 * Return: a PAPR code.
 */
TCE_EXPORT long tce_h_get_tce(struct tce_guest *guest, uint64_t liobn, uint64_t ioba, uint64_t *tce);

/**
 * tce_h_put_tce_indirect() - H_PUT_TCE_INDIRECT.
 * @guest: a guest.
 * @liobn: the table.
 * @ioba: bus address of the first page.
 * @tce_list: guest physical address of the list of big-endian TCEs, 4 KiB-aligned.
 * @npages: entries in the list, at most 512.
 *
 * Return: a PAPR code.
 */
TCE_EXPORT long tce_h_put_tce_indirect(struct tce_guest *guest, uint64_t liobn, uint64_t ioba,
			    uint64_t tce_list, uint64_t npages);

/**
 * tce_h_stuff_tce() - H_STUFF_TCE: set npages TCEs to one value.
 * @guest: a guest.
 * @liobn: the table.
 * @ioba: bus address of the first page.
 * @tce_value: the value.
 * @npages: pages.
 *
 * Return: a PAPR code.
 */
TCE_EXPORT long tce_h_stuff_tce(struct tce_guest *guest, uint64_t liobn, uint64_t ioba, uint64_t tce_value,
		     uint64_t npages);

/**
 * tce_guest_translate() - translate a device DMA access.
 * @guest: a guest.
 * @liobn: the table the device's bus uses.
 * @ioba: the bus address.
 * @access: TCE_PERM_READ (device reads memory) and/or TCE_PERM_WRITE; 0 only looks.
 * @xlate: receives the page, mask and permission.
 *
 * Return: 0; -ENOENT for an unknown LIOBN; -EFAULT for an address outside
 * the window; -EACCES when the TCE does not allow @access (a DMA fault;
 * @xlate is still filled).
 */
TCE_EXPORT int tce_guest_translate(struct tce_guest *guest, uint64_t liobn, uint64_t ioba, unsigned access,
			struct tce_guest_xlate *xlate);

/**
 * tce_guest_get_view() - a table's view for lock-free translation.
 * @guest: a guest.
 * @liobn: a table.
 * @view: receives it; valid until the table is removed.
 *
 * Return: 0, or -ENOENT for an unknown LIOBN.
 */
TCE_EXPORT int tce_guest_get_view(struct tce_guest *guest, uint64_t liobn,
				  struct tce_guest_view *view);

/**
 * tce_guest_view_translate() - tce_guest_translate() without the lock, inline.
 * @view: a view from tce_guest_get_view().
 * @ioba: the bus address.
 * @xlate: receives the page, mask and permission (perm 0: no access).
 *
 * Return: true, or false for an address outside the window (@xlate untouched).
 */
static inline bool tce_guest_view_translate(const struct tce_guest_view *view, uint64_t ioba,
					    struct tce_guest_xlate *xlate)
{
	uint64_t idx = (ioba >> view->page_shift) - view->offset, tce = 0;
	uint64_t mask = (UINT64_C(1) << view->page_shift) - 1;
	const uint64_t *page;

	/* Below the window wraps to at least its size: one comparison covers both ends. */
	if (idx >= view->size)
		return false;
	page = __atomic_load_n(&view->pages[idx >> 13], __ATOMIC_ACQUIRE);
	if (page)
		tce = __atomic_load_n(&page[idx & 8191], __ATOMIC_RELAXED);
	xlate->iova = idx << view->page_shift;
	xlate->gpa = tce & ~mask;
	xlate->addr_mask = mask;
	xlate->perm = (unsigned)(tce & TCE_PERM_MASK);
	return true;
}

#ifdef __cplusplus
}
#endif

#endif /* TCE_GUEST_H */
