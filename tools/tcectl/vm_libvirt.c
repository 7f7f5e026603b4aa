// SPDX-License-Identifier: MIT
/*
 * tcectl — a VM from a libvirt domain XML. See vm_libvirt.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cli.h"
#include "vm_libvirt.h"

#define MAX_CONTROLLERS 64
#define MAX_HOSTDEVS 64

struct reader {
	const char *name;
	struct vm_desc *desc;
	char *err;
	size_t size;
};

static int fail(struct reader *r, const xmlNode *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct reader *r, const xmlNode *node, const char *fmt, ...)
{
	char what[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (node)
		snprintf(r->err, r->size, "%s: line %ld: <%s>: %s", r->name, xmlGetLineNo(node),
			 (const char *)node->name, what);
	else
		snprintf(r->err, r->size, "%s: %s", r->name, what);
	return -EINVAL;
}

static bool is(const xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0;
}

/* The first element child called @name, or NULL. */
static xmlNode *child(const xmlNode *node, const char *name)
{
	xmlNode *c;

	for (c = node ? node->children : NULL; c; c = c->next)
		if (is(c, name))
			return c;
	return NULL;
}

/* An attribute as a string (freed by the caller with xmlFree), or NULL. */
static char *attr(const xmlNode *node, const char *name)
{
	return (char *)xmlGetProp(node, (const xmlChar *)name);
}

/* libvirt's scaled integers: @text in @unit (libvirt's names; NULL: KiB), reported at @node. */
static int scaled_text(struct reader *r, const xmlNode *node, const char *text, const char *unit,
		       uint64_t *bytes)
{
	static const struct {
		const char *unit;
		uint64_t scale;
	} units[] = {
		{"b", 1}, {"bytes", 1}, {"KB", 1000}, {"k", 1024}, {"KiB", 1024},
		{"MB", 1000000}, {"M", 1 << 20}, {"MiB", 1 << 20}, {"GB", 1000000000},
		{"G", 1 << 30}, {"GiB", 1 << 30}, {"TB", 1000000000000}, {"T", UINT64_C(1) << 40},
		{"TiB", UINT64_C(1) << 40}, {"PB", 1000000000000000}, {"P", UINT64_C(1) << 50},
		{"PiB", UINT64_C(1) << 50},
	};
	const char *u = unit ? unit : "KiB";
	uint64_t v, scale = 0;
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(u, units[i].unit) == 0)
			scale = units[i].scale;
	if (!scale)
		return fail(r, node, "unit='%s' is not a libvirt unit such as KiB, MiB or GiB", u);
	if (!text || tcectl_parse_uint(text, 0, UINT64_MAX / scale, &v))
		return fail(r, node, "'%s' is not a whole number of %s (or it overflows)",
			    text ? text : "", u);
	*bytes = v * scale;
	return 0;
}

/* An element's scaled integer: its text in its unit attribute (default KiB). */
static int scaled(struct reader *r, const xmlNode *node, uint64_t *bytes)
{
	char *unit = attr(node, "unit"), *text = (char *)xmlNodeGetContent(node);
	int rc = scaled_text(r, node, text, unit, bytes);

	xmlFree(unit);
	xmlFree(text);
	return rc;
}

/* A number attribute such as index='1' or bus='0x01'. */
static int number_attr(struct reader *r, const xmlNode *node, const char *name, uint64_t max,
		       uint64_t *out)
{
	char *text = attr(node, name);
	int rc = 0;

	if (!text || tcectl_parse_size(text, out) || *out > max)
		rc = fail(r, node, "%s='%s' is not a number 0..%llu", name, text ? text : "",
			  (unsigned long long)max);
	xmlFree(text);
	return rc;
}

static int memory_backing(struct reader *r, const xmlNode *mb)
{
	const xmlNode *huge = child(mb, "hugepages"), *page = child(huge, "page");
	uint64_t bytes;
	int rc;

	if (child(mb, "locked"))
		r->desc->locked = true;
	if (!huge)
		return 0;
	if (page) {
		char *size = attr(page, "size"), *unit = attr(page, "unit");

		rc = size ? scaled_text(r, page, size, unit, &bytes) : fail(r, page, "no size attribute");
		xmlFree(size);
		xmlFree(unit);
		if (rc)
			return rc;
		if (bytes == 0 || (bytes & (bytes - 1)))
			return fail(r, page, "size is not a power of two");
		r->desc->ram_page_shift = (unsigned)__builtin_ctzll(bytes);
	} else {
		unsigned shift = vm_default_huge_page_shift();

		if (!shift)
			return fail(r, huge, "no <page size=...> and this host's default huge page is unknown");
		r->desc->ram_page_shift = shift;
	}
	return 0;
}

