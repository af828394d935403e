#!/usr/bin/env python3
"""Distributions of the transfer judge's metrics in one or more runs.

Usage: scripts/fidelity_quantiles.py RUN_DIR [RUN_DIR...]

For each run (a folder with trials.jsonl) and task, over the trials that
lifted: the 5/50/95% quantiles of part_agreement and contact_error, how
often the thumb touched the demo thumb's part, and the transfer rate at the
suite's thresholds. This is how the thresholds in
eval/harness/grasp_fidelity.h were chosen: on seen_objects, oracle-pose
should pass nearly always and heuristic rarely on part-specific tasks.
"""
import sys

from trial_records import group_trials


def quantile(values, q):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


def main(dirs):
    for d in dirs:
        by_task = group_trials(d, lambda r: r["task"])
        print(f"# {d}")
        print(f"{'task':15} {'n':>4} {'lift':>5} {'pa5':>5} {'pa50':>5} {'ce50':>6} {'ce95':>6}"
              f" {'thumb':>6} {'transfer':>8} {'robust':>6}")
        for task, recs in by_task.items():
            lifted = [r for r in recs if r.get("success")]
            fid = [r["fidelity"] for r in lifted if "fidelity" in r]
            pa = [x["part_agreement"] for x in fid]
            ce = [x["contact_error"] for x in fid]
            thumb = sum(x["thumb_on_demo_part"] for x in fid)
            transfer = sum(bool(r.get("transfer")) for r in recs)
            robust = sum(bool(r.get("robust")) for r in recs)
            print(f"{task:15} {len(recs):4} {len(lifted):5} {quantile(pa, .05):5.2f}"
                  f" {quantile(pa, .5):5.2f} {quantile(ce, .5):6.3f} {quantile(ce, .95):6.3f}"
                  f" {thumb:6} {transfer:8} {robust:6}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
