// SPDX-License-Identifier: MIT
/*
 * VM descriptions from JSON (plan files and simulate scenarios). Every field is
 * checked by name; an unknown field or a wrong type is an error naming it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json_file.h"
#include "vm_json.h"

static int err_field(char *err, size_t size, const char *field, const char *what)
{
	snprintf(err, size, "%s: %s", field, what);
	return -EINVAL;
}

int json_size(json_object *v, const char *field, uint64_t *bytes, char *err, size_t size)
{
	if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);

		if (n < 0)
			return err_field(err, size, field, "must not be negative");
		*bytes = (uint64_t)n;
		return 0;
	}
	if (json_object_is_type(v, json_type_string) &&
	    tcectl_parse_size(json_object_get_string(v), bytes) == 0)
		return 0;
	return err_field(err, size, field, "must be a size such as 16G, 64K or 2^40");
}

int json_page_mask(json_object *v, const char *field, uint64_t allowed, uint64_t *mask, char *err,
		   size_t size)
{
	size_t i, n;

	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return err_field(err, size, field, "must be a list of page sizes such as [\"4K\", \"64K\"]");
	*mask = 0;
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		uint64_t page;

		if (json_size(json_object_array_get_idx(v, i), field, &page, err, size) ||
		    page < 4096 || (page & (page - 1)))
			return err_field(err, size, field, "every entry must be a power of two from 4K");
		if (!(page & allowed)) {
			char what[160], list[96];

			vm_page_list(allowed, list, sizeof(list));
			snprintf(what, sizeof(what), "%s is not a page size a PHB can offer (%s)",
				 json_object_to_json_string(json_object_array_get_idx(v, i)), list);
			return err_field(err, size, field, what);
		}
		*mask |= page;
	}
	return 0;
}

static int json_field_bool(json_object *v, const char *field, bool *out, char *err, size_t size)
{
	if (!json_object_is_type(v, json_type_boolean))
		return err_field(err, size, field, "must be true or false");
	*out = json_object_get_boolean(v);
	return 0;
}

int vm_desc_from_json(json_object *obj, struct vm_desc *desc, const char *const *extra_keys,
		      char *err, size_t size)
{
	uint64_t groups_all = UINT64_MAX, v;
	bool per_phb_groups = false;
	int rc = 0;

	if (!json_object_is_type(obj, json_type_object))
		return err_field(err, size, "(top level)", "must be a JSON object");
	json_object_object_foreach(obj, key, val) {
		const char *const *k;
		bool extra = false;

		for (k = extra_keys; k && *k; k++)
			if (strcmp(key, *k) == 0)
				extra = true;
		if (extra)
			continue;
		if (strcmp(key, "ram") == 0) {
			rc = json_size(val, key, &desc->ram, err, size);
		} else if (strcmp(key, "max_ram") == 0) {
			rc = json_size(val, key, &desc->max_ram, err, size);
			if (rc == 0 && desc->max_ram == 0)
				rc = err_field(err, size, key, "must not be 0");
		} else if (strcmp(key, "ram_page_size") == 0) {
			rc = json_size(val, key, &v, err, size);
			if (rc == 0 && (v == 0 || (v & (v - 1))))
				rc = err_field(err, size, key, "must be 64K, 2M, 16M or 1G");
			if (rc == 0)
				desc->ram_page_shift = (unsigned)__builtin_ctzll(v);
		} else if (strcmp(key, "phbs") == 0) {
			if (json_object_is_type(val, json_type_array)) {
				size_t i, n = json_object_array_length(val);

				if (n < 1 || n > VM_MAX_PHBS)
					rc = err_field(err, size, key, "must list 1..16 PHBs");
				desc->nphbs = (unsigned)n;
				for (i = 0; rc == 0 && i < n; i++) {
					json_object *phb = json_object_array_get_idx(val, i);

					if (!json_object_is_type(phb, json_type_object)) {
						rc = err_field(err, size, key,
							       "each PHB must be an object such as {\"groups\": 1}");
						break;
					}
					json_object_object_foreach(phb, pkey, pval) {
						if (strcmp(pkey, "groups") == 0) {
							rc = json_uint_range(pval, "phbs[].groups", 0, 4, &v, err,
									     size);
							if (rc == 0)
								desc->groups[i] = (unsigned)v;
							per_phb_groups = true;
						} else if (strcmp(pkey, "ddw_page_sizes") == 0) {
							rc = json_page_mask(pval, "phbs[].ddw_page_sizes",
									    VM_DDW_PAGE_SIZES,
									    &desc->phb_ddw_pgsz[i], err, size);
						} else {
							snprintf(err, size, "unknown field 'phbs[].%s'", pkey);
							rc = -EINVAL;
						}
						if (rc)
							break;
					}
				}
			} else if ((rc = json_uint_range(val, key, 1, VM_MAX_PHBS, &v, err, size)) == 0) {
				desc->nphbs = (unsigned)v;
			}
		} else if (strcmp(key, "groups_per_phb") == 0) {
			rc = json_uint_range(val, key, 0, 4, &groups_all, err, size);
		} else if (strcmp(key, "ddw_page_sizes") == 0) {
			rc = json_page_mask(val, key, VM_DDW_PAGE_SIZES, &desc->ddw_pgsz, err, size);
		} else if (strcmp(key, "host_page_sizes") == 0) {
			rc = json_page_mask(val, key, ~UINT64_C(0), &desc->host_pgsz, err, size);
		} else if (strcmp(key, "kvm") == 0) {
			rc = json_field_bool(val, key, &desc->kvm, err, size);
		} else if (strcmp(key, "host_profile") == 0) {
			if (!json_object_is_type(val, json_type_string) ||
			    tce_profile_parse(json_object_get_string(val), &desc->host_profile))
				rc = err_field(err, size, key, "must be \"linux\" or \"exact\"");
		} else if (strcmp(key, "guest_ddw") == 0) {
			rc = json_field_bool(val, key, &desc->guest_ddw, err, size);
		} else if (strcmp(key, "userview") == 0) {
			const char *s = json_object_is_type(val, json_type_string) ? json_object_get_string(val)
										 : "";

			if (strcmp(s, "mirror") == 0)
				desc->userview = TCE_USERVIEW_MIRROR;
			else if (strcmp(s, "extents") == 0)
				desc->userview = TCE_USERVIEW_EXTENTS;
			else
				rc = err_field(err, size, key, "must be \"mirror\" or \"extents\"");
		} else {
			snprintf(err, size, "unknown field '%s'", key);
			rc = -EINVAL;
		}
		if (rc)
			return rc;
	}
	if (groups_all != UINT64_MAX && per_phb_groups)
		return err_field(err, size, "groups_per_phb",
				 "conflicts with the groups given per PHB in 'phbs': give one or the other");
	if (groups_all != UINT64_MAX) {
		unsigned i;

		for (i = 0; i < VM_MAX_PHBS; i++)
			desc->groups[i] = (unsigned)groups_all;
	}
	return 0;
}

json_object *vm_locked_json(const struct vm_locked *l)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "registered", json_object_new_uint64(l->registered));
	json_object_object_add(obj, "host_tables", json_object_new_uint64(l->tables));
	json_object_object_add(obj, "host_userviews", json_object_new_uint64(l->userviews));
	json_object_object_add(obj, "guest_views", json_object_new_uint64(l->guest_views));
	json_object_object_add(obj, "iommu_total", json_object_new_uint64(l->total));
	return obj;
}