/* A PCI controller: a pci-root on pseries is a spapr-pci-host-bridge (a PHB). */
static int controller(struct reader *r, const xmlNode *c, int phb_of_index[MAX_CONTROLLERS])
{
	char *type = attr(c, "type"), *model = attr(c, "model");
	uint64_t index, target_index;
	const xmlNode *target = child(c, "target");
	int rc = 0;

	if (!type || strcmp(type, "pci") != 0 || !model || strcmp(model, "pci-root") != 0)
		goto out; /* other controllers do not make PHBs */
	rc = number_attr(r, c, "index", MAX_CONTROLLERS - 1, &index);
	if (rc)
		goto out;
	target_index = index; /* libvirt numbers PHBs as the controllers when no target says */
	if (target && xmlHasProp(target, (const xmlChar *)"index"))
		rc = number_attr(r, target, "index", VM_MAX_PHBS - 1, &target_index);
	if (rc == 0 && target_index >= VM_MAX_PHBS)
		rc = fail(r, c, "more than %u PHBs", VM_MAX_PHBS);
	if (rc == 0) {
		phb_of_index[index] = (int)target_index;
		if (target_index + 1 > r->desc->nphbs)
			r->desc->nphbs = (unsigned)target_index + 1;
	}
out:
	xmlFree(type);
	xmlFree(model);
	return rc;
}

/* A hostdev's host device (domain:bus:slot; functions of one device share its IOMMU group). */
static uint64_t host_device(const xmlNode *hostdev)
{
	const xmlNode *addr = child(child(hostdev, "source"), "address");
	uint64_t v = 0;
	char *s;

	if (!addr)
		return UINT64_MAX;
	s = attr(addr, "domain");
	v |= (s ? strtoull(s, NULL, 0) : 0) << 32;
	xmlFree(s);
	s = attr(addr, "bus");
	v |= (s ? strtoull(s, NULL, 0) : 0) << 16;
	xmlFree(s);
	s = attr(addr, "slot");
	v |= (s ? strtoull(s, NULL, 0) : 0) << 8;
	xmlFree(s);
	return v;
}

static int hostdevs(struct reader *r, const xmlNode *devices, const int phb_of_index[MAX_CONTROLLERS])
{
	uint64_t isolated_dev[MAX_HOSTDEVS];
	unsigned isolated_phb[MAX_HOSTDEVS], nisolated = 0, i;
	const xmlNode *h;

	for (h = devices->children; h; h = h->next) {
		char *mode, *type, *driver_name = NULL;
		const xmlNode *driver = child(h, "driver"), *addr = child(h, "address");
		bool vfio;
		int phb = -1;

		if (!is(h, "hostdev"))
			continue;
		mode = attr(h, "mode");
		type = attr(h, "type");
		if (driver)
			driver_name = attr(driver, "name");
		/* A PCI hostdev is VFIO unless another driver is named (libvirt's default since 1.x). */
		vfio = mode && !strcmp(mode, "subsystem") && type && !strcmp(type, "pci") &&
		       (!driver_name || !strcmp(driver_name, "vfio"));
		xmlFree(mode);
		xmlFree(type);
		xmlFree(driver_name);
		if (!vfio)
			continue;
		if (addr) {
			uint64_t bus;
			int rc = number_attr(r, addr, "bus", MAX_CONTROLLERS - 1, &bus);

			if (rc)
				return rc;
			phb = phb_of_index[bus];
			if (phb < 0)
				return fail(r, addr, "bus %llu is not a pci-root controller (a PHB)",
					    (unsigned long long)bus);
		} else {
			/* Isolated: a PHB of its own, shared with other functions of its device. */
			uint64_t dev = host_device(h);

			for (i = 0; i < nisolated && phb < 0; i++)
				if (dev != UINT64_MAX && isolated_dev[i] == dev)
					phb = (int)isolated_phb[i];
			if (phb < 0) {
				if (r->desc->nphbs == VM_MAX_PHBS || nisolated == MAX_HOSTDEVS)
					return fail(r, h, "more than %u PHBs", VM_MAX_PHBS);
				phb = (int)r->desc->nphbs++;
				isolated_dev[nisolated] = dev;
				isolated_phb[nisolated++] = (unsigned)phb;
			}
		}
		if (r->desc->groups[phb] == 4)
			return fail(r, h, "more than 4 VFIO groups behind PHB %d", phb);
		r->desc->groups[phb]++;
	}
	return 0;
}

