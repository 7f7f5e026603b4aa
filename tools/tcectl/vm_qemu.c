// SPDX-License-Identifier: MIT
/*
 * tcectl — a VM from a QEMU command line. See vm_qemu.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#include "cli.h"
#include "vm_qemu.h"

#define MAX_WORDS 4096
#define MAX_PROPS 32
#define MAX_BACKENDS 64
#define MAX_BUSES 256
#define HUGETLBFS_MAGIC 0x958458f6

struct word {
	char *text;
	unsigned line;
};

struct prop {
	char *key, *value;
};

struct backend {
	char id[64];
	uint64_t size;
	unsigned page_shift; /* 0: the base page */
};

struct bus {
	char name[96];
	unsigned phb;
};

struct reader {
	struct vm_desc *desc;
	vm_skip_fn skipped;
	void *ctx;
	char *err;
	size_t size;
	unsigned line;
	struct backend backends[MAX_BACKENDS];
	unsigned nbackends;
	struct bus buses[MAX_BUSES];
	unsigned nbuses;
	bool phb_seen[VM_MAX_PHBS];
	uint64_t m_size, maxmem, dimm_bytes, numa_bytes;
	unsigned numa_page_shift, machine_page_shift;
	bool have_m;
};

static int fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct reader *r, const char *fmt, ...)
{
	char what[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->size, "QEMU command line, line %u: %s", r->line, what);
	return -EINVAL;
}

/* ---- words, as a shell splits them ---- */

static int split_words(const char *text, size_t len, struct word *words, unsigned *nwords,
		       char *err, size_t size)
{
	unsigned n = 0, line = 1, start_line = 1, quote_line = 0;
	char *cur = NULL, quote = 0;
	size_t used = 0, cap = 0, i;

	for (i = 0; i <= len; i++) {
		char ch = i < len ? text[i] : '\0';
		bool end = i == len;

		if (quote != '\'' && ch == '\\' && i + 1 < len && text[i + 1] == '\n') {
			i++; /* a backslash before a newline joins the lines */
			line++;
			continue;
		}
		if (!quote && (end || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')) {
			if (cur) {
				if (n == MAX_WORDS) {
					free(cur);
					snprintf(err, size, "QEMU command line: more than %u words", MAX_WORDS);
					return -EINVAL;
				}
				cur[used] = '\0';
				words[n++] = (struct word){cur, start_line};
				cur = NULL;
			}
			line += ch == '\n';
			continue;
		}
		if (end) {
			free(cur);
			snprintf(err, size, "QEMU command line, line %u: the %s quote opened there is never "
				 "closed", quote_line, quote == '\'' ? "single" : "double");
			return -EINVAL;
		}
		if (!cur) {
			cap = 64;
			used = 0;
			cur = malloc(cap);
			start_line = line;
			if (!cur)
				return -ENOMEM;
		}
		if (used + 2 >= cap) {
			char *grown = realloc(cur, cap * 2);

			if (!grown) {
				free(cur);
				return -ENOMEM;
			}
			cur = grown;
			cap *= 2;
		}
		if (quote == '\'') {
			if (ch == '\'')
				quote = 0;
			else
				cur[used++] = ch;
		} else if (ch == '\\' && i + 1 < len &&
			   (!quote || strchr("\"\\$`\n", text[i + 1]))) {
			cur[used++] = text[++i];
		} else if (quote == '"') {
			if (ch == '"')
				quote = 0;
			else
				cur[used++] = ch;
			line += ch == '\n';
		} else if (ch == '\'' || ch == '"') {
			quote = ch;
			quote_line = line;
		} else {
			cur[used++] = ch;
		}
	}
	*nwords = n;
	return 0;
}

/* ---- QEMU's key=value,key=value lists (",," is a comma) ---- */

/* Split @text in place; the first element may be a bare value, named @implied. */
static int split_props(struct reader *r, const char *option, char *text, const char *implied,
		       struct prop *props, unsigned *nprops)
{
	unsigned n = 0;
	char *p = text;

	while (*p) {
		char *start = p, *out = p;

		while (*p && !(*p == ',' && p[1] != ',')) {
			if (*p == ',' && p[1] == ',')
				p++;
			*out++ = *p++;
		}
		if (*p == ',')
			p++;
		*out = '\0';
		if (n == MAX_PROPS)
			return fail(r, "%s: more than %u properties", option, MAX_PROPS);
		if (strchr(start, '=')) {
			char *eq = strchr(start, '=');

			*eq = '\0';
			props[n++] = (struct prop){start, eq + 1};
		} else if (n == 0 && implied) {
			props[n++] = (struct prop){(char *)implied, start};
		} else {
			props[n++] = (struct prop){start, (char *)"on"}; /* a bare flag */
		}
	}
	*nprops = n;
	return 0;
}

static const char *prop_get(const struct prop *props, unsigned n, const char *key)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (strcmp(props[i].key, key) == 0)
			return props[i].value;
	return NULL;
}

