// SPDX-License-Identifier: MIT
/*
 * tcectl replay — replay QEMU sPAPR IOMMU trace logs and check every result.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "line_reader.h"
#include "vm_qemu.h"
#include "tce/trace.h"

static const char replay_help[] =
	"Usage: tcectl replay [OPTIONS] FILE...\n"
	"Replay QEMU trace logs (plain, xz or zstd) of a ppc64 guest's IOMMU activity and check\n"
	"every recorded hypercall return code, RTAS result and device translation.\n"
	"\n"
	"  --profile NAME       hypercall semantics: qemu (default: what QEMU did), kvm, papr\n"
	"  --max-mismatches N   mismatches and unparsable lines printed in full (default 10)\n"
	"  --qemu-cmdline FILE  the QEMU command line the trace was recorded with ('-': stdin):\n"
	"                       each PHB's page sizes, DDW and windows come from it (default:\n"
	"                       QEMU's defaults)\n"
	"  --memlock-limit SIZE the replayed guest's locked-memory limit, or 'unlimited'\n"
	"                       (default: this machine's memory); windows past it are refused\n"
	"  --migrate-at N[,N...] after each of these trace lines, save the guest's IOMMU state\n"
	"                       to a migration stream, destroy it and restore it into fresh\n"
	"                       objects, then go on (every later result must still match)\n"
	"  --json               print one JSON object (fields in tcectl(1))\n"
	"  --no-progress        no progress line, even on a terminal\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit status: 0 every result matched; 1 a mismatch, an unparsable line or a failed move;\n"
	"2 bad arguments; 3 a file could not be read.\n";

/* ---- one file ---- */

#define MAX_MIGRATIONS 10000u

struct replay_opts {
	struct tce_replay_config cfg;
	bool json;
	bool progress;
	const uint64_t *migrate_at; /* trace lines to migrate after, ascending, no repeats */
	size_t nmigrate;
};

/* One move of the replay (--migrate-at). */
struct migration_result {
	uint64_t after_line;
	int error; /* what tce_replay_migrate() returned */
	double seconds;
	struct tce_migration_stats stats;
};

