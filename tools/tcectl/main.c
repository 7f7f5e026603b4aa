// SPDX-License-Identifier: MIT
/*
 * tcectl — the command-line face of libtce.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tce/version.h"

static const char main_help[] =
	"Usage: tcectl COMMAND [OPTIONS]\n"
	"The POWER (sPAPR / PowerNV IODA2) IOMMU in user space.\n"
	"\n"
	"Commands:\n"
	"  size        geometry and locked-memory charge of one TCE table\n"
	"  plan        exact locked memory (RLIMIT_MEMLOCK) for a VM, beside libvirt's formula\n"
	"  replay      replay QEMU trace logs and check every recorded result\n"
	"  simulate    a whole VM IOMMU life cycle through the library (the main job)\n"
	"\n"
	"  tcectl COMMAND --help   options of one command\n"
	"  tcectl --version        the libtce version\n"
	"\n"
	"See tcectl(1) for every command, its output and its JSON fields.\n";

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
	{"size", tcectl_cmd_size},
	{"replay", tcectl_cmd_replay},
	{"plan", tcectl_cmd_plan},
	{"simulate", tcectl_cmd_simulate},
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		fputs(main_help, stderr);
		return TCECTL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(main_help, stdout);
		return tcectl_finish_output(TCECTL_EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("tcectl (libtce) %s\n", tce_version());
		return tcectl_finish_output(TCECTL_EXIT_OK);
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return tcectl_finish_output(commands[i].run(argc - 1, argv + 1));
	fprintf(stderr, "tcectl: unknown command '%s'\n", argv[1]);
	fputs(main_help, stderr);
	return TCECTL_EXIT_USAGE;
}
