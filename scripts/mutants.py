#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""List and apply one-line mutants of libtce's C sources (used by scripts/mutate.sh).

  mutants.py list FILE...        every mutant, one per line:
                                 ID <TAB> FILE <TAB> LINE <TAB> KIND <TAB> ORIGINAL <TAB> MUTATED
  mutants.py pick N SEED FILE... N of them spread over the files (round robin over the files,
                                 each file's mutants shuffled by SEED), same format
  mutants.py apply FILE LINE ORIGINAL MUTATED
                                 replace the ORIGINAL line of FILE by MUTATED (tabs as \\t): line
                                 LINE if it still holds ORIGINAL, else the one line that does (the
                                 file changed since the list was made); exit 3 when no line or more
                                 than one does (the mutant is gone)

Kinds: rel (a relational operator changed: < <=, > >=, == !=), logic (&& ||), off (x + 1 / x - 1
become x), errno (one error code for another), flag (true/false, read/write permission), drop (a
statement in an error path removed: a call or assignment followed within three lines by a return
or goto). String and character literals and comments are never mutated; neither are preprocessor
lines nor assert() lines (a mutant there tests the assertion, not the code). An ID is FILE:LINE:KIND:N, stable while the line is.
"""
import random
import re
import sys

ERRNOS = {"-EINVAL": "-ENOMEM", "-ENOMEM": "-EINVAL", "-EBUSY": "-EINVAL", "-ENOENT": "-EINVAL",
          "-EFAULT": "-EINVAL", "-EPERM": "-EINVAL", "-ENXIO": "-EINVAL", "-EEXIST": "-EINVAL",
          "-ENOSPC": "-EINVAL", "-EPROTO": "-EINVAL", "-EILSEQ": "-EINVAL",
          "TCE_H_PARAMETER": "TCE_H_HARDWARE", "TCE_H_TOO_HARD": "TCE_H_PARAMETER",
          "TCE_RTAS_PARAM_ERROR": "TCE_RTAS_HW_ERROR"}
FLAGS = {"true": "false", "false": "true", "TCE_PERM_READ": "TCE_PERM_WRITE",
         "TCE_PERM_WRITE": "TCE_PERM_READ", "VFIO_DMA_MAP_FLAG_READ": "VFIO_DMA_MAP_FLAG_WRITE",
         "VFIO_DMA_MAP_FLAG_WRITE": "VFIO_DMA_MAP_FLAG_READ"}
REL = [(r"<=", "<"), (r"(?<![<-])<(?![<=])", "<="), (r">=", ">"), (r"(?<![>-])>(?![>=])", ">="),
       (r"==", "!="), (r"!=", "==")]
DROP_STMT = re.compile(r"^\s*(?:[A-Za-z_][\w.>\-\[\]]*\s*(?:[-+|&]?=)\s*[^=].*|[A-Za-z_]\w*\s*\(.*\));\s*$")
DECL = re.compile(r"^\s*(?:const\s+|static\s+|struct\s+\w+\s*\*?|unsigned\s|uint\d+_t\s|int\s|bool\s|"
                  r"size_t\s|long\s|char\s|double\s|enum\s)")


def code_mask(lines):
    """Per line, the text with comments and literals blanked (same length), or None to skip it."""
    out, in_comment = [], False
    for text in lines:
        masked, i, n = list(text), 0, len(text)
        while i < n:
            if in_comment:
                end = text.find("*/", i)
                stop = n if end < 0 else end + 2
                for k in range(i, stop):
                    masked[k] = " "
                in_comment, i = end < 0, stop
            elif text.startswith("/*", i):
                in_comment = True
            elif text.startswith("//", i):
                for k in range(i, n):
                    masked[k] = " "
                i = n
            elif text[i] in "\"'":
                quote, k = text[i], i + 1
                while k < n and text[k] != quote:
                    k += 2 if text[k] == "\\" else 1
                for j in range(i, min(k + 1, n)):
                    masked[j] = " "
                i = k + 1
            else:
                i += 1
        stripped = text.lstrip()
        skip = stripped.startswith("#") or stripped.startswith("assert(")
        out.append(None if skip else "".join(masked))
    return out


def mutants_of(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    masks = code_mask(lines)
    found = []
    for no, (text, mask) in enumerate(zip(lines, masks), 1):
        if mask is None or not mask.strip():
            continue
        cands = []
        for pattern, repl in REL:
            for m in re.finditer(pattern, mask):
                cands.append(("rel", m.start(), m.end(), repl))
        for m in re.finditer(r"&&|\|\|", mask):
            cands.append(("logic", m.start(), m.end(), "||" if m.group() == "&&" else "&&"))
        for m in re.finditer(r"\s[+-] 1(?![\w.])", mask):
            cands.append(("off", m.start(), m.end(), ""))
        for word, repl in ERRNOS.items():
            for m in re.finditer(re.escape(word) + r"\b", mask):
                cands.append(("errno", m.start(), m.end(), repl))
        for word, repl in FLAGS.items():
            for m in re.finditer(r"\b" + word + r"\b", mask):
                cands.append(("flag", m.start(), m.end(), repl))
        for kind, start, end, repl in cands:
            found.append((no, kind, text, text[:start] + repl + text[end:]))
        after = " ".join(l for l in lines[no:no + 3])
        if (DROP_STMT.match(mask) and not DECL.match(mask) and "return" not in mask and
                re.search(r"\breturn\s+(-E|rc\b|ret\b|err|NULL|false)|\bgoto\s", after)):
            indent = text[:len(text) - len(text.lstrip())]
            found.append((no, "drop", text, indent + ";"))
    result, seen = [], {}
    for no, kind, orig, mut in found:
        if mut == orig:
            continue
        key = (no, kind)
        seen[key] = seen.get(key, 0) + 1
        result.append((f"{path}:{no}:{kind}:{seen[key]}", path, no, kind, orig, mut))
    return result


def show(m):
    mid, path, no, kind, orig, mut = m
    esc = lambda s: s.replace("\\", "\\\\").replace("\t", "\\t")
    print(f"{mid}\t{path}\t{no}\t{kind}\t{esc(orig)}\t{esc(mut)}")


def main(argv):
    if len(argv) >= 2 and argv[1] == "list":
        for path in argv[2:]:
            for m in mutants_of(path):
                show(m)
    elif len(argv) >= 4 and argv[1] == "pick":
        count, seed = int(argv[2]), argv[3]
        per_file = []
        for path in argv[4:]:
            ms = mutants_of(path)
            random.Random(f"{seed}:{path}").shuffle(ms)
            if ms:
                per_file.append(ms)
        random.Random(seed).shuffle(per_file)
        picked = []
        while len(picked) < count and any(per_file):
            for ms in per_file:
                if ms and len(picked) < count:
                    picked.append(ms.pop())
        for m in picked:
            show(m)
    elif len(argv) == 6 and argv[1] == "apply":
        path, no = argv[2], int(argv[3])
        unesc = lambda text: re.sub(r"\\(.)", lambda m: "\t" if m.group(1) == "t" else m.group(1), text)
        orig, mut = unesc(argv[4]), unesc(argv[5])
        lines = open(path, encoding="utf-8").read().split("\n")
        if not (0 < no <= len(lines) and lines[no - 1] == orig):
            at = [i + 1 for i, text in enumerate(lines) if text == orig]
            if len(at) != 1:
                return 3
            no = at[0]
        lines[no - 1] = mut
        open(path, "w", encoding="utf-8").write("\n".join(lines))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
