#!/usr/bin/env python3
"""Does a method's transfer depend on the target being shorter or taller
than the demonstration's object?

Usage: scripts/height_split.py RUN_DIR [RUN_DIR...]

Novel instances lie outside the seen size band on both sides, so a method
(or the judge) that handles one side worse hides inside a task's rate. Per
task this prints the transfer count (of the trials in the half) on
targets shorter than the demo's
source object (bounding-box height, from the records' contact signatures)
and on targets as tall or taller, beside the median contact_error of each
half. Trials without a closed-hand signature (the hand never reached the
object) are left out and counted apart.
"""
import statistics
import sys

from trial_records import group_trials


def height_m(signature):
    return signature["object_size_m"][2]


def main(runs):
    if not runs:
        raise SystemExit(__doc__)
    for run in runs:
        print(f"{run}")
        print(f"  {'task':<14} {'demo h (m)':>10}  {'shorter':>9} {'error':>6}"
              f"  {'taller':>9} {'error':>6}  no signature")
        for task, trials in sorted(group_trials(run, lambda r: r["task"]).items()):
            closed = [r for r in trials if "contacts_closed" in r.get("execution", {})]
            if not closed:
                continue
            demo_h = height_m(closed[0]["demo_contacts"])
            halves = {"shorter": [], "taller": []}
            for r in closed:
                side = "shorter" if height_m(r["execution"]["contacts_closed"]) < demo_h else "taller"
                halves[side].append(r)
            cells = []
            for side in ("shorter", "taller"):
                rs = halves[side]
                passed = sum(1 for r in rs if r.get("transfer"))
                errors = [r["fidelity"]["contact_error"] for r in rs if "fidelity" in r]
                error = f"{statistics.median(errors):.2f}" if errors else "-"
                cells.append(f"{passed:>3} / {len(rs):<3} {error:>6}")
            print(f"  {task:<14} {demo_h:>10.3f}  {cells[0]}  {cells[1]}  "
                  f"{len(trials) - len(closed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