/* A QEMU size: bytes with an optional K/M/G/T/P/E suffix, or @unit when there is none. */
static int parse_qemu_size(const char *text, uint64_t unit, uint64_t *bytes)
{
	size_t len = strlen(text);
	uint64_t v;

	if (len && text[len - 1] >= '0' && text[len - 1] <= '9' && unit > 1) {
		if (tcectl_parse_uint(text, 0, UINT64_MAX / unit, &v))
			return -EINVAL;
		*bytes = v * unit;
		return 0;
	}
	return tcectl_parse_size(text, bytes);
}

/* A QEMU boolean property value into *@v; false for anything else. */
static bool parse_bool(const char *text, bool *v)
{
	if (!strcmp(text, "on") || !strcmp(text, "true") || !strcmp(text, "yes")) {
		*v = true;
		return true;
	}
	if (!strcmp(text, "off") || !strcmp(text, "false") || !strcmp(text, "no")) {
		*v = false;
		return true;
	}
	return false;
}

/* ---- buses and backends ---- */

static int add_bus(struct reader *r, const char *name, unsigned phb)
{
	if (r->nbuses == MAX_BUSES)
		return fail(r, "more than %u buses", MAX_BUSES);
	snprintf(r->buses[r->nbuses].name, sizeof(r->buses[0].name), "%s", name);
	r->buses[r->nbuses++].phb = phb;
	return 0;
}

/* The PHB behind bus @name ("pci.0", "phb1.0", a bridge's id); -1 when unknown. */
static int bus_phb(const struct reader *r, const char *name)
{
	unsigned i;

	for (i = 0; i < r->nbuses; i++)
		if (strcmp(r->buses[i].name, name) == 0)
			return (int)r->buses[i].phb;
	return -1;
}

static struct backend *backend_find(struct reader *r, const char *id)
{
	unsigned i;

	for (i = 0; i < r->nbackends; i++)
		if (strcmp(r->backends[i].id, id) == 0)
			return &r->backends[i];
	return NULL;
}

/* The page size of a hugetlbfs mount (or a file on one): 0 when it is not one or cannot be read. */
static unsigned hugetlbfs_page_shift(const char *path)
{
	struct statfs st;

	if (statfs(path, &st) != 0 || (unsigned long)st.f_type != HUGETLBFS_MAGIC || st.f_bsize <= 0 ||
	    (st.f_bsize & (st.f_bsize - 1)))
		return 0;
	return (unsigned)__builtin_ctzll((unsigned long long)st.f_bsize);
}

static int object(struct reader *r, char *value)
{
	struct prop props[MAX_PROPS];
	const char *type, *id, *v;
	struct backend b = {0};
	unsigned n;
	bool on;
	int rc = split_props(r, "-object", value, "qom-type", props, &n);

	if (rc)
		return rc;
	type = prop_get(props, n, "qom-type");
	if (!type || strncmp(type, "memory-backend-", 15) != 0) {
		if (r->skipped)
			r->skipped(r->ctx, "-object", type);
		return 0;
	}
	id = prop_get(props, n, "id");
	if (!id)
		return fail(r, "-object %s: no id=", type);
	snprintf(b.id, sizeof(b.id), "%s", id);
	v = prop_get(props, n, "size");
	if (!v || parse_qemu_size(v, 1, &b.size) || b.size == 0)
		return fail(r, "-object %s: size=%s is not a size such as 4G", type, v ? v : "");
	if ((v = prop_get(props, n, "hugetlbsize")) != NULL) {
		uint64_t page;

		if (parse_qemu_size(v, 1, &page) || (page & (page - 1)) || page < 4096)
			return fail(r, "-object %s: hugetlbsize=%s is not a page size", type, v);
		b.page_shift = (unsigned)__builtin_ctzll(page);
	} else if ((v = prop_get(props, n, "hugetlb")) != NULL && parse_bool(v, &on) && on) {
		b.page_shift = vm_default_huge_page_shift(); /* what MFD_HUGETLB gives */
		if (!b.page_shift)
			return fail(r, "-object %s,hugetlb=on: give hugetlbsize= (the default huge page "
				    "of this host cannot be read)", type);
	} else if ((v = prop_get(props, n, "mem-path")) != NULL) {
		b.page_shift = hugetlbfs_page_shift(v); /* 0: not hugetlbfs, base pages */
	}
	if (r->nbackends == MAX_BACKENDS)
		return fail(r, "more than %u memory backends", MAX_BACKENDS);
	r->backends[r->nbackends++] = b;
	return 0;
}

