#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fail on an upward include: a module may include only modules below it.

The order is the one docs/internals.md gives. Every file of src/ and
include/tce/ belongs to one module (by name); an include of a module above it
is an error, and so is an include of an internal header (src/) from tcectl,
the tests of the public API or the benchmarks. Prints one line per problem
and exits 1 when there is any.
"""
import os
import re
import sys

# Bottom-up. "base" is the internal helpers every module may use.
ORDER = ["version", "fault", "base", "geometry", "account", "table", "hostmem", "prereg",
         "userview", "window", "container", "guest", "phb", "migrate", "trace"]
RANK = {m: i for i, m in enumerate(ORDER)}

# Files whose module is not their own name.
MODULE_OF = {
    "alloc": "fault", "platform_fault": "fault", "u64map": "base", "crc32c": "base", "log2": "base", "range": "base", "charge": "account", "rcu": "base",
    "hostmem_backend": "hostmem", "hostmem_sim": "hostmem", "hostmem_process": "hostmem",
    "vfio_ioctl": "container", "group": "container", "group_internal": "container", "hcall": "guest", "guest_migrate": "guest", "guest_internal": "guest",
    "table_walk": "table", "prereg_fast": "prereg", "userview_fast": "userview",
    "window_update": "window", "prereg_tree": "prereg", "trace_parse": "trace",
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def module_of(path):
    name = os.path.splitext(os.path.basename(path))[0]
    module = MODULE_OF.get(name, name)
    return module if module in RANK else None


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    problems = []
    checked = 0
    for folder in ("src", "include/tce"):
        for name in sorted(os.listdir(os.path.join(top, folder))):
            if not name.endswith((".c", ".h", ".h.in")):
                continue
            path = os.path.join(folder, name)
            mine = module_of(name.replace(".h.in", ".h"))
            if mine is None:
                problems.append(f"{path}: not in the module order of docs/internals.md")
                continue
            with open(os.path.join(top, path), encoding="utf-8") as f:
                for no, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    checked += 1
                    target = module_of(m.group(1))
                    if target is None:
                        problems.append(f"{path}:{no}: includes {m.group(1)}, "
                                        "which is not a module")
                    elif RANK[target] > RANK[mine]:
                        problems.append(f"{path}:{no}: {mine} includes {m.group(1)} "
                                        f"({target} is above it)")
    # Users of the public API see only include/tce.
    internal = {os.path.splitext(n)[0] for n in os.listdir(os.path.join(top, "src"))
                if n.endswith(".h")}
    for folder in ("tools/tcectl", "bench", "integrations"):
        root = os.path.join(top, folder)
        if not os.path.isdir(root):
            continue
        for dirpath, _, names in os.walk(root):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    for no, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if m and os.path.splitext(os.path.basename(m.group(1)))[0] in internal \
                                and not m.group(1).startswith("tce/"):
                            checked += 1
                            problems.append(f"{os.path.relpath(path, top)}:{no}: includes the "
                                            f"internal header {m.group(1)}")
    for p in problems:
        print("check-layers: " + p)
    print(f"check-layers: {checked} includes checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
