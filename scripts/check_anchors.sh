#!/usr/bin/env bash
# Checks the cross-references into the project's documentation, and that no file names a
# machine path.
#
# 1. Every reference to `Documentation/Theory.md#<anchor>` or `Documentation/Certificates.md#<anchor>`
#    in Sources/, Tests/, notebooks-md/, scripts/, Documentation/, data/*.md and README.md
#    must name an anchor that exists in the target file: an explicit `<a id="…">` or the
#    GitHub slug of a Markdown heading (lower case, punctuation dropped, spaces → '-',
#    repeated slugs numbered -1, -2, …). In Markdown files, relative links `](FILE.md#<anchor>)`
#    and same-page links `](#<anchor>)` are resolved against the linking file and checked the
#    same way; a link to a missing file fails too. An explicit id defined twice fails.
# 2. No file of the repository (tracked, or untracked and not ignored; .git excluded) may
#    mention the read-only folder beside the checkout (".." + "/shared") or the machine's
#    work root ("/" + "work/") — spelled in pieces here, so this script does not match itself.
#
# Prints "anchors: N references, all resolve" and exits 0, or lists every problem and exits 1.
# Usage: scripts/check_anchors.sh   (needs python3; run from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$(basename "$0")" <<'PY'
import os, re, subprocess, sys, unicodedata

SELF = os.path.join("scripts", sys.argv[1])
SCAN_DIRS = ["Sources", "Tests", "notebooks-md", "scripts", "Documentation"]
SCAN_FILES = ["README.md"]
FORBIDDEN = [b".." + b"/shared", b"/" + b"work/"]

def repo_files():
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             check=True, capture_output=True).stdout
        files = [f for f in out.decode("utf-8", "surrogateescape").split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for root, dirs, names in os.walk("."):
            dirs[:] = [d for d in dirs if d != ".git" and not d.startswith(".build")]
            files += [os.path.relpath(os.path.join(root, n)) for n in names]
    return sorted({f for f in files if os.path.isfile(f) and not f.startswith(".git/")})

def text_of(path):
    with open(path, "rb") as fh:
        data = fh.read()
    if b"\0" in data:
        return None
    return data.decode("utf-8", "replace")

def slug(heading):
    s = heading.strip().lower()
    s = "".join(ch for ch in s if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return s.replace(" ", "-")

_anchor_cache = {}
def anchors(path):
    """(set of anchors, duplicated explicit ids) of a Markdown file."""
    if path in _anchor_cache:
        return _anchor_cache[path]
    found, explicit, dups, seen = set(), {}, [], {}
    in_fence = False
    for line in (text_of(path) or "").split("\n"):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for a in re.findall(r'<a\s+(?:id|name)="([^"]+)"', line):
            explicit[a] = explicit.get(a, 0) + 1
            found.add(a)
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            base = slug(re.sub(r"<[^>]+>", "", m.group(1)))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    dups = sorted(a for a, n in explicit.items() if n > 1)
    _anchor_cache[path] = (found, dups)
    return found, dups

files = repo_files()
scan = [f for f in files
        if f in SCAN_FILES or f.split("/")[0] in SCAN_DIRS
        or (f.startswith("data/") and f.endswith(".md"))]

problems, refs = [], 0
REF = re.compile(r"Documentation/(Theory|Certificates)\.md#([A-Za-z0-9_\-]+)")
MDLINK = re.compile(r"\]\(([^)\s#]*)#([^)\s]+)\)")

for f in scan:
    text = text_of(f)
    if text is None:
        continue
    for n, line in enumerate(text.split("\n"), 1):
        spans = []
        for m in REF.finditer(line):
            target = f"Documentation/{m.group(1)}.md"
            spans.append((m.start(), m.end()))
            refs += 1
            if m.group(2) not in anchors(target)[0]:
                problems.append(f"{f}:{n}: {target}#{m.group(2)}: no such anchor")
        if not f.endswith(".md"):
            continue
        for m in MDLINK.finditer(line):
            if any(a < m.end() and m.start() < b for a, b in spans):
                continue          # already checked as a Documentation/… reference
            dest, anchor = m.group(1), m.group(2)
            if re.match(r"^[a-z]+:", dest):
                continue          # external link
            target = os.path.normpath(os.path.join(os.path.dirname(f), dest)) if dest else f
            if not target.endswith(".md"):
                continue
            refs += 1
            if not os.path.isfile(target):
                problems.append(f"{f}:{n}: {dest}#{anchor}: no such file {target}")
            elif anchor not in anchors(target)[0]:
                problems.append(f"{f}:{n}: {dest or f}#{anchor}: no such anchor in {target}")

for doc in ("Documentation/Theory.md", "Documentation/Certificates.md"):
    if not os.path.isfile(doc):
        problems.append(f"{doc}: missing")
    else:
        for a in anchors(doc)[1]:
            problems.append(f'{doc}: <a id="{a}"> defined more than once')

for f in files:
    if f == SELF:
        continue
    with open(f, "rb") as fh:
        data = fh.read()
    for bad in FORBIDDEN:
        if bad in data:
            for n, line in enumerate(data.split(b"\n"), 1):
                if bad in line:
                    problems.append(f"{f}:{n}: mentions {bad.decode()!r} (a machine path)")

if problems:
    print(f"anchors: {len(problems)} problem(s):")
    for p in problems:
        print("  " + p)
    sys.exit(1)
print(f"anchors: {refs} references, all resolve")
PY
