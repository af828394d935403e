#!/usr/bin/env python3
"""Markdown tables of the three rates from run folders (for README "Measured").

    scripts/rate_tables.py RUN_DIR...

Prints, for the runs given (one suite, several methods): an overall table
(transfer / robust / lift with successes and 95% Wilson intervals, failure
modes) and a per-task table of transfer / robust / lift successes, summed
over object sets and scene sets, or per scene set when the suite has more
than one. Reads only summary.json.
"""
import collections
import json
import pathlib
import sys


def cell(rate, bold=False):
    b = "**" if bold else ""
    lo, hi = rate["ci95"]
    return f"{b}{100 * rate['rate']:.1f}%{b} ({rate['successes']}) [{100 * lo:.1f}, {100 * hi:.1f}]"


def main(dirs):
    runs = [(pathlib.Path(d), json.loads((pathlib.Path(d) / "summary.json").read_text())) for d in dirs]
    # Columns are runs, named by method, or by folder where two runs share a
    # method (a validation run beside its override).
    methods = [s["method"] for _, s in runs]
    folders = [d.name for d, _ in runs]
    names = [m if methods.count(m) == 1 else f if folders.count(f) == 1 else str(d)
             for (d, _), m, f in zip(runs, methods, folders)]
    print("| method | transfer | robust | lift | failures |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, (d, s) in zip(names, runs):
        o = s["overall"]
        modes = ", ".join(f"{k} {v}" for k, v in sorted(o["failure_modes"].items(), key=lambda kv: -kv[1]))
        print(f"| `{name}` | {cell(o['transfer'], True)} | {cell(o['robust'])} | {cell(o['lift'])} | {modes or '-'} |")
    scene_sets = sorted({r["scene_set"] for _, s in runs for r in s["rows"]})
    split = len(scene_sets) > 1
    cells = collections.OrderedDict()
    for name, (_, s) in zip(names, runs):
        for r in s["rows"]:
            key = (r["task"], r["scene_set"]) if split else (r["task"],)
            c = cells.setdefault(key, {})
            t = c.setdefault(name, [0, 0, 0, 0])
            for i, rate in enumerate(("transfer", "robust", "lift")):
                t[i] += r[rate]["successes"]
            t[3] += r["trials"]
    n = {v[3] for c in cells.values() for v in c.values()}
    print()
    print(f"Per {'task and scene set' if split else 'task'}, transfer / robust / lift successes of {'/'.join(map(str, sorted(n)))}:")
    print()
    print("| " + (" | ".join(["task", "scene set"] if split else ["task"])) + " | " + " | ".join(f"`{m}`" for m in names) + " |")
    print("| --- " * (2 if split else 1) + "| ---: " * len(names) + "|")
    for key, c in cells.items():
        vals = [" / ".join(str(x) for x in c[m][:3]) if m in c else "-" for m in names]
        print("| " + " | ".join(key) + " | " + " | ".join(vals) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
