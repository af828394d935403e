#!/usr/bin/env python3
"""The best and the worst trial of each object of a run, for pictures.

    scripts/best_worst_trials.py RUN_DIR [--vis OUT_DIR]

Per object (a mesh set's `object`, else the target instance id) the best
trial is the one ranked first by (transfer, robust, lift, -contact_error)
and the worst the one ranked last (ties: the lower trial index wins, so the
choice is reproducible). Prints one line per pick; with --vis, runs
`dffeval judge-vis RUN_DIR --trial ID --out OUT_DIR/OBJECT-best|worst` for
each (the binary from $DFFEVAL, default build/eval/dffeval).
"""
import os
import pathlib
import subprocess
import sys

from trial_records import group_trials


def rank_key(r):
    contact_error = r.get("fidelity", {}).get("contact_error")
    if contact_error is None:
        contact_error = float("inf")
    return (bool(r.get("transfer")), bool(r.get("robust")), bool(r.get("success")), -contact_error)


def main(argv):
    if not argv or argv[0].startswith("-"):
        sys.exit(__doc__)
    run = pathlib.Path(argv[0])
    vis = pathlib.Path(argv[argv.index("--vis") + 1]) if "--vis" in argv else None
    by_object = group_trials(
        run, lambda r: r.get("object") or r.get("scene", {}).get("target", {}).get("id", "?"))
    binary = os.environ.get("DFFEVAL", "build/eval/dffeval")
    for name, trials in sorted(by_object.items()):
        ordered = sorted(trials, key=lambda r: (rank_key(r), -r["index"]), reverse=True)
        for label, r in (("best", ordered[0]), ("worst", ordered[-1])):
            fid = r.get("fidelity", {})
            print(f"{name} {label}: {r['id']} transfer={r.get('transfer')} robust={r.get('robust')} "
                  f"lift={r.get('success')} failure={r.get('failure_mode')} "
                  f"contact_error={fid.get('contact_error')} part_agreement={fid.get('part_agreement')}")
            if vis:
                out = vis / f"{name}-{label}"
                subprocess.run([binary, "judge-vis", str(run), "--trial", r["id"], "--out", str(out)],
                               check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main(sys.argv[1:])