/* ---- options ---- */

static int memory(struct reader *r, char *value)
{
	struct prop props[MAX_PROPS];
	const char *v;
	unsigned n;
	int rc = split_props(r, "-m", value, "size", props, &n);

	if (rc)
		return rc;
	v = prop_get(props, n, "size");
	if (v && (parse_qemu_size(v, UINT64_C(1) << 20, &r->m_size) || r->m_size == 0))
		return fail(r, "-m: '%s' is not a size such as 4G (a bare number is MiB)", v);
	v = prop_get(props, n, "maxmem");
	if (v && (parse_qemu_size(v, UINT64_C(1) << 20, &r->maxmem) || r->maxmem == 0))
		return fail(r, "-m: maxmem='%s' is not a size such as 8G", v);
	r->have_m = r->have_m || prop_get(props, n, "size");
	return 0;
}

static int set_accel(struct reader *r, const char *option, const char *accel)
{
	/* "kvm:tcg" means kvm when it is there: the first is what a KVM host runs. */
	if (!strncmp(accel, "kvm", 3)) {
		r->desc->kvm = true;
		r->desc->tcg = false;
	} else if (!strncmp(accel, "tcg", 3)) {
		r->desc->kvm = false;
		r->desc->tcg = true;
	} else {
		return fail(r, "%s: accelerator '%s' is not kvm or tcg", option, accel);
	}
	return 0;
}

static int machine(struct reader *r, char *value)
{
	struct prop props[MAX_PROPS];
	const char *type, *v;
	unsigned n;
	int rc = split_props(r, "-machine", value, "type", props, &n);

	if (rc)
		return rc;
	type = prop_get(props, n, "type");
	if (type && strncmp(type, "pseries", 7) != 0)
		return fail(r, "-machine %s: this tool is for ppc64 pseries machines", type);
	if ((v = prop_get(props, n, "accel")) != NULL) {
		rc = set_accel(r, "-machine accel", v);
		if (rc)
			return rc;
	}
	if ((v = prop_get(props, n, "memory-backend")) != NULL) {
		struct backend *b = backend_find(r, v);

		if (!b)
			return fail(r, "-machine memory-backend=%s: no -object with that id before it", v);
		r->machine_page_shift = b->page_shift;
	}
	return 0;
}

static int numa(struct reader *r, char *value)
{
	struct prop props[MAX_PROPS];
	const char *v;
	unsigned n;
	int rc = split_props(r, "-numa", value, "type", props, &n);

	if (rc)
		return rc;
	if ((v = prop_get(props, n, "memdev")) != NULL) {
		struct backend *b = backend_find(r, v);

		if (!b)
			return fail(r, "-numa memdev=%s: no -object with that id before it", v);
		r->numa_bytes += b->size;
		if (b->page_shift)
			r->numa_page_shift = b->page_shift;
	}
	return 0;
}

/* One spapr-pci-host-bridge property into @props; an unknown one is an error naming it. */
static int phb_prop(struct reader *r, const char *option, const struct prop *p, uint64_t *pgsz,
		    struct vm_phb_props *props)
{
	static const char *const ignored[] = {"driver", "id", "index", "numa_node", "mem_win_size",
					      "mem64_win_size", "io_win_size", "dynamic-reconfiguration",
					      "pre-2.8-migration", "pcie-extended-configuration-space",
					      "pre-5.1-associativity", "addr", "bus", NULL};
	const char *const *k;
	uint64_t v;
	bool on;