struct file_result {
	const char *path;
	int read_error;
	const char *format;  /* "plain", "xz" or "zstd" */
	uint64_t lines_read; /* before a read error */
	bool opened;         /* the file could be opened: there is something to report */
	double seconds;
	struct tce_replay_stats stats;
	struct tce_replay *replay;
	struct migration_result *migrations;
	size_t nmigrations;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int replay_file(const char *path, const struct replay_opts *opts, struct file_result *res)
{
	struct line_reader *rd;
	const char *line;
	size_t len;
	uint64_t line_no = 0;
	double t0 = now_s();
	size_t next_move = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	res->path = path;
	if (opts->nmigrate) {
		res->migrations = calloc(opts->nmigrate, sizeof(*res->migrations));
		if (!res->migrations)
			return -ENOMEM;
	}
	rc = tce_replay_create(&opts->cfg, &res->replay);
	if (rc)
		return rc;
	rc = line_reader_open(path, NULL, &rd);
	if (rc) {
		res->read_error = rc;
		return rc;
	}
	res->format = line_reader_format(rd);
	res->opened = true;
	while ((rc = line_reader_next(rd, &line, &len)) == 1) {
		line_no++;
		tce_replay_line(res->replay, line, len, line_no);
		if (next_move < opts->nmigrate && opts->migrate_at[next_move] == line_no) {
			struct migration_result *m = &res->migrations[res->nmigrations++];
			double m0 = now_s();

			m->after_line = line_no;
			m->error = tce_replay_migrate(res->replay, &m->stats);
			m->seconds = now_s() - m0;
			next_move++;
		}
		if (opts->progress && (line_no & 0xffff) == 0)
			fprintf(stderr, "\rreplay %s: %" PRIu64 " lines, %.1f MiB", path, line_no,
				(double)line_reader_bytes(rd) / (1 << 20));
	}
	if (opts->progress)
		fprintf(stderr, "\r\033[K");
	line_reader_close(rd);
	res->lines_read = line_no;
	res->seconds = now_s() - t0;
	tce_replay_stats(res->replay, &res->stats);
	if (rc < 0)
		res->read_error = rc;
	return rc < 0 ? rc : 0;
}

static const char *hcall_name(enum tce_trace_event ev)
{
	return tce_trace_event_name(ev);
}

/* ---- reports ---- */

static void print_windows_text(struct tce_replay *replay)
{
	char b1[32], b2[32];
	unsigned i, n;

	for (i = 0; i < 256; i++) {
		struct tce_phb *phb = tce_replay_phb(replay, i);

		if (!phb)
			continue;
		printf("  PHB %u (buid 0x%" PRIx64 ")\n", i, tce_phb_buid(phb));
		for (n = 0; n < TCE_PHB_WINDOWS; n++) {
			struct tce_phb_window w;
			struct tce_guest_table_info info;

			tce_phb_window(phb, n, &w);
			if (!w.enabled) {
				printf("    window %u  liobn 0x%" PRIx32 "  disabled\n", n, w.liobn);
				continue;
			}
			tce_guest_table_info(tce_replay_guest(replay), w.liobn, &info);
			printf("    window %u  liobn 0x%" PRIx32 "  bus 0x%" PRIx64 "  %s pages  %" PRIu64
			       " entries  %" PRIu64 " valid%s\n",
			       n, w.liobn, w.bus_offset,
			       tcectl_format_bytes(UINT64_C(1) << w.page_shift, b1, sizeof(b1)), w.entries,
			       info.valid_entries, w.def_win ? "  (default window)" : "");
			printf("              guest view: %s allocated, %s charged\n",
			       tcectl_format_bytes(info.allocated_bytes, b1, sizeof(b1)),
			       tcectl_format_bytes(info.charged_bytes, b2, sizeof(b2)));
		}
	}
}

static int print_text(const struct file_result *res, const struct replay_opts *opts)
{
	const struct tce_replay_problem *problems;
	size_t nproblems = tce_replay_problems(res->replay, &problems), i;
	uint64_t checked = 0, matched = 0;
	bool hint = false;
	unsigned ev;
	char b1[32], b2[32];

	printf("replay %s (profile %s): %" PRIu64 " lines in %.2f s (%.0f lines/s)\n", res->path,
	       tce_hcall_rules_get(opts->cfg.profile)->name, res->stats.lines, res->seconds,
	       res->seconds > 0 ? (double)res->stats.lines / res->seconds : 0.0);
	printf("  %-26s %10s %10s %10s %10s\n", "event", "seen", "checked", "matched", "unverified");
	for (ev = 0; ev < TCE_TRACE_EVENT_COUNT; ev++) {
		const struct tce_trace_counts *c = &res->stats.events[ev];

		if (ev == TCE_TRACE_OTHER)
			printf("  %-26s %10" PRIu64 " %10s %10s %10s\n", "other (ignored)", c->seen, "-", "-",
			       "-");
		else
			printf("  %-26s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n",
			       hcall_name(ev), c->seen, c->checked, c->matched, c->unverified);
		checked += c->checked;
		matched += c->matched;
	}
	printf("  checked %" PRIu64 ", matched %" PRIu64 ", mismatches %" PRIu64
	       ", unparsable lines %" PRIu64 "\n",
	       checked, matched, res->stats.mismatches, res->stats.unparsable);
	for (i = 0; i < nproblems; i++) {
		if (strstr(problems[i].what, "give the replay the VM's PHB configuration"))
			hint = true;
		printf("  line %" PRIu64 ": %s\n    %s\n", problems[i].line_no, problems[i].what,
		       problems[i].line);
	}
	if (hint)
		printf("  hint: pass the QEMU command line the trace was recorded with: "
		       "tcectl replay --qemu-cmdline FILE\n");
	if (opts->nmigrate) {
		uint64_t bytes = 0, largest = 0;
		size_t failed = 0;

		for (i = 0; i < res->nmigrations; i++) {
			const struct migration_result *m = &res->migrations[i];

			if (m->error) {
				failed++;
				printf("  migration after line %" PRIu64 " failed: %s\n", m->after_line,
				       strerror(-m->error));
				continue;
			}
			bytes += m->stats.last_bytes;
			largest = m->stats.last_bytes > largest ? m->stats.last_bytes : largest;
		}
		printf("  migrations: %zu of %zu asked (the others are past the end), %zu failed; "
		       "streams %s in all, largest %s\n",
		       res->nmigrations, opts->nmigrate, failed,
		       tcectl_format_bytes(bytes, b1, sizeof(b1)),
		       tcectl_format_bytes(largest, b2, sizeof(b2)));
	}
	printf("final windows:\n");
	print_windows_text(res->replay);
	printf("locked memory (guest views): %s\n",
	       tcectl_format_bytes(tce_account_locked(tce_replay_account(res->replay), TCE_TAG_COUNT), b1,
				   sizeof(b1)));
	return 0;
}

static json_object *json_file(const struct file_result *res, const struct replay_opts *opts)
{
	const struct tce_replay_problem *problems;
	size_t nproblems = tce_replay_problems(res->replay, &problems), i;
	json_object *obj = json_object_new_object(), *events = json_object_new_object();
	json_object *probs = json_object_new_array(), *phbs = json_object_new_array();
	uint64_t checked = 0, matched = 0;
	unsigned ev, p, n;

	json_object_object_add(obj, "file", json_object_new_string(res->path));
	json_object_object_add(obj, "profile",
			       json_object_new_string(tce_hcall_rules_get(opts->cfg.profile)->name));
	json_object_object_add(obj, "lines", json_object_new_uint64(res->stats.lines));
	json_object_object_add(obj, "seconds", json_object_new_double(res->seconds));
	for (ev = 0; ev < TCE_TRACE_EVENT_COUNT; ev++) {
		const struct tce_trace_counts *c = &res->stats.events[ev];
		json_object *e = json_object_new_object();

		json_object_object_add(e, "seen", json_object_new_uint64(c->seen));
		json_object_object_add(e, "checked", json_object_new_uint64(c->checked));
		json_object_object_add(e, "matched", json_object_new_uint64(c->matched));
		json_object_object_add(e, "unverified", json_object_new_uint64(c->unverified));
		json_object_object_add(events, tce_trace_event_name(ev), e);
		checked += c->checked;
		matched += c->matched;
	}
	json_object_object_add(obj, "events", events);
	json_object_object_add(obj, "checked", json_object_new_uint64(checked));
	json_object_object_add(obj, "matched", json_object_new_uint64(matched));
	json_object_object_add(obj, "mismatches", json_object_new_uint64(res->stats.mismatches));
	json_object_object_add(obj, "unparsable", json_object_new_uint64(res->stats.unparsable));
	for (i = 0; i < nproblems; i++) {
		json_object *pr = json_object_new_object();

		json_object_object_add(pr, "line_no", json_object_new_uint64(problems[i].line_no));
		json_object_object_add(pr, "what", json_object_new_string(problems[i].what));
		json_object_object_add(pr, "line", json_object_new_string(problems[i].line));
		json_object_array_add(probs, pr);
	}
	json_object_object_add(obj, "problems", probs);
	for (p = 0; p < 256; p++) {
		struct tce_phb *phb = tce_replay_phb(res->replay, p);
		json_object *jp, *wins;

		if (!phb)
			continue;
		jp = json_object_new_object();
		wins = json_object_new_array();
		json_object_object_add(jp, "index", json_object_new_int((int)p));
		json_object_object_add(jp, "buid", json_object_new_uint64(tce_phb_buid(phb)));
		for (n = 0; n < TCE_PHB_WINDOWS; n++) {
			struct tce_phb_window w;
			struct tce_guest_table_info info = {0};
			json_object *jw = json_object_new_object();

			tce_phb_window(phb, n, &w);
			json_object_object_add(jw, "liobn", json_object_new_uint64(w.liobn));
			json_object_object_add(jw, "enabled", json_object_new_boolean(w.enabled));
			if (w.enabled) {
				tce_guest_table_info(tce_replay_guest(res->replay), w.liobn, &info);
				json_object_object_add(jw, "bus_offset", json_object_new_uint64(w.bus_offset));
				json_object_object_add(jw, "page_shift", json_object_new_int((int)w.page_shift));
				json_object_object_add(jw, "entries", json_object_new_uint64(w.entries));
				json_object_object_add(jw, "default", json_object_new_boolean(w.def_win));
				json_object_object_add(jw, "valid_entries",
						       json_object_new_uint64(info.valid_entries));
				json_object_object_add(jw, "allocated_bytes",
						       json_object_new_uint64(info.allocated_bytes));
				json_object_object_add(jw, "charged_bytes",
						       json_object_new_uint64(info.charged_bytes));
			}
			json_object_array_add(wins, jw);
		}
		json_object_object_add(jp, "windows", wins);
		json_object_array_add(phbs, jp);
	}
	json_object_object_add(obj, "phbs", phbs);
	if (opts->nmigrate) {
		json_object *moves = json_object_new_array();

		for (i = 0; i < res->nmigrations; i++) {
			const struct migration_result *m = &res->migrations[i];
			json_object *jm = json_object_new_object();

			json_object_object_add(jm, "after_line", json_object_new_uint64(m->after_line));
			json_object_object_add(jm, "ok", json_object_new_boolean(m->error == 0));
			if (m->error)
				json_object_object_add(jm, "error",
						       json_object_new_string(strerror(-m->error)));
			json_object_object_add(jm, "stream_bytes",
					       json_object_new_uint64(m->stats.last_bytes));
			json_object_object_add(jm, "runs", json_object_new_uint64(m->stats.last_runs));
			json_object_object_add(jm, "entries",
					       json_object_new_uint64(m->stats.last_entries));
			json_object_object_add(jm, "seconds", json_object_new_double(m->seconds));
			json_object_array_add(moves, jm);
		}
		json_object_object_add(obj, "migrations", moves);
	}
	json_object_object_add(obj, "locked_bytes",
			       json_object_new_uint64(tce_account_locked(tce_replay_account(res->replay),
									 TCE_TAG_COUNT)));
	return obj;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* --migrate-at: comma-separated line numbers, sorted and without repeats into @opts. */
static int parse_migrate_at(const char *text, struct replay_opts *opts)
{
	static uint64_t lines[MAX_MIGRATIONS];
	const char *p = text;
	size_t n = 0, i, kept;
	char token[32];

	for (;;) {
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(token) || n == MAX_MIGRATIONS)
			return tcectl_usage_error("replay",
						  "--migrate-at: '%s' is not a list of at most %u line "
						  "numbers such as 100,2000",
						  text, MAX_MIGRATIONS);
		memcpy(token, p, len);
		token[len] = '\0';
		if (tcectl_parse_uint(token, 1, UINT64_MAX, &lines[n]))
			return tcectl_usage_error("replay",
						  "--migrate-at: '%s' is not a line number (1 or more)",
						  token);
		n++;
		if (!p[len])
			break;
		p += len + 1;
	}
	qsort(lines, n, sizeof(*lines), cmp_u64);
	for (i = 0, kept = 0; i < n; i++)
		if (kept == 0 || lines[kept - 1] != lines[i])
			lines[kept++] = lines[i];
	opts->migrate_at = lines;
	opts->nmigrate = kept;
	return 0;
}

/* This machine's memory in bytes (the default locked-memory limit of a replay). */
static uint64_t physical_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

static bool migration_failed(const struct file_result *res)
{
	size_t i;

	for (i = 0; i < res->nmigrations; i++)
		if (res->migrations[i].error)
			return true;
	return false;
}

int tcectl_cmd_replay(int argc, char **argv)
{
	static const struct option options[] = {
		{"profile", required_argument, NULL, 'p'},
		{"max-mismatches", required_argument, NULL, 'm'},
		{"memlock-limit", required_argument, NULL, 'l'},
		{"qemu-cmdline", required_argument, NULL, 'q'},
		{"migrate-at", required_argument, NULL, 'M'},
		{"json", no_argument, NULL, 'j'},
		{"no-progress", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct tce_phb_config phb_cfg[VM_MAX_PHBS];
	struct replay_opts opts = {.cfg = {TCE_HCALL_QEMU, 10, physical_memory(), NULL, 0}};
	json_object *files = NULL;
	bool no_progress = false;
	uint64_t value;
	int opt, status = TCECTL_EXIT_OK, i;
	char bad[16];

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (tce_hcall_profile_parse(optarg, &opts.cfg.profile))
				return tcectl_usage_error("replay", "--profile: '%s' is not qemu, kvm or papr",
							  optarg);
			break;
		case 'm':
			if (tcectl_parse_uint(optarg, 1, 100000, &value))
				return tcectl_usage_error("replay", "--max-mismatches: '%s' is not 1..100000",
							  optarg);
			opts.cfg.keep_problems = (unsigned)value;
			break;
		case 'l':
			if (strcmp(optarg, "unlimited") == 0)
				opts.cfg.memlock_limit = 0;
			else if (tcectl_parse_size(optarg, &value) || value == 0)
				return tcectl_usage_error("replay",
							  "--memlock-limit: '%s' is not a size such as 16G "
							  "or 'unlimited'",
							  optarg);
			else
				opts.cfg.memlock_limit = value;
			break;
		case 'q': {
			struct vm_desc vm;
			char err[512];
			unsigned p;

			if (vm_from_qemu_file(optarg, &vm, NULL, NULL, err, sizeof(err)))
				return tcectl_usage_error("replay", "--qemu-cmdline: %s", err);
			for (p = 0; p < vm.nphbs; p++)
				vm_phb_config(&vm, p, &phb_cfg[p]);
			opts.cfg.phbs = phb_cfg;
			opts.cfg.nphbs = vm.nphbs;
			break;
		}
		case 'M':
			if (parse_migrate_at(optarg, &opts))
				return TCECTL_EXIT_USAGE;
			break;
		case 'j':
			opts.json = true;
			break;
		case 'n':
			no_progress = true;
			break;
		case 'h':
			fputs(replay_help, stdout);
			return TCECTL_EXIT_OK;
		default:
			return tcectl_usage_error("replay", "unknown or incomplete option '%s'",
						  tcectl_bad_option(argv, bad, sizeof(bad)));
		}
	}
	if (optind == argc)
		return tcectl_usage_error("replay", "no trace FILE given");
	opts.progress = !no_progress && isatty(STDERR_FILENO);
	if (opts.json)
		files = json_object_new_array();
	for (i = optind; i < argc; i++) {
		struct file_result res;
		int rc = replay_file(argv[i], &opts, &res);
		char error[256] = "";

		if (res.read_error == -EILSEQ)
			snprintf(error, sizeof(error),
				 "corrupt or truncated %s data after line %" PRIu64
				 " (the lines before it were replayed)",
				 res.format, res.lines_read);
		else if (rc) /* a read error (res.read_error is the same) or no memory */
			snprintf(error, sizeof(error), "%s", strerror(-rc));
		/* What was replayed is reported before the error (nothing, if the file could not be opened). */
		if (res.replay && res.opened) {
			if (opts.json) {
				json_object *obj = json_file(&res, &opts);

				if (error[0])
					json_object_object_add(obj, "error", json_object_new_string(error));
				json_object_array_add(files, obj);
			} else {
				print_text(&res, &opts);
			}
		} else if (opts.json && error[0]) {
			json_object *obj = json_object_new_object();

			json_object_object_add(obj, "file", json_object_new_string(argv[i]));
			json_object_object_add(obj, "error", json_object_new_string(error));
			json_object_array_add(files, obj);
		}
		if (error[0]) {
			fprintf(stderr, "tcectl replay: %s: %s\n", argv[i], error);
			status = TCECTL_EXIT_FAIL;
		} else if ((res.stats.mismatches || res.stats.unparsable || migration_failed(&res)) &&
			   status == TCECTL_EXIT_OK) {
			status = TCECTL_EXIT_NO;
		}
		tce_replay_destroy(res.replay);
		free(res.migrations);
	}
	if (opts.json) {
		json_object *top = json_object_new_object();

		json_object_object_add(top, "files", files);
		json_object_object_add(top, "ok", json_object_new_boolean(status == TCECTL_EXIT_OK));
		puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
	}
	return status;
}
