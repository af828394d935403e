#!/usr/bin/env python3
"""Checks the house rules of the source layout (README "Layout"):

- no source file over 600 lines;
- no function body over 120 lines;
- a lower floor never includes a higher one (the CMake targets enforce it
  at link time; this names the offending line);
- every source file with logic (a .cc) has its test at the mirrored path
  (tests/<dir>/<name>_test.cc), unless it is listed in EXEMPT with why.

Run from anywhere: `python3 scripts/check_layout.py`. Exit 1 and one line per
violation, 0 when the tree follows the rules. ctest runs it (LayoutRules).
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE_DIRS = ["common", "types", "hand", "sim", "pipeline", "eval", "tests"]
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 120

# Which project folders each floor may include (ARCHITECTURE.md).
FLOORS = {
    "common": {"common"},
    "types": {"types", "common"},
    "hand": {"hand", "types", "common"},
    "sim": {"sim", "types", "common"},
    "pipeline": {"pipeline", "hand", "types", "common"},
}

# Sources without a mirrored test, and why.
EXEMPT = {
    # The CLI's main: parses arguments and calls the verbs; every verb is
    # run through the real binary by tests/eval/cli/*_test.cc.
    "eval/cli/dffeval_main.cc": "entry point",
    # Generated-at-build-time provenance is checked by tests/common/provenance_test.cc.
}

CONTROL = re.compile(r"^\s*(if|for|while|switch|catch|do|else)\b")


def strip_code(text):
    """Removes comments, string and character literals (keeps newlines)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def long_functions(path):
    """(name line, length) of every function body longer than the limit.

    A function body is a brace block at namespace or class level whose
    opening line (or the text before it) ends a parameter list: `) {`,
    `) const {`, `) override {`, `) -> T {`, lambdas at namespace level.
    Blocks of namespaces, classes, structs, enums and initializers are
    descended into, not counted.
    """
    code = strip_code(path.read_text())
    found = []
    stack = []  # (kind, start line)
    line = 1
    prefix = ""
    for ch in code:
        if ch == "\n":
            line += 1
        if ch == "{":
            head = prefix.strip()
            in_function = any(kind == "function" for kind, _ in stack)
            is_function = (not in_function and re.search(
                r"\)\s*(const|override|final|noexcept|mutable|->\s*[\w:<>, *&]+|\s)*$", head)
                and not CONTROL.match(head.splitlines()[-1] if head else ""))
            stack.append(("function" if is_function else "block", line))
            prefix = ""
        elif ch == "}":
            if stack:
                kind, start = stack.pop()
                if kind == "function" and line - start + 1 > MAX_FUNCTION_LINES:
                    found.append((start, line - start + 1))
            prefix = ""
        elif ch == ";":
            prefix = ""
        else:
            prefix += ch
            if len(prefix) > 400:
                prefix = prefix[-400:]
    return found


def main():
    problems = []
    sources = []
    for d in SOURCE_DIRS:
        base = ROOT / d
        if base.exists():
            sources += [p for p in base.rglob("*") if p.suffix in (".h", ".cc")]
    for path in sorted(sources):
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        lines = text.count("\n")
        if lines > MAX_FILE_LINES:
            problems.append(f"{rel}: {lines} lines (limit {MAX_FILE_LINES})")
        for start, length in long_functions(path):
            problems.append(f"{rel}:{start}: function of {length} lines (limit {MAX_FUNCTION_LINES})")
        floor = rel.split("/")[0]
        if floor in FLOORS:
            for no, text_line in enumerate(text.splitlines(), 1):
                m = re.match(r'\s*#include "([a-z_]+)/', text_line)
                if m and m.group(1) in {*FLOORS, "eval"} and m.group(1) not in FLOORS[floor]:
                    problems.append(f"{rel}:{no}: {floor}/ includes {m.group(1)}/ (a higher floor)")
        if path.suffix == ".cc" and floor != "tests" and rel not in EXEMPT:
            test = ROOT / "tests" / (rel[: -len(".cc")] + "_test.cc")
            if not test.exists():
                problems.append(f"{rel}: no test at {test.relative_to(ROOT).as_posix()}")
    for p in problems:
        print(p)
    print(f"check_layout: {len(sources)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