	if (!strcmp(p->key, "pgsz")) {
		if (tcectl_parse_size(p->value, &v) || !(v & (UINT64_C(1) << 12)) || (v & ~VM_DDW_PAGE_SIZES))
			return fail(r, "%s: pgsz=%s is not a mask of page sizes a PHB can offer "
				    "(with 4K; e.g. 0x1211000)", option, p->value);
		*pgsz = v;
	} else if (!strcmp(p->key, "ddw")) {
		if (!parse_bool(p->value, &on))
			return fail(r, "%s: ddw=%s is not on or off", option, p->value);
		props->ddw_off = !on;
	} else if (!strcmp(p->key, "dma_win_addr") || !strcmp(p->key, "dma_win_size") ||
		   !strcmp(p->key, "dma64_win_addr")) {
		if (tcectl_parse_size(p->value, &v))
			return fail(r, "%s: %s=%s is not a number", option, p->key, p->value);
		if (!strcmp(p->key, "dma_win_addr"))
			props->dma_win_addr = v;
		else if (!strcmp(p->key, "dma_win_size") && v)
			props->dma_win_size = v;
		else if (!strcmp(p->key, "dma64_win_addr") && v)
			props->dma64_win_addr = v;
		else
			return fail(r, "%s: %s=%s must not be 0", option, p->key, p->value);
	} else {
		for (k = ignored; *k && strcmp(*k, p->key); k++)
			;
		if (!*k)
			return fail(r, "%s: '%s' is not a spapr-pci-host-bridge property", option, p->key);
	}
	return 0;
}

static int device(struct reader *r, char *value)
{
	struct prop props[MAX_PROPS];
	const char *driver, *id, *bus, *v;
	unsigned n, i;
	int rc = split_props(r, "-device", value, "driver", props, &n), phb = 0;

	if (rc)
		return rc;
	driver = prop_get(props, n, "driver");
	id = prop_get(props, n, "id");
	bus = prop_get(props, n, "bus");
	if (driver && !strcmp(driver, "spapr-pci-host-bridge")) {
		uint64_t index;
		char name[80];

		v = prop_get(props, n, "index");
		if (!v || tcectl_parse_uint(v, 0, VM_MAX_PHBS - 1, &index))
			return fail(r, "-device spapr-pci-host-bridge: index=%s is not 0..%u", v ? v : "",
				    VM_MAX_PHBS - 1);
		if (r->phb_seen[index])
			return fail(r, "-device spapr-pci-host-bridge: index %llu is given twice",
				    (unsigned long long)index);
		r->phb_seen[index] = true;
		for (i = 0; i < n; i++) {
			rc = phb_prop(r, "-device spapr-pci-host-bridge", &props[i],
				      &r->desc->phb_ddw_pgsz[index], &r->desc->phb[index]);
			if (rc)
				return rc;
		}
		if (index + 1 > r->desc->nphbs)
			r->desc->nphbs = (unsigned)index + 1;
		if (id) {
			snprintf(name, sizeof(name), "%s.0", id);
			rc = add_bus(r, name, (unsigned)index);
		}
		return rc;
	}
	if (bus) {
		char base[80];

		phb = bus_phb(r, bus);
		snprintf(base, sizeof(base), "%s", bus);
		if (phb < 0 && strlen(base) > 2 && !strcmp(base + strlen(base) - 2, ".0")) {
			base[strlen(base) - 2] = '\0';
			phb = bus_phb(r, base);
		}
		if (phb < 0)
			return fail(r, "-device %s: bus=%s is not a PCI bus defined before it", driver ? driver : "",
				    bus);
	}
	if (driver && !strcmp(driver, "vfio-pci")) {
		if (r->desc->groups[phb] == 4)
			return fail(r, "-device vfio-pci: more than 4 VFIO devices behind PHB %d", phb);
		r->desc->groups[phb]++;
	} else if (driver && !strcmp(driver, "pc-dimm")) {
		struct backend *b;

		v = prop_get(props, n, "memdev");
		b = v ? backend_find(r, v) : NULL;
		if (!b)
			return fail(r, "-device pc-dimm: memdev=%s is not a -object given before it", v ? v : "");
		r->dimm_bytes += b->size;
	} else if (r->skipped) {
		r->skipped(r->ctx, "-device", driver);
	}
	/* Whatever it is, devices behind it sit on the same PHB (a bridge's bus is its id). */
	return id ? add_bus(r, id, (unsigned)phb) : 0;
}

