/* SPDX-License-Identifier: MIT */
/*
 * tcectl — one JSON file, read strictly.
 *
 * Concepts: plan files and scenarios are written by people, so a mistake must
 * be reported, never guessed around. json-c's strict mode refuses comments,
 * trailing commas and anything after the value; what it still accepts and
 * JSON does not (single quotes, NaN and other bare words), and what JSON
 * allows but a configuration must not have (a key twice in one object), is
 * refused by a scan of the text here. Every error says what and where (line
 * and column).
 */
#ifndef TCECTL_JSON_FILE_H
#define TCECTL_JSON_FILE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* The largest file read (configurations are small). */
#define JSON_FILE_MAX (1u << 20)

/*
 * Parse @len bytes of @text as one JSON value. 0 with *@obj set, or -EINVAL
 * with a message naming @name, the problem and its line and column in @err.
 */
int json_text_parse(const char *name, const char *text, size_t len, json_object **obj, char *err,
		    size_t size);

/* Read @path and parse it as json_text_parse() does; -errno when it cannot be read. */
int json_file_load(const char *path, json_object **obj, char *err, size_t size);

/*
 * A whole number field in [min, max] (@field names it in messages). Numbers
 * past 64 bits are out of range, not clamped. 0 or -EINVAL with a message.
 */
int json_uint_range(json_object *v, const char *field, uint64_t min, uint64_t max, uint64_t *out,
		    char *err, size_t size);

#endif /* TCECTL_JSON_FILE_H */
