#!/usr/bin/env python3
"""Checks Documentation/JSON.md against what the commands really print and write.

Each section of the document holds a marker and a table:

  <!-- check: ARGS -->                the command `convsim ARGS` prints one JSON value;
  | key | type | meaning |             every key path it prints must match a row, and every
                                      row (unless its meaning says "(optional)") must match
                                      a path it prints.
  <!-- check-export: ARGS => FILE --> the command writes FILE (CSV, header row);
  | column | meaning |                every column must match a row and every row a column.

Key paths: `a.b` for nested objects, `a[]` for the elements of an array of objects (`[]` alone
for a top-level array), `*` for one key of any name (inputs, theorem details, pairs). A
column pattern may hold `*` for any run of characters.

Usage: scripts/check_json_doc.py CONVSIM_BINARY   (run from the repository root)
Exits 0 and prints one line per checked command, or lists every mismatch and exits 1.
"""
import csv, fnmatch, io, json, re, shlex, subprocess, sys

DOC = "Documentation/JSON.md"


def paths(value, prefix=()):
    """Every key path of a JSON value, as tuples of segments ('[]' for array elements)."""
    out = set()
    if isinstance(value, dict):
        for k, v in value.items():
            p = prefix + (k,)
            out.add(p)
            out |= paths(v, p)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, (dict, list)) and not (isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v)):
                out |= paths(v, prefix + ("[]",))
    return out


def tokens(pattern):
    out = []
    for part in pattern.split("."):
        while part.endswith("[]"):
            base = part[:-2]
            if base:
                out.append(base)
            out.append("[]")
            part = ""
        if part:
            out.append(part)
    return tuple(out)


def matches(pattern, path):
    if len(pattern) != len(path):
        return False
    return all(p == s or (p == "*" and s != "[]") for p, s in zip(pattern, path))


def table_after(lines, i):
    """Rows of the Markdown table that starts after line i: lists of cell texts."""
    rows = []
    j = i + 1
    while j < len(lines) and not lines[j].startswith("|"):
        j += 1
    j += 2  # header and separator
    while j < len(lines) and lines[j].startswith("|"):
        cells = [c.strip() for c in lines[j].strip().strip("|").split("|")]
        rows.append(cells)
        j += 1
    return rows


def key_of(cell):
    m = re.match(r"`([^`]*)`", cell)
    return m.group(1) if m else cell


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    lines = open(DOC, encoding="utf-8").read().split("\n")
    problems, checked = [], 0
    for i, line in enumerate(lines):
        m = re.match(r"<!-- check: (.*) -->", line)
        e = re.match(r"<!-- check-export: (.*) => (\S+) -->", line)
        if not m and not e:
            continue
        args = shlex.split((m or e).group(1))
        run = subprocess.run([binary] + args, capture_output=True, text=True)
        label = "convsim " + " ".join(args)
        if run.returncode != 0:
            problems.append(f"{label}: exit {run.returncode}: {run.stderr.strip()[:300]}")
            continue
        rows = table_after(lines, i)
        if m:
            try:
                value = json.loads(run.stdout)
            except ValueError as err:
                problems.append(f"{label}: not JSON ({err})")
                continue
            documented = [(tokens(key_of(r[0])), "(optional)" in r[-1], key_of(r[0])) for r in rows]
            seen = paths(value)
            for p in sorted(seen):
                if not any(matches(d, p) for d, _, _ in documented):
                    problems.append(f"{label}: prints `{'.'.join(p)}`, which {DOC} does not document")
            for d, optional, text in documented:
                if not optional and not any(matches(d, p) for p in seen):
                    problems.append(f"{label}: {DOC} documents `{text}`, which it does not print")
        else:
            path = e.group(2)
            try:
                header = next(csv.reader(io.StringIO(open(path, encoding="utf-8").read())))
            except (OSError, StopIteration) as err:
                problems.append(f"{label}: cannot read {path} ({err})")
                continue
            documented = [key_of(r[0]) for r in rows]
            for c in header:
                if not any(fnmatch.fnmatchcase(c, d) for d in documented):
                    problems.append(f"{label}: {path} has column `{c}`, which {DOC} does not document")
            for d in documented:
                if not any(fnmatch.fnmatchcase(c, d) for c in header):
                    problems.append(f"{label}: {DOC} documents column `{d}`, which {path} does not have")
        checked += 1
    for p in problems:
        print(p)
    if problems:
        print(f"check_json_doc: {len(problems)} mismatch(es) between {DOC} and the commands")
        return 1
    print(f"check_json_doc: {checked} command outputs match {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
