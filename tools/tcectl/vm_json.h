/* SPDX-License-Identifier: MIT */
/*
 * tcectl — VM descriptions and scenarios from JSON.
 *
 * Concepts: plan files and simulate scenarios share the VM fields (ram,
 * max_ram, ram_page_size, phbs, groups_per_phb, ddw_page_sizes,
 * host_page_sizes, kvm, guest_ddw, userview; see docs/scenarios.md). Each
 * command may allow extra fields of its own; anything else is an error that
 * names the field.
 */
#ifndef TCECTL_VM_JSON_H
#define TCECTL_VM_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "vm.h"

/* Fill @desc (starting from the defaults) from @obj; NULL-terminated @extra_keys are skipped. */
int vm_desc_from_json(json_object *obj, struct vm_desc *desc, const char *const *extra_keys,
		      char *err, size_t size);

/* A size field: a number of bytes or a string such as "16G". */
int json_size(json_object *v, const char *field, uint64_t *bytes, char *err, size_t size);

/*
 * A list of page sizes as a mask (bit n = 2^n bytes); each must be in
 * @allowed (VM_DDW_PAGE_SIZES for what a PHB can offer a guest).
 */
int json_page_mask(json_object *v, const char *field, uint64_t allowed, uint64_t *mask, char *err,
		   size_t size);

/* The locked-memory object {registered, host_tables, host_userviews, guest_views, iommu_total}. */
json_object *vm_locked_json(const struct vm_locked *locked);

#endif /* TCECTL_VM_JSON_H */
