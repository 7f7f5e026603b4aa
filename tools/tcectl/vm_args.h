/* SPDX-License-Identifier: MIT */
/*
 * tcectl — the VM flags and VM file that plan and simulate share.
 *
 * Concepts: a VM is described by an optional JSON file (vm_json.h) and the
 * VM flags (vm_opts.h); flags override the file. Each command adds flags and
 * JSON fields of its own through callbacks, so no command depends on another
 * command's file.
 */
#ifndef TCECTL_VM_ARGS_H
#define TCECTL_VM_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "vm.h"

struct option;
struct json_object;

/*
 * Parse a VM command line: flags (@options, with the VM flags among them) and an
 * optional JSON file whose fields the flags override. @own_flag handles the
 * command's other flags, @own_keys its other JSON fields (@extra_keys, which the
 * VM parser skips). Returns 0; -1 after --help; else an exit status (usage error).
 */
int vm_parse_args(const char *cmd, int argc, char **argv, const struct option *options,
		  const char *help, const char *const *extra_keys, struct vm_desc *desc,
		  int (*own_flag)(int opt, const char *arg, void *ctx),
		  int (*own_keys)(struct json_object *obj, void *ctx, char *err, size_t size), void *ctx);

/* One VM flag (see VM_LONG_OPTIONS in vm_opts.h): 0, an exit status, or -1 when @opt is not a VM flag. */
int vm_flag(const char *cmd, int opt, const char *arg, struct vm_desc *d, bool *max_given);

#endif /* TCECTL_VM_ARGS_H */
