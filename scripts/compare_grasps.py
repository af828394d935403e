#!/usr/bin/env python3
"""Compares the grasps (and outcomes) of two runs trial by trial.

usage: compare_grasps.py RUN_A RUN_B   (folders holding trials.jsonl)

Prints, per trial id, whether the grasp is bitwise identical (every number
of the grasp record equal as written, i.e. to the last printed digit of a
double: nlohmann-json writes the shortest round-trip form) and whether the
outcome is the same. Exit 0 when every grasp is identical, 1 otherwise.
Used to check that a refactoring changes no grasp (issue 13).
"""
import sys

from trial_records import read_trials


def load(run):
    return {r["id"]: r for r in read_trials(run)}


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    same = diff = 0
    for tid in sorted(set(a) | set(b)):
        ra, rb = a.get(tid), b.get(tid)
        if ra is None or rb is None:
            print(f"{tid}: only in {'B' if ra is None else 'A'}")
            diff += 1
            continue
        g_same = ra["grasp"] == rb["grasp"]
        o_same = ra["success"] == rb["success"] and ra["failure_mode"] == rb["failure_mode"]
        if g_same and o_same:
            same += 1
        else:
            diff += 1
            print(f"{tid}: grasp {'same' if g_same else 'DIFFERENT'}, outcome "
                  f"{ra['failure_mode']} -> {rb['failure_mode']}")
    print(f"{same} identical, {diff} different")
    return 0 if diff == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
