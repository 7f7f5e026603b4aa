/* SPDX-License-Identifier: MIT */
/*
 * tcectl — helpers shared by the subcommands.
 *
 * Concepts: every subcommand parses its own options with getopt_long, reports
 * bad input on stderr naming the option and the accepted range, and exits 2
 * for usage errors. Sizes accept 4096, 0x1000, 4K, 64KiB, 1G, 2^40.
 */
#ifndef TCECTL_CLI_H
#define TCECTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses. */
#define TCECTL_EXIT_OK 0
#define TCECTL_EXIT_NO 1    /* the command ran; the answer is "no" (e.g. cannot be created) */
#define TCECTL_EXIT_USAGE 2 /* bad arguments */
#define TCECTL_EXIT_FAIL 3  /* an operation failed */

/*
 * tcectl_parse_size() - parse a byte count: decimal or 0x hex, an optional
 * binary suffix K/M/G/T/P/E (optionally followed by "i", "iB" or "B"), or 2^N.
 * Returns 0, or -EINVAL for junk, -ERANGE when it does not fit in 64 bits.
 */
int tcectl_parse_size(const char *text, uint64_t *bytes);

/*
 * tcectl_parse_uint() - parse a decimal integer in [min, max].
 * Returns 0, -EINVAL for junk, -ERANGE outside the range.
 */
int tcectl_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *value);

/*
 * tcectl_format_bytes() - "2 MiB", "4.12 MiB", "512 B" into @buf (>= 32 bytes).
 * Returns @buf.
 */
const char *tcectl_format_bytes(uint64_t bytes, char *buf, size_t size);

/*
 * tcectl_usage_error() - print "tcectl CMD: MESSAGE" and a hint to stderr.
 * Returns TCECTL_EXIT_USAGE so callers can `return tcectl_usage_error(...)`.
 */
int tcectl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message of the last tcectl_usage_error(), without the command. */
const char *tcectl_last_error(void);

/* Whether @flag (such as "--json") is among the arguments after argv[0]. */
bool tcectl_has_flag(int argc, char **argv, const char *flag);

/* Print {"ok": false, "error": MESSAGE} on standard output (a --json command that failed). */
void tcectl_json_error(const char *message);

/*
 * tcectl_bad_option() - the option getopt_long() just refused, as the user
 * typed it: "-x" for a short one (even inside a cluster such as -xh), else the
 * argument ("--bogus", or "--ram" when its value is missing).
 */
const char *tcectl_bad_option(char **argv, char *buf, size_t size);

/*
 * tcectl_read_file() - the whole of @path ("-": standard input) when it holds
 * at most @max bytes; @what names its content in messages ("a command line").
 * On success *@text (malloc'd, the caller frees it; not NUL-terminated) and
 * *@len. Returns 0, or a negative errno with a message naming @path in @err:
 * what fopen() failed with, -EISDIR, -EIO, -ENOMEM, or -EFBIG for a file
 * longer than @max (never cut short).
 */
int tcectl_read_file(const char *path, size_t max, const char *what, char **text, size_t *len,
		     char *err, size_t size);

/*
 * tcectl_finish_output() - flush standard output and check that everything
 * written reached it. Returns @status, or TCECTL_EXIT_FAIL after a message
 * when a write failed (a full disk, a closed pipe).
 */
int tcectl_finish_output(int status);

/* Subcommands: argc/argv start at the subcommand name. */
int tcectl_cmd_size(int argc, char **argv);
int tcectl_cmd_replay(int argc, char **argv);
int tcectl_cmd_plan(int argc, char **argv);
int tcectl_cmd_simulate(int argc, char **argv);

#endif /* TCECTL_CLI_H */
