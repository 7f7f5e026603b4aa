// SPDX-License-Identifier: MIT
/*
 * tcectl — strict JSON files. See json_file.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_file.h"

/* Line and column (from 1) of byte @at of @text. */
static void where(const char *text, size_t at, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < at; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int fail_at(const char *name, const char *text, size_t at, const char *what, char *err,
		   size_t size)
{
	unsigned line, col;

	where(text, at, &line, &col);
	snprintf(err, size, "%s: line %u, column %u: %s", name, line, col, what);
	return -EINVAL;
}

/* The keys of the objects open at one moment, innermost last. */
struct key {
	size_t depth;
	const char *text;
	size_t len;
};

/*
 * What json-c accepts but a configuration must not have: single quotes, bare
 * words other than true, false and null, and a key twice in one object.
 */
static int scan(const char *name, const char *text, size_t len, char *err, size_t size, size_t *at)
{
	struct key keys[256];
	size_t nkeys = 0, depth = 0, i = 0;
	char what[128];

	while (i < len) {
		char ch = text[i];

		if (ch == '"') {
			size_t start = ++i, j;

			while (i < len && text[i] != '"')
				i += text[i] == '\\' ? 2 : 1;
			if (i >= len)
				return 0; /* unterminated: json-c says where */
			j = i + 1;
			while (j < len && isspace((unsigned char)text[j]))
				j++;
			if (j < len && text[j] == ':') {
				size_t k;

				for (k = nkeys; k-- > 0 && keys[k].depth == depth;) {
					if (keys[k].len == i - start &&
					    memcmp(keys[k].text, text + start, i - start) == 0) {
						snprintf(what, sizeof(what), "the key \"%.*s\" appears twice",
							 (int)(i - start > 64 ? 64 : i - start),
							 text + start);
						*at = start - 1;
						return fail_at(name, text, start - 1, what, err, size);
					}
				}
				if (nkeys < sizeof(keys) / sizeof(keys[0]))
					keys[nkeys++] = (struct key){depth, text + start, i - start};
			}
			i++;
		} else if (ch == '\'') {
			*at = i;
			return fail_at(name, text, i, "single quotes are not JSON (use \")", err, size);
		} else if (ch == '{' || ch == '[') {
			depth++;
			i++;
		} else if (ch == '}' || ch == ']') {
			while (nkeys > 0 && keys[nkeys - 1].depth == depth)
				nkeys--;
			depth -= depth > 0;
			i++;
		} else if (isdigit((unsigned char)ch)) {
			size_t start = i;
			uint64_t n = 0;
			bool over = false;

			for (; i < len && isdigit((unsigned char)text[i]); i++) {
				unsigned d = (unsigned)(text[i] - '0');

				over |= n > (UINT64_MAX - d) / 10;
				n = n * 10 + d;
			}
			/* An integer past 64 bits (json-c would clamp it); a fraction or exponent is a double. */
			if (over && !(i < len && (text[i] == '.' || text[i] == 'e' || text[i] == 'E'))) {
				*at = start;
				return fail_at(name, text, start, "a number too large for 64 bits", err,
					       size);
			}
		} else if (isalpha((unsigned char)ch)) {
			size_t start = i;

			while (i < len && isalnum((unsigned char)text[i]))
				i++;
			if (!(i - start == 4 && (memcmp(text + start, "true", 4) == 0 ||
						 memcmp(text + start, "null", 4) == 0)) &&
			    !(i - start == 5 && memcmp(text + start, "false", 5) == 0) &&
			    !(start > 0 && (text[start - 1] == 'e' || text[start - 1] == 'E' ||
					    isdigit((unsigned char)text[start - 1])))) {
				snprintf(what, sizeof(what), "'%.*s' is not JSON",
					 (int)(i - start > 32 ? 32 : i - start), text + start);
				*at = start;
				return fail_at(name, text, start, what, err, size);
			}
		} else {
			i++;
		}
	}
	return 0;
}

/*
 * One tokener pass over @text; *@end receives where it stopped. json-c's strict
 * mode refuses comments and trailing commas; without it, the first value ends
 * where the tokener stops, so what follows can be reported as such.
 */
static json_object *tokenize(const char *text, size_t len, bool strict, enum json_tokener_error *e,
			     size_t *end)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *obj;

	if (!tok) {
		*e = json_tokener_error_size; /* no memory for a tokener */
		*end = 0;
		return NULL;
	}
	if (strict)
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	*e = json_tokener_get_error(tok);
	*end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (*e != json_tokener_success) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

int json_text_parse(const char *name, const char *text, size_t len, json_object **obj, char *err,
		    size_t size)
{
	enum json_tokener_error e;
	size_t end, i, at = 0;
	int rc;

	*obj = NULL;
	for (i = 0; i < len && isspace((unsigned char)text[i]); i++)
		;
	if (i == len) {
		snprintf(err, size, "%s: empty: a JSON object such as {\"ram\": \"16G\"} is needed", name);
		return -EINVAL;
	}
	/* Where does the first value end, and is anything after it? */
	*obj = tokenize(text, len, false, &e, &end);
	if (!*obj) {
		if (e == json_tokener_continue)
			return fail_at(name, text, len, "the file ends before the JSON value does", err,
				       size);
		return fail_at(name, text, end, json_tokener_error_desc(e), err, size);
	}
	json_object_put(*obj);
	*obj = NULL;
	for (i = end; i < len && isspace((unsigned char)text[i]); i++)
		;
	if (i < len)
		return fail_at(name, text, i, "text after the JSON value", err, size);
	/*
	 * The value itself: strictly (no comments, no trailing commas), and with
	 * no single quotes, bare words, repeated keys or numbers past 64 bits.
	 * When both find something, the first in the text is reported.
	 */
	*obj = tokenize(text, end, true, &e, &i);
	rc = scan(name, text, end, err, size, &at);
	if (!*obj && (rc == 0 || at > i))
		return fail_at(name, text, i, json_tokener_error_desc(e), err, size);
	if (rc) {
		json_object_put(*obj);
		*obj = NULL;
	}
	return rc;
}

int json_file_load(const char *path, json_object **obj, char *err, size_t size)
{
	char *text;
	size_t len;
	int rc = tcectl_read_file(path, JSON_FILE_MAX, "a JSON file", &text, &len, err, size);

	if (rc)
		return rc;
	rc = json_text_parse(path, text, len, obj, err, size);
	free(text);
	return rc;
}

int json_uint_range(json_object *v, const char *field, uint64_t min, uint64_t max, uint64_t *out,
		    char *err, size_t size)
{
	const char *text = json_object_is_type(v, json_type_int) ? json_object_to_json_string(v) : "";
	uint64_t n;

	if (!json_object_is_type(v, json_type_int)) {
		snprintf(err, size, "%s: must be a whole number %llu..%llu", field,
			 (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	/* Past 64 bits was refused when the text was read (json_text_parse()). */
	n = text[0] == '-' ? 0 : json_object_get_uint64(v);
	if (text[0] == '-' || n < min || n > max) {
		snprintf(err, size, "%s: %s is out of range: must be %llu..%llu", field, text,
			 (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = n;
	return 0;
}