static int domain(struct reader *r, const xmlNode *root)
{
	int phb_of_index[MAX_CONTROLLERS];
	const xmlNode *os = child(root, "os"), *ostype = child(os, "type"), *n, *devices;
	char *type, *machine = NULL, *arch = NULL;
	unsigned i;
	int rc = 0;

	if (!is(root, "domain"))
		return fail(r, root, "not a libvirt domain (the root element must be <domain>)");
	type = attr(root, "type");
	if (type && !strcmp(type, "kvm")) {
		r->desc->kvm = true;
		r->desc->tcg = false;
	} else if (type && !strcmp(type, "qemu")) {
		r->desc->kvm = false;
		r->desc->tcg = true;
	} else {
		rc = fail(r, root, "type='%s' is not kvm or qemu", type ? type : "");
	}
	xmlFree(type);
	if (rc)
		return rc;
	if (ostype) {
		machine = attr(ostype, "machine");
		arch = attr(ostype, "arch");
	}
	if ((arch && strncmp(arch, "ppc64", 5) != 0) || !machine || strncmp(machine, "pseries", 7) != 0)
		rc = fail(r, ostype ? ostype : root,
			  "arch '%s', machine '%s': this tool is for ppc64 pseries guests", arch ? arch : "",
			  machine ? machine : "");
	xmlFree(machine);
	xmlFree(arch);
	if (rc)
		return rc;
	if (!(n = child(root, "memory")))
		return fail(r, root, "no <memory>");
	rc = scaled(r, n, &r->desc->ram);
	if (rc == 0 && (n = child(root, "maxMemory")))
		rc = scaled(r, n, &r->desc->max_ram);
	if (rc == 0 && (n = child(child(root, "memtune"), "hard_limit")))
		rc = scaled(r, n, &r->desc->hard_limit);
	if (rc == 0 && (n = child(root, "memoryBacking")))
		rc = memory_backing(r, n);
	if (rc)
		return rc;
	for (i = 0; i < MAX_CONTROLLERS; i++)
		phb_of_index[i] = -1;
	phb_of_index[0] = 0; /* the default pci-root, whether the XML lists it or not */
	devices = child(root, "devices");
	for (n = devices ? devices->children : NULL; n && rc == 0; n = n->next)
		if (is(n, "controller"))
			rc = controller(r, n, phb_of_index);
	if (rc == 0 && devices)
		rc = hostdevs(r, devices, phb_of_index);
	return rc;
}

int vm_from_libvirt_xml(const char *name, const char *xml, size_t len, struct vm_desc *desc,
			char *err, size_t size)
{
	struct reader r = {name, desc, err, size};
	xmlDoc *doc;
	int rc;

	vm_desc_default(desc);
	/* A libvirt VM: one PHB unless controllers or isolated hostdevs add some, no default groups. */
	desc->nphbs = 1;
	memset(desc->groups, 0, sizeof(desc->groups));
	desc->max_ram = 0;
	doc = xmlReadMemory(xml, (int)len, name, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
							XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();

		snprintf(err, size, "%s: line %d: not well-formed XML: %s", name, e ? e->line : 0,
			 e && e->message ? e->message : "unknown error");
		if (strlen(err) && err[strlen(err) - 1] == '\n')
			err[strlen(err) - 1] = '\0';
		return -EINVAL;
	}
	rc = domain(&r, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	return rc;
}

int vm_from_libvirt_file(const char *path, struct vm_desc *desc, char *err, size_t size)
{
	char *xml;
	size_t len;
	int rc = tcectl_read_file(path, 4u << 20, "a domain", &xml, &len, err, size);

	if (rc)
		return rc;
	rc = vm_from_libvirt_xml(path, xml, len, desc, err, size);
	free(xml);
	return rc;
}
