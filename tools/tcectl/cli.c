// SPDX-License-Identifier: MIT
/*
 * tcectl helpers: size parsing and formatting, usage errors.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cli.h"

static int parse_u64(const char *text, int base, uint64_t *value, const char **end)
{
	char *stop;
	unsigned long long v;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &stop, base);
	if (errno == ERANGE)
		return -ERANGE;
	*value = v; /* a leading digit: strtoull() read at least that */
	*end = stop;
	return 0;
}

int tcectl_parse_size(const char *text, uint64_t *bytes)
{
	static const char suffixes[] = "KMGTPE";
	const char *rest;
	uint64_t value;
	unsigned shift = 0;
	int rc;

	if (!text || !*text)
		return -EINVAL;
	if (strncmp(text, "2^", 2) == 0) {
		rc = parse_u64(text + 2, 10, &value, &rest);
		if (rc)
			return rc;
		if (*rest)
			return -EINVAL;
		if (value > 63)
			return -ERANGE;
		*bytes = UINT64_C(1) << value;
		return 0;
	}
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		if (!isxdigit((unsigned char)text[2]))
			return -EINVAL;
		rc = parse_u64(text, 16, &value, &rest);
	} else {
		rc = parse_u64(text, 10, &value, &rest);
	}
	if (rc)
		return rc;
	if (*rest) {
		const char *unit = strchr(suffixes, toupper((unsigned char)*rest));

		if (!unit)
			return -EINVAL;
		shift = 10u * (unsigned)(unit - suffixes + 1);
		rest++;
		if (strcasecmp(rest, "") != 0 && strcasecmp(rest, "i") != 0 &&
		    strcasecmp(rest, "ib") != 0 && strcasecmp(rest, "b") != 0)
			return -EINVAL;
	}
	if (shift && value > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = value << shift;
	return 0;
}

int tcectl_read_file(const char *path, size_t max, const char *what, char **text, size_t *len,
		     char *err, size_t size)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf;
	size_t got;
	int rc = 0;

	if (!f) {
		rc = -errno;
		snprintf(err, size, "%s: %s", path, strerror(-rc));
		return rc;
	}
	buf = max < SIZE_MAX ? malloc(max + 1) : NULL;
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, size, "%s: out of memory", path);
	} else {
		/* One byte more than allowed tells a longer file from one of exactly @max bytes. */
		got = fread(buf, 1, max + 1, f);
		if (ferror(f)) {
			rc = errno == EISDIR ? -EISDIR : -EIO;
			snprintf(err, size, "%s: %s", path, strerror(-rc));
		} else if (got > max) {
			rc = -EFBIG;
			snprintf(err, size, "%s: %s longer than %zu bytes", path, what, max);
		}
	}
	if (f != stdin)
		fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	*text = buf;
	*len = got;
	return 0;
}

int tcectl_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
	const char *rest;
	uint64_t v;
	int rc;

	if (!text)
		return -EINVAL;
	rc = parse_u64(text, 10, &v, &rest);
	if (rc)
		return rc;
	if (*rest)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*value = v;
	return 0;
}

const char *tcectl_format_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	unsigned unit = 0;

	while (unit + 1 < sizeof(units) / sizeof(units[0]) && bytes >= (UINT64_C(1) << (10 * (unit + 1))))
		unit++;
	if (unit == 0 || (bytes & ((UINT64_C(1) << (10 * unit)) - 1)) == 0)
		snprintf(buf, size, "%" PRIu64 " %s", bytes >> (10 * unit), units[unit]);
	else
		snprintf(buf, size, "%.2f %s", (double)bytes / (double)(UINT64_C(1) << (10 * unit)),
			 units[unit]);
	return buf;
}

static char last_error[512];

int tcectl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "tcectl %s: %s\nTry 'tcectl %s --help'.\n", cmd, last_error, cmd);
	return TCECTL_EXIT_USAGE;
}

const char *tcectl_last_error(void)
{
	return last_error;
}

bool tcectl_has_flag(int argc, char **argv, const char *flag)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			return true;
	return false;
}

void tcectl_json_error(const char *message)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "ok", json_object_new_boolean(false));
	json_object_object_add(obj, "error", json_object_new_string(message));
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

const char *tcectl_bad_option(char **argv, char *buf, size_t size)
{
	const char *last = optind > 0 ? argv[optind - 1] : "";

	/* A long option is the argument getopt just passed; a short one may sit inside a cluster. */
	if (strncmp(last, "--", 2) != 0 && optopt > 0 && optopt < 128 && isgraph(optopt)) {
		snprintf(buf, size, "-%c", optopt);
		return buf;
	}
	return last;
}

int tcectl_finish_output(int status)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);

	if (failed) {
		fprintf(stderr, "tcectl: writing the output failed: %s\n", strerror(errno ? errno : EIO));
		return TCECTL_EXIT_FAIL;
	}
	return status;
}