static int global(struct reader *r, char *value)
{
	struct prop p;
	char *dot = strchr(value, '.'), *eq = strchr(value, '=');
	unsigned i;
	int rc;

	if (!dot || !eq || eq < dot)
		return fail(r, "-global %s: not DRIVER.PROPERTY=VALUE", value);
	*dot = '\0';
	*eq = '\0';
	if (strcmp(value, "spapr-pci-host-bridge") != 0) {
		if (r->skipped)
			r->skipped(r->ctx, "-global", value);
		return 0;
	}
	p = (struct prop){dot + 1, eq + 1};
	/* Every PHB, the default one and those given with -device. */
	for (i = 0; i < VM_MAX_PHBS; i++) {
		rc = phb_prop(r, "-global spapr-pci-host-bridge", &p, &r->desc->phb_ddw_pgsz[i],
			      &r->desc->phb[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* Options that take no value (the rest take one). */
static bool takes_no_value(const char *opt)
{
	static const char *const flags[] = {
		"enable-kvm", "nographic", "nodefaults", "no-reboot", "no-shutdown", "S", "s",
		"daemonize", "snapshot", "no-user-config", "full-screen", "preconfig",
		"only-migratable", "enable-fips", "no-acpi", "no-hpet", "version", "help", "h",
		"curses", "alt-grab", "ctrl-grab", "semihosting", NULL};
	const char *const *f;

	for (f = flags; *f; f++)
		if (!strcmp(opt, *f))
			return true;
	return false;
}

static int read_words(struct reader *r, struct word *words, unsigned n)
{
	unsigned i;
	int rc = 0;

	for (i = 1; i < n && rc == 0; i++) { /* words[0] is the program */
		const char *opt = words[i].text;
		char *value;

		r->line = words[i].line;
		if (opt[0] != '-')
			return fail(r, "'%s' is not an option", opt);
		opt += opt[1] == '-' ? 2 : 1; /* -m and --m are the same */
		if (takes_no_value(opt)) {
			if (!strcmp(opt, "enable-kvm"))
				rc = set_accel(r, "-enable-kvm", "kvm");
			else if (r->skipped)
				r->skipped(r->ctx, words[i].text, NULL);
			continue;
		}
		if (i + 1 == n)
			return fail(r, "%s needs a value", words[i].text);
		value = words[++i].text;
		if (!strcmp(opt, "m"))
			rc = memory(r, value);
		else if (!strcmp(opt, "M") || !strcmp(opt, "machine"))
			rc = machine(r, value);
		else if (!strcmp(opt, "accel"))
			rc = set_accel(r, "-accel", value);
		else if (!strcmp(opt, "object"))
			rc = object(r, value);
		else if (!strcmp(opt, "numa"))
			rc = numa(r, value);
		else if (!strcmp(opt, "device"))
			rc = device(r, value);
		else if (!strcmp(opt, "global"))
			rc = global(r, value);
		else if (r->skipped)
			r->skipped(r->ctx, words[i - 1].text, value);
	}
	return rc;
}

int vm_from_qemu_cmdline(const char *text, size_t len, struct vm_desc *desc, vm_skip_fn skipped,
			 void *ctx, char *err, size_t size)
{
	static struct word words[MAX_WORDS];
	struct reader *r = calloc(1, sizeof(*r));
	unsigned n = 0, i, page_shift;
	int rc;

	if (!r)
		return -ENOMEM;
	*r = (struct reader){.desc = desc, .skipped = skipped, .ctx = ctx, .err = err, .size = size};
	vm_desc_default(desc);
	/* A QEMU VM: PHB 0 always, VFIO groups only where vfio-pci devices are, TCG unless told. */
	desc->nphbs = 1;
	memset(desc->groups, 0, sizeof(desc->groups));
	desc->kvm = false;
	desc->tcg = true;
	rc = split_words(text, len, words, &n, err, size);
	if (rc == 0 && n == 0) {
		snprintf(err, size, "QEMU command line: empty");
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = add_bus(r, "pci.0", 0);
	if (rc == 0)
		rc = read_words(r, words, n);
	for (i = 0; i < desc->nphbs && rc == 0; i++)
		if (i > 0 && !r->phb_seen[i])
			rc = fail(r, "PHB %u is missing: spapr-pci-host-bridge indexes must follow each "
				  "other from 1", i);
	if (rc == 0) {
		/* RAM at start: -m (or its NUMA backends), plus cold-plugged DIMMs. */
		desc->ram = (r->have_m ? r->m_size : r->numa_bytes ? r->numa_bytes : UINT64_C(512) << 20) +
			    r->dimm_bytes;
		desc->max_ram = r->maxmem; /* 0: the same as RAM (set once flags have been applied) */
		page_shift = r->machine_page_shift ? r->machine_page_shift : r->numa_page_shift;
		if (page_shift)
			desc->ram_page_shift = page_shift;
	}
	for (i = 0; i < n; i++)
		free(words[i].text);
	free(r);
	return rc;
}

int vm_from_qemu_file(const char *path, struct vm_desc *desc, vm_skip_fn skipped, void *ctx,
		      char *err, size_t size)
{
	char *text;
	size_t len;
	int rc = tcectl_read_file(path, 1u << 20, "a command line", &text, &len, err, size);

	if (rc)
		return rc;
	rc = vm_from_qemu_cmdline(text, len, desc, skipped, ctx, err, size);
	free(text);
	return rc;
}
