#!/usr/bin/env python3
"""Is a method's grasp turned with the object, or held to the camera rig?

Usage: scripts/yaw_anchoring.py RUN_DIR [RUN_DIR...]

Every scene set of the suites films the object with 4 cameras 90 degrees
apart in azimuth. A feature that depends on where a surface point faces
relative to the camera that saw it (shading, camera-frame normals) repeats
every 90 degrees of world azimuth, whatever the object's yaw. A method led
by such features puts the palm at the demonstration's world yaw modulo 90
degrees instead of at the demonstration's yaw relative to the object.

Per task this prints the mean resultant length of 4 x (palm yaw) over the
trials (0: palm yaws spread evenly modulo 90 degrees, 1: all at one yaw
modulo 90 degrees) beside the same for 4 x (object yaw): objects are placed
at random yaws, so a palm that follows the object has a value near the
object's, and a palm held to the rig a value near 1. The palm yaw is the
world azimuth of the palm axis that lies most nearly horizontal in the
task's first trial. Also printed: the task's transfer count.
"""
import cmath
import math
import sys

from trial_records import group_trials


def rotation(q):
    w, x, y, z = q
    return [
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ]


def resultant_of_4x(angles_rad):
    """Mean resultant length of 4 x angle (90-degree periodic concentration)."""
    if not angles_rad:
        return float("nan")
    return abs(sum(cmath.exp(4j * a) for a in angles_rad)) / len(angles_rad)


def main(dirs):
    for d in dirs:
        by_task = group_trials(d, lambda r: r["task"],
                               keep=lambda r: "grasp" in r and "X_WTargetObj_settled" in r)
        print(d)
        print("  task             palm 4x   object 4x   transfer")
        for task, records in sorted(by_task.items()):
            first = rotation(records[0]["grasp"]["X_WPalm"]["quat_wxyz"])
            axis = max(range(3), key=lambda c: math.hypot(first[0][c], first[1][c]))
            palm = []
            obj = []
            for r in records:
                m = rotation(r["grasp"]["X_WPalm"]["quat_wxyz"])
                palm.append(math.atan2(m[1][axis], m[0][axis]))
                q = r["X_WTargetObj_settled"]["quat_wxyz"]
                obj.append(2.0 * math.atan2(q[3], q[0]))  # objects rest upright
            transfers = sum(1 for r in records if r.get("transfer"))
            print(f"  {task:15s}  {resultant_of_4x(palm):7.2f}   {resultant_of_4x(obj):9.2f}"
                  f"   {transfers}/{len(records)}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
